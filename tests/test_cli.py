"""booth.cli: what every command shares at its edge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_a_reader_that_stops_reading_ends_the_command_quietly():
    """``booth config show --json | head``: the pipe's reader is gone before the command writes (here its
    end is closed at once, so the write fails every time) and the command stops without a traceback."""
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(
        [sys.executable, "-m", "booth", "config", "show", "--json"],
        stdout=write,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    os.close(write)
    assert proc.returncode == 141, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and b"BrokenPipeError" not in proc.stderr
