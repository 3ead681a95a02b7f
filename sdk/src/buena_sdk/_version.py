"""The distribution's version, kept in one place for the User-Agent and ``__version__``."""

__version__ = "1.0.0"
