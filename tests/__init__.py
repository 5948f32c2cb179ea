"""timtin's tests (a package, so ``from tests.helpers import ...`` works however pytest is started)."""
