"""Measuring generated digits: the judge classifier and the metrics built on it."""
