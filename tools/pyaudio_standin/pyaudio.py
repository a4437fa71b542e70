"""A stand-in for PyAudio, so that audio samples run headless (CI, containers) without PortAudio.

Put this directory first on ``PYTHONPATH`` and ``import pyaudio`` finds it. It implements the part
of PyAudio's API that voice samples use: ``PyAudio()`` with device queries, ``open(...)`` streams in
callback mode (``stream_callback=``) or blocking mode (``read`` / ``write``), ``paInt16`` and the
other format constants, ``paContinue`` / ``paComplete`` / ``paAbort`` and ``get_sample_size``.

The "microphone" plays a synthetic utterance: a stretch of quiet room noise, then a voiced burst
(a 140 Hz fundamental with harmonics, shaped into syllables) loud enough for an energy VAD at the
default threshold, then quiet noise forever. The "speaker" swallows what it is given and counts it.
Streams run at real time; ``PYAUDIO_STANDIN_SPEED`` (a float, default 1) speeds them up.

Environment (all optional):

``PYAUDIO_STANDIN_SPEED``
    Time factor for every stream (``2`` runs audio twice as fast as real time).
``PYAUDIO_STANDIN_LEAD_MS`` / ``PYAUDIO_STANDIN_SPEECH_MS``
    Quiet lead-in before the utterance (default 400 ms) and the utterance length (default 1200 ms).
``PYAUDIO_STANDIN_REPEAT_MS``
    When set, the utterance repeats with this period (lead-in, speech, silence); default: once.
``PYAUDIO_STANDIN_REPORT``
    A file path: a JSON summary (bytes captured and played, streams opened, callback errors) is
    written there whenever a ``PyAudio`` instance terminates and at interpreter exit.

Only 16-bit formats carry the synthetic signal; other formats deliver silence of the right size.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import random
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

__version__ = "0.2.14+standin"

paFloat32 = 1
paInt32 = 2
paInt24 = 4
paInt16 = 8
paInt8 = 16
paUInt8 = 32
paCustomFormat = 65536

paContinue = 0
paComplete = 1
paAbort = 2

paInputUnderflow = 1
paInputOverflow = 2
paOutputUnderflow = 4
paOutputOverflow = 8
paPrimingOutput = 16

paNoDevice = -1
paNoError = 0
paStreamIsStopped = -9983
paStreamIsNotStopped = -9982

_SIZES = {paFloat32: 4, paInt32: 4, paInt24: 3, paInt16: 2, paInt8: 1, paUInt8: 1}

StreamCallback = Callable[[Any, int, dict[str, float], int], tuple[Any, int]]


def get_sample_size(format: int) -> int:
    """Bytes per sample of a ``pa*`` format constant; ``ValueError`` for an unknown one."""
    try:
        return _SIZES[format]
    except KeyError:
        raise ValueError(f"Invalid format: {format!r}") from None


def get_format_from_width(width: int, unsigned: bool = True) -> int:
    """The ``pa*`` format for a sample width in bytes (1 is unsigned 8-bit unless ``unsigned=False``)."""
    if width == 1:
        return paUInt8 if unsigned else paInt8
    formats = {2: paInt16, 3: paInt24, 4: paFloat32}
    if width not in formats:
        raise ValueError(f"Invalid width: {width}")
    return formats[width]


def get_portaudio_version() -> int:
    return 1246720


def get_portaudio_version_text() -> str:
    return "PortAudio V19 stand-in (no audio hardware)"


# --- what happened, for the harness ---------------------------------------------------------------

_stats_lock = threading.Lock()
_stats: dict[str, Any] = {
    "pyaudio_instances": 0,
    "streams_opened": 0,
    "input_streams": 0,
    "output_streams": 0,
    "input_bytes": 0,
    "output_bytes": 0,
    "output_nonzero_bytes": 0,
    "callback_errors": [],
}


def _count(key: str, n: int = 1) -> None:
    with _stats_lock:
        _stats[key] += n


def stats() -> dict[str, Any]:
    """A copy of the counters: streams opened, bytes captured and played, callback errors."""
    with _stats_lock:
        return json.loads(json.dumps(_stats))


def _write_report() -> None:
    path = os.environ.get("PYAUDIO_STANDIN_REPORT")
    if not path:
        return
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(stats(), fh)
    os.replace(tmp, path)


atexit.register(_write_report)


# --- the synthetic microphone --------------------------------------------------------------------


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {raw!r}")
    return value


class _Microphone:
    """The synthetic signal as 16-bit little-endian PCM, computed once per stream and then replayed."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.position = 0  # in frames
        lead = int(_env_float("PYAUDIO_STANDIN_LEAD_MS", 400) * rate / 1000)
        speech = int(_env_float("PYAUDIO_STANDIN_SPEECH_MS", 1200) * rate / 1000)
        repeat = int(_env_float("PYAUDIO_STANDIN_REPEAT_MS", 0) * rate / 1000)
        noise = random.Random(0x5EED)
        head = [self._speech(k - lead, speech, noise.uniform(-0.002, 0.002)) for k in range(lead + speech)]
        if repeat > len(head):  # one period: lead-in, speech, quiet until the next period
            head += [noise.uniform(-0.002, 0.002) for _ in range(repeat - len(head))]
        self.period = len(head) if repeat else 0
        tail = [noise.uniform(-0.002, 0.002) for _ in range(max(rate // 2, 1))]
        self.head = self._pcm(head)
        self.tail = self._pcm(tail)

    def _speech(self, k: int, length: int, noise: float) -> float:
        if k < 0 or k >= length:
            return noise
        seconds = k / self.rate
        # Syllables: a raised-cosine envelope at 4 Hz that never drops below 40 % of the peak, with
        # 10 ms fades at both ends of the utterance so it starts and stops without clicks.
        envelope = 0.4 + 0.6 * (0.5 - 0.5 * math.cos(2 * math.pi * 4.0 * seconds))
        fade = min(1.0, k / (0.01 * self.rate), (length - k) / (0.01 * self.rate))
        f0 = 140.0 * (1.0 + 0.05 * math.sin(2 * math.pi * 1.5 * seconds))  # a little intonation
        phase = 2 * math.pi * f0 * seconds
        voiced = math.sin(phase) + 0.5 * math.sin(2 * phase) + 0.25 * math.sin(3 * phase)
        return noise + 0.18 * envelope * fade * voiced

    def _pcm(self, samples: list[float]) -> bytes:
        ints = [max(-32768, min(32767, int(v * 32767))) for v in samples]
        frames = [v for v in ints for _ in range(self.channels)]
        return struct.pack(f"<{len(frames)}h", *frames)

    def read(self, frames: int, width: int) -> bytes:
        """The next ``frames`` frames (silence of the right size for formats other than 16-bit)."""
        if width != 2:
            self.position += frames
            return bytes(frames * width * self.channels)
        step = 2 * self.channels
        out = bytearray()
        pos = self.position
        while len(out) < frames * step:
            want = frames * step - len(out)
            if self.period:
                block, offset = self.head, (pos % self.period) * step
            elif pos * step < len(self.head):
                block, offset = self.head, pos * step
            else:
                block, offset = self.tail, ((pos * step - len(self.head)) % len(self.tail))
            chunk = block[offset : offset + want]
            out += chunk
            pos += len(chunk) // step
        self.position = pos
        return bytes(out)


# --- streams ---------------------------------------------------------------------------------------


class Stream:
    """A stand-in PortAudio stream: callback mode runs a paced thread; blocking ``read``/``write`` pace."""

    def __init__(
        self,
        pa: PyAudio,
        rate: int,
        channels: int,
        format: int,
        input: bool = False,
        output: bool = False,
        input_device_index: int | None = None,
        output_device_index: int | None = None,
        frames_per_buffer: int = 1024,
        start: bool = True,
        input_host_api_specific_stream_info: object = None,
        output_host_api_specific_stream_info: object = None,
        stream_callback: StreamCallback | None = None,
    ) -> None:
        if not (input or output):
            raise ValueError("Must specify an input or output stream.")
        if channels < 1:
            raise ValueError(f"Invalid number of channels: {channels}")
        if rate <= 0:
            raise ValueError(f"Invalid sample rate: {rate}")
        self._pa = pa
        self._rate = int(rate)
        self._channels = int(channels)
        self._width = get_sample_size(format)
        self._is_input = bool(input)
        self._is_output = bool(output)
        self._frames_per_buffer = int(frames_per_buffer) if frames_per_buffer else 1024
        self._callback = stream_callback
        self._speed = _env_float("PYAUDIO_STANDIN_SPEED", 1.0) or 1.0
        self._mic = _Microphone(self._rate, self._channels) if input else None
        self._lock = threading.Lock()
        self._active = False
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clock_start = 0.0
        self._clock_frames = 0
        _count("streams_opened")
        if input:
            _count("input_streams")
        if output:
            _count("output_streams")
        if start:
            self.start_stream()

    # --- pacing
    def _pace(self, frames: int) -> None:
        """Sleep until ``frames`` more frames are due since the stream (re)started."""
        self._clock_frames += frames
        due = self._clock_start + self._clock_frames / self._rate / self._speed
        delay = due - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    # --- control
    def start_stream(self) -> None:
        """Start (or restart) the stream; in callback mode the callback thread begins."""
        self._check_open()
        with self._lock:
            if self._active:
                return
            self._active = True
            self._stop.clear()
            self._clock_start = time.monotonic()
            self._clock_frames = 0
            if self._callback is not None:
                self._thread = threading.Thread(
                    target=self._run_callback, name="pyaudio-standin", daemon=True
                )
                self._thread.start()

    def stop_stream(self) -> None:
        """Stop the stream; waits for the callback thread (unless called from it)."""
        with self._lock:
            self._active = False
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def close(self) -> None:
        """Stop and close the stream; further use raises ``OSError``."""
        if self._closed:
            return
        self.stop_stream()
        self._closed = True
        self._pa._streams.discard(self)

    def is_active(self) -> bool:
        return self._active and not self._closed

    def is_stopped(self) -> bool:
        return not self._active

    def get_input_latency(self) -> float:
        return self._frames_per_buffer / self._rate

    def get_output_latency(self) -> float:
        return self._frames_per_buffer / self._rate

    def get_time(self) -> float:
        return time.monotonic()

    def get_cpu_load(self) -> float:
        return 0.0

    def get_read_available(self) -> int:
        return self._frames_per_buffer

    def get_write_available(self) -> int:
        return self._frames_per_buffer

    # --- blocking I/O
    def read(self, num_frames: int, exception_on_overflow: bool = True) -> bytes:
        """Return ``num_frames`` frames of the synthetic microphone, paced at (scaled) real time."""
        self._check_open()
        if not self._is_input or self._mic is None:
            raise OSError(-9988, "Not input stream")
        if self._callback is not None:
            raise OSError(-9977, "Can't read from a callback stream")
        if not self._active:
            raise OSError(paStreamIsStopped, "Stream is stopped")
        data = self._mic.read(int(num_frames), self._width)
        _count("input_bytes", len(data))
        self._pace(int(num_frames))
        return data

    def write(
        self, frames: bytes, num_frames: int | None = None, exception_on_underflow: bool = False
    ) -> None:
        """Swallow ``frames`` (counted), paced at (scaled) real time like a sound card."""
        self._check_open()
        if not self._is_output:
            raise OSError(-9988, "Not output stream")
        if self._callback is not None:
            raise OSError(-9977, "Can't write to a callback stream")
        if not self._active:
            raise OSError(paStreamIsStopped, "Stream is stopped")
        data = bytes(frames)
        self._played(data)
        count = num_frames if num_frames is not None else len(data) // (self._width * self._channels)
        self._pace(int(count))

    # --- internals
    def _check_open(self) -> None:
        if self._closed:
            raise OSError(-9988, "Stream closed")

    def _played(self, data: bytes) -> None:
        _count("output_bytes", len(data))
        nonzero = len(data) - data.count(0)
        if nonzero:
            _count("output_nonzero_bytes", nonzero)

    def _run_callback(self) -> None:
        callback = self._callback
        assert callback is not None
        frames = self._frames_per_buffer
        flag = paContinue
        try:
            while not self._stop.is_set() and flag == paContinue:
                in_data: bytes | None = None
                if self._mic is not None:
                    in_data = self._mic.read(frames, self._width)
                    _count("input_bytes", len(in_data))
                now = time.monotonic()
                time_info = {"input_buffer_adc_time": now, "current_time": now, "output_buffer_dac_time": now}
                result = callback(in_data, frames, time_info, 0)
                out_data, flag = result
                if self._is_output and out_data:
                    self._played(bytes(out_data))
                self._pace(frames)
        except BaseException as exc:  # a real PortAudio prints the error and stops the stream
            traceback.print_exc(file=sys.stderr)
            with _stats_lock:
                _stats["callback_errors"].append(f"{type(exc).__name__}: {exc}")
        finally:
            self._active = False


# --- the PortAudio instance ------------------------------------------------------------------------

_DEVICES: list[dict[str, Any]] = [
    {
        "index": 0,
        "structVersion": 2,
        "name": "Stand-in microphone (synthetic speech)",
        "hostApi": 0,
        "maxInputChannels": 2,
        "maxOutputChannels": 0,
        "defaultLowInputLatency": 0.01,
        "defaultLowOutputLatency": 0.01,
        "defaultHighInputLatency": 0.04,
        "defaultHighOutputLatency": 0.04,
        "defaultSampleRate": 24000.0,
    },
    {
        "index": 1,
        "structVersion": 2,
        "name": "Stand-in speaker (discards audio)",
        "hostApi": 0,
        "maxInputChannels": 0,
        "maxOutputChannels": 2,
        "defaultLowInputLatency": 0.01,
        "defaultLowOutputLatency": 0.01,
        "defaultHighInputLatency": 0.04,
        "defaultHighOutputLatency": 0.04,
        "defaultSampleRate": 24000.0,
    },
]


class PyAudio:
    """The stand-in PortAudio session: one microphone (index 0) and one speaker (index 1)."""

    Stream = Stream

    def __init__(self) -> None:
        self._streams: set[Stream] = set()
        _count("pyaudio_instances")

    def terminate(self) -> None:
        """Close every stream this instance opened and write the report (if one is asked for)."""
        for stream in list(self._streams):
            stream.close()
        _write_report()

    def open(self, *args: Any, **kwargs: Any) -> Stream:
        """Open a stream (``PyAudio.open`` signature); ``start=True`` starts it at once."""
        stream = Stream(self, *args, **kwargs)
        self._streams.add(stream)
        return stream

    def close(self, stream: Stream) -> None:
        if stream not in self._streams:
            raise ValueError(f"Stream {stream!r} not found")
        stream.close()

    def get_sample_size(self, format: int) -> int:
        return get_sample_size(format)

    def get_format_from_width(self, width: int, unsigned: bool = True) -> int:
        return get_format_from_width(width, unsigned)

    def get_device_count(self) -> int:
        return len(_DEVICES)

    def get_device_info_by_index(self, device_index: int) -> dict[str, Any]:
        if not 0 <= device_index < len(_DEVICES):
            raise OSError(-9996, "Invalid device index")
        return dict(_DEVICES[device_index])

    def get_device_info_by_host_api_device_index(
        self, host_api_index: int, host_api_device_index: int
    ) -> dict[str, Any]:
        if host_api_index != 0:
            raise OSError(-9993, "Invalid host API index")
        return self.get_device_info_by_index(host_api_device_index)

    def get_default_input_device_info(self) -> dict[str, Any]:
        return dict(_DEVICES[0])

    def get_default_output_device_info(self) -> dict[str, Any]:
        return dict(_DEVICES[1])

    def get_host_api_count(self) -> int:
        return 1

    def get_default_host_api_info(self) -> dict[str, Any]:
        return self.get_host_api_info_by_index(0)

    def get_host_api_info_by_index(self, host_api_index: int) -> dict[str, Any]:
        if host_api_index != 0:
            raise OSError(-9993, "Invalid host API index")
        return {
            "index": 0,
            "structVersion": 1,
            "type": 8,
            "name": "Stand-in",
            "deviceCount": len(_DEVICES),
            "defaultInputDevice": 0,
            "defaultOutputDevice": 1,
        }

    def get_host_api_info_by_type(self, host_api_type: int) -> dict[str, Any]:
        return self.get_host_api_info_by_index(0)

    def is_format_supported(
        self,
        rate: float,
        input_device: int | None = None,
        input_channels: int | None = None,
        input_format: int | None = None,
        output_device: int | None = None,
        output_channels: int | None = None,
        output_format: int | None = None,
    ) -> bool:
        for fmt in (input_format, output_format):
            if fmt is not None and fmt not in _SIZES:
                raise ValueError("Sample format not supported")
        return True
