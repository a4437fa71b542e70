"""The optional speedups (orjson, pybase64) against the standard library: same results, same errors.

The same inputs go through both backends of ``azure.ai.voicelive._speedups`` and the outcomes
are compared exactly: the parsed value (by ``repr``, so ``1`` and ``1.0``, ``-0.0`` and ``0.0``,
key order and NaN all count) or the exception's type and message. Then whole frames are decoded
into events both ways and every declared field (nested models included) is read and compared,
base64 audio fields through each backend's decoder.

CI runs these in its main environment, which installs the ``speedups`` extra through ``dev``
(``.ci/run`` checks that the fast backend is active there); the lowest-dependency environment
runs the whole suite without the extra, on the standard library path.
"""

from __future__ import annotations

import array
import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from azure.ai.voicelive import _speedups
from azure.ai.voicelive._exceptions import InvalidFrameError
from azure.ai.voicelive._protocol import codec
from azure.ai.voicelive._protocol.codec import decode_server_event
from azure.ai.voicelive._speedups import FAST, STDLIB, Backend
from azure.ai.voicelive.models import _base
from azure.ai.voicelive.models._base import Model

needs_fast = pytest.mark.skipif(FAST is None, reason="needs the speedups extra (orjson and pybase64)")

_FIXTURES = Path(__file__).resolve().parents[1] / "models" / "fixtures"
with open(_FIXTURES / "server_events.json", encoding="utf-8") as _f:
    SERVER_FIXTURES: dict[str, Any] = json.load(_f)


def fuzz(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def outcome(fn: Callable[[Any], Any], arg: Any) -> tuple[str, str]:
    """What ``fn(arg)`` gives: its value's repr, or its exception's type and message."""
    try:
        value = fn(arg)
    except Exception as exc:
        return (f"raises {type(exc).__module__}.{type(exc).__qualname__}", str(exc))
    try:
        return ("returns", repr(value))
    except RecursionError:  # deeper than repr goes: compare the JSON text instead
        return ("returns deep", json.dumps(value))


def same_loads(frame: Any) -> tuple[str, str]:
    assert FAST is not None
    expected = outcome(STDLIB.loads, frame)
    assert outcome(FAST.loads, frame) == expected, frame
    return expected


def same_b64decode(text: Any) -> tuple[str, str]:
    assert FAST is not None
    expected = outcome(STDLIB.b64decode, text)
    assert outcome(FAST.b64decode, text) == expected, text
    return expected


# -- JSON values and the ways a frame may carry them -------------------------------------------

SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d", "\ude00\ud83d"])
TEXT = st.text(max_size=12) | SURROGATES | st.sampled_from(["", "é", "😀", "\x00", "\u2028", "\ufeff"])
INTS = (
    st.integers(min_value=-(2**64) - 2, max_value=2**64 + 2)
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 0, -1])
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 5e-324, 1.7976931348623157e308, 9.2e18, -9.3e18, 2.0**63, 2.0**64, 1e16, 0.1]
)
KEYS = st.sampled_from(["type", "delta", "event_id", "item", "session", "a", "a"]) | TEXT
SCALARS = st.none() | st.booleans() | INTS | FLOATS | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


def serialise(value: Any, how: str) -> Any:
    if how == "ascii":
        return json.dumps(value)
    if how == "unicode":  # raw non-ASCII (and raw lone surrogates) in the text
        return json.dumps(value, ensure_ascii=False)
    if how == "spaced":
        return json.dumps(value, indent=1)
    text = json.dumps(value, ensure_ascii=False)
    if how == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    if how == "bytearray":
        return bytearray(text.encode("utf-8", "surrogatepass"))
    if how == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == "bom-str":
        return "\ufeff" + text
    if how == "memoryview":
        return memoryview(text.encode("utf-8", "surrogatepass"))
    return text.encode(how, "surrogatepass")  # utf-16, utf-32


HOW = st.sampled_from(
    [
        "ascii",
        "unicode",
        "spaced",
        "utf-8",
        "bytearray",
        "utf-8-sig",
        "bom-str",
        "memoryview",
        "utf-16",
        "utf-32",
    ]
)


@needs_fast
@fuzz(800)
@given(VALUES, HOW)
@example(123456789012345678901234567890, "ascii")  # orjson reads it as a float
@example({"type": "x", "n": -(2**63) - 1}, "ascii")
@example({"v": [2**64]}, "utf-8")
@example(float("nan"), "ascii")  # orjson refuses NaN, json accepts it
@example([float("inf"), float("-inf")], "ascii")
@example({"a": "\ud800"}, "ascii")  # a lone surrogate as an escape
@example({"a": "\ud800"}, "unicode")  # ... and as a raw character
@example({}, "utf-8-sig")
@example({}, "bom-str")
@example({}, "memoryview")
@example({"type": "x"}, "utf-16")
def test_any_json_value_parses_the_same(value: Any, how: str) -> None:
    same_loads(serialise(value, how))


@needs_fast
def test_duplicate_keys_keep_the_last_value_in_the_first_position() -> None:
    assert same_loads('{"a":1,"b":2,"a":3}') == ("returns", "{'a': 3, 'b': 2}")


NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,45})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?\Z")


@needs_fast
@fuzz(600)
@given(NUMBER, st.sampled_from(["{}", '{{"type":"x","n":{}}}', "[1,{},2]", '{{"a":{{"b":[{}]}}}}']))
@example("1" * 5000, "{}")  # over int's digit limit: ValueError from json
@example("1e400", "{}")
@example("-0", "[1,{},2]")
@example("18446744073709551616", '{{"type":"x","n":{}}}')
def test_numbers_parse_the_same(number: str, shape: str) -> None:
    same_loads(shape.format(number))


@needs_fast
@fuzz(500)
@given(st.lists(st.sampled_from(["\\u", "d800", "dc00", "DBFF", "0041", "\\", "n", '"', "x", "\\ud83d"])))
def test_string_escapes_parse_the_same(parts: list[str]) -> None:
    same_loads('{"s":"' + "".join(parts) + '"}')


@needs_fast
@fuzz(600)
@given(st.text())
def test_arbitrary_text_parses_the_same(frame: str) -> None:
    same_loads(frame)


@needs_fast
@fuzz(400)
@given(st.binary())
@example(b"\xed\xa0\x80")  # an encoded surrogate: json decodes it (surrogatepass), orjson refuses
@example(b'"\xff"')
def test_arbitrary_bytes_parse_the_same(frame: bytes) -> None:
    same_loads(frame)
    same_loads(bytearray(frame))


FIXTURE_FRAMES = [json.dumps(v) for v in SERVER_FIXTURES.values()]


@needs_fast
@fuzz(500)
@given(
    st.sampled_from(FIXTURE_FRAMES),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.characters() | st.sampled_from('{}[]",:\\0eE-')), max_size=4
    ),
    st.integers(0, 10_000),
)
def test_mutated_and_truncated_frames_parse_the_same(
    frame: str, edits: list[tuple[int, str]], cut: int
) -> None:
    chars = list(frame)
    for pos, ch in edits:
        chars[pos % len(chars)] = ch
    text = "".join(chars)
    same_loads(text)
    same_loads(text[: cut % (len(text) + 1)])


@needs_fast
@pytest.mark.parametrize("depth", [1, 500, 1023, 1024, 1025, 2000, 100_000])
@pytest.mark.parametrize("shape", ["[{}]", '{{"a":{}}}'])
def test_deep_nesting_parses_the_same(depth: int, shape: str) -> None:
    open_, close = shape.split("{}")
    same_loads(open_ * depth + "0" + close * depth)


@needs_fast
@pytest.mark.parametrize("frame", [None, 12, memoryview(b"{}"), ["{}"], object()])
def test_non_text_input_raises_the_same(frame: Any) -> None:
    assert same_loads(frame)[0].startswith("raises")


@needs_fast
def test_a_str_subclass_parses_the_same() -> None:
    class Text(str):
        pass

    assert same_loads(Text('{"a":[1,2.5,null]}')) == ("returns", "{'a': [1, 2.5, None]}")


# -- base64 ------------------------------------------------------------------------------------

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
B64_TEXT = (
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())
    | st.text(alphabet=B64_ALPHABET + "=", max_size=24)
    | st.text(alphabet=B64_ALPHABET + "=\n -_*é\x00", max_size=24)
    | st.text(max_size=12)
)


@needs_fast
@fuzz(1500)
@given(B64_TEXT)
@example("QQ==QQ==")  # data after padding: pybase64's lenient mode reads it differently
@example("QUJ=D")
@example("QR==")  # non-zero unused bits
@example("QUJD\n")
@example("====")
@example("Q")
@example("QUJDé")
def test_base64_text_decodes_the_same(text: str) -> None:
    same_b64decode(text)


@needs_fast
@fuzz(300)
@given(st.binary(max_size=5000))
def test_base64_of_any_audio_decodes_the_same(data: bytes) -> None:
    encoded = base64.b64encode(data).decode()
    assert same_b64decode(encoded) == ("returns", repr(data))


BUFFERS: list[Any] = [
    b"",
    b"\x00\x01\x02",
    bytearray(b"abcd"),
    memoryview(b"abcdef"),
    memoryview(b"abcdef")[::2],  # not contiguous
    memoryview(array.array("h", [1, -2, 3])),
    array.array("h", [1, 2]),
    "text",
    12,
    None,
]


@needs_fast
@pytest.mark.parametrize("data", BUFFERS, ids=lambda d: type(d).__name__)
def test_base64_encoding_is_the_same(data: Any) -> None:
    assert FAST is not None
    assert outcome(FAST.b64encode, data) == outcome(STDLIB.b64encode, data)


@needs_fast
@fuzz(300)
@given(st.binary(max_size=4000))
def test_base64_encoding_of_any_bytes_is_the_same(data: bytes) -> None:
    assert FAST is not None
    assert FAST.b64encode(data) == STDLIB.b64encode(data) == base64.b64encode(data).decode()


# -- whole events, every field, both ways ------------------------------------------------------


@contextmanager
def using(backend: Backend) -> Iterator[None]:
    """Decode frames and read base64 fields with ``backend`` (the SDK picks one at import)."""
    with (
        mock.patch.object(codec, "_loads", backend.loads),
        mock.patch.object(_base, "_b64decode", backend.b64decode),
        mock.patch.object(_base, "_b64encode", backend.b64encode),
    ):
        yield


def readout(value: Any, depth: int = 0) -> Any:
    """Every declared field of a model (recursively) as comparable outcomes."""
    if isinstance(value, Model):
        fields: list[Any] = [type(value).__qualname__, repr(value.as_dict())]
        for attr in type(value)._fields:
            got = outcome(lambda m, a=attr: getattr(m, a), value)
            fields.append((attr, got))
            if got[0] == "returns" and depth < 20:
                fields.append(readout(getattr(value, attr), depth + 1))
        return fields
    if isinstance(value, list):
        return [readout(v, depth + 1) for v in value if isinstance(v, (Model, list, dict))]
    if isinstance(value, dict):
        return {k: readout(v, depth + 1) for k, v in value.items() if isinstance(v, (Model, list, dict))}
    return None


def event_readout(frame: Any, backend: Backend) -> Any:
    with using(backend):
        try:
            event = decode_server_event(frame)
        except InvalidFrameError as exc:
            return ("InvalidFrameError", str(exc), exc.frame)
        except TypeError as exc:  # not text at all (a memoryview): the same error both ways
            return ("TypeError", str(exc))
        return readout(event)


def same_event(frame: Any) -> Any:
    assert FAST is not None
    expected = event_readout(frame, STDLIB)
    assert event_readout(frame, FAST) == expected
    return expected


DELTAS = B64_TEXT | st.binary(max_size=4800).map(lambda b: base64.b64encode(b).decode()) | SCALARS


@needs_fast
@fuzz(400)
@given(
    st.sampled_from(sorted(SERVER_FIXTURES)),
    st.dictionaries(KEYS | st.sampled_from(["delta", "audio", "item", "response"]), VALUES, max_size=3),
    DELTAS,
    HOW,
)
def test_events_read_the_same_field_by_field(name: str, extra: dict[str, Any], delta: Any, how: str) -> None:
    payload = {**SERVER_FIXTURES[name], **extra}
    if "delta" in payload:
        payload["delta"] = delta
    same_event(serialise(payload, how))


@needs_fast
@pytest.mark.parametrize("name", sorted(SERVER_FIXTURES))
def test_every_fixture_event_reads_the_same(name: str) -> None:
    readout_ = same_event(json.dumps(SERVER_FIXTURES[name]))
    assert readout_[0] != "InvalidFrameError"


@needs_fast
@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"response.audio.delta","delta":"QQ==QQ=="}',  # lenient base64: the stdlib's reading
        '{"type":"response.audio.delta","delta":"QQ"}',  # bad padding: the stdlib's error
        '{"type":"response.audio.delta","delta":"QUJDé"}',
        '{"type":"response.audio.delta","delta":NaN,"n":123456789012345678901234567890}',
        '{"type":"response.audio.delta","delta":"\\ud800"}',
        "NaN",
        "[1,]",
        "",
    ],
)
def test_known_differences_read_the_same(frame: str) -> None:
    same_event(frame)


# -- which backend the SDK uses ----------------------------------------------------------------


def active_backend(env: dict[str, str]) -> str:
    code = "from azure.ai.voicelive import _speedups as s; print(s.ACTIVE.name)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "VOICELIVE_NO_SPEEDUPS"} | env,
    )
    return done.stdout.strip()


def test_speedups_are_used_when_installed_unless_disabled() -> None:
    fast = "stdlib" if FAST is None else FAST.name
    assert active_backend({}) == fast
    assert active_backend({"VOICELIVE_NO_SPEEDUPS": "0"}) == fast
    assert active_backend({"VOICELIVE_NO_SPEEDUPS": "1"}) == "stdlib"


def test_the_sdk_decodes_with_the_active_backend() -> None:
    # Whichever backend is active, the numbers orjson alone would change come out exact.
    event = decode_server_event('{"type":"x","big":123456789012345678901234567890,"nan":NaN,"f":1e400}')
    assert event["big"] == 123456789012345678901234567890 and type(event["big"]) is int
    assert event["nan"] != event["nan"] and event["f"] == float("inf")
    assert codec._loads is _speedups.ACTIVE.loads
    assert _base._b64decode is _speedups.ACTIVE.b64decode


def test_importing_aio_does_not_load_the_speedups() -> None:
    # The first connection loads them with the models; `import azure.ai.voicelive.aio` stays cheap.
    code = (
        "import sys, azure.ai.voicelive.aio;"
        "print(sorted(m for m in ('orjson', 'pybase64', 'azure.ai.voicelive._speedups') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
