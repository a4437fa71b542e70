"""Shared fixtures for the fake-service tests.

``harness`` wraps a :class:`Simulator` and checks every server event it produces against the
official 1.3.1 model spec (the repository's copy, ``tools/azure-ai-voicelive-1.3.1.json``): every
non-Optional field of the event's class (and of nested models, following discriminators) must be
there with the right JSON type, and every event id must be unique.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from azure.ai.voicelive.audio import pcm16_to_base64
from azure.ai.voicelive.testing import Simulator

SPEC_PATH = Path(
    os.environ.get(
        "VOICELIVE_API_SPEC",
        Path(__file__).resolve().parents[2] / "tools" / "azure-ai-voicelive-1.3.1.json",
    )
)


# Fields the 1.3.1 models mark required that the service leaves out: the user's audio is never
# echoed back in an input_audio part (the fake follows the service, not the model).
SERVICE_OMITS = {("RequestAudioContentPart", "audio")}


class SpecChecker:
    """Checks wire dicts against the model fields recorded in the API spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.models: dict[str, Any] = spec["modules"]["azure.ai.voicelive.models"]["names"]
        self.events: dict[str, str] = spec["server_event_types"]
        self.discriminators: dict[str, Any] = spec["discriminators"]

    def event(self, event: dict[str, Any]) -> list[str]:
        cls = self.events.get(event.get("type", ""))
        if cls is None:
            return [f"unknown server event type {event.get('type')!r}"]
        errors: list[str] = []
        self._model(event, cls, event["type"], errors)
        return errors

    def _model(self, value: Any, cls: str, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object for {cls}, got {value!r}")
            return
        disc = self.discriminators.get(cls)
        if disc is not None:
            sub = disc["mapping"].get(value.get(disc["property"]))
            if sub is None:
                errors.append(f"{path}: {cls}.{disc['property']}={value.get(disc['property'])!r} is unknown")
                return
            cls = sub
        for field in self.models[cls].get("fields", ()):
            ann = field["annotation"]
            optional = ann.startswith("Optional[") or "NoneType" in ann
            wire = field["wire"]
            if value.get(wire) is None:
                if not optional and (cls, wire) not in SERVICE_OMITS:
                    errors.append(f"{path}.{wire}: required by {cls} but missing")
                continue
            self._value(value[wire], ann, f"{path}.{wire}", errors)

    def _value(self, value: Any, ann: str, path: str, errors: list[str]) -> None:
        ann = ann.strip().strip("'\"")
        if ann.startswith("Optional["):
            self._value(value, ann[9:-1], path, errors)
        elif ann.startswith("Union["):
            members = [m for m in _split(ann[6:-1]) if m != "NoneType"]
            for member in members:
                trial: list[str] = []
                self._value(value, member, path, trial)
                if not trial:
                    return
            errors.append(f"{path}: {value!r} matches none of {ann}")
        elif ann.startswith("Literal["):
            allowed = re.findall(r"'([^']*)'>?", ann)
            if value not in allowed:
                errors.append(f"{path}: {value!r} not in {allowed}")
        elif ann.startswith("list["):
            if not isinstance(value, list):
                errors.append(f"{path}: expected a list, got {value!r}")
            else:
                for i, item in enumerate(value):
                    self._value(item, ann[5:-1], f"{path}[{i}]", errors)
        elif ann.startswith("dict["):
            if not isinstance(value, dict):
                errors.append(f"{path}: expected an object, got {value!r}")
        elif ann in ("str", "bytes"):
            if not isinstance(value, str):
                errors.append(f"{path}: expected a string, got {value!r}")
        elif ann == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(f"{path}: expected an integer, got {value!r}")
        elif ann == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(f"{path}: expected a number, got {value!r}")
        elif ann == "bool":
            if not isinstance(value, bool):
                errors.append(f"{path}: expected a boolean, got {value!r}")
        elif ann == "datetime.datetime":
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(f"{path}: expected a unix timestamp, got {value!r}")
        elif ann in self.models and self.models[ann].get("kind") == "enum":
            if not isinstance(value, str):
                errors.append(f"{path}: expected an enum string, got {value!r}")
        elif ann in self.models and "fields" in self.models[ann]:
            self._model(value, ann, path, errors)
        # Any, _unions.* and other aliases: anything goes


def _split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    # The spec ships with the repository: a missing copy is an error, never a silent skip.
    if not SPEC_PATH.is_file():
        pytest.fail(f"API spec not found at {SPEC_PATH} (tools/azure-ai-voicelive-1.3.1.json)", pytrace=False)
    return SpecChecker(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


class Harness:
    """A simulator plus checks on everything it emits."""

    def __init__(self, sim: Simulator, checker: SpecChecker | None) -> None:
        self.sim = sim
        self.checker = checker
        self.event_ids: set[str] = set()
        self.all: list[dict[str, Any]] = []

    def _check(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for event in events:
            json.dumps(event)  # JSON-serialisable
            eid = event.get("event_id")
            assert isinstance(eid, str) and eid.startswith("event_"), event
            assert eid not in self.event_ids, f"duplicate event_id {eid}"
            self.event_ids.add(eid)
            if self.checker is not None:
                errors = self.checker.event(event)
                assert not errors, errors
        self.all += events
        return events

    def start(self) -> list[dict[str, Any]]:
        return self._check(self.sim.start())

    def send(self, event: Any) -> list[dict[str, Any]]:
        """Immediate events only."""
        return self._check(self.sim.handle(event))

    def raw(self, text: str) -> list[dict[str, Any]]:
        return self._check(self.sim.receive_text(text))

    def drain(self) -> list[dict[str, Any]]:
        return self._check(self.sim.drain())

    def pop(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            event = self.sim.pop_stream()
            assert event is not None
            out.append(event)
        return self._check(out)

    def run(self, event: Any) -> list[dict[str, Any]]:
        """Immediate events, then everything streamed."""
        return self.send(event) + self.drain()

    def append(self, pcm: bytes, chunk_bytes: int = 4800) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(0, len(pcm), chunk_bytes):
            out += self.send(
                {"type": "input_audio_buffer.append", "audio": pcm16_to_base64(pcm[i : i + chunk_bytes])}
            )
        return out

    def say(self, text: str) -> list[dict[str, Any]]:
        """A user text message then a response; returns all the events."""
        out = self.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                },
            }
        )
        return out + self.run({"type": "response.create"})


@pytest.fixture
def make_harness(spec_checker: SpecChecker) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**kwargs: Any) -> Harness:
        kwargs.setdefault("session_id", "sess_test")
        kwargs.setdefault("pacing", "instant")  # time-insensitive tests: every event due at once
        kwargs.setdefault("max_session_duration", None)
        harness = Harness(Simulator(**kwargs), spec_checker)
        harness.start()
        made.append(harness)
        return harness

    yield make
    # The fake's own exceptions (and the responder's) only reach the client as error events:
    # a test that does not expect one (and clear sim.errors) fails here.
    raised = [e for h in made for e in h.sim.errors]
    assert not raised, f"the simulator raised: {raised!r}"


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session for the tests that speak the wire protocol directly."""
    async with aiohttp.ClientSession() as session:
        yield session
