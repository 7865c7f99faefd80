"""The fp16 hint added to a model's bytes: read back by TFLite's own schema, loaded by both runtimes.

Whether XNNPACK then runs in fp16 depends on the CPU. This x86 machine's runtimes do not take the hint, so
here the hinted model must read bit-identically; on a Pi 5 ``tests/hardware`` measures what it changes.
Under qemu-aarch64 (tflite-runtime 2.14, README "Measured") the same bytes did switch v2 to fp16.
"""

from __future__ import annotations

import numpy as np
import pytest

from booth import assets
from booth.errors import ModelError
from booth.vision.model_bytes import (
    FP16_INFERENCE,
    REDUCED_PRECISION_KEY,
    ModelBytesError,
    read_metadata,
    with_fp16_hint,
    with_metadata,
)
from booth.vision.runtime import Model

MODELS = ("face_landmarks", "face_blendshapes", "face_detector", "emotion", "face_mesh_v1", "iris")


@pytest.fixture(scope="module")
def v2_bytes() -> bytes:
    return assets.model_path("face_landmarks").read_bytes()


@pytest.mark.parametrize("name", MODELS)
def test_the_hint_is_added_in_front_and_every_other_entry_kept(name):
    original = assets.model_path(name).read_bytes()
    hinted = with_fp16_hint(original)
    before, after = read_metadata(original), read_metadata(hinted)
    assert after == before | {REDUCED_PRECISION_KEY: FP16_INFERENCE}
    prefix = len(hinted) - len(original)
    assert hinted.endswith(original) and prefix > 0 and prefix % 16 == 0  # the old file's alignment holds


def test_tflites_own_schema_reads_the_same_model_plus_the_entry(v2_bytes, tmp_path):
    """Cross-checked with the flatbuffer reader ai_edge_litert ships (its generated ``schema.fbs`` code),
    not only with ours: every buffer, operator and tensor is the original's."""
    flatbuffer_utils = pytest.importorskip("ai_edge_litert.tools.flatbuffer_utils")
    (tmp_path / "a.tflite").write_bytes(v2_bytes)
    (tmp_path / "b.tflite").write_bytes(with_fp16_hint(v2_bytes))
    a = flatbuffer_utils.read_model(str(tmp_path / "a.tflite"))
    b = flatbuffer_utils.read_model(str(tmp_path / "b.tflite"))
    assert len(b.buffers) == len(a.buffers) + 1
    for old, new in zip(a.buffers, b.buffers, strict=False):
        assert (old.data is None and new.data is None) or bytes(old.data) == bytes(new.data)
    assert bytes(b.buffers[-1].data) == FP16_INFERENCE
    assert [m.name for m in b.metadata] == [m.name for m in a.metadata] + [REDUCED_PRECISION_KEY.encode()]
    assert b.metadata[-1].buffer == len(a.buffers)
    assert b.version == a.version and b.description == a.description
    assert b.metadataBuffer == a.metadataBuffer
    (ga,), (gb,) = a.subgraphs, b.subgraphs
    assert [(o.opcodeIndex, list(o.inputs), list(o.outputs)) for o in ga.operators] == [
        (o.opcodeIndex, list(o.inputs), list(o.outputs)) for o in gb.operators
    ]
    assert [(t.name, list(t.shape), t.buffer) for t in ga.tensors] == [
        (t.name, list(t.shape), t.buffer) for t in gb.tensors
    ]


def test_adding_twice_replaces_the_entry(v2_bytes):
    twice = with_metadata(with_fp16_hint(v2_bytes), REDUCED_PRECISION_KEY, b"bf16accfp32")
    entries = read_metadata(twice)
    assert entries[REDUCED_PRECISION_KEY] == b"bf16accfp32"
    assert len(entries) == len(read_metadata(v2_bytes)) + 1


@pytest.mark.parametrize("runtime", ["ai_edge_litert", "tflite_runtime"])
def test_both_runtimes_load_the_hinted_model_and_read_bit_identically_here(runtime):
    pytest.importorskip(runtime)
    path = assets.model_path("face_landmarks")
    plain, hinted = Model(path, runtime=runtime), Model(path, runtime=runtime, fp16=True)
    assert hinted.fp16 and not plain.fp16 and hinted.input_shape == plain.input_shape
    crop = np.random.default_rng(1).uniform(0, 1, plain.input_shape).astype(np.float32)
    plain.input[...] = crop
    hinted.input[...] = crop
    for a, b in zip(plain.run(), hinted.run(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("data", [b"", b"not a model at all", b"\x10\x00\x00\x00TFL3" + b"\xff" * 8])
def test_what_is_not_a_model_is_refused(data):
    with pytest.raises(ModelBytesError):
        with_fp16_hint(data)
    with pytest.raises(ModelBytesError):
        read_metadata(data)


def test_a_truncated_model_is_one_line_naming_the_setting_and_the_fix(v2_bytes, tmp_path):
    bad = tmp_path / "face_landmarks_detector.tflite"
    bad.write_bytes(v2_bytes[:4096])
    with pytest.raises(ModelError) as info:
        Model(bad, fp16=True)
    message = str(info.value)
    assert "\n" not in message and str(bad) in message
    assert "vision.precision" in message or "booth models fetch" in message


def test_a_missing_model_is_one_line(tmp_path):
    with pytest.raises(ModelError) as info:
        Model(tmp_path / "gone.tflite", fp16=True)
    assert "booth models fetch" in str(info.value) and "\n" not in str(info.value)
