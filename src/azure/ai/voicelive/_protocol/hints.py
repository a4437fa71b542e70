"""Typo hints for wire-format mappings (sans-I/O): ``{"modalitis": [...]}`` is almost surely a typo.

A mapping passed as ``session=``, ``response=`` or ``item=`` is sent as it is, so preview fields
the models do not know yet keep working. But a misspelt key is silently ignored by the service;
`warn_unknown_keys()` says so once per key per process with a ``UserWarning`` naming the
closest known field. Models are never checked (their fields are known by construction).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from typing import Any, cast

from ..models._base import Model

__all__ = ["unknown_keys", "warn_unknown_keys"]

_WARNED: set[tuple[str, str]] = set()


def _wire_names(cls: type[Model]) -> frozenset[str]:
    names = set(cls._wire_names)
    registry = cls._registry
    if registry:  # a discriminated base: the union of its variants' fields
        for sub in registry.values():
            names.update(sub._wire_names)
    return frozenset(names)


def _model_for(kind: str, value: Mapping[str, Any]) -> type[Model]:
    from .. import models

    if kind == "session":
        return models.RequestSession
    if kind == "response":
        return models.ResponseCreateParams
    # An item: the class its "type" names, else every item shape.
    base: type[Model] = models.ConversationRequestItem
    item_type = value.get("type")
    registry = base._registry or {}
    sub = registry.get(item_type) if isinstance(item_type, str) else None
    return sub if sub is not None else base


def unknown_keys(kind: str, value: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The keys of ``value`` that no field of its ``kind`` ("session", "response", "item") has,
    each with the closest known field name (or ``None``)."""
    known = _wire_names(_model_for(kind, value))
    out: list[tuple[str, str | None]] = []
    for key in value:
        if isinstance(key, str) and key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
            out.append((key, close[0] if close else None))
    return out


def warn_unknown_keys(kind: str, value: object, *, stacklevel: int = 3) -> None:
    """Warn (once per key and kind per process) about unknown keys of a plain mapping."""
    if isinstance(value, Model) or not isinstance(value, Mapping):
        return
    for key, close in unknown_keys(kind, cast("Mapping[str, Any]", value)):
        if (kind, key) in _WARNED:
            continue
        _WARNED.add((kind, key))
        hint = f"; did you mean {close!r}?" if close else ""
        warnings.warn(
            f"{kind}={{...}} has a key no Voice Live field has: {key!r}{hint} It is sent as it is "
            "(a preview field works), but the service ignores keys it does not know.",
            UserWarning,
            stacklevel=stacklevel,
        )
