"""reduce ops."""

__all__ = []
