"""The TFLite runtime loader: both runtimes really load and agree; a missing runtime is one clear line."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from booth import assets
from booth.errors import BoothError, ModelError, RuntimeMissingError
from booth.vision.runtime import Model, load_interpreter_class


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tflite_runtime"])
def test_both_runtimes_run_the_detector_alike(runtime):
    pytest.importorskip(runtime)
    path = assets.model_path("face_detector")
    ours = Model(path, runtime=runtime)
    assert ours.runtime == runtime
    rng = np.random.default_rng(0)
    ours.input[...] = rng.uniform(-1, 1, ours.input_shape).astype(np.float32)
    first = ours.output_named(ours.run(), (1, 896, 1))
    other = Model(path, runtime="tflite_runtime" if runtime == "ai_edge_litert" else "ai_edge_litert")
    other.input[...] = rng.uniform(-1, 1, ours.input_shape).astype(np.float32) * 0
    other.input[...] = np.random.default_rng(0).uniform(-1, 1, ours.input_shape).astype(np.float32)
    np.testing.assert_allclose(first, other.output_named(other.run(), (1, 896, 1)), atol=1e-3)


def test_no_runtime_names_both_packages(monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    with pytest.raises(RuntimeMissingError) as info:
        load_interpreter_class()
    message = str(info.value)
    assert "ai-edge-litert" in message and "tflite-runtime" in message and "\n" not in message
    assert isinstance(info.value, BoothError) and isinstance(info.value, ImportError)


def test_fallback_when_preferred_runtime_missing(monkeypatch):
    pytest.importorskip("tflite_runtime")
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    _, name = load_interpreter_class()
    assert name == "tflite_runtime"


def test_garbage_model_is_one_line_error(tmp_path):
    bad = tmp_path / "face_detector.tflite"
    bad.write_bytes(b"TFL3" + b"\0" * 100)
    with pytest.raises(ModelError) as info:
        Model(bad)
    assert str(bad) in str(info.value) and "booth models fetch" in str(info.value)
    assert "\n" not in str(info.value)
