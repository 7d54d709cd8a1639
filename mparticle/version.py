"""The package version (one place: setup.py and the User-Agent read it)."""

__version__ = "0.17.0"
