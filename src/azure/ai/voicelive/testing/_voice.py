"""Speech-like audio for the fake service's spoken replies (sans-I/O, cached, cheap).

Each word becomes a voiced tone burst: a fundamental between 110 and 230 Hz chosen from the word,
two harmonics, a falling pitch glide, a syllable-rate amplitude envelope with soft attack and
release, and short pauses between words (longer after punctuation). It is not speech, but it is
clearly audible, varies like speech, and has a timeline (which word is heard when), so transcript
deltas, truncation and word timestamps line up with the audio.

Bursts are cached by (length bucket, pitch, output format), so a server streaming hundreds of
replies synthesises each distinct burst once.
"""

from __future__ import annotations

import math
import re
import sys
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ..audio import alaw_encode, silence_pcm16, ulaw_encode

__all__ = ["OUTPUT_FORMATS", "Utterance", "bytes_per_ms", "sample_width", "split_words", "synthesize"]

_Encoder = Callable[[bytes], bytes]

# output format -> (sample rate, bytes per sample, encoder of PCM16 or None)
OUTPUT_FORMATS: dict[str, tuple[int, int, _Encoder | None]] = {
    "pcm16": (24000, 2, None),
    "pcm16_16000hz": (16000, 2, None),
    "pcm16_8000hz": (8000, 2, None),
    "pcm16_22050hz": (22050, 2, None),
    "pcm16_24000hz": (24000, 2, None),
    "pcm16_44100hz": (44100, 2, None),
    "pcm16_48000hz": (48000, 2, None),
    "g711_ulaw": (8000, 1, ulaw_encode),
    "g711_alaw": (8000, 1, alaw_encode),
}
"""Output audio formats the fake service can speak: rate, bytes per sample, encoder."""

_PITCHES = (110.0, 125.0, 140.0, 155.0, 170.0, 185.0, 205.0, 230.0)
_MS_PER_LETTER = 60
_MIN_WORD_MS = 120
_MAX_WORD_MS = 600
_BUCKET_MS = 30
_WORD_GAP_MS = 60
_COMMA_GAP_MS = 150
_STOP_GAP_MS = 250
_AMPLITUDE = 0.35 * 32767 / 1.75  # peak of the three-partial sum stays at 0.35 of full scale
_WORDS = re.compile(r"\S+\s*")


def bytes_per_ms(output_format: str) -> float:
    """Bytes of audio per millisecond in an output format (48 for 24 kHz PCM16, 8 for G.711,
    88.2 for 44.1 kHz PCM16).

    Raises ``KeyError`` for an unknown format.
    """
    rate, width, _ = OUTPUT_FORMATS[output_format]
    return rate * width / 1000


def sample_width(output_format: str) -> int:
    """Bytes per sample of an output format (2 for PCM16, 1 for G.711)."""
    return OUTPUT_FORMATS[output_format][1]


def split_words(text: str) -> list[str]:
    """Split text into word fragments that keep their whitespace and concatenate back to ``text``."""
    fragments = _WORDS.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    if not fragments:
        return [text] if text else []
    if lead:
        fragments[0] = lead + fragments[0]
    return fragments


@dataclass(frozen=True)
class Utterance:
    """Synthesised speech for one reply.

    ``audio`` is encoded in the output format; ``words`` lists each transcript fragment (the word
    with its trailing whitespace; the fragments concatenate to the text) with the millisecond where
    its sound starts and its duration.
    """

    audio: bytes
    words: tuple[tuple[str, int, int], ...]
    duration_ms: int


@lru_cache(maxsize=512)
def _burst(duration_ms: int, pitch: int, output_format: str) -> bytes:
    rate, _, encode = OUTPUT_FORMATS[output_format]
    n = rate * duration_ms // 1000
    f0 = _PITCHES[pitch]
    syllables = max(1, round(duration_ms / 180))
    attack = max(1, rate * 15 // 1000)
    release = max(1, rate * 35 // 1000)
    two_pi = 2.0 * math.pi
    sin = math.sin
    phase = 0.0
    out = array("h", bytes(2 * n))
    for i in range(n):
        t = i / n
        phase += two_pi * f0 * (1.08 - 0.2 * t) / rate
        env = 0.55 + 0.45 * sin(math.pi * t * syllables) ** 2
        if i < attack:
            env *= i / attack
        elif n - i < release:
            env *= (n - i) / release
        out[i] = int(_AMPLITUDE * env * (sin(phase) + 0.5 * sin(2 * phase) + 0.25 * sin(3 * phase)))
    if sys.byteorder == "big":  # pragma: no cover - the wire format is little-endian
        out.byteswap()
    pcm = out.tobytes()
    return encode(pcm) if encode is not None else pcm


@lru_cache(maxsize=64)
def _gap(duration_ms: int, output_format: str) -> bytes:
    rate, _, encode = OUTPUT_FORMATS[output_format]
    pcm = silence_pcm16(duration_ms, sample_rate=rate)
    return encode(pcm) if encode is not None else pcm


def _word_ms(word: str) -> int:
    letters = sum(1 for ch in word if ch.isalnum()) or 1
    ms = min(max(letters * _MS_PER_LETTER, _MIN_WORD_MS), _MAX_WORD_MS)
    return (ms + _BUCKET_MS - 1) // _BUCKET_MS * _BUCKET_MS


def _pause_after(word: str) -> int:
    tail = word.rstrip()[-1:]
    if tail in ".!?":
        return _STOP_GAP_MS
    if tail in ",;:":
        return _COMMA_GAP_MS
    return _WORD_GAP_MS


def synthesize(text: str, output_format: str = "pcm16") -> Utterance:
    """Speak ``text`` as tone bursts in ``output_format`` (one of `OUTPUT_FORMATS`).

    Raises ``KeyError`` for an unknown output format.
    """
    if output_format not in OUTPUT_FORMATS:
        raise KeyError(output_format)
    fragments = split_words(text) if text.strip() else []
    parts: list[bytes] = []
    words: list[tuple[str, int, int]] = []
    at = 0
    for index, fragment in enumerate(fragments):
        word = fragment.strip()
        length = _word_ms(word)
        pitch = zlib.crc32(word.lower().encode()) % len(_PITCHES)
        parts.append(_burst(length, pitch, output_format))
        words.append((fragment, at, length))
        at += length
        if index + 1 < len(fragments):
            pause = _pause_after(word)
            parts.append(_gap(pause, output_format))
            at += pause
    return Utterance(b"".join(parts), tuple(words), at)
