"""Optional speedups for the hot paths, chosen once at import.

With the ``speedups`` extra installed (``pip install "voicelive[speedups]"``), server frames are
parsed with ``orjson`` and audio base64 is decoded and encoded with ``pybase64``; otherwise the
standard library does the work. Either way the results and the errors are the same: the fast
functions are used only where they agree with the standard library, and every input they refuse
or might read differently goes to the standard library function, whose result or error is then
the answer. Set ``VOICELIVE_NO_SPEEDUPS=1`` to use the standard library although the extra is
installed.

A leaf module: it imports nothing of this package, so the models may use it too.

Differences handled here (each covered by the property tests in ``tests/protocol``):

* ``orjson.loads`` refuses ``NaN``/``Infinity``, numbers that overflow a double, lone surrogates,
  a UTF-8 byte-order mark, UTF-16/32 bytes and depth over 1024, all of which ``json.loads``
  accepts (or refuses with its own error): any ``orjson`` error re-parses with ``json.loads``.
* ``orjson.loads`` reads an integer outside the 64-bit range as a ``float`` where ``json.loads``
  keeps the exact ``int``: a parsed value holding a float of magnitude 2**63 or more (what such
  an integer becomes) is re-parsed with ``json.loads``.
* ``orjson.loads`` accepts a ``memoryview``; ``json.loads`` raises ``TypeError``: only ``str``,
  ``bytes`` and ``bytearray`` take the fast path.
* ``pybase64`` is used in its strict mode, which accepts only canonical padded base64 (what the
  service sends); anything else is decoded by ``binascii.a2b_base64``, whose lenient rules
  (skipping non-alphabet characters, data after padding) and error messages stay the SDK's.
* Client events are encoded with the standard library in both modes: ``orjson`` writes ``NaN``
  as ``null`` and serialises ``UUID``, ``datetime`` and dataclasses on its own terms, and no
  client event but the audio append (which needs no JSON encoder) is frequent enough to gain.
"""

from __future__ import annotations

import binascii
import json
import os
from typing import Any, Callable, NamedTuple

__all__ = ["ACTIVE", "FAST", "STDLIB", "Backend", "b64decode", "b64encode", "loads"]


class Backend(NamedTuple):
    """One set of hot-path functions: JSON frame parsing and audio base64."""

    name: str
    #: ``str | bytes | bytearray`` frame -> parsed JSON value (``json.loads`` semantics).
    loads: Callable[[Any], Any]
    #: base64 ``str`` -> ``bytes`` (``binascii.a2b_base64`` semantics and errors).
    b64decode: Callable[[str], bytes]
    #: bytes-like -> base64 ``str`` without a newline (``binascii.b2a_base64`` semantics).
    b64encode: Callable[[Any], str]


def _stdlib_b64encode(data: Any) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


STDLIB = Backend("stdlib", json.loads, binascii.a2b_base64, _stdlib_b64encode)

#: 2**63: an integer literal orjson could not keep exact becomes a float at least this large.
_BIG = 9223372036854775808.0


def _exact(value: Any) -> bool:
    """False when ``value`` holds a float that may stand for an integer orjson rounded."""
    kind = type(value)  # pyright: ignore[reportUnknownVariableType]
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    elif kind is float:
        return bool(-_BIG < value < _BIG)
    else:
        return True
    for item in items:
        kind = type(item)  # pyright: ignore[reportUnknownVariableType]
        if kind is float:
            if not -_BIG < item < _BIG:
                return False
        elif (kind is dict or kind is list) and not _exact(item):
            return False
    return True


def _fast_backend() -> Backend | None:
    try:
        import orjson
        import pybase64
    except ImportError:
        return None
    orjson_loads = orjson.loads
    orjson_error = orjson.JSONDecodeError
    json_loads = json.loads
    a2b = binascii.a2b_base64
    strict_decode = pybase64.b64decode
    encode: Callable[[Any], str] = pybase64.b64encode_as_string

    def loads(frame: Any) -> Any:
        kind = type(frame)  # pyright: ignore[reportUnknownVariableType]
        if kind is not str and kind is not bytes and kind is not bytearray:
            return json_loads(frame)  # a memoryview, a str subclass...: the stdlib decides
        try:
            data = orjson_loads(frame)
        except orjson_error:
            return json_loads(frame)
        try:
            if _exact(data):
                return data
        except RecursionError:
            pass
        return json_loads(frame)

    def b64decode(text: str) -> bytes:
        try:
            return strict_decode(text, validate=True)
        except ValueError:  # binascii.Error included: the lenient stdlib decides, with its errors
            return a2b(text)

    return Backend("orjson+pybase64", loads, b64decode, encode)


#: The fast functions when orjson and pybase64 are both installed, else None.
FAST = _fast_backend()
#: What the SDK uses: FAST unless it is missing or ``VOICELIVE_NO_SPEEDUPS`` is set (not "0").
ACTIVE = FAST if FAST is not None and os.environ.get("VOICELIVE_NO_SPEEDUPS", "") in ("", "0") else STDLIB

loads = ACTIVE.loads
b64decode = ACTIVE.b64decode
b64encode = ACTIVE.b64encode
