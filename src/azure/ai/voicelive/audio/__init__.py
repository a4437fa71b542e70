"""Audio helpers for Voice Live: G.711 codecs, resampling, tones, WAV files, formats and devices.

Everything here is pure standard library (no ``audioop``, no numpy). The optional
``sounddevice`` package (``pip install 'voicelive[audio]'``) is imported only when a
[`Microphone`][] or [`AudioPlayer`][] is created.
"""

from ._devices import AudioDependencyError, AudioPlayer, Microphone, PlaybackBuffer
from ._formats import (
    AudioFormat,
    bytes_for_ms,
    chunk_audio,
    duration_ms,
    get_audio_format,
    iter_base64_chunks,
)
from ._g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ._pcm import BytesLike, base64_to_pcm16, pcm16_to_base64, rms_pcm16, silence_pcm16, sine_pcm16
from ._resample import resample_pcm16, resampled_length
from ._virtual import VirtualPlayer
from ._wav import WavAudio, load_pcm16, read_wav, wav_bytes, write_wav

__all__ = [
    "AudioDependencyError",
    "AudioFormat",
    "AudioPlayer",
    "BytesLike",
    "Microphone",
    "PlaybackBuffer",
    "VirtualPlayer",
    "WavAudio",
    "alaw_decode",
    "alaw_encode",
    "base64_to_pcm16",
    "bytes_for_ms",
    "chunk_audio",
    "duration_ms",
    "get_audio_format",
    "iter_base64_chunks",
    "load_pcm16",
    "pcm16_to_base64",
    "read_wav",
    "resample_pcm16",
    "resampled_length",
    "rms_pcm16",
    "silence_pcm16",
    "sine_pcm16",
    "ulaw_decode",
    "ulaw_encode",
    "wav_bytes",
    "write_wav",
]
