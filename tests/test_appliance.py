"""The appliance files: systemd units, provisioning script, firmware config, wiring diagram.

The units go through the real ``systemd-analyze verify``. It refuses units whose ExecStart binary is absent
(/opt/booth/.venv/bin/booth, /usr/bin/cage exist only on a provisioned Pi), so it verifies copies with the
ExecStart program rewritten to /bin/true; the original command lines are asserted separately. The script
goes through the real ``shellcheck`` and really runs in ``--dry-run`` mode. CI installs systemd and
shellcheck (.ci/run); on a machine without them those tests skip and say why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from booth import config

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "systemd"
FIRMWARE = ROOT / "firmware"
PROVISION = FIRMWARE / "provision.sh"
UNIT_FILES = ["booth.service", "booth-kiosk.service", "booth-retention.service", "booth-retention.timer"]

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze absent (CI installs Debian's systemd)"
)
needs_shellcheck = pytest.mark.skipif(
    shutil.which("shellcheck") is None, reason="shellcheck absent (CI installs it)"
)


def unit_settings(name: str) -> dict[str, list[str]]:
    """``Key -> [values]`` of a unit file (keys may repeat, sections merged: the names do not clash here)."""
    settings: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def verify(
    tmp_path: Path, names: list[str], replace: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``systemd-analyze verify`` on copies of the units, ExecStart programs rewritten to /bin/true."""
    for name in UNIT_FILES:
        text = (UNITS / name).read_text()
        text = re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", text, flags=re.MULTILINE)
        for old, new in (replace or {}).items():
            text = text.replace(old, new)
        (tmp_path / name).write_text(text)
    return subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )


@needs_analyze
def test_units_verify_without_a_single_warning(tmp_path):
    proc = verify(tmp_path, UNIT_FILES)
    # verify exits 0 on unknown keys and unparsable values (it only warns), so any output is a failure.
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout + proc.stderr == ""


@needs_analyze
def test_verify_catches_a_typo(tmp_path):
    """The check above can fail: a misspelt key and a bad value each produce output."""
    proc = verify(tmp_path, ["booth.service"], {"WatchdogSec=10": "WatchdogSecs=10\nRestartSec=soon"})
    assert "WatchdogSecs" in proc.stderr
    assert "soon" in proc.stderr


def test_booth_service_runs_the_booth_under_a_watchdog():
    unit = unit_settings("booth.service")
    assert unit["ExecStart"] == [
        "/opt/booth/.venv/bin/booth run --config /etc/booth/booth.toml --data /var/lib/booth "
        "--host 0.0.0.0 --port 8080"
    ]
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    assert unit["WatchdogSec"] == ["10"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["StartLimitIntervalSec"] and unit["StartLimitBurst"]
    assert unit["User"] == ["booth"]
    assert unit["SupplementaryGroups"] == ["video gpio"]
    assert unit["StateDirectory"] == ["booth"]
    assert unit["RuntimeDirectory"] == ["booth"]
    env = " ".join(unit["Environment"])
    assert "LG_WD=%t/booth" in env
    assert "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864" in env
    assert "MALLOC_ARENA_MAX=2" in env  # resident memory stays flat under web load (issue 15)


def test_booth_service_is_hardened_but_reaches_camera_and_gpio():
    unit = unit_settings("booth.service")
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert unit[key] == ["yes"], key
    assert unit["ProtectSystem"] == ["strict"]
    assert "PrivateDevices" not in unit, "libcamera needs the camera's device nodes"
    assert unit["DevicePolicy"] == ["closed"]
    # /proc/devices group names: video4linux = /dev/video* and /dev/v4l-subdev*, media = /dev/media*,
    # dma_heap = /dev/dma_heap/*, gpiochip = /dev/gpiochip*.
    assert sorted(unit["DeviceAllow"]) == sorted(
        ["char-video4linux rw", "char-media rw", "char-dma_heap rw", "char-gpiochip rw"]
    )


def test_kiosk_and_retention_units():
    kiosk = unit_settings("booth-kiosk.service")
    assert kiosk["Restart"] == ["always"]
    assert kiosk["ExecStart"][0].startswith("/usr/bin/cage ")
    assert kiosk["ExecStart"][0].endswith("/opt/booth/firmware/kiosk.sh")
    assert "BOOTH_URL=http://127.0.0.1:8080/" in kiosk["Environment"]
    assert "--kiosk" in (FIRMWARE / "kiosk.sh").read_text()

    retention = unit_settings("booth-retention.service")
    assert retention["ExecStart"] == [
        "/opt/booth/.venv/bin/booth retention --config /etc/booth/booth.toml --data /var/lib/booth"
    ]
    assert retention["User"] == ["booth"]
    timer = unit_settings("booth-retention.timer")
    assert timer["OnCalendar"] and timer["Persistent"] == ["true"]


@needs_shellcheck
@pytest.mark.parametrize("script", ["provision.sh", "kiosk.sh", "dry_run.sh"])
def test_scripts_are_shellcheck_clean(script):
    proc = subprocess.run(["shellcheck", str(FIRMWARE / script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout


def dry_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the provisioning script for real in --dry-run mode, every location moved into ``tmp_path``."""
    env = {
        **os.environ,
        **(env or {}),
        "BOOTH_ETC": str(tmp_path / "etc/booth"),
        "BOOTH_UNIT_DIR": str(tmp_path / "units"),
        "BOOTH_UDEV_DIR": str(tmp_path / "udev"),
        "BOOTH_SYSTEMD_CONF_DIR": str(tmp_path / "system.conf.d"),
        "BOOTH_BOOT_CONFIG": str(tmp_path / "config.txt"),
    }
    proc = subprocess.run(
        ["bash", str(PROVISION), "--dry-run", *args], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path):
    (tmp_path / "config.txt").write_text("dtparam=audio=on\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = dry_run(tmp_path)
    commands = [line[2:] for line in out.splitlines() if line.startswith("+ ")]
    text = "\n".join(commands)
    for package in ("python3-picamera2", "python3-libcamera", "python3-venv", "python3-numpy", "cage"):
        assert re.search(rf"apt-get install .*\b{package}\b", text), package
    assert re.search(r"(useradd .*--groups video,gpio booth|usermod .*video,gpio booth)", text) or (
        "booth" in subprocess.run(["getent", "group", "gpio"], capture_output=True, text=True).stdout
    )
    assert (
        "python3 -m venv --system-site-packages /opt/booth/.venv" in text or Path("/opt/booth/.venv").exists()
    )
    assert "-m pip install --quiet -c /opt/booth/constraints.txt -e /opt/booth" in text
    assert "[test]" not in text, "no test extras on the appliance"
    assert "/opt/booth/.venv/bin/booth models fetch" in text
    assert (
        f"install -m 0640 -o root -g booth {ROOT}/firmware/booth.toml {tmp_path}/etc/booth/booth.toml" in text
    )
    for unit in UNIT_FILES:
        assert f"{ROOT}/systemd/{unit} {tmp_path}/units/{unit}" in text
    assert "systemctl enable booth.service booth-retention.timer" in text
    assert "systemctl enable booth-kiosk.service" in text
    assert f"replace the # >>> headshot-booth block of {tmp_path}/config.txt" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a dry run writes nothing"
    assert (tmp_path / "config.txt").read_text() == "dtparam=audio=on\n"


def test_dry_run_keeps_an_existing_config_and_honours_no_kiosk(tmp_path):
    (tmp_path / "etc/booth").mkdir(parents=True)
    (tmp_path / "etc/booth/booth.toml").write_text("[camera]\n")
    out = dry_run(tmp_path, "--no-kiosk", "--no-firmware")
    assert "keeping the existing" in out
    assert "firmware/booth.toml" not in out
    assert "booth-kiosk" not in out
    assert "cage" not in out
    assert "firmware config in" not in out


def test_dry_run_rejects_an_unknown_option(tmp_path):
    proc = subprocess.run(
        ["bash", str(PROVISION), "--dry-run", "--frobnicate"], capture_output=True, text=True
    )
    assert proc.returncode == 64
    assert "unknown option --frobnicate" in proc.stderr


def test_models_are_made_readable_and_verified_as_the_service_user(tmp_path):
    """Root may read any file, so a verify run as root passed over models booth.service could not open."""
    commands = [line[2:] for line in dry_run(tmp_path).splitlines() if line.startswith("+ ")]
    fetch = commands.index("env BOOTH_CACHE_DIR=/var/cache/booth /opt/booth/.venv/bin/booth models fetch")
    chmod = commands.index("chmod -R a+rX /opt/booth/models")
    verify = commands.index("runuser -u booth -- /opt/booth/.venv/bin/booth models verify")
    assert fetch < chmod < verify
    assert [c for c in commands if c.endswith("models verify")] == [commands[verify]], "never as root"
    (rsync,) = [c for c in commands if c.startswith("rsync ")]
    assert "--chmod=u+rwX,go=rX" in rsync, "a checkout made under umask 077 must not install root-only code"
    for fetched in ("/models/*.tflite", "/models/*.binarypb"):  # kept from --delete like the venv
        assert f"--exclude={fetched}" in rsync


def fake_apt(bin_dir: Path, known: str, virtual: str = "") -> Path:
    """apt-get and apt-cache stand-ins that log each call with the umask it ran under.

    ``apt-cache show`` prints a stanza for the ``known`` names, nothing (and exit 0, like the real one) for
    ``virtual`` ones, and fails for the rest.
    """
    log = bin_dir / "calls"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $* umask=$(umask)" >> {log}\n')
    (bin_dir / "apt-cache").write_text(
        "#!/bin/sh\n"
        f'echo "apt-cache $*" >> {log}\n'
        "for name; do :; done\n"  # the last argument: the package
        f'case " {known} " in *" $name "*) printf "Package: %s\\nVersion: 1\\n" "$name"; exit 0 ;; esac\n'
        f'case " {virtual} " in *" $name "*) exit 0 ;; esac\n'
        'echo "E: No packages found" >&2; exit 100\n'
    )
    for name in ("apt-get", "apt-cache"):
        (bin_dir / name).chmod(0o755)
    return log


def provision_packages(tmp_path: Path, known: str, virtual: str = "", *args: str):
    """The packages step with apt stubbed first on PATH, started under umask 077 (a hardened root)."""
    log = fake_apt(tmp_path / "bin", known, virtual)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["sh", "-c", 'umask 077; exec bash "$0" "$@"', str(PROVISION), "--only", "packages", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls


def installed(calls: list[str]) -> list[str]:
    (line,) = [c for c in calls if c.startswith("apt-get install")]
    return line.split(" umask=")[0].split()


real_run = pytest.mark.skipif(
    os.geteuid() != 0, reason="the real (non-dry) run refuses to start without root"
)


@real_run
@pytest.mark.parametrize(
    ("known", "virtual", "expected"),
    [
        ("chromium chromium-browser", "", "chromium"),  # both: the current name wins
        ("chromium", "chromium-browser", "chromium"),  # Debian Bookworm: chromium-browser is virtual
        ("chromium-browser", "chromium", "chromium-browser"),  # an older Raspberry Pi OS image
    ],
)
def test_packages_update_apt_first_then_take_the_chromium_apt_has(tmp_path, known, virtual, expected):
    proc, calls = provision_packages(tmp_path, known, virtual)
    assert proc.returncode == 0, proc.stderr
    assert calls[0].startswith("apt-get update"), "a fresh card has empty lists until the update"
    assert any(c.startswith("apt-cache show") for c in calls[1:])
    packages = installed(calls)
    assert [p for p in packages if p.startswith("chromium")] == [expected]
    assert all(c.endswith("umask=0022") for c in calls if c.startswith("apt-get")), "umask not fixed"


@real_run
def test_packages_fail_clearly_when_apt_has_no_chromium(tmp_path):
    proc, calls = provision_packages(tmp_path, known="", virtual="chromium-browser")
    assert proc.returncode == 1
    assert "neither chromium nor chromium-browser" in proc.stderr and "--no-kiosk" in proc.stderr
    assert calls[0].startswith("apt-get update")
    assert not [c for c in calls if c.startswith("apt-get install")], "nothing installed"


@real_run
def test_packages_without_kiosk_need_no_chromium(tmp_path):
    proc, calls = provision_packages(tmp_path, "", "", "--no-kiosk")
    assert proc.returncode == 0, proc.stderr
    assert not [p for p in installed(calls) if p.startswith(("chromium", "cage"))]


def test_dry_run_takes_the_chromium_apt_has_and_only_warns_when_it_has_none(tmp_path):
    """A dry run runs no apt-get update, so empty lists are a warning there, not the real run's failure."""
    fake_apt(tmp_path / "bin", "chromium-browser")
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    out = dry_run(tmp_path, "--only", "packages", env=env)
    (install,) = [line for line in out.splitlines() if "apt-get install" in line]
    assert install.split()[-1] == "chromium-browser"
    (tmp_path / "bin" / "apt-cache").write_text("#!/bin/sh\nexit 100\n")
    out = dry_run(tmp_path, "--only", "packages", env=env)
    assert "assuming chromium" in out
    (install,) = [line for line in out.splitlines() if "apt-get install" in line]
    assert install.split()[-1] == "chromium"


@pytest.mark.skipif(os.geteuid() != 0, reason="the real (non-dry) run refuses to start without root")
def test_firmware_block_is_added_once_and_replaced_in_place(tmp_path):
    """The only step safe to run for real here: it edits a config.txt we point it at, twice."""
    boot = tmp_path / "config.txt"
    boot.write_text(
        "dtparam=audio=on\n# >>> headshot-booth old\ngpio=5=op\n# <<< headshot-booth\narm_boost=1"
    )
    env = {**os.environ, "BOOTH_BOOT_CONFIG": str(boot)}
    for _ in range(2):
        subprocess.run(
            ["bash", str(PROVISION), "--only", "firmware"], check=True, env=env, capture_output=True
        )
    text = boot.read_text()
    fragment = (FIRMWARE / "config.txt").read_text()
    assert text == "dtparam=audio=on\narm_boost=1\n" + fragment
    assert text.count("# >>> headshot-booth") == 1
    assert "gpio=5=op" not in text


def test_firmware_fragment_and_appliance_config_agree_on_the_pins():
    text = (FIRMWARE / "config.txt").read_text()
    assert "camera_auto_detect=1" in text
    assert "dtparam=watchdog=on" in text
    pins = config.load(FIRMWARE / "booth.toml").pins
    assert f"gpio={pins.focus},{pins.shutter}=op,dl" in text, "focus and shutter lines held low from boot"
    # The wiring diagram's pins (docs/wiring.svg).
    assert (pins.focus, pins.shutter, pins.button, pins.led, pins.buzzer) == (23, 24, 17, 27, 22)
    assert pins.factory == "real"


def test_wiring_diagram_is_valid_svg_with_the_pins():
    root = ET.parse(ROOT / "docs" / "wiring.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t.strip() for t in root.itertext())
    for label in (
        "BCM 23",
        "pin 16",
        "BCM 24",
        "pin 18",
        "BCM 17",
        "pin 11",
        "BCM 27",
        "pin 13",
        "BCM 22",
        "pin 15",
    ):
        assert label in text, label
    for part in ("focus", "shutter", "330", "GND"):
        assert part in text, part


def test_settings_keys_named_in_unit_comments_exist():
    """A comment naming a key to change must name a real one (it said ``storage.retention``)."""
    named = set()
    for name in UNIT_FILES:
        for line in (UNITS / name).read_text().splitlines():
            if line.startswith("#"):
                named |= set(
                    re.findall(r"\b(camera|pins|policy|session|storage|web|vision)\.([a-z_]+)\b", line)
                )
    assert ("storage", "retention_days") in named
    for section, key in named:
        assert key in type(getattr(config.Settings(), section)).model_fields, f"{section}.{key}"


def test_operator_changes_go_to_the_writable_data_folder():
    """booth.service reads the base from read-only /etc; the page's changes go to its StateDirectory."""
    booth = unit_settings("booth.service")
    assert booth["ProtectSystem"] == ["strict"] and booth["StateDirectory"] == ["booth"]
    command = booth["ExecStart"][0]
    assert "--config /etc/booth/booth.toml" in command and "--data /var/lib/booth" in command
    from booth.commands.run import LOCAL_CONFIG, settings_files

    assert settings_files(Path("/etc/booth/booth.toml"), Path("/var/lib/booth")) == (
        Path("/etc/booth/booth.toml"),
        Path("/var/lib/booth") / LOCAL_CONFIG,
    )
    docs = (ROOT / "docs" / "appliance.md").read_text()
    assert "/var/lib/booth/booth.toml" in docs and "booth.lock" in docs
