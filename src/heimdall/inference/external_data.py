"""Refuse ONNX files whose tensors live outside the file ("external data").

An ONNX tensor may say "my bytes are in the file ``weights.bin`` next to the model" (``data_location:
EXTERNAL`` with ``external_data`` entries naming a path and offset). ONNX Runtime, given a model as
bytes, resolves such paths against the server's working directory: an uploaded model could make the
server read (and serve back through its answers) any file it can open. Heimdall's own exports are
self-contained, so a model with any external reference is refused before ONNX Runtime sees it.

The check walks the protobuf wire format directly (the ``onnx`` package is a training extra; serving
does without it), visiting every place a tensor can sit: initializers, sparse initializers, node
attributes (``t``, ``tensors``, ``sparse_tensor(s)``), subgraphs (``g``, ``graphs``), functions and
training graphs. Field numbers are those of onnx.proto (ONNX IR version 10).
"""

from __future__ import annotations

from heimdall.errors import InvalidInput

# message kind -> {field number: kind of the nested message}; "tensor" is checked itself.
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {7: "graph", 20: "training", 25: "function"},
    "training": {1: "graph", 2: "graph"},
    "function": {7: "node", 11: "attribute"},
    "graph": {1: "node", 5: "tensor", 15: "sparse"},
    "node": {5: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},
    "sparse": {1: "tensor", 2: "tensor"},
    "tensor": {},
}
_TENSOR_EXTERNAL_DATA = 13
_TENSOR_DATA_LOCATION = 14
_LOCATION_EXTERNAL = 1
MAX_NESTING = 64  # subgraphs within subgraphs; far beyond any real model


def refuse_external_data(onnx_bytes: bytes) -> None:
    """InvalidInput if any tensor of the model refers to data outside the file, or the bytes are not a
    well-formed protobuf message."""
    _walk(memoryview(onnx_bytes), "model", 0)


def _walk(data: memoryview, kind: str, depth: int) -> None:
    if depth > MAX_NESTING:
        raise InvalidInput(f"the ONNX model nests subgraphs deeper than {MAX_NESTING} levels", field="model.onnx")
    children = _CHILDREN[kind]
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        field, wire_type = key >> 3, key & 7
        if kind == "tensor" and field == _TENSOR_EXTERNAL_DATA:
            _refuse()
        if wire_type == 0:
            value, position = _varint(data, position)
            if kind == "tensor" and field == _TENSOR_DATA_LOCATION and value == _LOCATION_EXTERNAL:
                _refuse()
        elif wire_type == 2:
            length, position = _varint(data, position)
            end = position + length
            if end > len(data):
                raise _malformed("a field runs past the end of its message")
            if field in children:
                _walk(data[position:end], children[field], depth + 1)
            position = end
        elif wire_type in (1, 5):
            position += 8 if wire_type == 1 else 4
        else:
            raise _malformed(f"unsupported protobuf wire type {wire_type}")
    if position != len(data):
        raise _malformed("a field runs past the end of its message")


def _varint(data: memoryview, position: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(data):
            raise _malformed("truncated")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
    raise _malformed("a varint longer than 10 bytes")


def _refuse() -> None:
    raise InvalidInput("the ONNX model refers to external data files; Heimdall serves only self-contained "
                       "models (export them with the weights inside the file)", field="model.onnx")


def _malformed(why: str) -> InvalidInput:
    return InvalidInput(f"not a loadable ONNX model: malformed protobuf ({why})", field="model.onnx")
