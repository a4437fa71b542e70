"""Shared fixtures for the model-layer tests: fresh copies of the wire examples in fixtures/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> dict[str, Any]:
    with open(FIXTURES / name, encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def _server_events() -> dict[str, Any]:
    return _load("server_events.json")


@pytest.fixture
def server_events(_server_events: dict[str, Any]) -> dict[str, Any]:
    """One realistic wire example per server event type (a fresh deep copy per test)."""
    return copy.deepcopy(_server_events)


@pytest.fixture(scope="session")
def _client_events() -> dict[str, Any]:
    return _load("client_events.json")


@pytest.fixture
def client_events(_client_events: dict[str, Any]) -> dict[str, Any]:
    """One realistic wire example per client event type (a fresh deep copy per test)."""
    return copy.deepcopy(_client_events)
