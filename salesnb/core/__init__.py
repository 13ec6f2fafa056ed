"""Helpers every domain shares, one home and one contract each."""
