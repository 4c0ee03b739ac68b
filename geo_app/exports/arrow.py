"""A stream of column batches in the Arrow C stream interface, made with ctypes and numpy.

Why: GDAL writes a GeoPackage fastest in one call (``pyogrio.raw.write_arrow``): the file is
opened once and its spatial index is built once at the end, where a call per chunk reopens the
file and every insert then keeps the R-tree up to date through triggers. ``write_arrow`` takes
any object with ``__arrow_c_stream__``; pyarrow would give one but is a large dependency for
this, so this module hands GDAL the few column types an export has (text, integers, reals,
booleans, dates and WKB), one batch at a time: memory stays one batch, as before.

Spec: https://arrow.apache.org/docs/format/CDataInterface.html (and its stream interface).
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

NULLABLE = 2
"""``ARROW_FLAG_NULLABLE``."""
CAPSULE_NAME = b"arrow_array_stream"
EIO = 5
EPOCH = date(1970, 1, 1).toordinal()


class Schema(ctypes.Structure):
    """``struct ArrowSchema``."""


class Array(ctypes.Structure):
    """``struct ArrowArray``."""


class Stream(ctypes.Structure):
    """``struct ArrowArrayStream``."""


SchemaRelease = ctypes.CFUNCTYPE(None, ctypes.POINTER(Schema))
ArrayRelease = ctypes.CFUNCTYPE(None, ctypes.POINTER(Array))
GetSchema = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Stream), ctypes.POINTER(Schema))
GetNext = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Stream), ctypes.POINTER(Array))
GetLastError = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(Stream))
StreamRelease = ctypes.CFUNCTYPE(None, ctypes.POINTER(Stream))

Schema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_void_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(Schema))),
    ("dictionary", ctypes.POINTER(Schema)),
    ("release", SchemaRelease),
    ("private_data", ctypes.c_void_p),
]
Array._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(Array))),
    ("dictionary", ctypes.POINTER(Array)),
    ("release", ArrayRelease),
    ("private_data", ctypes.c_void_p),
]
Stream._fields_ = [
    ("get_schema", GetSchema),
    ("get_next", GetNext),
    ("get_last_error", GetLastError),
    ("release", StreamRelease),
    ("private_data", ctypes.c_void_p),
]

FORMATS = {"str": b"u", "int": b"l", "float": b"g", "bool": b"b", "date": b"tdD", "wkb": b"z"}
"""Arrow's format string of each column type written (``wkb``: the geometry, binary)."""
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


@dataclass(frozen=True)
class Field:
    """One column of the stream: its name and type (a key of ``FORMATS``)."""

    name: str
    type: str


def _bitmap(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.packbits(flags, bitorder="little")


def _variable(values: Sequence[Any], text: bool) -> list[np.ndarray[Any, Any]]:
    """Offsets and data of a text or binary column (nulls as empty values)."""
    parts = [b"" if v is None else (str(v).encode() if text else bytes(v)) for v in values]
    offsets = np.zeros(len(parts) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, parts), dtype=np.int32, count=len(parts)), out=offsets[1:])
    return [offsets, np.frombuffer(b"".join(parts) or b"\0", dtype=np.uint8)]


def _buffers(kind: str, values: Sequence[Any]) -> list[np.ndarray[Any, Any]]:
    """The value buffers of one column (after the validity bitmap)."""
    if kind in ("str", "wkb"):
        return _variable(values, kind == "str")
    if kind == "bool":
        return [_bitmap(np.array([bool(v) for v in values], dtype=bool))]
    if kind == "date":  # days since 1970 (20x faster than numpy's datetime64 from dates)
        days = [0 if v is None else v.toordinal() - EPOCH for v in values]
        return [np.array(days, dtype=np.int32)]
    dtype = np.int64 if kind == "int" else np.float64
    return [np.array([0 if v is None else v for v in values], dtype=dtype)]


class _Batch:
    """One batch's C structs and the numpy buffers they point into, kept alive together until
    the reader releases the batch."""

    def __init__(self, fields: Sequence[Field], columns: Sequence[Sequence[Any]], rows: int):
        self.keep: list[Any] = []
        self.children = (ctypes.POINTER(Array) * len(fields))()
        for index, (field, values) in enumerate(zip(fields, columns, strict=True)):
            self.children[index] = ctypes.pointer(self._column(field.type, values, rows))
        self.root_buffers = (ctypes.c_void_p * 1)(None)

    def _column(self, kind: str, values: Sequence[Any], rows: int) -> Array:
        nulls = np.fromiter((v is None for v in values), dtype=bool, count=rows)
        null_count = int(nulls.sum())
        arrays = _buffers(kind, values)
        validity = _bitmap(~nulls) if null_count else None
        pointers = (ctypes.c_void_p * (1 + len(arrays)))(
            None if validity is None else validity.ctypes.data, *(a.ctypes.data for a in arrays)
        )
        child = Array(rows, null_count, 0, len(pointers), 0, pointers, None, None, _noop_array)
        self.keep += [validity, arrays, pointers, child]
        return child

    def fill(self, out: Any, rows: int, release: Any, key: int) -> None:
        """Make ``out`` (the reader's struct) the batch's top-level struct array."""
        out.contents.length = rows
        out.contents.null_count = 0
        out.contents.offset = 0
        out.contents.n_buffers = 1
        out.contents.n_children = len(self.children)
        out.contents.buffers = self.root_buffers
        out.contents.children = self.children
        out.contents.dictionary = None
        out.contents.release = release
        out.contents.private_data = key


@ArrayRelease
def _noop_array(array: Any) -> None:
    """A child's memory belongs to its batch: releasing it only marks it released."""
    array.contents.release = ArrayRelease()


@SchemaRelease
def _noop_schema(schema: Any) -> None:
    schema.contents.release = SchemaRelease()


class BatchStream:
    """``batches`` (each a list of columns, one sequence of values per field) as an Arrow C
    stream of struct arrays; an error raised while reading is kept in ``error`` for the
    caller to raise again (GDAL only reports that the stream failed)."""

    def __init__(self, fields: Sequence[Field], batches: Iterator[list[Sequence[Any]]]):
        self.fields = tuple(fields)
        self.batches = batches
        self.error: BaseException | None = None
        self.rows = 0
        self.live: dict[int, _Batch] = {}
        self._keys = itertools.count(1)
        self.message = ctypes.create_string_buffer(b"export stream failed")
        self._callbacks = (
            GetSchema(self._get_schema),
            GetNext(self._get_next),
            GetLastError(lambda _stream: ctypes.addressof(self.message)),
            StreamRelease(self._release_stream),
            ArrayRelease(self._release_array),
        )
        self.stream = Stream(*self._callbacks[:4], None)
        self._schemas = [
            Schema(FORMATS[f.type], f.name.encode(), None, NULLABLE, 0, None, None, _noop_schema)
            for f in self.fields
        ]
        self._schema_children = (ctypes.POINTER(Schema) * len(self.fields))(
            *(ctypes.pointer(s) for s in self._schemas)
        )

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        """The PyCapsule of the Arrow PyCapsule protocol (the stream stays owned by self)."""
        del requested_schema
        return _new_capsule(ctypes.addressof(self.stream), CAPSULE_NAME, None)

    def _get_schema(self, _stream: Any, out: Any) -> int:
        schema = Schema(b"+s", b"", None, 0, len(self.fields), self._schema_children)
        schema.release = _noop_schema
        ctypes.memmove(out, ctypes.addressof(schema), ctypes.sizeof(Schema))
        return 0

    def _get_next(self, _stream: Any, out: Any) -> int:
        try:
            columns = next(self.batches, None)
        except BaseException as error:  # kept, and raised again by the writer
            self.error = error
            return EIO
        if columns is None:
            out.contents.release = ArrayRelease()  # the end of the stream
            return 0
        rows = len(columns[0]) if columns else 0
        self.rows += rows
        batch = _Batch(self.fields, columns, rows)
        key = next(self._keys)
        self.live[key] = batch  # a reader may move the struct: the key travels with it
        batch.fill(out, rows, self._callbacks[4], key)
        return 0

    def _release_array(self, array: Any) -> None:
        self.live.pop(array.contents.private_data or 0, None)
        array.contents.release = ArrayRelease()

    def _release_stream(self, stream: Any) -> None:
        self.live.clear()
        stream.contents.release = StreamRelease()
