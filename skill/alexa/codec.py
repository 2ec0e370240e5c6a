"""A faster drop-in for ask-sdk-core's ``DefaultSerializer``, for the per-request hot path.

The SDK's serializer is generic and pays for it on every request: it re-imports each
model class by name (``__import__`` per nested object), re-parses type strings such as
``"dict(str, ask_sdk_model.slot.Slot)"`` with regular expressions, parses every
timestamp with dateutil's general-purpose parser, and its ``deserialize`` takes a JSON
string, so a caller holding parsed JSON pays a ``json.dumps``/``json.loads`` round trip.

:class:`ModelCodec` reads the same model metadata (``deserialized_types``,
``attribute_map``, discriminators) once per type and keeps a decoder per type string.
Its contract is strict equivalence with the SDK: well-typed JSON takes the fast path;
anything the fast path does not recognise (a string where an object belongs, a timestamp
in an unusual format, an unknown enum value) is handed to the SDK's own implementation,
which then succeeds or fails exactly as it always did. ``tests/test_codec.py`` checks
equality against ``DefaultSerializer`` on every envelope the suite produces and on
fuzzed ones.

Two deliberate differences. An unknown key is kept on the model as the SDK keeps it,
unless the model already has something of that name (``user_id`` beside ``userId``,
``object_type``, a method): the SDK would overwrite it, which lets a payload change who
the user is or which handler answers; here it is dropped. (A payload left to the SDK's
own path keeps the SDK's behaviour there, but :mod:`skill.alexa.envelope` refuses the
model-internal names, ``object_type`` and the like, before either path sees them.)
And an Alexa timestamp ("...Z") gets the standard library's ``datetime.UTC``: dateutil
gives the same instant as ``tzutc()``, or as ``tzlocal()`` on a machine whose zone is
UTC, so the SDK's own result depends on the host.
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]

# Alexa's timestamps: "2026-11-25T07:00:00Z", sometimes with milliseconds. Anything else
# (offsets, dates alone, odd precision) goes to dateutil, as the SDK does.
_UTC_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z", re.ASCII
)
_LIST_TYPE = re.compile(r"list\[(.*)\]")
_DICT_TYPE = re.compile(r"dict\(([^,]*), (.*)\)")


class JsonData(dict):
    """JSON-ready data (an APL document read from disk) that serializing passes through.

    The SDK would copy it key by key (~0.5 ms for a screen document, on every response);
    it is data already, so the codec copies only its top level and shares the rest:
    nothing may modify a serialized response's document in place.
    """


class _NotFastPath(Exception):
    """The payload needs the SDK's general deserializer (which may then refuse it)."""


def _identity(value: Any) -> Any:
    return value


def _decode_timestamp(payload: Any) -> datetime:
    match = _UTC_TIMESTAMP.fullmatch(payload) if type(payload) is str else None
    if match is None:
        raise _NotFastPath
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int(fraction.ljust(6, "0")) if fraction else 0,
            tzinfo=UTC,
        )
    except ValueError:  # month 13 and friends: let dateutil word the refusal
        raise _NotFastPath from None


def _decode_float(payload: Any) -> float:
    """JSON has one number type: an Echo Show's "pixelWidth": 1280 is the SDK's float(1280)."""
    if type(payload) is float:
        return payload
    if type(payload) is int:
        return float(payload)
    raise _NotFastPath


def _primitive_decoder(kind: type) -> Decoder:
    if kind is float:
        return _decode_float

    def decode(payload: Any) -> Any:
        if type(payload) is not kind:  # conversions (float("1"), str(3)) take the slow path
            raise _NotFastPath
        return payload

    return decode


class ModelCodec(DefaultSerializer):
    """``DefaultSerializer`` with per-type plans; same results, a fraction of the cost."""

    def __init__(self) -> None:
        self._decoders: dict[str | type, Decoder] = {}
        self._encoders: dict[type, Encoder] = {}

    # -- deserializing ---------------------------------------------------------------

    def deserialize(self, payload: str | None, obj_type: Any) -> Any:
        """Same signature and results as the SDK's: ``payload`` is a JSON string."""
        if payload is None:
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return super().deserialize(payload, obj_type)  # the SDK words the error
        return self.from_data(data, obj_type)

    def from_data(self, data: Any, obj_type: str | type) -> Any:
        """Deserialize already-parsed JSON, without the SDK's string round trip."""
        try:
            return self._decoder(obj_type)(data)
        except Exception:  # anything unusual: the SDK's own path decides, result or error
            return super().deserialize(json.dumps(data), obj_type)

    def _decoder(self, obj_type: str | type) -> Decoder:
        decoder = self._decoders.get(obj_type)
        if decoder is None:
            decoder = self._decoders[obj_type] = self._build_decoder(obj_type)
        return decoder

    def _build_decoder(self, type_name: str | type) -> Decoder:
        if isinstance(type_name, type):
            if type_name in self.PRIMITIVE_TYPES or type_name in (object, date, datetime):
                raise _NotFastPath  # callers name these by string; the SDK handles the rest
            return self._model_decoder(type_name)
        if type_name.startswith("list["):
            match = _LIST_TYPE.match(type_name)
            if match is None or "," in match.group(1):
                raise _NotFastPath  # never used by the Alexa models; left to the SDK
            item_type = match.group(1).strip()

            def decode_list(payload: Any) -> list[Any]:
                if type(payload) is not list:
                    raise _NotFastPath
                decode = self._decoder(item_type)
                return [None if value is None else decode(value) for value in payload]

            return decode_list
        if type_name.startswith("dict("):
            match = _DICT_TYPE.match(type_name)
            if match is None:
                raise _NotFastPath
            value_type = match.group(2)

            def decode_dict(payload: Any) -> dict[Any, Any]:
                if type(payload) is not dict:
                    raise _NotFastPath
                decode = self._decoder(value_type)
                return {
                    key: None if value is None else decode(value) for key, value in payload.items()
                }

            return decode_dict
        native = self.NATIVE_TYPES_MAPPING.get(type_name)
        if native is object:
            return _identity
        if native is datetime:
            return _decode_timestamp
        if native is date:
            raise _NotFastPath  # dates alone: dateutil, as the SDK does
        if native is not None:
            return _primitive_decoder(native)
        return self._model_decoder(self._load_class(type_name))

    def _load_class(self, class_name: str) -> type:
        module_name, _, name = class_name.rpartition(".")
        if not module_name:
            raise _NotFastPath
        return getattr(__import__(module_name, fromlist=[name]), name)

    def _model_decoder(self, model: type) -> Decoder:
        if issubclass(model, Enum):

            def decode_enum(payload: Any) -> Enum:
                return model(payload)

            return decode_enum
        if not hasattr(model, "deserialized_types"):
            raise _NotFastPath
        if hasattr(model, "get_real_child_model"):
            return self._polymorphic_decoder(model)
        return self._fields_decoder(model)

    def _fields_decoder(self, model: type) -> Decoder:
        field_map = dict(getattr(model, "attribute_map", None) or {})
        # payload key -> (attribute, type string); decoders are looked up by type string on
        # use, so models that refer to each other need no planning order.
        fields = {
            field_map.get(attribute, attribute): (attribute, type_name)
            for attribute, type_name in model.deserialized_types.items()
        }
        decoder_for = self._decoder
        # An unknown key may not overwrite what the model has under that name: a declared
        # attribute ("user_id" beside "userId") or the class's own (object_type, methods).
        taken = frozenset(model.deserialized_types) | frozenset(dir(model))

        def decode_model(payload: Any) -> Any:
            if type(payload) is not dict:
                raise _NotFastPath
            instance = model()
            unknown = []
            for key, value in payload.items():
                field = fields.get(key)
                if field is None:
                    if key not in taken:
                        unknown.append(key)
                    continue
                attribute, type_name = field
                # None, raw objects and strings (most fields) need no decoder call
                as_is = value is None or type_name == "object"
                if not (as_is or (type_name == "str" and type(value) is str)):
                    value = decoder_for(type_name)(value)
                setattr(instance, attribute, value)
            for key in unknown:  # the SDK keeps unknown fields as they came, after the rest
                setattr(instance, key, payload[key])
            return instance

        return decode_model

    def _polymorphic_decoder(self, base: type) -> Decoder:
        """A ``Request`` or ``Directive``: the payload's ``type`` picks the subclass."""
        by_class_name: dict[str, Decoder] = {}

        def decode_polymorphic(payload: Any) -> Any:
            if type(payload) is not dict:
                raise _NotFastPath
            class_name = base.get_real_child_model(payload)
            decoder = by_class_name.get(class_name)
            if decoder is None:
                if not class_name:
                    raise _NotFastPath
                # the subclass inherits the discriminator: plan its fields directly
                decoder = by_class_name[class_name] = self._fields_decoder(
                    self._load_class(class_name)
                )
            return decoder(payload)

        return decode_polymorphic

    # -- serializing -----------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:
        """Same results as the SDK's ``serialize``, with the per-class field plan cached."""
        if obj is None:
            return None
        encoder = self._encoders.get(type(obj))
        if encoder is None:
            encoder = self._encoders[type(obj)] = self._build_encoder(type(obj))
        return encoder(obj)

    def _build_encoder(self, kind: type) -> Encoder:
        serialize = self.serialize
        if issubclass(kind, self.PRIMITIVE_TYPES):
            return _identity
        if issubclass(kind, JsonData):
            return dict  # a plain dict, as the SDK gives, over the same (shared) contents
        if issubclass(kind, list):
            return lambda obj: [serialize(item) for item in obj]
        if issubclass(kind, tuple):
            return lambda obj: tuple(serialize(item) for item in obj)
        if issubclass(kind, date):  # datetime included
            return lambda obj: obj.isoformat()
        if issubclass(kind, Enum):
            return lambda obj: obj.value
        if issubclass(kind, dict):
            return lambda obj: {key: serialize(value) for key, value in obj.items()}
        if issubclass(kind, decimal.Decimal) or not hasattr(kind, "deserialized_types"):
            return super().serialize  # rare or foreign types: exactly the SDK's behaviour
        field_map = dict(getattr(kind, "attribute_map", None) or {})
        fields = tuple(
            (attribute, field_map.get(attribute, attribute))
            for attribute in kind.deserialized_types
        )

        def encode_model(obj: Any) -> dict[str, Any]:
            encoded = {}
            for attribute, key in fields:
                value = getattr(obj, attribute)
                if value is not None:
                    encoded[key] = serialize(value)
            return encoded

        return encode_model
