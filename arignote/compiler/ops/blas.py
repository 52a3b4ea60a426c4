"""blas ops."""

__all__ = []
