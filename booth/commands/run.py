"""``booth run``: start the booth (camera, analysis, GPIO, storage) and serve its page with waitress.

Why waitress and not Flask's server: it is a real threaded WSGI server (each live stream holds a worker
thread; ``web.threads`` sizes the pool), and unlike the development server it imports the app once, so the
camera is opened once.

Where settings live: two files, one laid over the other. The base is ``--config FILE``, else
``$BOOTH_CONFIG``, else ``/etc/booth/booth.toml`` when it exists (the appliance), else the defaults: the
studio's settings, which the booth never writes (on the appliance ``/etc`` is read-only to it, and the file
is root's). Over it goes ``<data>/booth.toml``, which holds only what the operator changed on the page: the
booth writes its changes there (the data folder is its one writable place), and a key deleted from it falls
back to the base. ``booth retention`` reads the same two files, so a retention changed on the page counts.

Starting, in this order: the settings, the port (bound before anything is written, so a busy port leaves
the data folder as it was), the data folder (made and checked, a one-line error if it cannot be written),
its lock, the camera and pins, the page. :mod:`faulthandler` is on, so a crash in C (a SIGBUS from a disk
that failed under SQLite's mapped ``-shm``, see :mod:`booth.storage.connection`) still writes a line and
the threads' stacks to stderr, which systemd keeps in the journal.

Stopping: Ctrl-C or SIGTERM (systemd) ends the streams, stops the service (camera closed, pins released,
database closed) and closes the server: about a second normally (the tests require under 5 s); at worst
the waits add up to about 13 s (workers, the analysis thread, the camera), inside systemd's stop timeout.
Under systemd, ``READY=1`` is sent once the camera delivered its first frame and ``WATCHDOG=1`` only while
frames keep coming (:mod:`booth.sdnotify`).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from booth import config, sdnotify
from booth.commands import options
from booth.commands.config import resolve_config_path
from booth.paths import ensure_data_dir

if TYPE_CHECKING:
    from booth.service import BoothService

log = logging.getLogger(__name__)

DEFAULT_DATA = options.DEFAULT_DATA
LOCAL_CONFIG = config.CHANGES_FILE


class _Shutdown(SystemExit):
    """Raised from the signal handler to leave waitress's loop in the main thread.

    A SystemExit on purpose: waitress's event loop lets only SystemExit, KeyboardInterrupt and its own ExitNow
    through (its server.run() then returns); any other exception arriving while it dispatches a request is
    logged and swallowed, and the booth would keep running after SIGTERM.
    """


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
    parser.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, metavar="DIR", help="photos and database (default ./var)"
    )
    parser.set_defaults(func=run)


def _port(text: str) -> int:
    """``--port``: ASCII digits, 0-65535 (0: any free port; a larger one would be an OverflowError, not
    an OSError, inside the server: a traceback)."""
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; use a number from 0 to 65535, e.g. 8080")
    return int(text)


def settings_files(given: Path | None, data_dir: Path) -> tuple[Path | None, Path]:
    """``(base, changes)``: the studio's config file (None: defaults) and the operator's changes file."""
    return resolve_config_path(given), data_dir / LOCAL_CONFIG


def load_settings(base: Path | None, changes: Path, pins: str | None = None) -> config.Settings:
    """The base file's settings with the changes file (when present) deep-merged over them.

    The base is validated alone (an error names it); the changes file only over the base, as
    ``BoothService.update_settings`` checks it before saving: it may name a shot list the base defines.
    """
    settings = config.load_layered(base, changes)
    if pins is not None:
        settings = settings.model_copy(update={"pins": settings.pins.model_copy(update={"factory": pins})})
    return settings


class _Later:
    """The WSGI app handed to the server before the app exists (see :func:`run`: the port comes first)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


def run(args: argparse.Namespace) -> int:
    """Start the booth (:func:`build`) and serve it until SIGTERM or Ctrl-C (:func:`serve`)."""
    if not faulthandler.is_enabled():  # a SIGBUS in C (the WAL's mapped -shm) still leaves journal lines
        faulthandler.enable(all_threads=True)
    server, service, stopping = build(args)
    serve(args, server, service, stopping)
    return 0


def build(args: argparse.Namespace) -> tuple[Any, BoothService, threading.Event]:
    """The server, the booth service (not started yet) and the event that ends the streams; in this order:
    settings, then the port, then everything that writes or claims hardware. ``booth run`` and the
    service's benchmark (:mod:`booth.bench_booth`) start a booth this one way.

    The port is bound before anything is written or opened, so a start that fails on a busy port leaves
    the data folder as it was (no secret key, no setup code, no lock) and never claims the camera or pins.
    """
    from booth.web import create_app
    from booth.web.serve import make_server

    data_dir = args.data.expanduser().resolve()
    base, changes = settings_files(args.config, data_dir)
    settings = load_settings(base, changes, args.pins)
    late = _Later()
    server = make_server(late, args.host, args.port, settings.web.threads)  # nothing touched yet
    service = None
    try:
        service = _prepare(args, data_dir, settings, base, changes)
        late.app = app = create_app(service, listen_host=args.host, listen_port=server.effective_port)
    except BaseException:
        if service is not None:
            service.stop()  # releases the camera and the pins it claimed
        server.close()
        raise
    return server, service, app.extensions["booth.stopping"]


def _prepare(
    args: argparse.Namespace, data_dir: Path, settings: config.Settings, base: Path | None, changes: Path
) -> BoothService:
    """The data folder (made and checked: a one-line error otherwise), its lock, and the booth service."""
    from booth.service import BoothService
    from booth.storage import Storage

    ensure_data_dir(data_dir)
    log.info(
        "settings: %s, with the page's changes %s %s",
        base or "defaults",
        "from" if changes.is_file() else "to be saved in",
        changes,
    )
    Storage(data_dir, settings.storage).check_lock()  # a second booth on this folder: say so, touch nothing
    service = BoothService(
        settings, data_dir, config_path=changes, base_config_path=base, camera_spec=args.camera
    )
    try:
        _wire_outbound(service, settings)
    except BaseException:
        service.stop()  # releases the camera and the pins it claimed
        raise
    return service


def _wire_outbound(service: BoothService, settings: config.Settings) -> None:
    """The cloud delivery and the fleet link, when the settings turn them on. A bad credentials or
    certificate file stops the start with its one line (``booth config check`` says the same), rather
    than a booth that silently delivers nothing."""
    if settings.delivery.enabled:
        from booth.delivery import Delivery

        quality = settings.storage.jpeg_quality
        service.use_delivery(Delivery.from_settings(settings.delivery, service.storage, quality))
        log.info(
            "cloud delivery to %s/%s", settings.delivery.endpoint_url or "AWS S3", settings.delivery.bucket
        )
    if settings.fleet.enabled:
        from booth import __version__
        from booth.fleet import FleetLink

        service.fleet = FleetLink.from_settings(settings.fleet, service, __version__)


def serve(args: argparse.Namespace, server: Any, service: BoothService, stopping: threading.Event) -> None:
    """Start the booth and serve until SIGTERM or Ctrl-C; then stop everything (see the module docstring)."""
    watchdog = sdnotify.Watchdog.from_environment(lambda: service.health().frames)

    def shutdown(signum: int, frame: FrameType | None) -> None:
        stopping.set()  # streams end now, so waitress's worker threads are free to stop
        log.info("stopping (%s)", signal.Signals(signum).name)
        raise _Shutdown(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        service.start()
        if service.fleet is not None:
            service.fleet.start()  # in the background: a broker that is down never holds up the booth
        watchdog.start()
        log.info("booth page on http://%s:%s/ (operator: /operator)", args.host, server.effective_port)
        server.run()
    except _Shutdown:  # raised outside waitress's loop (while starting); inside it, run() returns
        pass
    finally:
        stopping.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        watchdog.stop()
        if service.fleet is not None:
            service.fleet.stop()  # says "offline" to the broker while the booth can still say it
        service.stop(timeout=3.0)
        server.close()
        log.info("stopped")
