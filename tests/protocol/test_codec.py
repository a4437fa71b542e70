"""Deterministic tests of the frame codec: what decodes, what is an InvalidFrameError, and how
client events are serialised."""

from __future__ import annotations

import datetime
import json
import types
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import AzureError

from azure.ai.voicelive._exceptions import ConnectionError as VoiceLiveConnectionError
from azure.ai.voicelive._exceptions import InvalidFrameError
from azure.ai.voicelive._protocol.codec import decode_server_event, encode_client_event, frame_preview
from azure.ai.voicelive.models import (
    ClientEventInputAudioBufferAppend,
    ClientEventSessionUpdate,
    Modality,
    RequestSession,
    ServerEvent,
    ServerEventResponseAudioDelta,
    ServerEventResponseTextDelta,
    ServerVad,
)

_FIXTURES = Path(__file__).resolve().parents[1] / "models" / "fixtures"
with open(_FIXTURES / "server_events.json", encoding="utf-8") as _f:
    SERVER_FIXTURES: dict[str, Any] = json.load(_f)


# -- decode ---------------------------------------------------------------------------------


def test_str_bytes_and_bytearray_frames_decode_alike() -> None:
    payload = SERVER_FIXTURES["response.audio.delta"]
    text = json.dumps(payload)
    for frame in (
        text,
        text.encode(),
        bytearray(text.encode()),
        text.encode("utf-16"),
        text.encode("utf-32"),
    ):
        ev = decode_server_event(frame)
        assert type(ev) is ServerEventResponseAudioDelta
        assert ev.as_dict() == payload
    # A UTF-8 byte order mark in a bytes frame is accepted, as json.loads does.
    assert decode_server_event(b"\xef\xbb\xbf" + text.encode()).as_dict() == payload


def test_non_ascii_text_survives() -> None:
    payload = {"type": "response.text.delta", "delta": "Grüße, 東京 😀", "response_id": "r"}
    ev = decode_server_event(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    assert type(ev) is ServerEventResponseTextDelta
    assert ev.delta == "Grüße, 東京 😀"
    assert json.loads(encode_client_event(ev)) == payload


@pytest.mark.parametrize(
    "frame",
    [
        "",
        " ",
        "null",
        "true",
        "1",
        "1.5",
        '"response.audio.delta"',
        "[]",
        '[{"type": "error"}]',
        "{",
        '{"type": "error"',
        "{'type': 'error'}",
        '{"type": "error"}{"type": "error"}',
        '{"type": "error",}',
        "\ufeff{}",
        b"",
        b"\xff\xfe\xfd",
        b'{"type": "\xc3\x28"}',
        b"\x00\x00\x00",
        bytearray(b"[1, 2]"),
        "[" * 100_000,
        "{" + '"a":' * 10 + "}",
        '{"a": ' + "1" * 5000 + "}",  # over Python's int-string digit limit
    ],
)
def test_invalid_frames_raise_invalid_frame_error(frame: str | bytes | bytearray) -> None:
    with pytest.raises(InvalidFrameError) as info:
        decode_server_event(frame)
    exc = info.value
    assert isinstance(exc, VoiceLiveConnectionError)
    assert isinstance(exc, AzureError)
    assert len(exc.frame) <= 200
    assert exc.frame == frame[:200]
    assert "frame" in str(exc)


def test_invalid_frame_error_message_previews_only_the_start() -> None:
    big = "[" + "1," * 100_000 + "2]"
    with pytest.raises(InvalidFrameError) as info:
        decode_server_event(big)
    assert len(str(info.value)) < 600
    assert str(info.value).count("1,") <= 200
    assert frame_preview(big).endswith("...")
    assert frame_preview("short") == "short"
    assert frame_preview(b"\xff" * 300).startswith("\ufffd")
    assert len(frame_preview("x" * 1000, limit=10)) == 13


@pytest.mark.parametrize("type_value", [None, 1, 1.5, True, "", "ERROR", "Error", "response.audio.delta "])
def test_unknown_or_odd_type_values_give_the_base(type_value: Any) -> None:
    payload = {"type": type_value, "event_id": "e1", "x": [1]}
    ev = decode_server_event(json.dumps(payload))
    assert type(ev) is ServerEvent
    assert ev.as_dict() == payload


def test_missing_type_gives_the_base() -> None:
    ev = decode_server_event('{"event_id": "e1"}')
    assert type(ev) is ServerEvent
    assert ev.type is None
    assert ev.as_dict() == {"event_id": "e1"}


def test_decode_is_lazy_about_field_contents() -> None:
    # Invalid contents of known fields never fail the decode; they fail (or not) on access.
    ev = decode_server_event('{"type": "response.audio.delta", "delta": "not base64!", "item_id": 5}')
    assert type(ev) is ServerEventResponseAudioDelta
    assert ev.item_id == 5
    with pytest.raises(ValueError, match="delta"):
        _ = ev.delta


def test_each_decode_gives_a_new_independent_event() -> None:
    text = json.dumps(SERVER_FIXTURES["session.created"])
    a = decode_server_event(text)
    b = decode_server_event(text)
    assert a == b and a is not b
    a.session.turn_detection.threshold = 0.1
    assert b.session.turn_detection.threshold == 0.5


# -- encode ---------------------------------------------------------------------------------


def test_encode_is_compact_json() -> None:
    assert (
        encode_client_event({"type": "input_audio_buffer.commit"}) == '{"type":"input_audio_buffer.commit"}'
    )
    ev = ServerVad(threshold=0.5)
    assert encode_client_event(ev) == '{"type":"server_vad","threshold":0.5}'


def test_encode_models_mappings_and_json_values() -> None:
    ev = ClientEventSessionUpdate(session=RequestSession(modalities=[Modality.TEXT]))
    assert json.loads(encode_client_event(ev)) == {
        "type": "session.update",
        "session": {"modalities": ["text"]},
    }
    proxy = types.MappingProxyType({"type": "response.cancel"})
    assert json.loads(encode_client_event(proxy)) == {"type": "response.cancel"}
    assert json.loads(encode_client_event([1, "a", None])) == [1, "a", None]


def test_encode_converts_models_enums_bytes_and_datetimes_inside_plain_dicts() -> None:
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    payload = {
        "type": "session.update",
        "session": RequestSession(turn_detection=ServerVad(threshold=0.3)),
        "modalities": (Modality.AUDIO, Modality.TEXT),
        "audio": b"\x00\x01",
        "when": when,
        "nested": {"list": [ServerVad(), {"m": Modality.TEXT}]},
    }
    before = dict(payload)
    out = json.loads(encode_client_event(payload))
    assert out == {
        "type": "session.update",
        "session": {"turn_detection": {"type": "server_vad", "threshold": 0.3}},
        "modalities": ["audio", "text"],
        "audio": "AAE=",
        "when": int(when.timestamp()),
        "nested": {"list": [{"type": "server_vad"}, {"m": "text"}]},
    }
    assert payload == before  # the caller's dict is not modified
    assert payload["audio"] == b"\x00\x01"


def test_encode_converts_raw_values_written_into_a_model_wire_dict() -> None:
    ev = ClientEventInputAudioBufferAppend(audio="AAAA")
    ev["extra"] = {"k": "v"}
    ev["extra"]["raw_bytes"] = b"\x01"  # written into the plain nested dict: not converted yet
    assert json.loads(encode_client_event(ev))["extra"] == {"k": "v", "raw_bytes": "AQ=="}


@pytest.mark.parametrize("value", [{1, 2}, object(), {"a": {1, 2}}, {"a": object()}, {(1, 2): "tuple key"}])
def test_encode_rejects_non_json_values_with_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="JSON"):
        encode_client_event(value)


def test_encode_of_model_with_non_json_value_raises_type_error() -> None:
    ev = ServerVad()
    ev["bad"] = {1, 2}
    with pytest.raises(TypeError):
        encode_client_event(ev)


# -- regressions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame", ['{"type": []}', '{"type": {}}', '{"type": ["response.audio.delta"]}', '{"type": {"a": [1]}}']
)
def test_unhashable_type_value_gives_the_base(frame: str) -> None:
    # Regression: the registry lookup used to raise TypeError (unhashable) out of the decoder.
    ev = decode_server_event(frame)
    assert type(ev) is ServerEvent
    assert ev.as_dict() == json.loads(frame)
    assert ev.type == json.loads(frame)["type"]
    assert json.loads(encode_client_event(ev)) == json.loads(frame)


def test_circular_value_raises_type_error() -> None:
    value: dict[str, Any] = {"type": "x"}
    value["self"] = value
    with pytest.raises(TypeError):
        encode_client_event(value)
