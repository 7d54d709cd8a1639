"""Packaging shim: the metadata is in pyproject.toml (the version in mparticle/version.py).

Kept so that tools and habits that run setup.py still find one; it declares nothing itself.
"""
from setuptools import setup

setup()
