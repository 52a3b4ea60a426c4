"""subtensor ops."""

__all__ = []
