"""Layan's SQLite database backend: Django's, with writers taking turns (see `base`)."""
