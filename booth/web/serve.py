"""Serving the page with waitress: a real threaded WSGI server (each live stream holds one worker thread).

Never Flask's development server: it imports the app twice and would open the camera twice.
"""

from __future__ import annotations

from typing import Any

import waitress

from booth.errors import ServeError


def make_server(app: Any, host: str, port: int, threads: int) -> Any:
    """A waitress server bound to ``host:port``; a busy or forbidden port is a one-line ServeError."""
    try:
        return waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="booth",
            channel_timeout=30,
            connection_limit=100,
        )
    except OSError as err:
        raise ServeError(
            f"cannot listen on {host}:{port} ({err.strerror or err}); "
            "another booth running? choose another --port"
        ) from None
