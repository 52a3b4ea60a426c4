"""Theano's T.nnet namespace."""
