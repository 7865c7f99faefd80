"""The TFLite runtime's "Created TensorFlow Lite XNNPACK delegate" line stays off every command's stderr.

Each test runs a real process: the line comes from C++ writing to file descriptor 2, which no in-process
capture of ``sys.stderr`` would see.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

XNNPACK = "XNNPACK delegate"


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def booth(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "booth", *args], capture_output=True, text=True, timeout=300)


def test_the_bare_runtime_prints_the_line():
    """What is being silenced: the interpreter itself writes it to fd 2 (if not, the tests below prove
    nothing and this one says so)."""
    proc = python(
        """
        from ai_edge_litert.interpreter import Interpreter
        from booth import assets
        Interpreter(model_path=str(assets.model_path("face_detector"))).allocate_tensors()
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert XNNPACK in proc.stderr


def test_booth_analyze_prints_no_xnnpack_line(media):
    proc = booth("analyze", str(media("single_face.jpg")))
    assert proc.returncode == 0, proc.stderr
    assert "single_face.jpg" in proc.stdout
    assert XNNPACK not in proc.stderr and XNNPACK not in proc.stdout


def test_booth_simulate_prints_no_xnnpack_line(media, tmp_path):
    proc = booth("simulate", "--fast", "--out", str(tmp_path), str(media("no_face.mp4")))
    assert proc.returncode == 0, proc.stderr
    assert XNNPACK not in proc.stderr and XNNPACK not in proc.stdout


def test_the_filter_passes_on_warnings_errors_and_python_output_in_order():
    """Only the runtime's INFO lines are dropped: its warnings and errors, and anything Python wrote to
    stderr meanwhile, still arrive, in the order written; stderr works normally afterwards."""
    proc = python(
        """
        import os, sys
        from booth.vision.runtime import native_stderr_filtered
        print("before", file=sys.stderr)
        with native_stderr_filtered():
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
            os.write(2, b"ERROR: Didn't find op for builtin opcode 'X'\\n")
            print("from python", file=sys.stderr)
            os.write(2, b"WARNING: something odd\\n")
        print("after", file=sys.stderr)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "before",
        "ERROR: Didn't find op for builtin opcode 'X'",
        "from python",
        "WARNING: something odd",
        "after",
    ]


def test_an_exception_inside_the_filter_restores_stderr():
    proc = python(
        """
        import os, sys
        from booth.vision.runtime import native_stderr_filtered
        try:
            with native_stderr_filtered():
                os.write(2, b"ERROR: cannot load\\n")
                raise ValueError("bad model")
        except ValueError:
            pass
        os.write(2, b"still here\\n")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["ERROR: cannot load", "still here"]


def test_a_crash_inside_the_filter_still_reports_on_the_real_stderr():
    """A native crash while a model loads (a bad model, say) is where the crash report matters most:
    faulthandler (on in `booth run`) writes to the real stderr then, not to the caught text."""
    proc = python(
        """
        import faulthandler, os, signal
        from booth.vision.runtime import native_stderr_filtered
        faulthandler.enable()
        with native_stderr_filtered():
            os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    assert proc.returncode != 0
    assert "Fatal Python error: Segmentation fault" in proc.stderr
