"""firmware/hotspot.sh: the booth's own Wi-Fi through NetworkManager, tested without NetworkManager.

Why a stand-in nmcli instead of the real one: a test machine (and CI) has no Wi-Fi radio and no
NetworkManager daemon, and the script's job is to hand nmcli the right arguments. So ``--dry-run`` output is
checked, and the real (non-dry) path runs against an ``nmcli`` on PATH that records every call and keeps just
enough state (profile present, active) to answer the script's queries; it refuses any call it does not know,
so a changed command line fails here instead of on a Pi. The real path refuses to start without root, like
provision.sh, so those tests skip elsewhere (CI runs as root). The script itself goes through the real
``shellcheck``, which CI installs (.ci/run).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from booth import config
from booth.config import HotspotSettings

ROOT = Path(__file__).resolve().parent.parent
HOTSPOT = ROOT / "firmware" / "hotspot.sh"
PROVISION = ROOT / "firmware" / "provision.sh"
BASH = shutil.which("bash") or "/bin/bash"
PSK_CHARS = set("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")

needs_shellcheck = pytest.mark.skipif(
    shutil.which("shellcheck") is None, reason="shellcheck absent (CI installs it)"
)
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the real (non-dry) run refuses to start without root"
)

FAKE_NMCLI = """#!{python}
# Stand-in for nmcli: records each call, answers the script's queries, refuses anything else.
import json, pathlib, sys
state = pathlib.Path(__file__).resolve().parent
args = sys.argv[1:]
with open(state / "calls.jsonl", "a") as log:
    log.write(json.dumps(args) + "\\n")
exists, active = (state / "exists").exists(), (state / "active").exists()
if args == ["--terse", "--fields", "RUNNING", "general"]:
    print("running")
elif args == ["connection", "show", "booth-hotspot"]:
    sys.exit(0 if exists else 10)
elif args == ["--terse", "--fields", "NAME", "connection", "show", "--active"]:
    print("booth-hotspot" if active else "Wired connection 1")
elif args[:2] == ["connection", "add"]:
    (state / "exists").touch()
elif args[:3] == ["connection", "modify", "booth-hotspot"] and exists:
    pass
elif args == ["connection", "up", "booth-hotspot"] and exists:
    (state / "active").touch()
elif args == ["connection", "down", "booth-hotspot"] and active:
    (state / "active").unlink()
elif args[:1] == ["--fields"] and args[2:] == ["connection", "show", "booth-hotspot"] and exists:
    print("connection.id: booth-hotspot")
else:
    print("fake nmcli: unexpected call " + " ".join(args), file=sys.stderr)
    sys.exit(2)
"""


class Booth:
    """A temp /etc/booth and a PATH whose nmcli is the recording stand-in."""

    def __init__(self, tmp_path: Path, *, connection: bool = False) -> None:
        self.etc = tmp_path / "etc" / "booth"
        self.bin = tmp_path / "bin"
        self.bin.mkdir(parents=True)
        nmcli = self.bin / "nmcli"
        nmcli.write_text(FAKE_NMCLI.format(python=sys.executable))
        nmcli.chmod(0o755)
        if connection:
            (self.bin / "exists").touch()
        self.env = {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "BOOTH_ETC": str(self.etc),
            "BOOTH_UNIT_DIR": str(tmp_path / "units"),
            "BOOTH_USER": "nobody",
        }

    @property
    def psk_file(self) -> Path:
        return self.etc / "hotspot.psk"

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BASH, str(HOTSPOT), *args], capture_output=True, text=True, timeout=60, env={**self.env, **env}
        )

    def calls(self) -> list[list[str]]:
        log = self.bin / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def changes(self) -> list[list[str]]:
        """The nmcli calls that change something (queries left out)."""
        verbs = (
            ["connection", "add"],
            ["connection", "modify"],
            ["connection", "up"],
            ["connection", "down"],
        )
        return [c for c in self.calls() if c[:2] in verbs]


def printed_commands(out: str) -> list[list[str]]:
    """The ``+ nmcli ...`` lines of a dry run, split as the shell would."""
    return [shlex.split(line[2:]) for line in out.splitlines() if line.startswith("+ nmcli ")]


def settings_of(command: list[str], start: int) -> dict[str, str]:
    """``property value`` pairs of an nmcli add/modify command line from index ``start``."""
    pairs = command[start:]
    assert len(pairs) % 2 == 0, command
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


EXPECTED = {
    "802-11-wireless.mode": "ap",
    "802-11-wireless.band": "bg",
    "ipv4.method": "shared",
    "ipv4.addresses": "10.42.0.1/24",
    "wifi-sec.key-mgmt": "wpa-psk",
}


@needs_shellcheck
def test_hotspot_script_is_shellcheck_clean():
    proc = subprocess.run(["shellcheck", str(HOTSPOT)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout


def test_dry_run_up_prints_the_nmcli_commands_and_changes_nothing(tmp_path):
    booth = Booth(tmp_path)
    proc = booth.run("--dry-run", "up")
    assert proc.returncode == 0, proc.stderr
    add, up = printed_commands(proc.stdout)
    head = "nmcli connection add type wifi ifname wlan0 con-name booth-hotspot autoconnect yes ssid"
    assert add[:13] == [*head.split(), "HeadshotBooth"]
    settings = settings_of(add, 13)
    assert EXPECTED.items() <= settings.items()
    assert settings["wifi-sec.psk"] == f"<passphrase:{booth.psk_file}>", "a dry run never reads the secret"
    assert up == ["nmcli", "connection", "up", "booth-hotspot"]
    assert f"+ write a new 20-character passphrase to {booth.psk_file}" in proc.stdout
    assert not (tmp_path / "etc").exists(), "a dry run writes nothing"
    assert booth.changes() == [], "a dry run only asks nmcli, never changes anything"


def test_dry_run_updates_an_existing_profile_with_a_new_ssid(tmp_path):
    booth = Booth(tmp_path, connection=True)
    proc = booth.run("--dry-run", "--ssid", "Studio 5 - Anna's booth", "--ifname", "wlan1", "up")
    assert proc.returncode == 0, proc.stderr
    modify, _up = printed_commands(proc.stdout)
    assert modify[:4] == ["nmcli", "connection", "modify", "booth-hotspot"]
    settings = settings_of(modify, 4)
    assert settings["802-11-wireless.ssid"] == "Studio 5 - Anna's booth", "one argument, spaces and all"
    assert settings["connection.interface-name"] == "wlan1"
    assert settings["connection.autoconnect"] == "yes"
    assert EXPECTED.items() <= settings.items()


def test_dry_run_needs_neither_root_nor_nmcli(tmp_path):
    """The one-line refusals: nmcli missing (the real run) and not root; a dry run passes both."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": str(empty), "BOOTH_ETC": str(tmp_path / "etc")}
    for command in ("up", "down", "status"):
        proc = subprocess.run(
            [BASH, str(HOTSPOT), command], capture_output=True, text=True, env=env, timeout=60
        )
        assert proc.returncode != 0, command
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert "install network-manager, the default on Raspberry Pi OS Bookworm" in proc.stderr
    proc = subprocess.run(
        [BASH, str(HOTSPOT), "--dry-run", "up"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "+ nmcli connection add type wifi" in proc.stdout


def as_nobody(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) absent: cannot drop root for this test")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return subprocess.run([*prefix, BASH, *args], capture_output=True, text=True, env=env, timeout=60)


def test_refuses_without_root_in_one_line():
    env = {"PATH": os.environ["PATH"], "BOOTH_ETC": "/nonexistent/booth"}
    proc = as_nobody([str(HOTSPOT), "show-psk"], env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("hotspot: must run as root: sudo ") and proc.stderr.count("\n") == 1
    proc = as_nobody([str(HOTSPOT), "--dry-run", "show-psk"], env)
    assert proc.returncode == 0, proc.stderr


def test_rejects_bad_options(tmp_path):
    booth = Booth(tmp_path)
    for args, message in [
        (["--dry-run", "--ssid", "x" * 33, "up"], "1 to 32 bytes"),
        (["--dry-run", "--ssid", "ü" * 17, "up"], "1 to 32 bytes"),  # 17 characters, 34 bytes
        (["--dry-run", "--ssid", "", "up"], "1 to 32 bytes"),
        (["--dry-run", "--address", "10.42.0", "up"], "IPv4 address"),
        (["--dry-run", "--frobnicate", "up"], "unknown option --frobnicate"),
        (["--dry-run", "up", "down"], "one command at a time"),
        (["--dry-run"], "name a command"),
    ]:
        proc = booth.run(*args)
        assert proc.returncode == 64, args
        assert message in proc.stderr, (args, proc.stderr)
    assert booth.calls() == []


@needs_root
def test_up_makes_a_private_passphrase_once_and_never_prints_it(tmp_path):
    booth = Booth(tmp_path)
    first = booth.run("--ssid", "Studio 5 booth", "up")
    assert first.returncode == 0, first.stderr
    mode = booth.psk_file.stat()
    assert stat.S_IMODE(mode.st_mode) == 0o600
    assert mode.st_uid == pwd.getpwnam("nobody").pw_uid, "owned by the service user (BOOTH_USER)"
    psk = booth.psk_file.read_text()
    assert len(psk) == 20 and set(psk) <= PSK_CHARS, psk
    assert psk not in first.stdout + first.stderr
    add = next(c for c in booth.changes() if c[:2] == ["connection", "add"])
    assert add[add.index("ssid") + 1] == "Studio 5 booth", "the SSID reaches nmcli as one argument"
    settings = settings_of(add, 12)  # nmcli's own arguments: no "nmcli" in front
    assert settings["wifi-sec.psk"] == psk
    assert EXPECTED.items() <= settings.items()
    assert booth.changes()[-1] == ["connection", "up", "booth-hotspot"]

    booth.psk_file.chmod(0o644)  # loosened by hand: the next run closes it again
    second = booth.run("up")
    assert second.returncode == 0, second.stderr
    assert booth.psk_file.read_text() == psk, "an existing passphrase is kept"
    assert stat.S_IMODE(booth.psk_file.stat().st_mode) == 0o600
    assert psk not in second.stdout + second.stderr
    modify = next(c for c in booth.changes() if c[:2] == ["connection", "modify"])
    assert settings_of(modify, 3)["wifi-sec.psk"] == psk
    assert settings_of(modify, 3)["802-11-wireless.ssid"] == "HeadshotBooth"

    shown = booth.run("show-psk")
    assert shown.returncode == 0 and shown.stdout == psk + "\n"
    other = Booth(tmp_path / "other")
    assert other.run("up").returncode == 0
    assert other.psk_file.read_text() != psk, "random, not a fixed passphrase"


@needs_root
def test_a_missing_service_user_is_a_warning_and_a_bad_passphrase_an_error(tmp_path):
    booth = Booth(tmp_path)
    proc = booth.run("up", BOOTH_USER="no-such-booth-user")
    assert proc.returncode == 0, proc.stderr
    assert "warning: no user no-such-booth-user yet" in proc.stdout
    assert stat.S_IMODE(booth.psk_file.stat().st_mode) == 0o600

    bad = Booth(tmp_path / "bad")
    bad.etc.mkdir(parents=True)
    bad.psk_file.write_text("short\n")
    proc = bad.run("up")
    assert proc.returncode == 1
    assert "8 to 63 characters" in proc.stderr and proc.stderr.count("\n") == 1
    assert bad.changes() == [], "nothing handed to NetworkManager"
    assert bad.psk_file.read_text() == "short\n", "an existing file is never replaced"


@needs_root
def test_status_and_down(tmp_path):
    booth = Booth(tmp_path)
    proc = booth.run("status")
    assert proc.returncode == 3 and "not set up" in proc.stdout
    assert booth.run("up").returncode == 0
    proc = booth.run("status")
    assert proc.returncode == 0, proc.stderr
    assert "active: yes" in proc.stdout
    assert booth.psk_file.read_text() not in proc.stdout
    proc = booth.run("down")
    assert proc.returncode == 0, proc.stderr
    assert booth.changes()[-2:] == [
        ["connection", "down", "booth-hotspot"],
        ["connection", "modify", "booth-hotspot", "connection.autoconnect", "no"],
    ]
    proc = booth.run("status")
    assert proc.returncode == 3 and "active: no" in proc.stdout


def provision_dry_run(tmp_path: Path, **env: str) -> str:
    proc = subprocess.run(
        [BASH, str(PROVISION), "--dry-run", "--only", "hotspot"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BOOTH_ETC": str(tmp_path / "etc"), "BOOTH_UNIT_DIR": str(tmp_path), **env},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_provision_sets_up_the_hotspot_only_when_asked(tmp_path):
    assert "nmcli" not in provision_dry_run(tmp_path)
    out = provision_dry_run(tmp_path, BOOTH_HOTSPOT="1", BOOTH_HOTSPOT_SSID="Studio 5")
    add, up = printed_commands(out)
    assert add[:3] == ["nmcli", "connection", "add"] and add[add.index("ssid") + 1] == "Studio 5"
    assert up == ["nmcli", "connection", "up", "booth-hotspot"]
    assert f"passphrase to {tmp_path}/etc/hotspot.psk" in out


def test_script_defaults_match_the_hotspot_settings_and_the_example_loads(tmp_path):
    """The join code is made from [hotspot]: its defaults must be what hotspot.sh sets up."""
    script = HOTSPOT.read_text()
    defaults = HotspotSettings()
    assert f"\nSSID={defaults.ssid}\n" in script
    assert f"\nADDRESS={defaults.address}\n" in script
    assert 'ETC="${BOOTH_ETC:-/etc/booth}"' in script and 'PSK_FILE="$ETC/hotspot.psk"' in script
    assert defaults.password_file == Path("/etc/booth/hotspot.psk")
    assert 'SERVICE_USER="${BOOTH_USER:-booth}"' in script
    assert re.search(r"^User=booth$", (ROOT / "systemd" / "booth.service").read_text(), re.MULTILINE)

    text = (ROOT / "firmware" / "booth.toml").read_text()
    assert "\n#[hotspot]\n" in text
    head, _, block = text.partition("\n#[hotspot]\n")
    example = tmp_path / "booth.toml"
    example.write_text(
        head + "\n[hotspot]\n" + "".join(line.removeprefix("#") for line in block.splitlines(True))
    )
    hotspot = config.load(example).hotspot
    assert hotspot.enabled is True
    assert (hotspot.ssid, hotspot.password_file, hotspot.address) == (
        defaults.ssid,
        defaults.password_file,
        defaults.address,
    )
