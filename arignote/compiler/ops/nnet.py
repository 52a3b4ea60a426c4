"""nnet ops."""

__all__ = []
