"""Moved to :mod:`mparticle.cli.send` and the modules beside it; kept only while
``test/test_uploader.py`` imports it by this name."""

import mparticle.cli.send  # noqa: F401
