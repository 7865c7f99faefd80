"""``booth doctor``: check this machine is ready to be the booth; a table with a fix per failure.

Exit code 0 only when every check passes, so provisioning, a monitoring script or an operator over SSH can
rely on it (a WARN row, something to act on before it bites, does not fail it). ``--skip`` leaves a check
out (say ``service`` while developing on a PC). ``delivery`` and ``fleet`` (:mod:`booth.doctor.outbound`)
pass as "off" unless their section is enabled.

``--data`` is the booth's data folder with the default ``booth run`` has (``./var``), so the disk check
measures the disk the photos would be written to, and the page's changes (``<data>/booth.toml``) are read
from where that booth keeps them. Where ``./var`` does not exist but the appliance's ``/var/lib/booth`` does
(an operator over SSH on the appliance), that one is checked: see :func:`data_folder`.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from booth import doctor
from booth.commands.config import resolve_config_path
from booth.commands.run import DEFAULT_DATA
from booth.doctor import analysis, cpu, outbound
from booth.errors import BoothError

if TYPE_CHECKING:
    from booth.config import Settings

Check = Callable[[], doctor.CheckResult]

CHECKS = (
    "config",
    "pi model",
    "models",
    "tflite",
    "analysis",
    "precision",
    "gpio",
    "camera",
    "disk",
    "clock",
    "service",
    "delivery",
    "fleet",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the Pi, camera, models, analysis speed, precision, GPIO, disk, clock, service, delivery "
        "and fleet",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="default: $BOOTH_CONFIG, else /etc/booth/booth.toml"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="the booth's data folder, as given to `booth run` (default ./var, as there; on the appliance, "
        "where ./var does not exist, /var/lib/booth)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=CHECKS,
        metavar="CHECK",
        help=f"one of: {', '.join(CHECKS)}",
    )
    parser.add_argument(
        "--min-free-gb", type=float, default=doctor.DEFAULT_MIN_FREE_BYTES / 1024**3, help="free disk needed"
    )
    parser.add_argument(
        "--detector-budget-ms",
        type=float,
        default=doctor.DEFAULT_DETECTOR_BUDGET_MS,
        help="slowest acceptable face-detector invoke",
    )
    parser.set_defaults(func=run)


def _open_camera(settings: Settings) -> object:
    """The camera as the booth opens it, imported lazily: booth.camera pulls in picamera2 when opened."""
    from booth.camera import open_camera

    return open_camera(settings.camera.source, settings.camera)


#: The appliance's data folder (booth.service's --data): checked when none is named and ./var does not exist,
#: so a bare ``booth doctor`` over SSH checks the booth that runs there.
APPLIANCE_DATA = Path("/var/lib/booth")


def data_folder(given: Path | None) -> Path:
    if given is not None:
        return given
    if not DEFAULT_DATA.exists() and APPLIANCE_DATA.is_dir():
        return APPLIANCE_DATA
    return DEFAULT_DATA


def build_checks(args: argparse.Namespace) -> list[tuple[str, Check]]:
    """The checks to run, in the table's order, bound to this booth's settings and less ``--skip``."""
    from booth import config

    path = resolve_config_path(args.config)
    data = data_folder(args.data).expanduser().resolve()  # as `booth run` resolves it
    try:
        settings = config.load_layered(path, data / config.CHANGES_FILE)  # with the page's changes
    except BoothError:
        settings = config.Settings()  # the config check reports the error; the others still run
    checks: dict[str, Check] = {
        "config": functools.partial(doctor.check_config, path),
        "pi model": doctor.check_pi_model,
        "models": doctor.check_models,
        "tflite": functools.partial(
            doctor.check_tflite, budget_ms=args.detector_budget_ms, runtime=_runtime(settings)
        ),
        "analysis": functools.partial(analysis.check_analysis, settings.vision),
        "precision": functools.partial(cpu.check_precision, settings.vision.precision),
        "gpio": doctor.check_gpio,
        "camera": functools.partial(doctor.check_camera, functools.partial(_open_camera, settings)),
        "disk": functools.partial(doctor.check_disk, data, int(args.min_free_gb * 1024**3)),
        "clock": doctor.check_clock,
        "service": doctor.check_service,
        "delivery": functools.partial(outbound.check_delivery, settings.delivery, data),
        "fleet": functools.partial(outbound.check_fleet, settings.fleet),
    }
    return [(name, check) for name, check in checks.items() if name not in args.skip]


def _runtime(settings: Settings) -> str | None:
    """The TFLite runtime the booth is configured for; None lets the check pick as the booth would."""
    runtime = getattr(settings.vision, "runtime", "auto")
    return None if runtime == "auto" else runtime


def run(args: argparse.Namespace) -> int:
    """Print the table; exit 1 when any check failed, so scripts need not parse it."""
    results = doctor.run_checks(build_checks(args))
    print(doctor.format_table(results))
    return 0 if all(r.ok for r in results) else 1
