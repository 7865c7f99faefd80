"""Health checks for the appliance: is this Pi ready to run the booth all day, and if not, what to do.

Each check is a small function returning a :class:`CheckResult` (name, ok, detail, fix). Everything a check
touches (a path, a command runner, the camera factory, a clock) is a parameter with the real thing as its
default, so the tests make each check fail without a Pi. :func:`run_checks` turns a check that raises into a
failed result: the doctor is what an operator runs when things are already wrong, so it must never be the
thing that crashes. Who may read a file, for the models check, is :mod:`booth.doctor.access`; the checks of
cloud delivery and the fleet link are :mod:`booth.doctor.outbound`; whether ``vision.precision`` can change
anything on this CPU is :mod:`booth.doctor.cpu`; the per-frame models' speed is :mod:`booth.doctor.analysis`.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booth import assets
from booth.doctor.access import SERVICE_USER as SERVICE_USER
from booth.doctor.access import AccessProblem as AccessProblem
from booth.doctor.access import Reader, access_problem, chmod_fix, service_reader
from booth.doctor.access import may as may
from booth.errors import BoothError

log = logging.getLogger(__name__)

MODEL_PATH = Path("/proc/device-tree/model")
SUPPORTED_MODEL = re.compile(r"Raspberry Pi (4|5|400|500|Compute Module [45])\b")
SERVICE = "booth.service"
FRAMES_IN_STATUS = re.compile(r"(\d+) frames")
# One invoke of the 128x128 face detector: ~1 ms on a desktop core, a few ms on a Pi 5, under 15 on a Pi 4.
# Past this the whole per-frame pipeline cannot keep up with the preview.
DEFAULT_DETECTOR_BUDGET_MS = 40.0
DEFAULT_MIN_FREE_BYTES = 2 * 1024**3

Runner = Callable[..., subprocess.CompletedProcess]


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's table; ``fix`` says what to do when ``ok`` is false or ``warn`` is set.

    ``warn`` marks a check that passes but found something to act on before it bites (uploads that keep
    failing, a booth id every cloned card shares): it shows as WARN with its fix and, being no failure,
    leaves the exit code at 0.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def check_pi_model(path: Path = MODEL_PATH) -> CheckResult:
    """The board is a Raspberry Pi 4 or 5 (the camera stack and pin numbers assume one)."""
    name = "pi model"
    try:
        model = path.read_bytes().rstrip(b"\0").decode(errors="replace").strip()
    except FileNotFoundError:
        return CheckResult(
            name, False, f"no {path}: not a Raspberry Pi", "run the booth on a Raspberry Pi 4 or 5"
        )
    except OSError as err:
        return CheckResult(
            name, False, f"cannot read {path} ({err.strerror})", f"check permissions on {path}"
        )
    if SUPPORTED_MODEL.search(model):
        return CheckResult(name, True, model)
    return CheckResult(
        name, False, f"{model or 'unknown board'} is not supported", "use a Raspberry Pi 4 or 5"
    )


def service_frame_count(run: Runner = subprocess.run, unit: str = SERVICE) -> int | None:
    """Frames the running service reports in its status line (booth/sdnotify.py), or None if not running."""
    try:
        proc = run(
            ["systemctl", "show", "--property=ActiveState,StatusText", unit],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    props = dict(line.partition("=")[::2] for line in proc.stdout.splitlines())
    if proc.returncode != 0 or props.get("ActiveState") != "active":
        return None
    match = FRAMES_IN_STATUS.search(props.get("StatusText", ""))
    return int(match.group(1)) if match else None


CAMERA_FIX = (
    "check the ribbon cable (contacts face the right way, latch closed) and camera_auto_detect=1 in "
    "/boot/firmware/config.txt, then reboot; `rpicam-hello --list-cameras` must list it"
)


def check_camera(
    open_camera: Callable[[], Any],
    service_frames: Callable[[], int | None] = service_frame_count,
    timeout: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """The camera is present and its frames keep coming.

    While booth.service runs it holds the camera, so a second open would fail: then the frame count the
    service publishes in its systemd status is read twice instead. Otherwise the camera is opened, two
    frames are awaited, and it is closed again.
    """
    before = service_frames()
    if before is not None:
        return _service_camera(before, service_frames, sleep)
    # Deliberately broad: camera stacks raise anything (picamera2 raises IndexError when no camera is
    # attached), and the doctor must report it rather than crash.
    try:
        camera = open_camera()
    except ImportError as err:
        return CheckResult(
            "camera",
            False,
            f"camera software missing ({err})",
            "sudo apt install python3-picamera2 python3-libcamera; the venv must be created with "
            "--system-site-packages (firmware/provision.sh does both)",
        )
    except Exception as err:
        return CheckResult(
            "camera", False, f"cannot open the camera ({type(err).__name__}: {err})", CAMERA_FIX
        )
    return _camera_frames(camera, timeout)


def _service_camera(
    before: int, service_frames: Callable[[], int | None], sleep: Callable[[float], None]
) -> CheckResult:
    """The running service's frame count must grow within two seconds: a stuck count is a stalled camera."""
    sleep(2.0)
    after = service_frames()
    if after is not None and after > before:
        return CheckResult("camera", True, f"booth.service is receiving frames ({before} -> {after})")
    return CheckResult(
        "camera",
        False,
        f"booth.service runs but its frame count is stuck at {before}",
        "the watchdog restarts it within seconds; if it does not recover: sudo systemctl restart booth, "
        "then journalctl -u booth",
    )


def _camera_frames(camera: Any, timeout: float) -> CheckResult:
    """Start the opened camera, await two frames, stop it whatever happened, and judge what came."""
    try:
        camera.start()
        first = camera.wait_frame(0, timeout)  # sequences count from 1
        second = camera.wait_frame(getattr(first, "sequence", 1), timeout) if first is not None else None
        # The camera layer reports faults (no camera, unplugged, unreadable) here rather than raising.
        fault = getattr(getattr(camera, "state", None), "fault", None)
    except Exception as err:
        return CheckResult(
            "camera", False, f"camera opened but failed ({type(err).__name__}: {err})", CAMERA_FIX
        )
    finally:
        try:
            camera.stop()
        except Exception as err:
            log.warning("stopping the camera after the check failed: %s", err)
    if first is None or second is None:
        got = f"{'no frame' if first is None else 'one frame only'} in {timeout:g} s"
        if fault:  # the camera layer's one line is "cause; fix"
            cause, _, own_fix = str(fault).partition("; ")
            return CheckResult("camera", False, f"{got}: {cause}", own_fix or CAMERA_FIX)
        return CheckResult("camera", False, got, CAMERA_FIX)
    shape = getattr(getattr(second, "pixels", None), "shape", None)
    return CheckResult("camera", True, "delivering frames" + (f" ({shape[1]}x{shape[0]})" if shape else ""))


def check_models(
    load_manifest: Callable[[], list[assets.Asset]] = assets.load_manifest,
    verify: Callable[..., list[tuple[assets.Asset, str | None]]] = assets.verify,
    models_dir: Path | None = None,
    reader: Reader | None = None,
) -> CheckResult:
    """Every model of the manifest is readable by the service's user and has the right sha256.

    Readability comes first: provisioning fetches the models as root, and a file only root may read passes
    root's own sha256 check but stops booth.service at its first start.
    """
    name = "models"
    try:
        models = [a for a in load_manifest() if a.kind == "model"]
    except BoothError as err:
        return CheckResult(name, False, str(err), "restore models/manifest.toml from git")
    dirs = {"models_dir": models_dir} if models_dir else {}
    who = reader or service_reader()
    blocked = [(path, p) for path in (a.path(**dirs) for a in models) if (p := access_problem(path, who))]
    if blocked:
        (path, first), others = blocked[0], len(blocked) - 1
        return CheckResult(
            name,
            False,
            f"{path}: {first.cause}" + (f" (+{others} more)" if others else ""),
            chmod_fix([p for _, p in blocked]) + " (or on the appliance re-run sudo firmware/provision.sh)",
        )
    errors = [err for _, err in verify(models, **dirs) if err]
    if errors:
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return CheckResult(name, False, errors[0] + more, assets.FIX_FETCH)
    return CheckResult(name, True, f"{len(models)} models, sha256 verified, readable by user {who.name}")


def median_invoke_ms(model: Any, clock: Callable[[], float], runs: int) -> float:
    """A runtime model's median invoke time on a blank input, after one invoke that is not counted (the
    first allocates and warms caches: not what the booth sees per frame)."""
    model.input[...] = 0
    model.run()
    times = []
    for _ in range(runs):
        start = clock()
        model.run()
        times.append((clock() - start) * 1000)
    return statistics.median(times)


def check_tflite(
    model_path: Callable[[], Path] = lambda: assets.model_path("face_detector"),
    model_factory: Callable[..., Any] | None = None,
    budget_ms: float = DEFAULT_DETECTOR_BUDGET_MS,
    clock: Callable[[], float] = time.perf_counter,
    runtime: str | None = None,
    runs: int = 5,
) -> CheckResult:
    """A TFLite runtime imports and runs the face detector fast enough (median of a few invokes)."""
    name = "tflite"
    if model_factory is None:
        from booth.vision.runtime import Model  # the vision package is heavy; only this check needs it

        model_factory = Model
    try:
        path = model_path()
        model = model_factory(path, runtime=runtime)
    except ImportError as err:  # RuntimeMissingError, or a runtime whose native library fails to load
        return CheckResult(
            name, False, _first_line(str(err)), "pip install -c constraints.txt -e . in the booth's venv"
        )
    except BoothError as err:
        return CheckResult(name, False, str(err), assets.FIX_FETCH)
    median = median_invoke_ms(model, clock, runs)
    label = getattr(model, "runtime", "tflite")
    detail = f"{label}: face detector {median:.1f} ms per invoke (budget {budget_ms:g} ms)"
    if median > budget_ms:
        return CheckResult(
            name,
            False,
            detail,
            "too slow for live preview: check for thermal throttling (vcgencmd get_throttled), a CPU "
            "governor stuck at powersave, or another process hogging the CPU",
        )
    return CheckResult(name, True, detail)


def check_gpio(
    pattern: str = "/dev/gpiochip*",
    access: Callable[[str, int], bool] = os.access,
    find: Callable[[str], list[str]] = glob.glob,
) -> CheckResult:
    """The GPIO character devices exist and this user may read and write them (lgpio needs both)."""
    name = "gpio"
    chips = sorted(find(pattern))
    if not chips:
        return CheckResult(
            name,
            False,
            f"no {pattern}: no GPIO character devices",
            "run on a Raspberry Pi with Bookworm's kernel",
        )
    denied = [chip for chip in chips if not access(chip, os.R_OK | os.W_OK)]
    if denied:
        return CheckResult(
            name,
            False,
            f"no read/write access to {', '.join(denied)}",
            "add the user to group gpio (sudo usermod -aG gpio USER), install firmware/99-booth.rules, "
            "then log in again or reboot",
        )
    return CheckResult(name, True, f"{len(chips)} chips read/write: {', '.join(chips)}")


def check_disk(
    path: Path,
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
    usage: Callable[[Path], Any] = shutil.disk_usage,
) -> CheckResult:
    """Enough free space where photos are written (the nearest existing folder, before the first run)."""
    name = "disk"
    target = path = Path(path)
    while not target.exists() and target != target.parent:
        target = target.parent
    free = usage(target).free
    where = f"the data folder {path}" if target == path else f"{target} (data folder {path} not made yet)"
    detail = f"{free / 1024**3:.1f} GiB free at {where}; need {min_free_bytes / 1024**3:.1f}"
    if free < min_free_bytes:
        return CheckResult(
            name,
            False,
            detail,
            "delete old sessions (booth retention), lower storage retention, or use a larger SD card",
        )
    return CheckResult(name, True, detail)


#: What each finding of ``timedatectl show`` means and its fix (the booth needs NTP: no RTC battery on a Pi).
CLOCK_FINDINGS = {
    "no ntp service": (
        "no NTP service installed",
        "sudo apt install systemd-timesyncd, then: sudo timedatectl set-ntp true",
    ),
    "ntp off": ("NTP is switched off", "sudo timedatectl set-ntp true"),
    "not synchronised": (
        "NTP is on but not synchronised yet",
        "connect the booth to a network that reaches an NTP server (UDP port 123); "
        "`timedatectl timesync-status` shows the server it tries",
    ),
}


#: The fix when timedatectl cannot answer, by where the doctor runs (:func:`clock_keeper`).
CLOCK_UNKNOWN_FIXES = {
    "container": "a container keeps its host's clock: keep NTP on the host (there: timedatectl), "
    "or leave this check out here with --skip clock",
    "no systemd": "without systemd nothing here reports the sync: check the time above is right (or run an "
    "NTP client such as chrony), or --skip clock on a development machine",
    "systemd": "systemd-timedated does not answer: sudo systemctl restart systemd-timedated, then "
    "journalctl -u systemd-timedated",
}


def clock_keeper() -> str:
    """Who could vouch for the clock here: "container" (Docker, Podman and nspawn mark one; the host keeps
    its clock), "systemd" (booted with it: /run/systemd/system) or "no systemd"."""
    if any(Path(p).exists() for p in ("/.dockerenv", "/run/.containerenv")) or "container" in os.environ:
        return "container"
    return "systemd" if Path("/run/systemd/system").is_dir() else "no systemd"


def check_clock(
    run: Runner = subprocess.run,
    keeper: Callable[[], str] = clock_keeper,
    now: Callable[[], float] = time.time,
) -> CheckResult:
    """The clock is NTP-synchronised: photos are named and expired by date, and a Pi has no RTC battery.

    Asked of systemd (``timedatectl show``), whose answer names the fix (NTP off, no NTP service, no
    server reached). Where timedatectl cannot answer (a container, a PC without systemd) the check fails
    with what the clock reads and the fix that fits there, never an NTP command that cannot apply.
    """
    name = "clock"
    reads = f"the clock reads {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(now()))}"
    try:
        proc = run(["timedatectl", "show"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return CheckResult(
            name, False, f"timedatectl did not answer in 10 s; {reads}", CLOCK_UNKNOWN_FIXES["systemd"]
        )
    except FileNotFoundError:
        return _clock_unknown("no timedatectl here", reads, keeper())
    if proc.returncode != 0:
        why = _first_line(proc.stderr) or f"exit code {proc.returncode}"
        return _clock_unknown(f"timedatectl failed ({why})", reads, keeper())
    props = dict(line.partition("=")[::2] for line in proc.stdout.splitlines())
    if props.get("NTPSynchronized") == "yes":
        return CheckResult(name, True, f"NTP synchronised; {reads}")
    if props.get("CanNTP") == "no":
        finding = "no ntp service"
    else:
        finding = "ntp off" if props.get("NTP") == "no" else "not synchronised"
    detail, fix = CLOCK_FINDINGS[finding]
    return CheckResult(name, False, f"{detail}; {reads}", fix)


def _clock_unknown(found: str, reads: str, keeper: str) -> CheckResult:
    detail = f"{found}: cannot tell whether the clock is synchronised; {reads}"
    return CheckResult("clock", False, detail, CLOCK_UNKNOWN_FIXES[keeper])


def check_config(path: Path | None, load: Callable[[Path | None], Any] | None = None) -> CheckResult:
    """The configuration file parses and validates (unknown keys included), and names only looks and shot
    lists that exist (:mod:`booth.settings_check`)."""
    from booth import config, settings_check

    name = "config"
    try:
        settings_check.checked_book((load or config.load)(path), str(path or "the defaults"))
    except BoothError as err:
        return CheckResult(
            name, False, str(err), "edit the file as the message says; `booth config check` re-tests"
        )
    return CheckResult(name, True, str(path) if path else "no file: defaults")


def check_service(run: Runner = subprocess.run, unit: str = SERVICE) -> CheckResult:
    """booth.service is active (the appliance runs the booth under systemd)."""
    name = "service"
    try:
        proc = run(["systemctl", "is-active", unit], capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        return CheckResult(
            name, False, "systemctl not found: no systemd here", "run the booth on Raspberry Pi OS"
        )
    except subprocess.TimeoutExpired:
        return CheckResult(
            name, False, "systemctl did not answer in 10 s", "check the system: systemctl status"
        )
    state = proc.stdout.strip()
    if state == "active":
        return CheckResult(name, True, f"{unit} active")
    return CheckResult(
        name,
        False,
        f"{unit} is {state}" if state else f"systemctl failed: {_first_line(proc.stderr) or proc.returncode}",
        f"sudo systemctl enable --now {unit}; if it fails: journalctl -u {unit} -n 50 "
        f"(after 5 failed starts: sudo systemctl reset-failed {unit})",
    )


def run_checks(checks: Iterable[tuple[str, Callable[[], CheckResult]]]) -> list[CheckResult]:
    """Run each check; one that raises becomes a failed result naming the exception."""
    results = []
    for name, check in checks:
        try:
            result = check()
        except Exception as err:  # the doctor reports failures, it must not become one
            log.debug("check %s raised", name, exc_info=True)
            result = CheckResult(
                name,
                False,
                f"check crashed: {type(err).__name__}: {err}",
                "run `booth -v doctor` and report it",
            )
        results.append(result)
    return results


def format_table(results: Sequence[CheckResult]) -> str:
    """One row per check; under each failure and each warning, its fix."""
    width = max((len(r.name) for r in results), default=0)
    lines = []
    for result in results:
        mark = "FAIL" if not result.ok else "WARN" if result.warn else "ok"
        lines.append(f"{mark:4}  {result.name:{width}}  {result.detail}")
        if (not result.ok or result.warn) and result.fix:
            lines.append(f"{'':4}  {'':{width}}  fix: {result.fix}")
    passed = sum(r.ok for r in results)
    warned = sum(r.ok and r.warn for r in results)
    warnings = f", {warned} with a warning" if warned else ""
    lines.append(f"{passed} of {len(results)} checks passed{warnings}")
    return "\n".join(lines)
