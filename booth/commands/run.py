"""``booth run``: start the booth (camera, analysis, GPIO, storage) and serve its page with waitress.

Why waitress and not Flask's server: it is a real threaded WSGI server (each live stream holds a worker
thread; ``web.threads`` sizes the pool), and unlike the development server it imports the app once, so the
camera is opened once.

Where settings live: ``--config FILE``, else ``$BOOTH_CONFIG``, else ``/etc/booth/booth.toml`` when it
exists (the appliance), else ``<data>/booth.toml`` (created when the operator first saves settings), so
``make run`` from a checkout also keeps what the operator changes.

Stopping: Ctrl-C or SIGTERM (systemd) ends the streams, stops the service (camera closed, pins released,
database closed) and closes the server, well within 5 s. Under systemd, ``READY=1`` is sent once the camera
delivered its first frame and ``WATCHDOG=1`` only while frames keep coming (:mod:`booth.sdnotify`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from booth import config, sdnotify
from booth.commands.config import resolve_config_path
from booth.errors import ServeError

log = logging.getLogger(__name__)

DEFAULT_DATA = Path("var")
LOCAL_CONFIG = "booth.toml"


class _Shutdown(Exception):
    """Raised from the signal handler to leave waitress's loop in the main thread."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the booth and serve its page")
    parser.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML)")
    parser.add_argument(
        "--camera", metavar="SPEC", help='"auto", "picamera2", "usb:N" or "replay:PATH" (overrides the file)'
    )
    parser.add_argument(
        "--pins", choices=("real", "mock"), help="GPIO pins: real or mock (overrides the file)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, metavar="DIR", help="photos and database (default ./var)"
    )
    parser.set_defaults(func=run)


def settings_path(given: Path | None, data_dir: Path) -> Path:
    """The settings file this run reads and the operator's changes are saved to (see the module doc)."""
    return resolve_config_path(given) or data_dir / LOCAL_CONFIG


def load_settings(path: Path, given: bool, pins: str | None) -> config.Settings:
    settings = config.load(path) if given or path.is_file() else config.Settings()
    if pins is not None:
        settings = settings.model_copy(update={"pins": settings.pins.model_copy(update={"factory": pins})})
    return settings


def run(args: argparse.Namespace) -> int:
    from booth.service import BoothService
    from booth.web import create_app
    from booth.web.serve import make_server

    data_dir = args.data.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = settings_path(args.config, data_dir)
    settings = load_settings(path, path != data_dir / LOCAL_CONFIG, args.pins)
    log.info("settings: %s", path if path.is_file() else f"defaults (saved to {path} on change)")

    service = BoothService(settings, data_dir, config_path=path, camera_spec=args.camera)
    app = create_app(service)
    stopping: threading.Event = app.extensions["booth.stopping"]
    try:
        server = make_server(app, args.host, args.port, settings.web.threads)
    except ServeError:
        service.stop()
        raise

    watchdog = sdnotify.Watchdog.from_environment(lambda: int(service.health().get("frames") or 0))

    def shutdown(signum: int, frame: FrameType | None) -> None:
        stopping.set()  # streams end now, so waitress's worker threads are free to stop
        raise _Shutdown(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        service.start()
        watchdog.start()
        log.info("booth page on http://%s:%s/ (operator: /operator)", args.host, server.effective_port)
        server.run()
    except _Shutdown as why:
        log.info("stopping (%s)", why)
    finally:
        stopping.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        watchdog.stop()
        service.stop(timeout=3.0)
        server.close()
        log.info("stopped")
    return 0
