"""Theano's T.signal namespace."""
