"""tradeguard: connect trading code to crypto exchanges safely."""

from tradeguard.errors import TradeguardError

__version__ = "0.1.0"

__all__ = ["TradeguardError", "__version__"]
