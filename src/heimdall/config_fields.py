"""Checks shared by the frozen config dataclasses of domain code (detector, grouping, tracker, CoT).

Such configs arrive from untrusted places (monitor settings in an API body, a CLI flag), so a config
refuses, with ``InvalidInput`` naming the field, an unknown field, a value of the wrong type (a
string where a number belongs, a bool passed as a number, NaN) and an impossible value.

    @dataclass(frozen=True)
    class MyConfig:
        window_s: float = 60.0

        def __post_init__(self) -> None:
            check_field_types(self)
            require(self.window_s > 0, "window_s", "must be positive")

    MyConfig.from_mapping(doc)  ->  config_from_mapping(MyConfig, doc)

Pydantic models (request bodies, the simulator's config) get the same refusal of booleans where a
number belongs from ``NumbersNotBooleans`` (pydantic's lax mode would read ``"seed": false`` as 0).
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator

from heimdall.errors import InvalidInput

T = TypeVar("T")

# Annotation strings (``from __future__ import annotations``) -> accepted Python types.
_NUMBER = (int, float)
_ACCEPTED: dict[str, tuple[type, ...]] = {"float": _NUMBER, "int": (int,), "bool": (bool,), "str": (str,)}


def require(condition: bool, field: str, message: str) -> None:
    """Raise ``InvalidInput("<field> <message>")`` unless ``condition`` holds."""
    if not condition:
        raise InvalidInput(f"{field} {message}", field=field)


def check_field_types(config: Any) -> None:
    """Check every field of a frozen dataclass against its annotation; ints given for floats become floats."""
    for field in dataclasses.fields(config):
        annotation = str(field.type).replace(" ", "")
        optional = annotation.endswith("|None")
        base = annotation.removesuffix("|None")
        accepted = _ACCEPTED.get(base)
        value = getattr(config, field.name)
        if accepted is None or (optional and value is None):
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, accepted) or (is_bool and base != "bool"):
            raise InvalidInput(f"{field.name} must be {'a number' if base in ('float', 'int') else 'a ' + base}"
                               f"{' (an integer)' if base == 'int' else ''}, not {value!r}", field=field.name)
        if base == "float":
            assert isinstance(value, (int, float))
            if not math.isfinite(value):
                raise InvalidInput(f"{field.name} must be finite, not {value!r}", field=field.name)
            object.__setattr__(config, field.name, float(value))


def config_from_mapping(cls: type[T], data: object, name: str | None = None) -> T:
    """Build config ``cls`` from a mapping of its fields (missing ones keep their defaults)."""
    label = name or cls.__name__
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{label} must be an object of settings")
    known = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise InvalidInput(f"unknown {label} setting '{unknown[0]}'", field=unknown[0])
    return cls(**data)


def refuse_boolean_numbers(cls: type, data: Mapping[str, Any]) -> None:
    """InvalidInput naming the first field of dataclass ``cls`` typed int/float given a boolean."""
    for field in dataclasses.fields(cls):
        base = str(field.type).replace(" ", "").removesuffix("|None")
        if base in ("int", "float") and isinstance(data.get(field.name), bool):
            raise InvalidInput(f"{field.name} must be a number, not {str(data[field.name]).lower()}", field=field.name)


class NumbersNotBooleans(BaseModel):
    """A pydantic base refusing ``true``/``false`` for every field typed ``int`` or ``float`` (or
    optional ones), and inside lists and tuples of them: a boolean is never meant as a seed, a count or
    a frequency."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _boolean_for_number(field.annotation, value):
            raise ValueError(f"must be a number, not {str(value).lower()}" if isinstance(value, bool)
                             else "must hold numbers, not booleans")
        return value


def is_number_annotation(annotation: Any) -> bool:
    """``int``, ``float``, or a union of them with None."""
    if annotation in (int, float):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        members = set(get_args(annotation)) - {type(None)}
        return bool(members) and members <= {int, float}
    return False


def _boolean_for_number(annotation: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return is_number_annotation(annotation)
    if isinstance(value, list | tuple):
        items = _sequence_items(annotation)
        return items is not None and any(isinstance(item, bool) for item in value) and is_number_annotation(items)
    return False


def _sequence_items(annotation: Any) -> Any:
    """The item type of ``list[X]``, ``tuple[X, ...]``, ``tuple[X, X]`` (optional or not), else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else None
    if get_origin(annotation) not in (list, tuple):
        return None
    args = {a for a in get_args(annotation) if a is not Ellipsis}
    return args.pop() if len(args) == 1 else None
