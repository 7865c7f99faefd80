"""Subcommands of ``booth``: one module each, with ``register(subparsers)`` adding its parser.

The parser's ``func`` default is called with the parsed arguments and returns the exit code.
"""
