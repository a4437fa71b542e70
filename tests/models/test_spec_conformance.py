"""The generated models against the public API description of azure-ai-voicelive 1.3.1
(``tools/azure-ai-voicelive-1.3.1.json``): names, fields, wire names, formats, defaults and
discriminator registries."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

import azure.ai.voicelive.models as models
from azure.ai.voicelive.models._base import Model
from azure.ai.voicelive.models._events_client import CLIENT_EVENT_TYPES
from azure.ai.voicelive.models._events_server import SERVER_EVENT_TYPES

_SPEC_PATH = Path(__file__).resolve().parents[2] / "tools" / "azure-ai-voicelive-1.3.1.json"
with open(_SPEC_PATH, encoding="utf-8") as _f:
    SPEC: dict[str, Any] = json.load(_f)
MODELS_MODULE = SPEC["modules"]["azure.ai.voicelive.models"]
SPEC_MODELS = {n: s for n, s in MODELS_MODULE["names"].items() if s["kind"] == "model"}


def test_exports_match() -> None:
    extras = set(models.__all__) - set(MODELS_MODULE["all"])
    assert set(MODELS_MODULE["all"]) <= set(models.__all__)
    # Our only additions: TypedDicts of the client-side wire shapes (for editor completion).
    assert extras and all(n.endswith(("Param", "Params")) for n in extras), sorted(extras)
    for name in extras:
        assert hasattr(models, name), name
    for name in MODELS_MODULE["all"]:
        assert hasattr(models, name), name
    assert len(SPEC_MODELS) == 168


@pytest.mark.parametrize("name", sorted(SPEC_MODELS))
def test_model_fields_and_default(name: str) -> None:
    spec = SPEC_MODELS[name]
    cls = getattr(models, name)
    assert issubclass(cls, Model)
    assert isinstance(cls(), MutableMapping)
    got = {(f.attr, f.wire, f.format) for f in cls._fields.values()}
    assert got == {(f["attr"], f["wire"], f["format"]) for f in spec["fields"]}
    # dict(Cls()) on the official package.
    assert dict(cls()) == spec["constructed_default"]
    assert cls().as_dict() == spec["constructed_default"]
    for base in spec["bases"]:
        assert issubclass(cls, getattr(models, base.rsplit(".", 1)[1]))
    for method in SPEC["model_interface"]:
        assert callable(getattr(cls, method, None)), method
    # Every field attribute reads as None on an empty model (nothing raises).
    empty = cls._from_wire({})
    for attr in cls._fields:
        assert getattr(empty, attr) is None


def test_event_type_registries_match() -> None:
    assert {t: c.__name__ for t, c in SERVER_EVENT_TYPES.items()} == SPEC["server_event_types"]
    assert {t: c.__name__ for t, c in CLIENT_EVENT_TYPES.items()} == SPEC["client_event_types"]
    assert len(SERVER_EVENT_TYPES) == 56
    assert len(CLIENT_EVENT_TYPES) == 19


@pytest.mark.parametrize("base_name", sorted(SPEC["discriminators"]))
def test_discriminator_registry(base_name: str) -> None:
    disc = SPEC["discriminators"][base_name]
    base = getattr(models, base_name)
    prop = disc["property"]
    for value, cls_name in disc["mapping"].items():
        data: dict[str, Any] = {prop: value}
        if base_name == "MessageItem":
            data["type"] = "message"
        decoded = base._from_wire(data)
        # MessageItem is itself a discriminated base: without a role it stays MessageItem.
        assert type(decoded).__name__ == cls_name
        assert decoded._data is data  # wrapped without a copy
