"""Property test: no client input, however odd, breaks the fake session or its wire shapes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azure.ai.voicelive.audio import pcm16_to_base64, sine_pcm16
from azure.ai.voicelive.testing import Simulator

TYPES = [
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "input_audio.turn.start",
    "input_audio.turn.append",
    "input_audio.turn.end",
    "input_text.delta",
    "input_text.done",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.delete",
    "conversation.item.truncate",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
    "made.up",
]
KEYS = [
    "session",
    "audio",
    "item",
    "item_id",
    "previous_item_id",
    "content_index",
    "audio_end_ms",
    "response",
    "response_id",
    "turn_id",
    "id",
    "delta",
    "additional_instructions",
]
AUDIO = pcm16_to_base64(sine_pcm16(200, 5))  # small: hypothesis warns about huge reprs

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        ["", "root", "item_1", "item_2", "resp_1", "t1", "x", AUDIO, "!!", "pcm16", "alloy", "auto"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "role",
                    "content",
                    "text",
                    "voice",
                    "turn_detection",
                    "modalities",
                    "tools",
                    "name",
                    "audio",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=8,
)
plausible = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={
        "event_id": st.sampled_from(["e1", "e2"]),
        **{key: json_values for key in KEYS},
    },
)
items = st.fixed_dictionaries(
    {
        "type": st.just("conversation.item.create"),
        "item": st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "function_call", "function_call_output", "other"])},
            optional={
                "role": st.sampled_from(["user", "assistant", "system", "x"]),
                "content": st.lists(
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(
                                ["input_text", "input_audio", "text", "audio", "input_image"]
                            )
                        },
                        optional={
                            "text": scalars,
                            "audio": scalars,
                            "transcript": scalars,
                            "image_url": scalars,
                        },
                    ),
                    max_size=2,
                ),
                "call_id": scalars,
                "output": scalars,
                "name": scalars,
                "arguments": scalars,
                "id": scalars,
            },
        ),
    },
    optional={"previous_item_id": scalars},
)
events = st.lists(st.one_of(plausible, items, json_values), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_any_input_gives_well_formed_events_and_the_session_survives(
    spec_checker: Any, batch: list[Any]
) -> None:
    sim = Simulator()
    out = sim.start()
    for event in batch:
        produced = sim.handle(event)
        for e in produced:
            if e["type"] == "error":
                assert e["error"]["code"] != "internal_error", e
                expected = event.get("event_id") if isinstance(event, dict) else None
                assert e["error"]["event_id"] == (expected if isinstance(expected, str) else None)
        out += produced
        out += [e for e in (sim.pop_stream() for _ in range(3)) if e is not None]
    out += sim.drain()
    # afterwards the session still answers a plain text turn
    out += sim.handle({"type": "input_audio_buffer.clear"})
    out += sim.handle(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "still ok?"}],
            },
        }
    )
    if sim.response_active:
        out += sim.handle({"type": "response.cancel"})
    out += sim.handle({"type": "response.create", "response": {"modalities": ["text"]}})
    tail = sim.drain()
    out += tail
    assert tail[-1]["type"] == "response.done", tail[-3:]
    assert tail[-1]["response"]["status"] in ("completed", "incomplete")
    ids = [e["event_id"] for e in out]
    assert len(ids) == len(set(ids))
    for e in out:
        json.dumps(e)
        if spec_checker is not None:
            assert not spec_checker.event(e), (e, spec_checker.event(e))
