"""Benchmarks and scorers for zhtok: SIGHAN 2005 word segmentation scoring, ambiguity cases, speed and memory."""
