"""Shipped default models, installed as the package data ``zhtok.vocab``."""
