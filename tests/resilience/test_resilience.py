"""The sans-I/O reconnect core: classification, backoff, carry-over state, the outage queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from azure.ai.voicelive._resilience import (
    CARRY_PREFIX,
    CallState,
    Disconnect,
    OutageQueue,
    ReconnectPolicy,
    RetryBudget,
    is_session_expired,
    should_retry,
)


# --------------------------------------------------------------------------- classification
@pytest.mark.parametrize("code", [1001, 1006, 1011, 1012, 1013, 1014])
def test_transient_close_codes_are_retried(code: int) -> None:
    assert should_retry(Disconnect("closed", code=code))


@pytest.mark.parametrize("code", [1000, 1002, 1003, 1007, 1008, 1009, 1010, 4000])
def test_final_close_codes_are_not_retried(code: int) -> None:
    assert not should_retry(Disconnect("closed", code=code))


def test_session_expired_is_retried() -> None:
    assert should_retry(Disconnect("session_expired", code=1001))


@pytest.mark.parametrize("status", [None, 401, 403, 408, 429, 500, 502, 503, 504])
def test_retried_handshake_failures(status: int | None) -> None:
    assert should_retry(Disconnect("handshake", status_code=status))


@pytest.mark.parametrize("status", [400, 404, 302, 409, 422])
def test_handshake_failures_not_retried(status: int) -> None:
    assert not should_retry(Disconnect("handshake", status_code=status))


def test_policy_override_decides_and_none_falls_back() -> None:
    seen: list[Disconnect] = []

    def decide(d: Disconnect) -> bool | None:
        seen.append(d)
        if d.code == 1000:
            return True
        if d.code == 1012:
            return False
        return None

    policy = ReconnectPolicy(should_retry=decide)
    assert policy.retries(Disconnect("closed", code=1000))
    assert not policy.retries(Disconnect("closed", code=1012))
    assert policy.retries(Disconnect("closed", code=1006))  # None: the default
    assert [d.code for d in seen] == [1000, 1012, 1006]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("max_attempts", 0, ValueError),
        ("max_attempts", 1.5, ValueError),
        ("max_elapsed", -1, ValueError),
        ("base_delay", float("nan"), ValueError),
        ("max_delay", float("inf"), ValueError),
        ("max_buffered_audio", "3", ValueError),
        ("rotate_before", -5, ValueError),
        ("carry_over_timeout", 0, ValueError),
        ("max_queued_events", 0, ValueError),
        ("replay_conversation", "yes", ValueError),
        ("should_retry", 3, TypeError),
    ],
)
def test_policy_rejects_bad_values(field: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=field):
        ReconnectPolicy(**{field: value})


# --------------------------------------------------------------------------- backoff
def test_full_jitter_doubles_up_to_the_cap() -> None:
    policy = ReconnectPolicy(base_delay=0.1, max_delay=1.0, max_attempts=10, max_elapsed=1000)
    budget = RetryBudget(policy, started=0.0, rng=lambda: 0.999999)
    drop = Disconnect("closed", code=1006)
    delays = [budget.next_delay(drop, now=0.0) for _ in range(6)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0], rel=1e-4)
    low = RetryBudget(policy, started=0.0, rng=lambda: 0.0)
    assert low.next_delay(drop, now=0.0) == 0.0


def test_retry_after_is_honoured_beyond_the_jitter() -> None:
    budget = RetryBudget(ReconnectPolicy(max_delay=0.5), started=0.0, rng=lambda: 0.5)
    assert budget.next_delay(Disconnect("handshake", status_code=429, retry_after=7.0), now=1.0) == 7.0


def test_attempt_limit_and_total_time_limit() -> None:
    budget = RetryBudget(ReconnectPolicy(max_attempts=2), started=0.0, rng=lambda: 0.0)
    drop = Disconnect("closed", code=1006)
    assert budget.next_delay(drop, 0.0) is not None
    assert budget.next_delay(drop, 0.0) is not None
    assert budget.next_delay(drop, 0.0) is None
    assert budget.attempts == 2 and "2 attempts" in budget.gave_up_because

    timed = RetryBudget(ReconnectPolicy(max_elapsed=10.0), started=100.0, rng=lambda: 0.0)
    assert timed.next_delay(Disconnect("handshake", status_code=503, retry_after=11.0), 100.0) is None
    assert "max_elapsed" in timed.gave_up_because
    assert timed.next_delay(Disconnect("handshake", status_code=503), 109.0) == 0.0
    assert timed.next_delay(Disconnect("handshake", status_code=503), 110.5) is None


def test_auth_failure_gets_exactly_one_more_attempt() -> None:
    budget = RetryBudget(ReconnectPolicy(), started=0.0, rng=lambda: 0.0)
    assert budget.next_delay(Disconnect("handshake", status_code=401), 0.0) is not None
    assert budget.next_delay(Disconnect("handshake", status_code=403), 0.0) is None
    assert "authentication" in budget.gave_up_because


def test_not_retryable_gives_up_at_once() -> None:
    budget = RetryBudget(ReconnectPolicy(), started=0.0)
    assert budget.next_delay(Disconnect("closed", code=1000), 0.0) is None
    assert budget.attempts == 0


# --------------------------------------------------------------------------- call state
def _sent(state: CallState, event: dict[str, Any]) -> None:
    state.sent(json.dumps(event))


def _created(item: dict[str, Any], previous: str | None = None) -> dict[str, Any]:
    return {"type": "conversation.item.created", "previous_item_id": previous, "item": item}


def test_session_updates_are_merged_last_wins() -> None:
    state = CallState()
    _sent(state, {"type": "session.update", "session": {"instructions": "a", "voice": "alloy"}})
    _sent(state, {"type": "session.update", "session": {"instructions": "b", "turn_detection": None}})
    events, carried = state.carry_over_events(replay=True)
    assert events == [
        {
            "type": "session.update",
            "session": {"instructions": "b", "voice": "alloy", "turn_detection": None},
            "event_id": f"{CARRY_PREFIX}0",
        }
    ]
    assert carried.session_restored and carried.items_replayed == 0


def test_conversation_replayed_as_text_function_calls_and_outputs() -> None:
    state = CallState()
    state.received({"type": "session.created", "session": {"id": "s1", "expires_at": 1700000000}})
    user_audio = {
        "id": "u1",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    state.received(_created(user_audio))
    state.received(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "u1",
            "content_index": 0,
            "transcript": "what's the weather",
        }
    )
    call = {"id": "f1", "type": "function_call", "status": "completed", "name": "weather", "call_id": "c1"}
    state.received(_created({**call, "status": "in_progress"}))
    state.received({"type": "response.output_item.done", "item": {**call, "arguments": '{"city":"Oslo"}'}})
    state.received(
        _created({"id": "o1", "type": "function_call_output", "call_id": "c1", "output": '{"t": 3}'})
    )
    spoken = {
        "id": "a1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "audio", "transcript": "It is 3 degrees."}],
    }
    state.received({"type": "response.output_item.done", "item": spoken})
    silent = {"id": "u2", "type": "message", "role": "user", "content": [{"type": "input_audio"}]}
    state.received(_created(silent))
    partial = {"id": "a2", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    state.received(_created(partial))
    state.received(_created({"id": "gone", "type": "message", "role": "user", "content": []}))
    state.received({"type": "conversation.item.deleted", "item_id": "gone"})

    events, carried = state.carry_over_events(replay=True)
    assert [e["item"] for e in events] == [
        {
            "type": "message",
            "id": "u1",
            "role": "user",
            "content": [{"type": "input_text", "text": "what's the weather"}],
        },
        {
            "type": "function_call",
            "id": "f1",
            "call_id": "c1",
            "name": "weather",
            "arguments": '{"city":"Oslo"}',
        },
        {"type": "function_call_output", "id": "o1", "call_id": "c1", "output": '{"t": 3}'},
        {
            "type": "message",
            "id": "a1",
            "role": "assistant",
            "content": [{"type": "text", "text": "It is 3 degrees."}],
        },
    ]
    assert all(e["type"] == "conversation.item.create" for e in events)
    assert [e["event_id"] for e in events] == [f"{CARRY_PREFIX}{n}" for n in range(4)]
    assert carried.items_replayed == 4 and carried.items_not_replayed == 2
    assert any("u2" in why and "audio without a transcript" in why for why in carried.lost)
    assert any("a2" in why and "incomplete" in why for why in carried.lost)
    assert state.session_id == "s1" and state.expires_at == 1700000000.0


def test_previous_item_id_inserts_in_place() -> None:
    state = CallState()
    for item_id in ("a", "c"):
        state.received(_created({"id": item_id, "type": "message", "role": "user", "content": []}))
    state.received(_created({"id": "b", "type": "message", "role": "user", "content": []}, previous="a"))
    state.received(_created({"id": "z", "type": "message", "role": "user", "content": []}, previous="root"))
    assert list(state.items) == ["z", "a", "b", "c"]


def test_items_sent_but_not_confirmed_are_replayed_once() -> None:
    state = CallState()
    confirmed = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]}
    unconfirmed = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "b"}]}
    _sent(state, {"type": "conversation.item.create", "item": confirmed})
    state.sent(json.dumps({"type": "conversation.item.create", "item": unconfirmed}), written=False)
    state.written(json.dumps({"type": "conversation.item.create", "item": unconfirmed}))
    # The echo carries an id, status and object; it still matches what was sent.
    state.received(_created({**confirmed, "id": "i1", "status": "completed", "object": "realtime.item"}))
    events, carried = state.carry_over_events(replay=True)
    assert [e["item"] for e in events] == [
        {"type": "message", "id": "i1", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "b"}]},
    ]
    assert carried.items_replayed == 2
    state.new_session()  # the new session acknowledged the replay: nothing is pending any more
    assert len(state.carry_over_events(replay=True)[0]) == 1


def test_replay_off_reports_the_items_as_lost() -> None:
    state = CallState()
    state.received(
        _created(
            {"id": "u", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
        )
    )
    events, carried = state.carry_over_events(replay=False)
    assert events == [] and carried.items_not_replayed == 1 and "replay_conversation=False" in carried.lost[0]


def test_quiet_and_what_an_interruption_loses() -> None:
    state = CallState()
    assert state.quiet and state.interrupted() == []
    _sent(state, {"type": "response.create"})
    assert not state.quiet
    state.received({"type": "response.created", "response": {"id": "r1"}})
    assert not state.quiet and "response r1 was interrupted" in state.interrupted()[0]
    state.received({"type": "response.done", "response": {"id": "r1"}})
    assert state.quiet
    state.received({"type": "input_audio_buffer.speech_started"})
    assert not state.quiet and "speech" in state.interrupted()[0]
    state.received({"type": "input_audio_buffer.committed"})
    assert state.quiet
    # Manual turns: appended but uncommitted audio is a turn in progress.
    state.audio_sent()
    assert state.quiet  # server VAD decides turns: audio alone is not a turn
    _sent(state, {"type": "session.update", "session": {"turn_detection": None}})
    assert state.manual_turns and not state.quiet
    _sent(state, {"type": "input_audio_buffer.commit"})
    assert state.quiet


def test_changes_count_what_carry_over_depends_on() -> None:
    state = CallState()
    before = state.changes
    state.audio_sent()
    state.received({"type": "response.audio.delta", "delta": "AAAA"})
    assert state.changes == before
    _sent(state, {"type": "conversation.item.create", "item": {}})
    assert state.changes == before + 1


def test_input_bytes_per_second_follows_the_format() -> None:
    state = CallState()
    assert state.input_bytes_per_second() == 48000
    _sent(state, {"type": "session.update", "session": {"input_audio_sampling_rate": 16000}})
    assert state.input_bytes_per_second() == 32000
    _sent(state, {"type": "session.update", "session": {"input_audio_format": "g711_ulaw"}})
    assert state.input_bytes_per_second() == 8000


def test_session_expired_error_is_recognised() -> None:
    assert is_session_expired({"type": "error", "error": {"code": "session_expired", "message": "m"}})
    assert not is_session_expired({"type": "error", "error": {"code": "other"}})
    assert not is_session_expired({"type": "session.created"})


# --------------------------------------------------------------------------- outage queue
def test_outage_queue_keeps_order_and_drops_oldest_audio_only() -> None:
    queue: OutageQueue[str] = OutageQueue(max_audio_bytes=2000, max_events=10)
    queue.put_audio("a1", 960)
    queue.put_event("commit", "w1")
    queue.put_audio("a2", 960)
    queue.put_audio("a3", 960)  # 2880 > 2000: the oldest audio (a1) goes
    assert queue.dropped_audio_bytes == 960 and queue.dropped_audio_chunks == 1
    taken = []
    while (entry := queue.take()) is not None:
        taken.append(entry)
    assert taken == [("commit", 0, "w1"), ("a2", 960, None), ("a3", 960, None)]
    assert queue.audio_bytes == 0 and queue.events == 0


def test_outage_queue_bounds_control_events_and_puts_back() -> None:
    queue: OutageQueue[str] = OutageQueue(max_audio_bytes=0, max_events=1)
    queue.put_event("e1", "w1")
    with pytest.raises(OverflowError):
        queue.put_event("e2", "w2")
    queue.put_audio("big", 10)  # larger than the whole bound: dropped and counted
    assert queue.dropped_audio_chunks == 1 and len(queue) == 1
    entry = queue.take()
    assert entry == ("e1", 0, "w1")
    queue.push_front(*entry)
    assert queue.waiters() == ["w1"] and queue.events == 1
