"""Regressions of the model layer: bugs found by the fuzz and model tests, each fixed in
``models/_base.py`` (unhashable discriminators, out-of-range timestamps, copy keeping the class,
pickle adding no defaults, very deep frames, setting a field to None removing it)."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from azure.ai.voicelive._exceptions import InvalidFrameError
from azure.ai.voicelive._protocol.codec import decode_server_event, encode_client_event
from azure.ai.voicelive.models import (
    ClientEventConversationItemCreate,
    MessageItem,
    ServerEvent,
    ServerEventResponseAudioTimestampDelta,
    ServerVad,
)

with open(Path(__file__).parent / "fixtures" / "server_events.json", encoding="utf-8") as _f:
    SERVER_FIXTURES: dict[str, Any] = json.load(_f)


@pytest.mark.parametrize(
    ("frame", "read"),
    [
        (
            {"type": "conversation.item.created", "item": {"type": ["message"], "id": "i"}},
            lambda ev: ev.item,
        ),
        ({"type": "session.created", "session": {"voice": {"type": {"x": 1}}}}, lambda ev: ev.session.voice),
        ({"type": "session.created", "session": {"tools": [{"type": []}]}}, lambda ev: ev.session.tools),
        (
            {"type": "session.created", "session": {"turn_detection": {"type": [], "threshold": 0.5}}},
            lambda ev: ev.session.turn_detection,
        ),
        (
            {"type": "response.done", "response": {"status_details": {"type": {"failed": True}}}},
            lambda ev: ev.response.status_details,
        ),
    ],
    ids=["item", "voice-union", "tools-list", "turn-detection", "status-details"],
)
def test_bug_unhashable_nested_discriminator(frame: dict[str, Any], read: Any) -> None:
    ev = decode_server_event(json.dumps(frame))
    read(ev)  # must not raise
    assert ev.as_dict() == frame


@pytest.mark.parametrize("how", ["copy", "copy.copy", "copy.deepcopy"])
def test_bug_copy_of_event_with_unhashable_type(how: str) -> None:
    ev = decode_server_event('{"type": ["x"], "event_id": "e"}')
    assert type(ev) is ServerEvent
    makers = {"copy": ev.copy, "copy.copy": lambda: copy.copy(ev), "copy.deepcopy": lambda: copy.deepcopy(ev)}
    dup = makers[how]()
    assert dup == {"type": ["x"], "event_id": "e"}
    assert type(dup) is ServerEvent


def test_bug_unhashable_message_role() -> None:
    payload = {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": ["user"], "content": []},
    }
    ev = ClientEventConversationItemCreate(payload)
    assert ev.item == payload["item"]


@pytest.mark.parametrize("raw", ["1e20", "100000000000000000", "-1e20", "NaN", "Infinity"])
def test_bug_out_of_range_timestamp(raw: str) -> None:
    ev = decode_server_event('{"type": "session.created", "session": {"expires_at": ' + raw + "}}")
    expected = ev["session"]["expires_at"]
    try:
        value = ev.session.expires_at
    except ValueError as exc:
        assert "expires_at" in str(exc)
        return
    assert value is expected


@pytest.mark.parametrize("case", ["event_id", "threshold", "item"])
def test_divergence_setting_attribute_to_none_removes_key(case: str) -> None:
    if case == "event_id":
        model: Any = decode_server_event(json.dumps(SERVER_FIXTURES["response.text.delta"]))
        model.event_id = None
        assert "event_id" not in model
    elif case == "threshold":
        model = ServerVad(threshold=0.5)
        model.threshold = None
        assert model.as_dict() == {"type": "server_vad"}
    else:
        model = decode_server_event(json.dumps(SERVER_FIXTURES["conversation.item.created"]))
        _ = model.item
        model.item = None
        assert "item" not in model
    assert model.get(case) is None


@pytest.mark.parametrize(
    "model",
    [
        lambda: ServerEvent({"type": "response.audio.delta", "delta": "AAAA"}),
        lambda: MessageItem(role="user"),
    ],
    ids=["ServerEvent", "MessageItem"],
)
@pytest.mark.parametrize("how", ["copy", "copy.copy", "copy.deepcopy"])
def test_bug_copy_of_discriminated_base_changes_class(model: Any, how: str) -> None:
    original = model()
    makers = {
        "copy": original.copy,
        "copy.copy": lambda: copy.copy(original),
        "copy.deepcopy": lambda: copy.deepcopy(original),
    }
    dup = makers[how]()
    assert dup == original
    assert type(dup) is type(original)


@pytest.mark.parametrize("case", ["missing-default-field", "deleted-type"])
def test_bug_pickle_adds_defaults(case: str) -> None:
    if case == "missing-default-field":
        # A server frame without the optional-on-the-wire "timestamp_type".
        payload = dict(SERVER_FIXTURES["response.audio_timestamp.delta"])
        del payload["timestamp_type"]
        ev = decode_server_event(json.dumps(payload))
        assert type(ev) is ServerEventResponseAudioTimestampDelta
    else:
        ev = decode_server_event(json.dumps(SERVER_FIXTURES["response.audio.delta"]))
        del ev["type"]
        payload = ev.as_dict()
    back = pickle.loads(pickle.dumps(ev))
    assert back.as_dict() == payload


def _deepest_decodable_frame() -> str:
    """The deepest ``{"type": "x", "v": [[[...]]]}`` frame the decoder accepts here."""
    best = '{"type":"x","v":[]}'
    depth = 100
    while depth <= 20_000:
        text = '{"type":"x","v":' + "[" * depth + "]" * depth + "}"
        try:
            decode_server_event(text)
        except InvalidFrameError:
            break
        best = text
        depth += 50
    return best


@pytest.mark.parametrize("op", ["as_dict", "copy", "repr"])
def test_bug_deep_but_decodable_frame(op: str) -> None:
    text = _deepest_decodable_frame()
    ev = decode_server_event(text)
    expected = json.loads(text)
    try:
        if op == "as_dict":
            assert ev.as_dict() == expected
        elif op == "copy":
            assert ev.copy() == expected
        else:
            assert repr(ev).startswith("ServerEvent(")
    except RecursionError:
        # Re-raised from here: pytest would otherwise format a ~1000-frame traceback.
        raise RecursionError(f"{op}() of a frame the decoder accepted") from None
    assert json.loads(encode_client_event(ev)) == expected
