"""A TFLite model file's metadata, read and added in its bytes: how a model is asked for half precision.

Both TFLite runtimes' CPU delegate, XNNPACK, runs a model in IEEE half precision when the model's metadata
holds ``reduced_precision_support = "fp16accfp16"`` (fp16 inference, fp16 accumulation) *and* the CPU has
fp16 arithmetic: ARMv8.2-A's, which a Pi 5's Cortex-A76 has and a Pi 4's Cortex-A72 lacks. Elsewhere the
entry is only a hint and the model runs in fp32 as before (on this x86 development machine its outputs stay
bit-identical). The runtimes' Python APIs have no other way to ask: the delegate's own fp16 flag is not
exposed, so the booth adds the entry to the bytes it hands the interpreter, and leaves the file on disk as
fetched and verified.

TFLite files are flatbuffers, whose references only point forward (unsigned offsets), so a vector cannot
grow in place. :func:`with_metadata` therefore writes a new root ``Model`` table, new ``buffers`` and
``metadata`` vectors and the new entry *in front of* the unchanged file, and points them forward into it;
the old root is left unused. The prefix is a multiple of 16 bytes, so every alignment inside the old file
(buffers are 16-byte aligned) holds. The schema is TFLite's ``schema.fbs``: ``Model`` fields 0-7 are version,
operator_codes, subgraphs, description, buffers, metadata_buffer, metadata and signature_defs;
``Metadata`` is (name, buffer index); ``Buffer`` field 0 is its data.
"""

from __future__ import annotations

import struct

#: The metadata entry XNNPACK reads, and the value that asks for fp16 inference and accumulation.
REDUCED_PRECISION_KEY = "reduced_precision_support"
FP16_INFERENCE = b"fp16accfp16"

_IDENTIFIER = b"TFL3"
_MODEL_FIELDS = 8  # version .. signature_defs
_VERSION, _BUFFERS, _METADATA = 0, 4, 6


class ModelBytesError(ValueError):
    """The bytes are not a TFLite model this module can edit."""


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def _fields(data: bytes, table: int) -> list[int]:
    """Each field's position in ``table`` (0: absent), from the table's vtable."""
    vtable = table - struct.unpack_from("<i", data, table)[0]
    count = (_u16(data, vtable) - 4) // 2
    return [_u16(data, vtable + 4 + 2 * i) for i in range(count)]


def _field(data: bytes, table: int, number: int) -> int:
    """Field ``number``'s position in ``table``, or 0 when the table leaves it out."""
    fields = _fields(data, table)
    return fields[number] if number < len(fields) else 0


def _target(data: bytes, at: int) -> int:
    """Where the offset stored at ``at`` points."""
    return at + _u32(data, at)


def _vector(data: bytes, at: int) -> list[int]:
    """The positions of the tables a vector of offsets at ``at`` refers to."""
    return [_target(data, at + 4 + 4 * i) for i in range(_u32(data, at))]


def _string(data: bytes, at: int) -> bytes:
    return data[at + 4 : at + 4 + _u32(data, at)]


def _model_fields(data: bytes) -> tuple[int, list[int]]:
    if len(data) < 8 or data[4:8] != _IDENTIFIER:
        raise ModelBytesError("not a TFLite model (no TFL3 identifier)")
    root = _u32(data, 0)
    fields = _fields(data, root)
    if any(fields[_MODEL_FIELDS:]):
        raise ModelBytesError("the model has fields this schema does not know; cannot add metadata")
    return root, (fields + [0] * _MODEL_FIELDS)[:_MODEL_FIELDS]


def _entries(data: bytes, root: int, fields: list[int]) -> list[tuple[int, bytes, int]]:
    """The metadata entries: (table position, name, buffer index)."""
    if not fields[_METADATA]:
        return []
    out = []
    for table in _vector(data, _target(data, root + fields[_METADATA])):
        name_at, buffer_at = _field(data, table, 0), _field(data, table, 1)
        name = _string(data, _target(data, table + name_at)) if name_at else b""
        out.append((table, name, _u32(data, table + buffer_at) if buffer_at else 0))
    return out


def read_metadata(data: bytes) -> dict[str, bytes]:
    """The model's metadata entries by name, each buffer's bytes (what the runtimes' delegates read)."""
    try:
        return _read_metadata(data)
    except (struct.error, IndexError):
        raise ModelBytesError("truncated or corrupt flatbuffer") from None


def _read_metadata(data: bytes) -> dict[str, bytes]:
    root, fields = _model_fields(data)
    buffers = _vector(data, _target(data, root + fields[_BUFFERS])) if fields[_BUFFERS] else []
    out = {}
    for _, name, index in _entries(data, root, fields):
        content = b""
        if index < len(buffers):
            data_at = _field(data, buffers[index], 0)
            content = _string(data, _target(data, buffers[index] + data_at)) if data_at else b""
        out[name.decode("utf-8", "replace")] = content
    return out


class _Writer:
    """The bytes written in front of the old model. Offsets are resolved last: a label names a place in
    these bytes, a number a position in the old file (moved by the prefix's length)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.fixups: list[tuple[int, int | str]] = []
        self.labels: dict[str, int] = {}

    def align(self, boundary: int, then: int = 0) -> None:
        """Pad so that ``len + then`` is a multiple of ``boundary``."""
        self.buf += bytes(-(len(self.buf) + then) % boundary)

    def mark(self, label: str) -> None:
        self.labels[label] = len(self.buf)

    def u16(self, *values: int) -> None:
        self.buf += struct.pack(f"<{len(values)}H", *values)

    def u32(self, value: int) -> None:
        self.buf += struct.pack("<I", value)

    def offset(self, target: int | str) -> None:
        self.fixups.append((len(self.buf), target))
        self.u32(0)

    def table_start(self, label: str, vtable: str) -> None:
        """The table's first word: the signed distance back to its vtable."""
        self.align(4)
        self.mark(label)
        self.buf += struct.pack("<i", self.labels[label] - self.labels[vtable])

    def bytes_with(self, old: bytes) -> bytes:
        self.align(16)  # keeps every alignment inside ``old``
        shift = len(self.buf)
        for at, target in self.fixups:
            where = self.labels[target] if isinstance(target, str) else target + shift
            struct.pack_into("<I", self.buf, at, where - at)
        return bytes(self.buf) + old


def _refuse_file_offsets(data: bytes, buffers: list[int]) -> None:
    """Buffers stored outside the flatbuffer (models over 2 GB) are addressed from the file's start, which
    the prefix would move."""
    for table in buffers:
        offset_at = _field(data, table, 1)
        if offset_at and struct.unpack_from("<Q", data, table + offset_at)[0] > 1:
            raise ModelBytesError("the model keeps buffers outside its flatbuffer; cannot add metadata")


def with_metadata(data: bytes, name: str, value: bytes) -> bytes:
    """``data`` with the metadata entry ``name`` set to ``value`` (an entry of that name is replaced)."""
    try:
        return _with_metadata(data, name, value)
    except (struct.error, IndexError):
        raise ModelBytesError("truncated or corrupt flatbuffer") from None


def _with_metadata(data: bytes, name: str, value: bytes) -> bytes:
    root, fields = _model_fields(data)
    if not fields[_BUFFERS]:
        raise ModelBytesError("the model has no buffers")
    buffers = _vector(data, _target(data, root + fields[_BUFFERS]))
    _refuse_file_offsets(data, buffers)
    key = name.encode()
    kept = [table for table, entry, _ in _entries(data, root, fields) if entry != key]
    present = [bool(at) or i in (_BUFFERS, _METADATA) for i, at in enumerate(fields)]

    w = _Writer()
    w.offset("model")
    w.buf += _IDENTIFIER
    w.mark("model vtable")
    w.u16(4 + 2 * _MODEL_FIELDS, 4 + 4 * _MODEL_FIELDS)  # vtable size, table size
    w.u16(*(4 + 4 * i if there else 0 for i, there in enumerate(present)))
    w.table_start("model", "model vtable")
    for i, at in enumerate(fields):
        if i == _BUFFERS:
            w.offset("buffers")
        elif i == _METADATA:
            w.offset("metadata")
        elif not at:
            w.u32(0)
        elif i == _VERSION:
            w.u32(_u32(data, root + at))
        else:
            w.offset(_target(data, root + at))
    w.mark("buffers")
    w.u32(len(buffers) + 1)
    for table in buffers:
        w.offset(table)
    w.offset("new buffer")
    w.mark("metadata")
    w.u32(len(kept) + 1)
    for table in kept:
        w.offset(table)
    w.offset("new entry")
    w.mark("buffer vtable")
    w.u16(6, 8, 4)  # Buffer: data at 4
    w.table_start("new buffer", "buffer vtable")
    w.offset("value")
    w.mark("entry vtable")
    w.u16(8, 12, 4, 8)  # Metadata: name at 4, buffer at 8
    w.table_start("new entry", "entry vtable")
    w.offset("name")
    w.u32(len(buffers))  # the new buffer's index
    w.align(16, then=4)  # Buffer.data is force_align 16
    w.mark("value")
    w.u32(len(value))
    w.buf += value
    w.align(4)
    w.mark("name")
    w.u32(len(key))
    w.buf += key + b"\0"
    return w.bytes_with(data)


def with_fp16_hint(data: bytes) -> bytes:
    """``data`` asking XNNPACK for fp16 inference where the CPU can (see the module notes)."""
    return with_metadata(data, REDUCED_PRECISION_KEY, FP16_INFERENCE)
