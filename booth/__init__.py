"""Headshot booth: watches the sitter, scores headshot looks, fires the shutter on the right moment."""

__version__ = "0.1.0"
