"""The model base: a mutable mapping over wire-format JSON with typed attribute access.

A model instance wraps one ``dict`` in wire format (``_data``). Item access (``event["delta"]``)
reads and writes that dict directly; attribute access (``event.delta``) goes through a field
descriptor that converts on the way out (nested dicts to typed models, base64 text to ``bytes``,
Unix timestamps to ``datetime``) and caches the converted value, and converts on the way in.

Decoding a server frame costs one ``dict`` lookup (discriminator -> class) and one object
allocation: nothing is converted until a field is read.
"""

from __future__ import annotations

import binascii
import copy as _copy_module
import datetime
import re
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar, cast

from .. import _speedups

__all__ = ["Model", "field", "register_union"]

_M = TypeVar("_M", bound="Model")
_MISSING: Any = object()
#: A decoded JSON value: declaring wire data with it lets ``type(x) is dict`` narrow to
#: ``dict[str, Any]`` (from ``Any`` it would narrow to ``dict[Unknown, Unknown]``).
_Json: TypeAlias = "dict[str, Any] | list[Any] | str | int | float | bool | None"

#: Every model class by name, so string annotations can be resolved lazily on first use.
_MODELS: dict[str, type[Model]] = {}
#: Union aliases (``_unions.Voice``...) by name: the model classes a dict value may decode into.
_UNIONS: dict[str, tuple[str, ...]] = {}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# Names in annotations that never denote a model.
_PLAIN_NAMES = frozenset(
    (
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "Any",
        "Optional",
        "Union",
        "list",
        "dict",
        "Literal",
        "None",
        "NoneType",
        "object",
        "datetime",
        "datetime.datetime",
        "typing",
        "Mapping",
        "Sequence",
    )
)
# base64 of audio: pybase64 with the speedups extra, binascii otherwise (same results and errors).
_b64decode = _speedups.b64decode
_b64encode = _speedups.b64encode
_AUDIO_KEYS = frozenset(("audio", "delta", "data", "image_url"))
_REPR_LIMIT = 32


def register_union(name: str, *members: str) -> None:
    """Declare the model classes a ``_unions.<name>`` annotation may decode a dict into."""
    _UNIONS[name] = members


def _to_wire(value: Any) -> Any:
    """Convert a user value (models, enums, bytes, datetimes, containers) to plain JSON data."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, Model):
        nulls = value._explicit_nulls
        return {**value._data, **dict.fromkeys(nulls, None)} if nulls else value._data
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _to_wire(v) for k, v in cast("Mapping[object, object]", value).items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in cast("Sequence[object]", value)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _b64encode(value)
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    return value


def _timestamp(value: datetime.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return int(value.timestamp())


def _plain_copy(value: Any) -> Any:
    """Deep copy of plain JSON data (dicts and lists; scalars are immutable)."""
    try:
        return _copy_recursive(value)
    except RecursionError:  # a very deep (but decodable) frame: slower, iterative
        return _copy_iterative(value)


def _copy_recursive(value: _Json) -> Any:
    if type(value) is dict:
        return {k: _copy_recursive(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_recursive(v) for v in value]
    return value


def _copy_iterative(value: Any) -> Any:
    def fresh(v: Any) -> Any:
        return {} if type(v) is dict else [] if type(v) is list else v

    root = fresh(value)
    stack: list[tuple[Any, dict[object, object] | list[object]]] = (
        [(value, root)] if root is not value else []
    )
    while stack:
        source, target = stack.pop()
        pairs: Iterable[tuple[Any, Any]] = (
            cast("dict[str, Any]", source).items()
            if type(source) is dict
            else enumerate(cast("list[Any]", source))
        )
        for key, item in pairs:
            copied = fresh(item)
            if isinstance(target, dict):  # targets are exact dicts and lists (from fresh())
                target[key] = copied
            else:
                target.append(copied)
            if copied is not item:
                stack.append((item, copied))
    return root


def _short(value: _Json, key: Any = None) -> str:
    if isinstance(value, str):
        if key in _AUDIO_KEYS and len(value) > _REPR_LIMIT:
            return repr(value[:_REPR_LIMIT] + f"...<{len(value)} chars>")
        if len(value) > 400:
            return repr(value[:400] + f"...<{len(value)} chars>")
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v, k)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v, key) for v in value) + "]"
    return repr(value)


class _FieldSpec:
    """What a ``field()`` call declares: an optional wire name, format and default."""

    __slots__ = ("default", "format", "wire")

    def __init__(self, wire: str | None, format: str | None, default: Any) -> None:
        self.wire = wire
        self.format = format
        self.default = default


def field(*, name: str | None = None, format: str | None = None, default: Any = _MISSING) -> Any:
    """Declare a model field whose wire name or format differs from the plain default.

    ``name`` is the JSON key when it differs from the attribute name; ``format`` is
    ``"base64"`` (attribute gives ``bytes``) or ``"unix-timestamp"`` (attribute gives a UTC
    ``datetime``); ``default`` is written into the wire dict on construction.
    """
    return _FieldSpec(name, format, default)


class _Field:
    """Data descriptor for a plain field: the attribute is the wire value."""

    __slots__ = ("annotation", "attr", "default", "format", "wire")

    def __init__(self, attr: str, wire: str, annotation: str, format: str | None, default: Any) -> None:
        self.attr = attr
        self.wire = wire
        self.annotation = annotation
        self.format = format
        self.default = default

    def __get__(self, obj: Model | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._data.get(self.wire)

    def __set__(self, obj: Model, value: Any) -> None:
        if value is None:
            obj._data.pop(self.wire, None)
            obj._forget(self.wire)
            if self.attr in obj._nullable:
                obj._null(self.wire)
            return
        obj._set(self.wire, self.to_wire(value))

    def __delete__(self, obj: Model) -> None:
        obj._data.pop(self.wire, None)
        obj._forget(self.wire)

    def to_wire(self, value: Any) -> Any:
        return _to_wire(value)

    def __repr__(self) -> str:
        return f"<field {self.attr!r} wire={self.wire!r}: {self.annotation}>"


class _Base64Field(_Field):
    """``format: base64``: the attribute is ``bytes`` (decoded once, cached); the item is text."""

    __slots__ = ()

    def __get__(self, obj: Model | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj._cache
        if cache is not None:
            hit = cache.get(self.wire, _MISSING)
            if hit is not _MISSING:
                return hit
        raw = obj._data.get(self.wire)
        if not isinstance(raw, str):
            return raw
        try:
            value = _b64decode(raw)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{type(obj).__name__}.{self.attr} is not valid base64: {exc}") from None
        if cache is None:
            obj._cache = {self.wire: value}
        else:
            cache[self.wire] = value
        return value

    def to_wire(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return _b64encode(value)
        return value


class _TimestampField(_Field):
    """``format: unix-timestamp``: the attribute is a UTC ``datetime``; the item is seconds."""

    __slots__ = ()

    def __get__(self, obj: Model | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raw = obj._data.get(self.wire)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            try:
                return datetime.datetime.fromtimestamp(raw, datetime.timezone.utc)
            except (OverflowError, OSError, ValueError):  # out of range, NaN: keep the wire value
                return raw
        return raw

    def to_wire(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return _timestamp(value)
        return _to_wire(value)


class _NestedField(_Field):
    """A field holding models (directly, in a list, or through a union alias).

    The annotation is resolved to classes on first read; each read of a dict value wraps the
    same dict (no copy) in the right class, found through the discriminators, and is cached.
    """

    __slots__ = ("_kind", "_types")

    def __init__(self, attr: str, wire: str, annotation: str, format: str | None, default: Any) -> None:
        super().__init__(attr, wire, annotation, format, default)
        self._types: tuple[type[Model], ...] | None = None
        stripped = annotation.replace(" ", "")
        for head in ("Optional[", "Union["):
            if stripped.startswith(head):
                stripped = stripped[len(head) :]
        self._kind = (
            "list" if stripped.startswith("list[") else "dict" if stripped.startswith("dict[") else "one"
        )

    def _resolve(self) -> tuple[type[Model], ...]:
        names: list[str] = []
        for token in _IDENT.findall(self.annotation):
            token = token.removeprefix("_unions.")
            names.extend(_UNIONS.get(token, (token,)))
        types = tuple(dict.fromkeys(_MODELS[n] for n in names if n in _MODELS))
        self._types = types
        return types

    def _decode_one(self, value: _Json, types: tuple[type[Model], ...]) -> Any:
        if type(value) is not dict:
            return value
        if len(types) == 1:
            return types[0]._from_wire(value)
        for cls in types:
            if cls._accepts(value):
                return cls._from_wire(value)
        return value

    def __get__(self, obj: Model | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj._cache
        if cache is not None:
            hit = cache.get(self.wire, _MISSING)
            if hit is not _MISSING:
                return hit
        raw: _Json = obj._data.get(self.wire)
        if raw is None:
            return None
        types = self._types if self._types is not None else self._resolve()
        if not types:
            return raw
        if self._kind == "list" and type(raw) is list:
            value: Any = [self._decode_one(v, types) for v in raw]
        elif self._kind == "dict" and type(raw) is dict:
            value = {k: self._decode_one(v, types) for k, v in raw.items()}
        else:
            value = self._decode_one(raw, types)
        if cache is None:
            obj._cache = {self.wire: value}
        else:
            cache[self.wire] = value
        return value


def _needs_nesting(annotation: str) -> bool:
    return any(t not in _PLAIN_NAMES for t in _IDENT.findall(annotation) if not t.startswith("Literal"))


def _make_field(attr: str, annotation: str, spec: Any) -> _Field:
    if isinstance(spec, _FieldSpec):
        wire, fmt, default = spec.wire or attr, spec.format, spec.default
    else:
        wire, fmt, default = attr, None, spec
    if isinstance(default, Enum):
        default = default.value
    # Literal[...] contents and quoted names in Literal are not model references.
    bare = re.sub(r"Literal\[[^\]]*\]", "", annotation)
    if fmt == "base64":
        cls: type[_Field] = _Base64Field
    elif fmt == "unix-timestamp":
        cls = _TimestampField
    elif _needs_nesting(bare):
        cls = _NestedField
    else:
        cls = _Field
    return cls(attr, wire, annotation, fmt, default)


class _ModelMeta(type):
    """Turns annotated class attributes into field descriptors and keeps the registries."""

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        *,
        discriminator: str | None = None,
        **kwargs: Any,
    ) -> _ModelMeta:
        namespace.setdefault("__slots__", ())
        annotations: dict[str, Any] = namespace.get("__annotations__", {})
        own: dict[str, _Field] = {}
        for attr, annotation in annotations.items():
            if attr.startswith("_") or "ClassVar" in str(annotation):
                continue
            made = _make_field(attr, str(annotation), namespace.pop(attr, _MISSING))
            own[attr] = made
            namespace[attr] = made
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        fields: dict[str, _Field] = {}
        defaults: dict[str, Any] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, "_own_fields", {}))
        fields.update(own)
        for f in fields.values():
            if f.default is not _MISSING:
                defaults[f.wire] = f.default
        model_cls: Any = cls
        model_cls._own_fields = own
        model_cls._fields = fields
        model_cls._wire_names = {f.wire: f for f in fields.values()}
        model_cls._defaults = defaults
        if discriminator is not None:
            model_cls._discriminator = discriminator
            model_cls._registry = {}
        else:
            model_cls._registry = None
        # Register with the nearest ancestors that dispatch on a property this class fixes.
        for base in cls.__mro__[1:]:
            registry = base.__dict__.get("_registry")
            prop = base.__dict__.get("_discriminator")
            if registry is not None and prop in defaults:
                registry.setdefault(defaults[prop], cls)
        if name not in _MODELS:
            _MODELS[name] = model_cls
        return cls


if TYPE_CHECKING:
    _MappingBase = MutableMapping[str, Any]
else:
    # Registered as a virtual MutableMapping below: a plain metaclass keeps class creation
    # (hundreds of models at import) cheap, and every mapping method is implemented here.
    _MappingBase = object


class Model(_MappingBase, metaclass=_ModelMeta):
    """Base of every Voice Live model: a ``MutableMapping`` over the wire JSON plus attributes.

    Construct with keyword arguments (Python attribute names; ``None`` values are left out;
    an unknown keyword raises ``TypeError``) or with one mapping of wire names (unknown keys
    are kept). Concrete subclasses fill in their discriminator (``type``...) on construction.

    Instances are plain objects too: an ad-hoc attribute (``event.received_at = t``) is kept
    on the instance (``vars(event)``), never in the mapping or on the wire.
    """

    # ``__dict__`` and ``__weakref__`` as on plain objects (``vars(m)``, ad-hoc attributes, weak
    # references all work, as on the official models); the wire data stays in a slot, so the
    # instance dict is only created when used (+16 B per instance on 3.10, +40 B on 3.11).
    __slots__ = ("__dict__", "__weakref__", "_cache", "_data")
    _data: dict[str, Any]
    _cache: dict[str, Any] | None

    _fields: ClassVar[dict[str, _Field]] = {}
    _own_fields: ClassVar[dict[str, _Field]] = {}
    _wire_names: ClassVar[dict[str, _Field]] = {}
    _defaults: ClassVar[dict[str, Any]] = {}
    _discriminator: ClassVar[str | None] = None
    _registry: ClassVar[dict[str, type[Model]] | None] = None
    #: Fields for which an explicit ``None`` is kept and sent as JSON ``null`` (it means "turn
    #: this off" on the wire); for every other field ``None`` means "not set" and is left out.
    _nullable: ClassVar[frozenset[str]] = frozenset()
    #: Wire names of ``_nullable`` fields set explicitly to ``None`` (per instance, in its
    #: ``__dict__`` only when there are some): left out of the mapping, as upstream, and sent as
    #: JSON ``null`` (``as_dict()``, ``session.update``).
    _explicit_nulls: set[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        data = dict(cls._defaults)
        if args:
            if len(args) != 1 or kwargs or not isinstance(args[0], Mapping):
                raise TypeError(
                    f"{cls.__name__}() takes keyword arguments or a single mapping of wire names, "
                    f"got {len(args)} positional argument(s)"
                    + (
                        f" of type {type(args[0]).__name__}"
                        if args and not isinstance(args[0], Mapping)
                        else ""
                    )
                )
            for key, value in cast("Mapping[str, Any]", args[0]).items():
                data[key] = _to_wire(value)
        else:
            fields = cls._fields
            nullable = cls._nullable
            nulls: set[str] | None = None
            for attr, value in kwargs.items():
                f = fields.get(attr)
                if f is None:
                    raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {attr!r}")
                if value is None:
                    if attr in nullable:
                        nulls = {f.wire} if nulls is None else nulls | {f.wire}
                    continue
                data[f.wire] = f.to_wire(value)
            if nulls:
                self._explicit_nulls = nulls
        self._data = data
        self._cache = None

    @classmethod
    def _from_wire(cls: type[_M], data: dict[str, Any]) -> _M:
        """Wrap a decoded JSON object without copying, dispatching through the discriminators."""
        registry = cls._registry
        if registry is not None:
            key = data.get(cls._discriminator)  # type: ignore[arg-type]
            sub = registry.get(key) if type(key) is str else None
            if sub is not None and sub is not cls:
                return sub._from_wire(data)  # type: ignore[return-value]
        obj = cls.__new__(cls)
        obj._data = data
        obj._cache = None
        return obj

    @classmethod
    def _accepts(cls, data: Mapping[str, Any]) -> bool:
        """Whether a dict looks like this class: its fixed values or one of its subtypes' match."""
        registry, prop = cls._registry, cls._discriminator
        if registry is not None and prop is not None:
            key = data.get(prop)
            if type(key) is str and key in registry:
                return True
        return bool(cls._defaults) and all(data.get(k) == v for k, v in cls._defaults.items())

    # -- internal write path ------------------------------------------------------------
    def _set(self, key: str, value: Any) -> None:
        self._data[key] = value
        if self._cache:
            self._cache.pop(key, None)
        if self._explicit_nulls:
            self._explicit_nulls.discard(key)

    def _forget(self, key: str) -> None:
        if self._cache:
            self._cache.pop(key, None)
        if self._explicit_nulls:
            self._explicit_nulls.discard(key)

    def _null(self, key: str) -> None:
        """Record that ``key`` was set to ``None`` explicitly (sent as ``null``, not in the mapping)."""
        if self._explicit_nulls is None:
            self._explicit_nulls = {key}
        else:
            self._explicit_nulls.add(key)

    # -- Mapping protocol ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._set(key, _to_wire(value))

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._forget(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Any) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        return self._data.values()

    def items(self) -> ItemsView[str, Any]:
        return self._data.items()

    def clear(self) -> None:
        self._data.clear()
        self._cache = None
        if self._explicit_nulls:
            self._explicit_nulls = None

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        self._forget(key)
        if default is _MISSING:
            return self._data.pop(key)
        return self._data.pop(key, default)

    def popitem(self) -> tuple[str, Any]:
        key, value = self._data.popitem()
        self._forget(key)
        return key, value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self._data:
            self._set(key, _to_wire(default))
        return self._data[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self._set(key, _to_wire(value))

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Model):
            return self._data == other._data
        if isinstance(other, dict):
            return self._data == other
        if isinstance(other, Mapping):
            return self._data == dict(cast("Mapping[object, object]", other).items())
        return NotImplemented

    def __ne__(self, other: Any) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        try:
            return f"{type(self).__name__}({_short(self._data)})"
        except RecursionError:
            return f"{type(self).__name__}({{...too deeply nested to show...}})"

    # -- conveniences -------------------------------------------------------------------
    def as_dict(self, *, exclude_readonly: bool = False) -> dict[str, Any]:
        """Return the wire JSON as a new plain ``dict`` (a deep copy; nested models as dicts).

        It holds what is sent: the mapping's items plus the fields set explicitly to ``None``
        where ``null`` means "off" (``RequestSession(turn_detection=None)``), which the mapping
        itself leaves out, as upstream. ``exclude_readonly`` is accepted for compatibility; no
        field is read-only here.
        """
        return _plain_copy(_to_wire(self))  # type: ignore[no-any-return]

    def copy(self: _M) -> _M:
        """Return an independent deep copy of the same class (ad-hoc attributes included)."""
        new = _restore(type(self), _plain_copy(self._data))
        if vars(self):
            vars(new).update(_copy_module.deepcopy(vars(self)))
        return new

    def __copy__(self: _M) -> _M:
        return self.copy()

    def __deepcopy__(self: _M, memo: dict[int, Any]) -> _M:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        extra = self.__dict__
        if extra:  # ad-hoc attributes travel too
            return (_restore, (type(self), self._data), dict(extra))
        return (_restore, (type(self), self._data))


if not TYPE_CHECKING:  # type checkers already see Model as a MutableMapping subclass
    MutableMapping.register(Model)


def _restore(cls: type[_M], data: dict[str, Any]) -> _M:
    """Wrap wire data in exactly ``cls`` (no discriminator dispatch, no defaults added)."""
    obj = cls.__new__(cls)
    obj._data = data
    obj._cache = None
    return obj
