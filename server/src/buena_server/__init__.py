"""Buena API v2 server."""

__version__ = "0.1.0"
API_VERSION = "2.0"
