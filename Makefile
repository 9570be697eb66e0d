# Quick start: `make demo` runs the main job on a shipped recording, `make test`
# runs every check. Both create .venv and install the project when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

# The runtime install: the package and its two dependencies.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The development install: the test kit extra plus the dev group (linters,
# type checker, the official SDKs used as real clients, benchmark peers).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[testing]" --group dev
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/adapters convert fixtures/dashscope/cnblogs-mm-reasoning-parallel-toolcalls-qwen3-6-plus.sse --to events --no-wire

test: lint typecheck unit

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Coverage starts before pytest does: the package's own pytest plugin (an entry
# point) imports the library before a pytest-cov run would begin measuring.
unit: $(VENV)/.installed-dev
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage report

bench: $(VENV)/.installed-dev
	$(BIN)/python tests/benchmarks/bench_sse.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_openai.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_dashscope.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_convert.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
