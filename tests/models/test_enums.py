"""Enums: ``str`` enums with case-insensitive member lookup that serialise to their values."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.core import CaseInsensitiveEnumMeta

import azure.ai.voicelive.models as models
from azure.ai.voicelive._protocol.codec import encode_client_event
from azure.ai.voicelive.models import (
    Background,
    ClientEventSessionUpdate,
    InputAudioFormat,
    Modality,
    OutputAudioFormat,
    RequestSession,
    ServerEventType,
    TurnDetectionType,
)

_SPEC_PATH = Path(__file__).resolve().parents[2] / "tools" / "azure-ai-voicelive-1.3.1.json"
with open(_SPEC_PATH, encoding="utf-8") as _f:
    _NAMES: dict[str, Any] = json.load(_f)["modules"]["azure.ai.voicelive.models"]["names"]
SPEC_ENUMS = {name: spec for name, spec in _NAMES.items() if spec["kind"] == "enum"}
ENUMS: list[type[enum.Enum]] = [getattr(models, name) for name in sorted(SPEC_ENUMS)]


def test_modality_basics() -> None:
    assert issubclass(Modality, str)
    assert isinstance(Modality.TEXT, str)
    assert Modality.TEXT == "text"
    assert "text" == Modality.TEXT  # noqa: SIM300  (reflected comparison)
    assert Modality.TEXT != "TEXT"
    assert Modality["text"] is Modality.TEXT
    assert Modality["TEXT"] is Modality.TEXT
    assert Modality["Text"] is Modality.TEXT
    assert Modality.text is Modality.TEXT
    assert Modality.Audio is Modality.AUDIO
    assert Modality("text") is Modality.TEXT
    with pytest.raises(ValueError):
        Modality("TEXT")
    with pytest.raises(ValueError):
        Modality("video")
    with pytest.raises(KeyError):
        Modality["video"]
    with pytest.raises(AttributeError):
        _ = Modality.video
    assert Modality.TEXT.value == "text"
    assert hash(Modality.TEXT) == hash("text")
    assert {"text": 1}[Modality.TEXT] == 1


def test_json_dumps_gives_plain_values() -> None:
    data = {"modalities": [Modality.TEXT, Modality.AUDIO], "fmt": InputAudioFormat.G711_ULAW}
    assert json.dumps(data) == '{"modalities": ["text", "audio"], "fmt": "g711_ulaw"}'
    assert json.loads(encode_client_event(data)) == {"modalities": ["text", "audio"], "fmt": "g711_ulaw"}
    # Through a model, the stored values are plain str.
    ev = ClientEventSessionUpdate(
        session=RequestSession(
            modalities=[Modality.AUDIO], output_audio_format=OutputAudioFormat.PCM16_16000_HZ
        )
    )
    assert type(ev["session"]["modalities"][0]) is str
    assert type(ev["session"]["output_audio_format"]) is str
    assert json.loads(encode_client_event(ev)) == {
        "type": "session.update",
        "session": {"modalities": ["audio"], "output_audio_format": "pcm16_16000hz"},
    }


def test_enum_values_match_the_api_description() -> None:
    assert len(ENUMS) == 31
    for cls in ENUMS:
        spec = SPEC_ENUMS[cls.__name__]
        assert [(m.name, m.value) for m in cls] == [(m["name"], m["value"]) for m in spec["members"]]


@pytest.mark.parametrize("cls", ENUMS, ids=lambda c: c.__name__)
def test_every_enum_member(cls: type[enum.Enum]) -> None:
    assert issubclass(cls, str)
    assert issubclass(cls, enum.Enum)
    assert isinstance(cls, CaseInsensitiveEnumMeta)
    probes = SPEC_ENUMS[cls.__name__]["behaviour_probes"]
    first = next(iter(cls))
    assert str(first) == probes["str()"] == f"{cls.__name__}.{first.name}"
    if sys.version_info >= (3, 11):  # the spec was captured on 3.11; 3.10 formats str enums as the value
        assert format(first) == probes["format()"]
        assert f"{first}" == probes["format()"]
    else:
        assert format(first) == first.value
    for member in cls:
        value = member.value
        assert type(value) is str
        assert member == value
        assert value == member
        assert cls(value) is member
        assert cls[member.name] is member
        assert cls[member.name.lower()] is member
        assert getattr(cls, member.name.lower()) is member
        if value.upper() != value and value.upper() not in {m.value for m in cls}:
            with pytest.raises(ValueError):
                cls(value.upper())
        # Serialises to the plain value and comes back as the same member.
        text = json.dumps({"v": member})
        assert text == json.dumps({"v": value})
        back = json.loads(text)["v"]
        assert type(back) is str and cls(back) is member
        # Through a model: stored as the plain value, round-trips through encode.
        bg = Background(color=member)
        assert type(bg["color"]) is str
        assert bg.as_dict() == {"color": value}
        assert cls(json.loads(encode_client_event(bg))["color"]) is member


def test_event_type_enums_cover_the_event_classes() -> None:
    from azure.ai.voicelive.models._events_server import SERVER_EVENT_TYPES

    assert {m.value for m in ServerEventType} == set(SERVER_EVENT_TYPES)
    for value, cls in SERVER_EVENT_TYPES.items():
        assert cls().type == ServerEventType(value)
    assert models.ServerVad().type == TurnDetectionType.SERVER_VAD


# --- lookups as on the official 1.3.1 package (observed there for every member) ------------------
# Value lookup ``Enum(value)`` is exact (case-sensitive), except for the legacy hyphenated output
# formats, accepted in any case; name lookup (``Enum[name]``, ``Enum.name``) ignores case.
LEGACY = {"pcm16-8000hz": OutputAudioFormat.PCM16_8000_HZ, "pcm16-16000hz": OutputAudioFormat.PCM16_16000_HZ}
MEMBERS = [pytest.param(cls, member, id=f"{cls.__name__}.{member.name}") for cls in ENUMS for member in cls]


def _spellings(value: str) -> set[str]:
    swapped = {value.replace("_", "-"), value.replace("-", "_")}
    return {value, value.upper(), value.lower(), value.title(), *swapped, *(s.upper() for s in swapped)}


@pytest.mark.parametrize(("cls", "member"), MEMBERS)
def test_value_lookup_in_every_spelling(cls: type[enum.Enum], member: enum.Enum) -> None:
    assert cls(member.value) is member
    for spelling in _spellings(member.value):
        legacy = LEGACY.get(spelling.lower()) if cls is OutputAudioFormat else None
        if spelling == member.value:
            assert cls(spelling) is member
        elif legacy is not None:
            assert cls(spelling) is legacy
        elif spelling not in {m.value for m in cls}:
            with pytest.raises(ValueError, match="is not a valid"):
                cls(spelling)


@pytest.mark.parametrize(("cls", "member"), MEMBERS)
def test_name_lookup_ignores_case(cls: type[enum.Enum], member: enum.Enum) -> None:
    for spelling in (member.name, member.name.lower(), member.name.title()):
        assert cls[spelling] is member
        assert getattr(cls, spelling) is member


@pytest.mark.parametrize("spelling", ["pcm16-8000hz", "PCM16-8000HZ", "Pcm16-16000Hz", "pcm16-16000hz"])
def test_output_audio_format_accepts_legacy_values(spelling: str) -> None:
    member = OutputAudioFormat(spelling)
    assert member is LEGACY[spelling.lower()]
    assert member.value == spelling.lower().replace("-", "_")
    assert RequestSession(output_audio_format=member).as_dict() == {"output_audio_format": member.value}


def test_unknown_value_still_raises() -> None:
    with pytest.raises(ValueError, match="'pcm32' is not a valid OutputAudioFormat"):
        OutputAudioFormat("pcm32")
    with pytest.raises(ValueError):
        OutputAudioFormat(8000)
