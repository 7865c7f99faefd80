"""booth.doctor: every check made to fail (and pass) without a Pi.

Mocked only at hardware and system boundaries: the camera is a fake object with the camera layer's
start/wait_frame/stop interface, ``systemctl`` and ``timedatectl`` are small shell scripts put first on PATH
(so the real subprocess path runs), GPIO device access is an injected predicate (tests run as root, for whom
``os.access`` is always true). Files, the model manifest, the TFLite runtime and the disk are real.
"""

from __future__ import annotations

import argparse
import functools
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from booth import assets, doctor
from booth.commands import doctor as doctor_command
from booth.errors import ModelError, RuntimeMissingError


def fake_command(bin_dir: Path, name: str, stdout: str = "", stderr: str = "", code: int = 0) -> None:
    """A stand-in for a system command: prints what it is told to and exits with ``code``."""
    script = bin_dir / name
    script.write_text(
        f"#!/bin/sh\nprintf '%s' '{stdout}'\nprintf '%s' '{stderr}' >&2\n"
        f'echo "$@" >> {bin_dir}/{name}.calls\nexit {code}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch) -> Path:
    """An empty PATH of our own: commands exist only if the test creates them."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


# --- Pi model -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [b"Raspberry Pi 5 Model B Rev 1.0\0", b"Raspberry Pi 4 Model B Rev 1.5\0", b"Raspberry Pi 400 Rev 1.1"],
)
def test_pi_model_passes_on_pi_4_and_5(tmp_path, model):
    path = tmp_path / "model"
    path.write_bytes(model)
    result = doctor.check_pi_model(path)
    assert result.ok, result
    assert result.detail == model.rstrip(b"\0").decode()


def test_pi_model_fails_on_an_older_pi(tmp_path):
    path = tmp_path / "model"
    path.write_bytes(b"Raspberry Pi 3 Model B Plus Rev 1.3\0")
    result = doctor.check_pi_model(path)
    assert not result.ok
    assert "Raspberry Pi 3" in result.detail
    assert "4 or 5" in result.fix


def test_pi_model_fails_off_a_pi(tmp_path):
    result = doctor.check_pi_model(tmp_path / "absent")
    assert not result.ok
    assert "not a Raspberry Pi" in result.detail


# --- camera ---------------------------------------------------------------------------------------------


class FakeCamera:
    """The camera layer's interface (start, wait_frame(after_sequence, timeout), stop), scripted."""

    def __init__(self, frames: int = 2, fail_on: str | None = None) -> None:
        self.frames = frames
        self.fail_on = fail_on
        self.calls: list[str] = []
        self.stopped = False

    def start(self) -> None:
        self.calls.append("start")
        if self.fail_on == "start":
            raise RuntimeError("Failed to start camera: Device or resource busy")

    def wait_frame(self, after_sequence: int, timeout: float):
        self.calls.append(f"wait {after_sequence}")
        sequence = after_sequence + 1  # the camera layer counts frames from 1
        if sequence > self.frames:
            return None
        return SimpleNamespace(sequence=sequence, pixels=SimpleNamespace(shape=(480, 640, 3)))

    def stop(self) -> None:
        self.stopped = True


def not_running() -> None:
    return None


def test_camera_passes_when_two_frames_arrive():
    camera = FakeCamera(frames=5)
    result = doctor.check_camera(lambda: camera, service_frames=not_running, timeout=0.1)
    assert result.ok, result
    assert "640x480" in result.detail
    assert camera.calls == ["start", "wait 0", "wait 1"]
    assert camera.stopped


@pytest.mark.parametrize(("frames", "word"), [(0, "no frame"), (1, "one frame only")])
def test_camera_fails_when_frames_do_not_keep_coming(frames, word):
    camera = FakeCamera(frames=frames)
    result = doctor.check_camera(lambda: camera, service_frames=not_running, timeout=0.1)
    assert not result.ok
    assert word in result.detail
    assert "ribbon" in result.fix
    assert camera.stopped, "the camera is released even when the check fails"


def test_camera_passes_with_the_real_camera_layer_replaying_real_footage():
    """Not a fake: booth.camera's replay source (the demo camera) on a real face clip."""
    from booth.camera import open_camera
    from booth.config import CameraSettings

    clip = assets.media_path("single_face.mp4")
    result = doctor.check_camera(
        lambda: open_camera(f"replay:{clip}", CameraSettings()), service_frames=not_running, timeout=10
    )
    assert result.ok, result
    assert "delivering frames (" in result.detail


def test_camera_fails_with_the_camera_layer_fault_when_nothing_comes(tmp_path):
    from booth.camera import open_camera
    from booth.config import CameraSettings

    missing = tmp_path / "gone.mp4"
    result = doctor.check_camera(
        lambda: open_camera(f"replay:{missing}", CameraSettings()), service_frames=not_running, timeout=1
    )
    assert not result.ok
    assert result.detail.startswith("no frame in 1 s: ")
    assert str(missing) in result.detail, "the camera layer's fault names the cause"
    assert "ribbon" not in result.fix, "the camera layer's own fix is passed on, not the Pi-camera one"


def test_camera_fails_when_none_is_attached():
    def no_camera():
        raise IndexError("list index out of range")  # what Picamera2() raises with no camera attached

    result = doctor.check_camera(no_camera, service_frames=not_running)
    assert not result.ok
    assert "IndexError" in result.detail


def test_camera_fails_when_picamera2_is_missing():
    def missing():
        raise ModuleNotFoundError("No module named 'picamera2'")

    result = doctor.check_camera(missing, service_frames=not_running)
    assert not result.ok
    assert "system-site-packages" in result.fix


def test_camera_fails_when_start_raises_and_still_stops():
    camera = FakeCamera(fail_on="start")
    result = doctor.check_camera(lambda: camera, service_frames=not_running)
    assert not result.ok
    assert "busy" in result.detail
    assert camera.stopped


def test_camera_reads_the_running_service_instead_of_opening_the_camera():
    counts = iter([100, 160])

    def must_not_open():
        raise AssertionError("the service holds the camera; the doctor must not open it")

    result = doctor.check_camera(must_not_open, service_frames=lambda: next(counts), sleep=lambda s: None)
    assert result.ok, result
    assert "100 -> 160" in result.detail


def test_camera_fails_when_the_running_service_is_stalled():
    result = doctor.check_camera(lambda: None, service_frames=lambda: 42, sleep=lambda s: None)
    assert not result.ok
    assert "stuck at 42" in result.detail


def test_service_frame_count_parses_systemctl_show(bin_dir):
    fake_command(bin_dir, "systemctl", "ActiveState=active\nStatusText=camera delivering, 1234 frames\n")
    assert doctor.service_frame_count() == 1234
    fake_command(bin_dir, "systemctl", "ActiveState=inactive\nStatusText=\n")
    assert doctor.service_frame_count() is None
    (bin_dir / "systemctl").unlink()
    assert doctor.service_frame_count() is None


# --- models and TFLite ----------------------------------------------------------------------------------


def test_models_fail_when_missing(tmp_path):
    result = doctor.check_models(verify=functools.partial(assets.verify, models_dir=tmp_path))
    assert not result.ok
    assert "missing" in result.detail
    assert "more" in result.detail  # every model is missing, the first is named
    assert result.fix == assets.FIX_FETCH


def test_models_fail_on_a_wrong_checksum(tmp_path):
    models = [a for a in assets.load_manifest() if a.kind == "model"]
    for asset in models:
        (tmp_path / asset.file).write_bytes(b"not the model")
    # As whoever runs the tests: pytest's own temp folders are 0700, which would shut out the booth user.
    result = doctor.check_models(
        verify=functools.partial(assets.verify, models_dir=tmp_path), reader=doctor.Reader.current()
    )
    assert not result.ok
    assert "does not match" in result.detail


def test_models_pass_when_fetched():
    result = doctor.check_models()
    assert result.ok, f"{result.detail} (run `booth models fetch`)"


# A service user that is neither root nor the owner of the test's files (tests run as root here, and root may
# read any file whatever its mode: the check must judge the modes for the booth's user, not try a read).
BOOTH = doctor.Reader("booth", 64242, frozenset({64242}))


@pytest.fixture
def models_folder(shared_models: Path) -> Path:
    """The real models, 0644 in a 0755 folder (see tests/conftest.py), on a path the booth user may reach."""
    if doctor.access_problem(shared_models / "x", BOOTH) is not None:
        pytest.skip(f"{tempfile.gettempdir()} is not reachable by other users")
    return shared_models


def test_models_pass_when_the_service_user_can_read_them(models_folder):
    result = doctor.check_models(models_dir=models_folder, reader=BOOTH)
    assert result.ok, result
    assert "readable by user booth" in result.detail


def test_models_fail_when_the_service_user_cannot_read_one(models_folder):
    path = models_folder / "face_detector.tflite"
    path.chmod(0o000)
    result = doctor.check_models(models_dir=models_folder, reader=BOOTH)
    assert not result.ok
    assert result.detail == f"{path}: {assets.owner_and_mode(path)}, so user booth cannot read it"
    assert "mode 0000" in result.detail
    assert result.fix == f"sudo chmod a+r {path} (or on the appliance re-run sudo firmware/provision.sh)"
    assert "\n" not in result.detail + result.fix


def test_models_fetched_as_root_at_0600_name_every_file_in_one_fix(models_folder):
    """What the booth met at first boot: provisioning (as root) left every model 0600, root's own."""
    files = sorted(models_folder.iterdir())
    for path in files:
        path.chmod(0o600)
    result = doctor.check_models(models_dir=models_folder, reader=BOOTH)
    assert not result.ok
    assert "mode 0600" in result.detail and f"(+{len(files) - 1} more)" in result.detail
    fix = result.fix.split(" (or")[0]
    assert fix.startswith("sudo chmod a+r ") and sorted(fix.split()[3:]) == [str(p) for p in files]


def test_models_fail_when_the_service_user_cannot_enter_the_folder(models_folder):
    models_folder.chmod(0o700)
    result = doctor.check_models(models_dir=models_folder, reader=BOOTH)
    assert not result.ok
    assert f"folder {models_folder} has mode 0700" in result.detail
    assert "user booth cannot enter it" in result.detail
    assert result.fix.startswith(f"sudo chmod a+rx {models_folder} (")


def stat_of(mode: int, uid: int, gid: int) -> os.stat_result:
    return os.stat_result((stat.S_IFREG | mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("mode", "uid", "gid", "readable"),
    [
        (0o600, 64242, 0, True),  # the owner
        (0o044, 64242, 0, False),  # the owner gets the owner's bits only, even when others may read
        (0o640, 0, 64242, True),  # a member of the file's group
        (0o640, 0, 0, False),  # a stranger under 0640
        (0o644, 0, 0, True),  # anyone under 0644
        (0o000, 64242, 64242, False),
    ],
)
def test_may_follows_the_kernels_owner_group_other_rule(mode, uid, gid, readable):
    assert doctor.may(stat_of(mode, uid, gid), BOOTH, 4) is readable


def test_root_may_read_anything_and_readers_come_from_the_account_database():
    root = doctor.Reader.of("root")
    assert root is not None and root.uid == 0 and 0 in root.gids
    assert doctor.may(stat_of(0o000, 64242, 64242), root, 4)
    assert doctor.Reader.of("no-such-user-for-the-booth") is None
    assert doctor.service_reader("no-such-user-for-the-booth") == doctor.Reader.current()


def test_tflite_passes_with_the_real_runtime_and_detector():
    result = doctor.check_tflite(budget_ms=10_000)
    assert result.ok, result
    assert "face detector" in result.detail


def test_tflite_fails_when_too_slow():
    ticks = iter(range(0, 10_000, 100))  # every clock read 0.1 s later: 100 ms per invoke
    result = doctor.check_tflite(clock=lambda: next(ticks) / 1000, budget_ms=40)
    assert not result.ok
    assert "100.0 ms" in result.detail
    assert "throttling" in result.fix


def test_tflite_fails_without_a_runtime():
    def no_runtime(path, runtime=None):
        raise RuntimeMissingError("no TFLite runtime: install ai-edge-litert")

    result = doctor.check_tflite(model_factory=no_runtime)
    assert not result.ok
    assert "no TFLite runtime" in result.detail


def test_tflite_fails_without_the_model(tmp_path):
    def absent():
        raise ModelError(f"{tmp_path}/face_detector.tflite: missing; {assets.FIX_FETCH}")

    result = doctor.check_tflite(model_path=absent)
    assert not result.ok
    assert result.fix == assets.FIX_FETCH


# --- GPIO, disk -----------------------------------------------------------------------------------------


def test_gpio_fails_without_chips(tmp_path):
    result = doctor.check_gpio(str(tmp_path / "gpiochip*"))
    assert not result.ok
    assert "no " in result.detail


def test_gpio_fails_without_access(tmp_path):
    for n in (0, 4):
        (tmp_path / f"gpiochip{n}").touch()
    denied = str(tmp_path / "gpiochip4")
    result = doctor.check_gpio(str(tmp_path / "gpiochip*"), access=lambda p, mode: p != denied)
    assert not result.ok
    assert result.detail.endswith("gpiochip4")
    assert "group gpio" in result.fix


def test_gpio_passes_with_access(tmp_path):
    (tmp_path / "gpiochip0").touch()
    result = doctor.check_gpio(str(tmp_path / "gpiochip*"))
    assert result.ok, result


def test_disk_checks_the_nearest_existing_folder(tmp_path):
    result = doctor.check_disk(tmp_path / "not" / "yet", min_free_bytes=1)
    assert result.ok, result
    assert f"free at {tmp_path} (data folder {tmp_path / 'not' / 'yet'} not made yet)" in result.detail
    assert f"free at the data folder {tmp_path};" in doctor.check_disk(tmp_path, 1).detail


def test_disk_fails_when_full(tmp_path):
    result = doctor.check_disk(tmp_path, min_free_bytes=1 << 62)
    assert not result.ok
    assert "retention" in result.fix


# --- clock, config, service -----------------------------------------------------------------------------


NOW = 1_780_000_000.0  # 2026-05-28 20:26 UTC


def clock(keeper: str = "systemd") -> doctor.CheckResult:
    return doctor.check_clock(keeper=lambda: keeper, now=lambda: NOW)


def timedatectl_show(bin_dir: Path, **props: str) -> None:
    fake_command(bin_dir, "timedatectl", "".join(f"{k}={v}\n" for k, v in props.items()))


def test_clock_passes_when_synchronised(bin_dir):
    timedatectl_show(bin_dir, CanNTP="yes", NTP="yes", NTPSynchronized="yes")
    result = clock()
    assert result.ok
    assert result.detail == "NTP synchronised; the clock reads 2026-05-28 20:26 UTC"
    assert (bin_dir / "timedatectl.calls").read_text().split() == ["show"]


@pytest.mark.parametrize(
    ("props", "detail", "fix"),
    [
        ({"CanNTP": "yes", "NTP": "no"}, "NTP is switched off", "sudo timedatectl set-ntp true"),
        ({"CanNTP": "no", "NTP": "no"}, "no NTP service installed", "sudo apt install systemd-timesyncd"),
        ({"CanNTP": "yes", "NTP": "yes"}, "NTP is on but not synchronised yet", "reaches an NTP server"),
    ],
)
def test_clock_fails_when_not_synchronised_with_the_fix_for_what_was_found(bin_dir, props, detail, fix):
    timedatectl_show(bin_dir, **props, NTPSynchronized="no")
    result = clock()
    assert not result.ok
    assert result.detail == f"{detail}; the clock reads 2026-05-28 20:26 UTC"
    assert fix in result.fix
    if props["NTP"] == "yes":  # NTP already on: switching it on is not the fix
        assert "set-ntp" not in result.fix


@pytest.mark.parametrize(
    ("keeper", "fix"),
    [("container", "keep NTP on the host"), ("no systemd", "--skip clock"), ("systemd", "systemd-timedated")],
)
def test_clock_without_systemd_says_so_and_gives_the_fix_for_where_it_runs(bin_dir, keeper, fix):
    fake_command(
        bin_dir, "timedatectl", stderr="System has not been booted with systemd as init system", code=1
    )
    result = clock(keeper)
    assert not result.ok
    assert "not been booted with systemd" in result.detail
    assert "cannot tell whether the clock is synchronised" in result.detail
    assert "the clock reads 2026-05-28 20:26 UTC" in result.detail
    assert fix in result.fix
    assert "set-ntp" not in result.fix and "connect the booth" not in result.fix


@pytest.mark.parametrize("keeper", ["container", "no systemd"])
def test_clock_fails_without_timedatectl_and_advises_no_ntp_command(bin_dir, keeper):
    result = clock(keeper)
    assert not result.ok
    assert result.detail.startswith("no timedatectl here: cannot tell")
    assert "set-ntp" not in result.fix


def test_clock_keeper_reads_the_container_mark(monkeypatch):
    monkeypatch.setenv("container", "podman")
    assert doctor.clock_keeper() == "container"


def test_config_passes_and_fails(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[camera]\nfps = 25\n")
    assert doctor.check_config(good).ok
    assert doctor.check_config(None).ok
    bad = tmp_path / "bad.toml"
    bad.write_text("[camera]\nfsp = 25\n")
    result = doctor.check_config(bad)
    assert not result.ok
    assert "camera.fsp" in result.detail
    assert "'fps'" in result.detail
    typo = tmp_path / "typo.toml"
    typo.write_text('[session]\nshot_list = "solo"\ncustom_shot_lists = { solo = ["intens"] }\n')
    result = doctor.check_config(typo)
    assert not result.ok and "did you mean 'intense'?" in result.detail


def test_service_passes_when_active(bin_dir):
    fake_command(bin_dir, "systemctl", "active\n")
    assert doctor.check_service().ok
    assert (bin_dir / "systemctl.calls").read_text().split() == ["is-active", "booth.service"]


def test_service_fails_when_failed(bin_dir):
    fake_command(bin_dir, "systemctl", "failed\n", code=3)
    result = doctor.check_service()
    assert not result.ok
    assert result.detail == "booth.service is failed"
    assert "journalctl" in result.fix


def test_service_fails_without_systemctl(bin_dir):
    result = doctor.check_service()
    assert not result.ok
    assert "systemctl not found" in result.detail


# --- running and printing -------------------------------------------------------------------------------


def test_a_crashing_check_is_a_failure_not_a_crash():
    def broken() -> doctor.CheckResult:
        raise KeyError("surprise")

    results = doctor.run_checks([("ok", lambda: doctor.CheckResult("ok", True, "fine")), ("broken", broken)])
    assert [r.ok for r in results] == [True, False]
    assert "KeyError" in results[1].detail


def test_table_prints_a_fix_under_each_failure_only():
    table = doctor.format_table(
        [
            doctor.CheckResult("disk", True, "9 GiB free", "unused"),
            doctor.CheckResult("gpio", False, "no chips", "X"),
        ]
    )
    lines = table.splitlines()
    assert lines[0].startswith("ok    disk")
    assert lines[1].startswith("FAIL  gpio")
    assert lines[2].strip() == "fix: X"
    assert lines[3] == "1 of 2 checks passed"
    assert "unused" not in table


def doctor_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    doctor_command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["doctor", *argv])


def test_command_exits_zero_only_when_all_pass(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BOOTH_CONFIG", raising=False)
    config = tmp_path / "booth.toml"
    config.write_text("[camera]\nfps = 25\n")
    skip = [f"--skip={name}" for name in doctor_command.CHECKS if name not in ("config", "disk")]
    args = doctor_args("--config", str(config), "--data", str(tmp_path), "--min-free-gb", "0", *skip)
    assert args.func(args) == 0
    assert "2 of 2 checks passed" in capsys.readouterr().out

    args = doctor_args("--config", str(config), "--data", str(tmp_path), "--min-free-gb", "1e12", *skip)
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "FAIL  disk" in out
    assert "1 of 2 checks passed" in out


@pytest.mark.usefixtures("bin_dir")
def test_command_runs_every_check_even_with_a_broken_config(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text("[camera\n")
    args = doctor_args(
        "--config", str(config), "--data", str(tmp_path), "--skip", "tflite", "--skip", "camera"
    )
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "FAIL  config" in out
    assert "not valid TOML" in out
    rows = [line.split()[1] for line in out.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert rows == [
        "config", "pi", "models", "analysis", "precision", "gpio", "disk", "clock", "service", "delivery",
        "fleet",
    ]  # fmt: skip
    # PATH holds neither systemctl nor timedatectl: those two checks fail, they do not crash.
    assert "FAIL  service" in out
    assert "FAIL  clock" in out


def test_booth_doctor_in_a_container_checks_booth_runs_data_folder_and_advises_no_ntp(tmp_path, bin_dir):
    """The real command as a process, run from a folder with a booth's ./var in it (``booth run``'s default
    data folder) in a container whose timedatectl has no systemd to ask: the disk line is ./var's, the
    page's changes there are read (they pick the fallback runtime), the camera check replays the real demo
    clip, and the clock line gives the container's fix, not an NTP command."""
    fake_command(
        bin_dir,
        "timedatectl",
        stderr="System has not been booted with systemd as init system (PID 1). Can't operate.",
        code=1,
    )
    data = tmp_path / "var"
    data.mkdir()
    (data / "booth.toml").write_text('[vision]\nruntime = "tflite_runtime"\n')
    env = {k: v for k, v in os.environ.items() if k != "BOOTH_CONFIG"}
    env.update(PATH=str(bin_dir), container="docker")
    proc = subprocess.run(
        [sys.executable, "-m", "booth", "doctor", "--min-free-gb", "0", "--skip", "service"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # not a Pi: the pi model and gpio checks fail
    rows = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith(("ok ", "FAIL "))}
    assert rows["disk"].startswith("ok    disk") and f"free at the data folder {data};" in rows["disk"]
    assert "/var/lib" not in proc.stdout
    assert "tflite_runtime: face detector" in rows["tflite"]
    assert rows["analysis"].startswith("ok    analysis") and "FaceMesh v2" in rows["analysis"], proc.stdout
    assert rows["camera"].split(None, 2)[:2] == ["ok", "camera"], proc.stdout
    assert rows["camera"].split(None, 2)[2].startswith("delivering frames"), proc.stdout
    lines = proc.stdout.splitlines()
    clock_at = lines.index(rows["clock"])
    assert "cannot tell whether the clock is synchronised; the clock reads" in rows["clock"]
    assert lines[clock_at + 1].strip().startswith("fix: a container keeps its host's clock")
    assert "set-ntp" not in proc.stdout and "connect the booth" not in proc.stdout


def test_a_bare_doctor_on_the_appliance_checks_the_appliances_data_folder(tmp_path, monkeypatch):
    """./var is `booth run`'s default; where it does not exist and /var/lib/booth does (the appliance, over
    SSH), a bare `booth doctor` checks the booth that runs there. A named --data always wins."""
    from booth.commands import doctor as command

    appliance = tmp_path / "var-lib-booth"
    appliance.mkdir()
    monkeypatch.setattr(command, "APPLIANCE_DATA", appliance)
    monkeypatch.chdir(tmp_path)
    assert command.data_folder(None) == appliance
    (tmp_path / "var").mkdir()  # a development checkout with its own ./var
    assert command.data_folder(None) == command.DEFAULT_DATA
    assert command.data_folder(tmp_path / "mine") == tmp_path / "mine"
