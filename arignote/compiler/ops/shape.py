"""shape ops."""

__all__ = []
