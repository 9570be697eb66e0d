"""Test support for projects that handle these streams (needs the ``testing`` extra).

``adapters.testing.strategies`` holds hypothesis strategies that generate
valid and adversarial input for each layer. Nothing in the rest of the package
imports this package, so ``import adapters`` never pulls in hypothesis or pytest.
"""
