"""The one place that imports a TFLite runtime.

``ai_edge_litert`` is preferred (maintained, wheels for current Pythons); ``tflite_runtime`` 2.14 is the
fallback that Raspberry Pi OS setups often already have. Both expose the same ``Interpreter`` class.

:class:`Model` wraps an interpreter so the hot path writes straight into the input tensor's own buffer and
reads outputs with one copy, which avoids fresh numpy allocations every frame (with ai_edge_litert on glibc
those page-fault on every frame; see README.md in this folder).

Both runtimes print ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` from C++ straight to file
descriptor 2 when an interpreter allocates its tensors, once per process, before every command's own output.
No Python logger reaches it and neither runtime reads an environment variable that silences it
(ai_edge_litert 2.3 reads ``TF_CPP_MIN_LOG_LEVEL`` for TensorFlow's logging only, and this line is TFLite's
minimal logger), so :func:`native_stderr_filtered` catches fd 2 around the load and passes on everything but
the runtime's ``INFO:`` lines: its warnings and errors still reach stderr.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from booth.errors import ModelError, RuntimeMissingError
from booth.vision.model_bytes import ModelBytesError, with_fp16_hint

log = logging.getLogger(__name__)

RUNTIMES = ("ai_edge_litert", "tflite_runtime")
#: How TFLite's minimal logger starts an information line (its others start "WARNING: " and "ERROR: ").
NATIVE_INFO = b"INFO: "
_STDERR_LOCK = threading.Lock()  # fd 2 is one per process: one redirection at a time


@contextlib.contextmanager
def native_stderr_filtered() -> Iterator[None]:
    """Run the body with fd 2 going to a temporary file, then write what came back, less ``INFO:`` lines.

    Why a file descriptor and not ``sys.stderr``: the runtime's C++ writes to fd 2 itself. Another thread's
    output in that window is delayed to the end of it, never lost; the dropped lines go to the debug log
    (``booth -v`` shows them). If fd 2 cannot be duplicated (closed, say), the body runs unfiltered.
    """
    with _STDERR_LOCK, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:
            saved = -1
        if saved < 0:
            yield
            return
        crash_report = faulthandler.is_enabled()
        if crash_report:  # a crash inside the load (a bad model) still reaches the real stderr
            faulthandler.enable(file=saved, all_threads=True)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            if crash_report:
                faulthandler.enable(file=sys.stderr, all_threads=True)
            os.close(saved)
            caught.seek(0)
            _pass_on(caught.read())


def _pass_on(text: bytes) -> None:
    """Write the caught text back to fd 2 but for the runtime's information lines."""
    kept = []
    for line in text.splitlines(keepends=True):
        if line.startswith(NATIVE_INFO):
            log.debug("TFLite: %s", line.decode(errors="replace").strip())
        else:
            kept.append(line)
    rest = memoryview(b"".join(kept))
    while rest:
        rest = rest[os.write(2, rest) :]


def load_interpreter_class(prefer: str | None = None) -> tuple[type, str]:
    """Return ``(Interpreter class, runtime name)``, trying ``prefer`` first, then the default order."""
    order = [prefer, *RUNTIMES] if prefer else list(RUNTIMES)
    errors = []
    for name in dict.fromkeys(order):
        try:
            if name == "ai_edge_litert":
                from ai_edge_litert.interpreter import Interpreter
            elif name == "tflite_runtime":
                from tflite_runtime.interpreter import Interpreter
            else:
                raise ImportError(f"unknown runtime {name!r}")
        except ImportError as err:
            errors.append(f"{name}: {err}")
            continue
        return Interpreter, name
    raise RuntimeMissingError(
        "no TFLite runtime: install ai-edge-litert (pip install ai-edge-litert) or tflite-runtime "
        f"(pip install 'tflite-runtime==2.14.*' 'numpy<2') [{'; '.join(errors)}]"
    )


class Model:
    """A loaded TFLite model with one float32 input, invoked in place.

    ``input`` is a numpy view of the interpreter's input tensor: fill it, call :meth:`run`, read the outputs
    returned (copies, safe to keep).
    """

    def __init__(self, path: Path, threads: int = 1, runtime: str | None = None, fp16: bool = False) -> None:
        interpreter_class, self.runtime = load_interpreter_class(runtime)
        self.path = Path(path)
        self.threads = threads
        #: Whether the model was handed over with the fp16 hint (:mod:`booth.vision.model_bytes`); whether
        #: XNNPACK took it depends on the CPU.
        self.fp16 = fp16
        try:
            source: dict[str, Any] = {"model_path": str(path)}
            if fp16:
                # The interpreter keeps using the bytes it was given: they live as long as this object.
                self._content = with_fp16_hint(self.path.read_bytes())
                source = {"model_content": self._content}
            with native_stderr_filtered():
                self._interpreter: Any = interpreter_class(**source, num_threads=threads)
                self._interpreter.allocate_tensors()
        except OSError as err:
            raise ModelError(f"{path}: cannot read it ({err.strerror}); run `booth models fetch`") from None
        except ModelBytesError as err:
            raise ModelError(
                f'{path}: cannot add the fp16 hint ({err}); set vision.precision = "fp32" or run '
                "`booth models fetch`"
            ) from None
        except (ValueError, RuntimeError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(
                f"{path}: the TFLite runtime cannot load it ({first}); delete it and run `booth models fetch`"
            ) from None
        inputs = self._interpreter.get_input_details()
        if len(inputs) != 1 or inputs[0]["dtype"] != np.float32:
            raise ModelError(f"{path}: expected one float32 input; is this the model the manifest names?")
        self.input_shape = tuple(int(n) for n in inputs[0]["shape"])
        self._input_index = inputs[0]["index"]
        self.outputs = self._interpreter.get_output_details()
        #: Seconds spent inside ``invoke`` since loading: lets callers report time outside the models.
        self.busy_seconds = 0.0

    @property
    def input(self) -> np.ndarray:
        """Writable view of the input tensor (valid until the next :meth:`run`)."""
        return self._interpreter.tensor(self._input_index)()

    def run(self) -> list[np.ndarray]:
        """Invoke the model; return every output as a float32 array, in the model's output order."""
        start = time.perf_counter()
        self._interpreter.invoke()
        self.busy_seconds += time.perf_counter() - start
        return [self._interpreter.get_tensor(d["index"]) for d in self.outputs]

    def output_named(self, outputs: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        """Pick the output whose shape is ``shape`` (output order is not stable across converters)."""
        for detail, value in zip(self.outputs, outputs, strict=True):
            if tuple(detail["shape"]) == shape:
                return value
        raise ModelError(f"{self.path}: no output of shape {shape}; is this the model the manifest names?")
