"""Sample-rate conversion for mono PCM16 (pure standard library).

The converter is a rational linear interpolator. With ``L = to_rate / g`` and
``M = from_rate / g`` (``g`` the greatest common divisor), output sample ``j`` lies
at input position ``j * M / L``. All outputs with the same ``j % L`` share one
fractional offset, so each of those ``L`` phases is computed with strided array
slices and ``map`` over `operator` functions - C-level loops rather than one
Python iteration per sample. Arithmetic is exact integer arithmetic with
round-half-up.

When downsampling by a factor of about 1.5 or more, the input is smoothed by a
centred (zero-delay) moving-average low-pass filter whose first null sits near the
output rate, which removes most of the energy that would otherwise alias. The
filter is evaluated from prefix sums only at the input positions interpolation
reads, and filtering and interpolation share a single rounding step.
"""

from __future__ import annotations

import operator
from array import array
from itertools import accumulate, repeat
from math import gcd
from operator import add, mul, sub
from typing import Callable, Iterable, Sequence, cast

from ._pcm import BytesLike, as_int16_samples, samples_to_pcm16

#: ``operator.floordiv`` on ints (the same C function): the typeshed stub bundled with pyright
#: declares it without annotations, so the type is given here once.
_floordiv = cast("Callable[[int, int], int]", operator.floordiv)  # pyright: ignore[reportUnknownMemberType]

__all__ = ["resample_pcm16", "resampled_length"]


def _check_rate(name: str, rate: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise ValueError(f"{name} must be a positive integer, got {rate!r}")


def resampled_length(n_samples: int, from_rate: int, to_rate: int) -> int:
    """Return ``round(n_samples * to_rate / from_rate)`` computed exactly (ties to even).

    Raises:
        ValueError: if a rate is not a positive integer or ``n_samples`` is negative.
    """
    _check_rate("from_rate", from_rate)
    _check_rate("to_rate", to_rate)
    if n_samples < 0:
        raise ValueError(f"n_samples must be non-negative, got {n_samples}")
    q, r = divmod(n_samples * to_rate, from_rate)
    if 2 * r > from_rate or (2 * r == from_rate and q % 2):
        q += 1
    return q


def _scaled_round(values: Iterable[int], divisor: int) -> Iterable[int]:
    """``round_half_up(v / divisor)`` for every value, lazily and at C speed."""
    return map(_floordiv, map(add, values, repeat(divisor // 2)), repeat(divisor))


# A "source" returns input-rate values at x-indices range(start, stop, step), multiplied by the
# filter's total weight (1 when there is no filter).
_Source = Callable[[int, int, int], Sequence[int]]


def _plain_source(x: array[int], last: int) -> _Source:
    if last >= len(x):  # pad with the last sample so that every index up to `last` exists
        x = x + array("h", [x[-1]]) * (last + 1 - len(x))

    def source(start: int, stop: int, step: int) -> Sequence[int]:
        return x[start:stop:step]

    return source


def _smoothed_source(x: array[int], factor: int, last: int) -> _Source:
    """Zero-phase moving average read straight from prefix sums, only where it is needed.

    An odd ``factor`` is a box of ``factor`` taps; an even one is ``[1, 2, ..., 2, 1]``
    (``factor + 1`` taps, i.e. a ``factor`` box convolved with ``[1, 1]``), so the
    filter stays centred on the sample.
    """
    half = factor // 2
    tail = half + max(0, last + 1 - len(x)) + 1
    padded = array("h", [x[0]]) * half + x + array("h", [x[-1]]) * tail
    prefix = list(accumulate(padded, initial=0))  # prefix[p] = sum(padded[:p]); padded[p] = x[p - half]
    f = factor

    if factor % 2:

        def box(start: int, stop: int, step: int) -> Sequence[int]:
            return list(map(sub, prefix[start + f : stop + f : step], prefix[start:stop:step]))

        return box

    def triangle(start: int, stop: int, step: int) -> Sequence[int]:
        upper = map(add, prefix[start + f : stop + f : step], prefix[start + f + 1 : stop + f + 1 : step])
        lower = map(add, prefix[start:stop:step], prefix[start + 1 : stop + 1 : step])
        return list(map(sub, upper, lower))

    return triangle


def resample_pcm16(pcm16: BytesLike, from_rate: int, to_rate: int) -> bytes:
    """Resample mono 16-bit little-endian PCM from ``from_rate`` to ``to_rate`` Hz.

    Uses linear interpolation (plus a light anti-aliasing low-pass when
    downsampling). The output has ``round(n * to_rate / from_rate)`` samples for
    ``n`` input samples. Any pair of positive integer rates is accepted; equal
    rates return a copy of the input.

    Raises:
        ValueError: if ``pcm16`` has an odd number of bytes or a rate is not a
            positive integer.
        TypeError: if ``pcm16`` is not bytes-like.
    """
    _check_rate("from_rate", from_rate)
    _check_rate("to_rate", to_rate)
    x = as_int16_samples(pcm16)
    if from_rate == to_rate:
        return bytes(pcm16)
    n_out = resampled_length(len(x), from_rate, to_rate)
    if n_out == 0:
        return b""
    g = gcd(from_rate, to_rate)
    up, down = to_rate // g, from_rate // g  # output j sits at input position j * down / up
    last = ((n_out - 1) * down) // up + 1  # highest input index interpolation reads

    factor = round(down / up)
    if factor >= 2:
        source = _smoothed_source(x, factor, last)
        weight = factor if factor % 2 else 2 * factor
    else:
        source = _plain_source(x, last)
        weight = 1
    divisor = up * weight  # one rounding step for filter and interpolation together

    out = array("h", bytes(2 * n_out))
    if up * 8 > n_out:
        # Few outputs per phase: a direct loop is cheaper than per-phase set-up.
        values = source(0, last + 1, 1)
        half = divisor // 2
        for j in range(n_out):
            i, k = divmod(j * down, up)
            out[j] = (values[i] * (up - k) + values[i + 1] * k + half) // divisor
        return samples_to_pcm16(out)

    for phase in range(up):
        count = len(range(phase, n_out, up))
        i, k = divmod(phase * down, up)
        stop = i + (count - 1) * down + 1
        a = source(i, stop, down)
        if k == 0:
            if isinstance(a, array):
                out[phase::up] = a
            else:
                out[phase::up] = array("h", _scaled_round(a, weight))
            continue
        b = source(i + 1, stop + 1, down)
        mixed = map(add, map(mul, a, repeat(up - k)), map(mul, b, repeat(k)))
        out[phase::up] = array("h", _scaled_round(mixed, divisor))
    return samples_to_pcm16(out)
