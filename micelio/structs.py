"""``google.protobuf.Struct`` to JSON data and back, for the client and the server alike.

Struct numbers are doubles: integral ones get back their int type (line counts, sizes...).
Walking the fields directly is several times faster than ``json_format.MessageToDict``,
which matters when every landed session carries a Struct or two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2

#: Structs and lists nested deeper than this are refused: JSON data needs no more, and deeper
#: values would cost recursion on every read (the top-level Struct is level 1).
MAX_DEPTH = 32


class TooDeep(ValueError):
    """A Struct nested more than ``MAX_DEPTH`` levels."""


def to_dict(struct: struct_pb2.Struct, depth: int = 1) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise TooDeep(f"a Struct nested more than {MAX_DEPTH} levels")
    fields = struct.fields  # indexing by key: .items() iterates in Python (collections.abc)
    return {key: _value(fields[key], depth) for key in fields}


def from_mapping(values: Mapping[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if values:
        struct.update(dict(values))
    return struct


def _value(value: struct_pb2.Value, depth: int) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "struct_value":
        return to_dict(value.struct_value, depth + 1)
    if kind == "list_value":
        if depth + 1 > MAX_DEPTH:
            raise TooDeep(f"a Struct nested more than {MAX_DEPTH} levels")
        return [_value(item, depth + 1) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    return None
