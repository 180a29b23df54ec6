"""prompts/ files as frozen dataclasses: one declaration gives the file's shape (checked on
load, with file:line errors, through schema.SCHEMA) and the typed object code reads, so a
key mistyped in code fails the type checker and the tests instead of answering with a
KeyError at answer time.

A field is a key of its table; a field whose type is a dataclass is a nested table.
Add a file by declaring its dataclass here and listing it in `TYPED` (schema.py then
takes its shape from here), and a cached loader in bank.py. This module imports nothing
of the package: the schema and the loader both read it.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass, fields, is_dataclass
from types import MappingProxyType
from typing import Any, Mapping, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


@dataclass(frozen=True)
class LengthRules:
    too_short_ratio: float   # of the question's target: judged too short below this
    long_ratio: float
    too_long_ratio: float
    default_target_s: float  # for an answer whose question names no target


@dataclass(frozen=True)
class PaceRules:
    """Mora per minute: 320-360 is judged easy to follow."""

    slow_below: int
    easy_low: int
    easy_high: int
    fast_above: int


@dataclass(frozen=True)
class PauseRules:
    long_s: float   # a silence this long inside an answer reads as losing the thread


@dataclass(frozen=True)
class FillerRules:
    ok_per_min: float
    many_per_min: float


@dataclass(frozen=True)
class LatencyRules:
    slow_s: float   # silence before the first word that looks unprepared


@dataclass(frozen=True)
class BackgroundRules:
    far_db: float   # a voice this far under the candidate's is not the answer (a television)
    lead_s: float
    tail_s: float


@dataclass(frozen=True)
class DeliveryRules:
    """prompts/delivery.toml."""

    length: LengthRules
    pace: PaceRules
    pauses: PauseRules
    fillers: FillerRules
    latency: LatencyRules
    background: BackgroundRules


@dataclass(frozen=True)
class ConfidenceRules:
    """prompts/confidence.toml."""

    min_probability: float   # a word Whisper gave less than this is marked as unsure
    mark: str                # how an unsure word is shown ("{word}(?)")


def shape(cls: type) -> dict:
    """The schema.SCHEMA entry of a typed file: its keys, tables for nested dataclasses,
    free keys for a Mapping field."""
    hints = get_type_hints(cls)
    return {f.name: shape(hints[f.name]) if is_dataclass(hints[f.name])
            else {"*": "value"} if get_origin(hints[f.name]) is abc.Mapping else "value" for f in fields(cls)}


class ValueTypeError(ValueError):
    """A value of the wrong type; `key` is its dotted path ("pace.easy_low"), `wanted` the type's name."""

    def __init__(self, key: str, wanted: str, value: Any) -> None:
        super().__init__(key)
        self.key, self.wanted, self.value = key, wanted, value


def build(cls: type[T], data: Mapping[str, Any]) -> T:
    """`data` (a file or table already checked against `shape(cls)`, with arrays as tuples
    and tables as mappings: bank.load) as `cls`; a value of the wrong type raises
    ValueTypeError (a whole number where a number is wanted is fine)."""
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        try:
            values[f.name] = _value(hints[f.name], data[f.name])
        except ValueTypeError as e:
            raise ValueTypeError(f"{f.name}.{e.key}" if e.key else f.name, e.wanted, e.value) from None
    return cls(**values)


def _value(kind: Any, value: Any) -> Any:
    """`value` as `kind`; a ValueTypeError's key is relative to `value` ("" for itself)."""
    if is_dataclass(kind):
        return build(kind, value)
    origin, args = get_origin(kind), get_args(kind)
    if origin is tuple:   # tuple[X, ...]
        if not isinstance(value, tuple):
            raise ValueTypeError("", "tuple", value)
        return tuple(_value(args[0], v) for v in value)
    if origin is abc.Mapping:   # Mapping[str, X]: free keys
        if not isinstance(value, Mapping):
            raise ValueTypeError("", "Mapping", value)
        out = {}
        for k, v in value.items():
            try:
                out[k] = _value(args[1], v)
            except ValueTypeError as e:
                raise ValueTypeError(f"{k}.{e.key}" if e.key else k, e.wanted, e.value) from None
        return MappingProxyType(out)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ValueTypeError("", kind.__name__, value)


@dataclass(frozen=True)
class LoneWords:
    """A short stretch of speech alone before a thinking pause is decoded by itself."""

    max_s: float
    before_s: float   # silence before it at least
    after_s: float    # and after it


@dataclass(frozen=True)
class DecodingRules:
    """prompts/decoding.toml: what Whisper is shown before each window, and what it mishears."""

    filler_context: str
    vocabulary_context: str
    hallucinations: tuple[str, ...]                   # text Whisper invents in silence
    lone_words: LoneWords
    lone_fillers: Mapping[str, tuple[str, ...]]       # a filler → how base hears it said alone


TYPED: dict[str, type] = {"delivery": DeliveryRules, "confidence": ConfidenceRules, "decoding": DecodingRules}
