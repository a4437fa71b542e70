"""Session configuration and validation of the fake service (sans-I/O).

`SessionConfig` holds the session as ``session.created`` / ``session.updated`` show it,
applies ``session.update`` (validating every field like the service, raising
`Reject` for what it refuses and returning warnings for what it accepts but
deprecates) and computes the effective configuration of one response.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._common import (
    Ids,
    Reject,
    check_bool,
    check_ms,
    check_number,
    invalid,
    missing,
    reject_type,
)
from ._voice import OUTPUT_FORMATS

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "OPENAI_VOICES",
    "SessionConfig",
    "Warning_",
    "default_session",
    "is_cascaded",
    "turn_defaults",
]

DEFAULT_MODEL = "gpt-realtime"
"""Model reported when the session is created without one (direct use of the simulator)."""

DEFAULT_VOICE: dict[str, Any] = {"name": "en-US-AvaNeural", "type": "azure-standard"}
"""The voice of a new session."""

NATIVE_MODEL_VOICE: dict[str, Any] = {"type": "azure-realtime-native", "name": "ava"}
"""The voice of a new ``azure-realtime`` session (how-to: "If you don't specify a voice, ``ava``
is used by default")."""


def default_voice(model: str | None) -> dict[str, Any]:
    """The voice a session of ``model`` starts with (and returns to when ``voice`` is set to null)."""
    return dict(NATIVE_MODEL_VOICE if model == "azure-realtime" else DEFAULT_VOICE)


OPENAI_VOICES = frozenset(
    ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
)
"""OpenAI voice names, accepted as a plain string or as ``{"type": "openai", "name": ...}``."""

NATIVE_VOICES = frozenset(
    (
        "aarti",
        "andrew",
        "ava",
        "denise",
        "diya",
        "elsa",
        "florian",
        "francisca",
        "meera",
        "xiaoxiao",
        "yunxi",
        "ximena",
    )
)
PERSONAL_VOICE_MODELS = (
    "DragonLatestNeural",
    "PhoenixLatestNeural",
    "PhoenixV2Neural",
    "DragonHDOmniLatestNeural",
    "MAI-Voice-1",
)
_AZURE_VOICE_NAME = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4}){1,2}-[A-Za-z0-9]+(?::[A-Za-z0-9]+)?Neural$")
INPUT_FORMATS = ("pcm16", "g711_ulaw", "g711_alaw")
INPUT_RATES = (8000, 16000, 24000, 44100)
"""PCM16 input rates: the documented 16000/24000, 8000 of the SDK models, 44100 of the SDK's live
tests (which run against the service); G.711 input is 8000 Hz only."""
G711_FORMATS = ("g711_ulaw", "g711_alaw")
TEMPERATURE_RANGE = (0.6, 1.2)
"""The documented range of ``temperature`` (reference: "limited to [0.6, 1.2]")."""
THRESHOLD_RANGE = (0.01, 1.0)
"""The documented range of a VAD ``threshold``: ``[0.01, 1.0)``."""
MODALITIES = ("text", "audio", "animation", "avatar")
TURN_TYPES = (
    "server_vad",
    "semantic_vad",
    "azure_semantic_vad",
    "azure_semantic_vad_en",
    "azure_semantic_vad_multilingual",
)
EAGERNESS = ("low", "medium", "high", "auto")
TOOL_CHOICES = ("auto", "none", "required")
TOOL_TYPES = ("function", "mcp", "foundry_agent")
NOISE_REDUCTION_TYPES = ("azure_deep_noise_suppression", "near_field", "far_field")
ECHO_CANCELLATION_TYPES = ("server_echo_cancellation",)
TRANSCRIPTION_MODELS = (
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-transcribe-diarize",
    "mai-transcribe",
    "mai-transcribe-1",
    "azure-speech",
)
MCP_APPROVALS = ("never", "always")
# The official SDK's enum still maps these older spellings; the service takes them (with a warning).
LEGACY_OUTPUT_FORMATS = {"pcm16-8000hz": "pcm16_8000hz", "pcm16-16000hz": "pcm16_16000hz"}

PADDING_CHANGED_IN = "2026-04-10"
"""The ``api-version`` from which the default ``prefix_padding_ms`` is 400 / 420 ms (300 before)."""

Warning_ = tuple[str, str, "str | None"]
"""A warning to send: ``(code, message, param)``."""


def is_cascaded(model: str | None) -> bool:
    """True for models that are not multimodal (``gpt-4.1``, ``gpt-4o``, ``phi4-mini``...): the
    service puts speech recognition in front of them. Realtime models (``gpt-realtime``,
    ``gpt-4o-realtime-preview``, ``phi4-mm-realtime``...) hear audio themselves."""
    return model is not None and "realtime" not in model.lower()


def turn_defaults(kind: str, api_version: str | None = None) -> dict[str, Any]:
    """The turn detection the service reports for ``{"type": kind}`` with nothing else set.

    From ``api-version`` 2026-04-10 (and when no version is given) the padding before speech is
    400 ms for ``server_vad`` and 420 ms for the ``azure_semantic_vad*`` types; earlier versions
    use 300 ms for every type. The minimum speech is 200 ms for ``server_vad`` and 80 ms for
    the ``azure_semantic_vad*`` types.
    """
    if kind == "semantic_vad":
        return {
            "type": kind,
            "eagerness": "auto",
            "create_response": True,
            "interrupt_response": True,
            "auto_truncate": False,
        }
    current = api_version is None or api_version >= PADDING_CHANGED_IN
    if kind == "server_vad":
        prefix, speech = (400 if current else 300), 200
    else:
        prefix, speech = (420 if current else 300), 80
    defaults: dict[str, Any] = {
        "type": kind,
        "threshold": 0.5,
        "prefix_padding_ms": prefix,
        "silence_duration_ms": 500,
        "speech_duration_ms": speech,
        "create_response": True,
        "interrupt_response": True,
        "auto_truncate": False,
    }
    if kind != "server_vad":
        defaults["remove_filler_words"] = False
    return defaults


def default_session(
    *,
    session_id: str | None = None,
    model: str | None = DEFAULT_MODEL,
    agent: Mapping[str, Any] | None = None,
    now: float | None = None,
    max_session_duration: float | None = 3600.0,
    api_version: str | None = None,
) -> dict[str, Any]:
    """The session a new connection starts with, as sent in ``session.created``.

    Every field the service reports is present; features that are off are ``null`` (``agent``,
    ``avatar``, ``animation``, ...). ``expires_at`` is the Unix time the session ends
    (``now + max_session_duration``; ``null`` with ``max_session_duration=None``). Cascaded models
    (`is_cascaded()`) get ``azure-speech`` input transcription by default.

    ``agent`` (``{"name": ..., "project_name": ...}``) puts the session in agent mode: it gets an
    ``agent`` entry (``type``, ``name``, ``agent_id``, ``thread_id``) and no model.
    """
    created = time.time() if now is None else now
    ids = Ids()
    session_model = None if agent is not None else model
    session: dict[str, Any] = {
        "id": session_id or ids.new("sess"),
        "object": "realtime.session",
        "model": session_model,
        "modalities": ["text", "audio"],
        "instructions": "",
        "voice": default_voice(session_model),
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_sampling_rate": 24000,
        "input_audio_transcription": (
            {"model": "azure-speech", "language": None} if is_cascaded(session_model) else None
        ),
        "input_audio_noise_reduction": None,
        "input_audio_echo_cancellation": None,
        "turn_detection": turn_defaults("server_vad", api_version),
        "tools": [],
        "tool_choice": "auto",
        "temperature": 0.8,
        "max_response_output_tokens": "inf",
        "output_audio_timestamp_types": None,
        "parallel_tool_calls": None,
        "reasoning_effort": None,
        "interim_response": None,
        "include": None,
        "metadata": None,
        "animation": None,
        "avatar": None,
        "agent": None,
        "expires_at": None if max_session_duration is None else int(created + max_session_duration),
    }
    if agent is not None:
        session["agent"] = {
            "type": "agent",
            "name": str(agent.get("name", "")),
            "agent_id": ids.new("asst"),
            "thread_id": ids.new("thread"),
            "description": None,
        }
    return session


# Values a field takes when ``session.update`` sends it as null; fields not listed become null.
_RESET: dict[str, Any] = {
    "modalities": ["text", "audio"],
    "instructions": "",
    "input_audio_format": "pcm16",
    "output_audio_format": "pcm16",
    "input_audio_sampling_rate": 24000,
    "tools": [],
    "tool_choice": "auto",
    "temperature": 0.8,
    "max_response_output_tokens": "inf",
}
_READ_ONLY = frozenset(("id", "object", "expires_at", "agent"))


class SessionConfig:
    """The session's configuration: what ``session.updated`` shows, validated like the service.

    ``voices`` restricts the accepted voice names (default: any Azure-style name and the enums').
    ``api_version`` is the connection's ``api-version`` (it changes some defaults; ``None``: the
    current ones).
    """

    def __init__(
        self,
        *,
        model: str | None = DEFAULT_MODEL,
        agent: Mapping[str, Any] | None = None,
        voices: Iterable[str] | None = None,
        session_id: str | None = None,
        now: float | None = None,
        max_session_duration: float | None = 3600.0,
        api_version: str | None = None,
    ) -> None:
        self.api_version = api_version
        self.session: dict[str, Any] = default_session(
            session_id=session_id,
            model=model,
            agent=agent,
            now=now,
            max_session_duration=max_session_duration,
            api_version=api_version,
        )
        self.voices = frozenset(voices) if voices is not None else None

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the session (what goes in ``session.created`` / ``session.updated``)."""
        return copy.deepcopy(self.session)

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        """The current turn detection (``None``: manual turns)."""
        value: dict[str, Any] | None = self.session.get("turn_detection")
        return value

    def update(self, update: _Json) -> list[Warning_]:
        """Apply a ``session.update``'s ``session``; all or nothing. Returns warnings to send.

        Raises `Reject` for the first field the service would refuse.
        """
        if update is None:
            missing("session")
        if not isinstance(update, dict):
            reject_type("session", "an object", update)
        warnings: list[Warning_] = []
        candidate = dict(self.session)
        for key, value in update.items():
            if key in _READ_ONLY or key == "type":
                continue
            param = f"session.{key}"
            check = SESSION_FIELDS.get(key)
            if check is None:
                raise Reject("unknown_parameter", f"Unknown parameter: '{param}'.", param)
            if value is None and key == "model":
                continue  # no model named: the session keeps its own
            if value is None and key == "voice":
                candidate[key] = default_voice(self.session.get("model"))
            elif value is None:
                reset = _RESET.get(key)
                candidate[key] = copy.deepcopy(reset) if reset is not None else None
            else:
                candidate[key] = check(self, value, param)
            if key == "output_audio_format" and isinstance(value, str) and value in LEGACY_OUTPUT_FORMATS:
                warnings.append(
                    (
                        "deprecated_value",
                        f"'{value}' is deprecated; use '{LEGACY_OUTPUT_FORMATS[value]}'.",
                        param,
                    )
                )
        self._check_rate_for_format(update, candidate)
        self.session = candidate
        return warnings

    def _check_rate_for_format(self, update: Mapping[str, Any], candidate: dict[str, Any]) -> None:
        """G.711 input is 8000 Hz only; a new format without a rate gets that format's default."""
        fmt = candidate.get("input_audio_format") or "pcm16"
        key = "input_audio_sampling_rate"
        if update.get(key) is None:
            if key in update or fmt != self.session.get("input_audio_format"):
                candidate[key] = 8000 if fmt in G711_FORMATS else 24000
        elif fmt in G711_FORMATS and candidate["input_audio_sampling_rate"] != 8000:
            invalid(
                "session.input_audio_sampling_rate",
                f"Invalid value: {candidate['input_audio_sampling_rate']}. The input sampling rate of "
                f"{fmt} audio is 8000 Hz.",
            )

    def response_config(self, params: Mapping[str, Any], extra: str | None) -> dict[str, Any]:
        """The effective configuration of one response: the session with ``response.create``'s overrides."""
        config = dict(self.session)
        config["max_output_tokens"] = self.session.get("max_response_output_tokens", "inf")
        for key in ("modalities", "voice", "output_audio_format", "tools", "tool_choice", "temperature"):
            if params.get(key) is not None:
                config[key] = SESSION_FIELDS[key](self, params[key], f"response.{key}")
        # The docs name it max_response_output_tokens, the SDK 1.3.1 model max_output_tokens.
        limits = {
            name: _check_max_tokens(self, params[name], f"response.{name}")
            for name in ("max_response_output_tokens", "max_output_tokens")
            if params.get(name) is not None
        }
        if len(set(limits.values())) > 1:
            invalid(
                "response.max_output_tokens",
                "Invalid value: max_output_tokens and max_response_output_tokens differ; they name the "
                "same limit, send one of them.",
            )
        if limits:
            config["max_output_tokens"] = next(iter(limits.values()))
        instructions = params.get("instructions")
        if instructions is not None:
            if not isinstance(instructions, str):
                reject_type("response.instructions", "a string", instructions)
            config["instructions"] = instructions
        if extra:
            config["instructions"] = f"{config.get('instructions') or ''}\n{extra}".strip()
        metadata = params.get("metadata")
        config["metadata"] = None
        if metadata is not None:
            config["metadata"] = _check_metadata(self, metadata, "response.metadata")
        return config

    def validate_voice(self, value: _Json, param: str) -> Any:
        """``value`` if it is a voice the service knows (a name or a voice object)."""
        name: Any
        kind: Any
        if isinstance(value, str):
            name, kind = value, None
        elif isinstance(value, dict):
            kind = value.get("type")
            name = value.get("name")
            if kind is None:
                missing(f"{param}.type")
            if kind not in VOICE_TYPES:
                invalid(
                    f"{param}.type",
                    f"Invalid value: '{kind}'. Supported voice types are: {', '.join(VOICE_TYPES)}.",
                )
            for required in VOICE_TYPES[kind]:
                if value.get(required) is None:
                    missing(f"{param}.{required}")
            for key in ("name", "endpoint_id", "model"):
                if value.get(key) is not None and not isinstance(value[key], str):
                    reject_type(f"{param}.{key}", "a string", value[key])
            if kind == "azure-personal" and value["model"] not in PERSONAL_VOICE_MODELS:
                invalid(
                    f"{param}.model",
                    f"Invalid value: '{value['model']}'. Supported values are: "
                    f"{', '.join(PERSONAL_VOICE_MODELS)}.",
                )
        else:
            reject_type(param, "a string or an object", value)
        if name is None:
            return dict(value) if isinstance(value, dict) else value
        if self.voices is not None:
            known = name in self.voices
        elif kind is None or kind == "openai":
            known = name.lower() in OPENAI_VOICES or (kind is None and bool(_AZURE_VOICE_NAME.match(name)))
        elif kind == "azure-realtime-native":
            known = name.lower() in NATIVE_VOICES
        elif kind == "azure-standard":
            known = bool(_AZURE_VOICE_NAME.match(name))
        else:
            known = True
        if not known:
            invalid(param, f"Invalid value: '{name}'. Unknown voice name.")
        return dict(value) if isinstance(value, dict) else value


# --- field validators ------------------------------------------------------------------------------

_Check = Callable[[SessionConfig, Any, str], Any]

VOICE_TYPES: dict[str, tuple[str, ...]] = {
    "openai": ("name",),
    "azure-standard": ("name",),
    "azure-custom": ("name", "endpoint_id"),
    "azure-personal": ("name", "model"),
    "azure-realtime-native": ("name",),
    "avatar-voice-sync": (),
}


def _check_str(cfg: SessionConfig, value: Any, param: str) -> str:
    if not isinstance(value, str):
        reject_type(param, "a string", value)
    return value


def _check_object(cfg: SessionConfig, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        reject_type(param, "an object", value)
    return dict(value)


def _check_str_list(cfg: SessionConfig, value: _Json, param: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        reject_type(param, "an array of strings", value)
    return list(value)


def _check_enum(value: object, param: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        reject_type(param, "a string", value)
    if value not in allowed:
        invalid(param, f"Invalid value: '{value}'. Supported values are: {', '.join(allowed)}.")
    return value


def _check_typed(allowed: tuple[str, ...]) -> _Check:
    """An object whose ``type`` is one of ``allowed`` (noise reduction, echo cancellation)."""

    def check(cfg: SessionConfig, value: _Json, param: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            reject_type(param, "an object or null", value)
        if value.get("type") is None:
            missing(f"{param}.type")
        _check_enum(value["type"], f"{param}.type", allowed)
        return dict(value)

    return check


def _check_modalities(cfg: SessionConfig, value: Any, param: str) -> list[str]:
    modalities = _check_str_list(cfg, value, param)
    for modality in modalities:
        if modality not in MODALITIES:
            invalid(param, f"Invalid value: '{modality}'. Supported modalities are: {', '.join(MODALITIES)}.")
    if not modalities:
        invalid(param, f"Invalid value for '{param}': at least one modality is required.")
    return modalities


def _check_voice(cfg: SessionConfig, value: Any, param: str) -> Any:
    return cfg.validate_voice(value, param)


def _check_input_format(cfg: SessionConfig, value: Any, param: str) -> str:
    return _check_enum(value, param, INPUT_FORMATS)


def _check_output_format(cfg: SessionConfig, value: Any, param: str) -> str:
    if isinstance(value, str) and value in LEGACY_OUTPUT_FORMATS:
        return LEGACY_OUTPUT_FORMATS[value]
    return _check_enum(value, param, tuple(OUTPUT_FORMATS))


def _check_rate(cfg: SessionConfig, value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        reject_type(param, "an integer", value)
    if value not in INPUT_RATES:
        invalid(
            param,
            f"Invalid value: {value}. Supported input sampling rates are: "
            f"{', '.join(str(r) for r in INPUT_RATES)}.",
        )
    return value


def _check_turn_detection(cfg: SessionConfig, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        reject_type(param, "an object or null", value)
    kind = value.get("type")
    if kind is None:
        missing(f"{param}.type")
    if kind not in TURN_TYPES:
        invalid(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported turn detection types are: {', '.join(TURN_TYPES)}.",
        )
    merged = turn_defaults(kind, cfg.api_version)
    for key, given in value.items():
        if given is None:
            continue
        sub = f"{param}.{key}"
        if key == "threshold":
            given = check_number(given, sub, *THRESHOLD_RANGE, high_included=False)
        elif key in ("prefix_padding_ms", "silence_duration_ms", "speech_duration_ms"):
            given = check_ms(given, sub)
        elif key in ("create_response", "interrupt_response", "auto_truncate", "remove_filler_words"):
            given = check_bool(given, sub)
        elif key == "eagerness":
            if kind != "semantic_vad":
                raise Reject("unknown_parameter", f"Unknown parameter: '{sub}'.", sub)
            given = _check_enum(given, sub, EAGERNESS)
        merged[key] = given
    return merged


def _check_transcription(cfg: SessionConfig, value: _Json, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        reject_type(param, "an object or null", value)
    model = value.get("model")
    if model is None:
        missing(f"{param}.model")
    _check_enum(model, f"{param}.model", TRANSCRIPTION_MODELS)
    return dict(value)


def _check_tools(cfg: SessionConfig, value: _Json, param: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        reject_type(param, "an array", value)
    tools: list[dict[str, Any]] = []
    tool: _Json
    for i, tool in enumerate(value):
        sub = f"{param}[{i}]"
        if not isinstance(tool, dict):
            reject_type(sub, "an object", tool)
        kind = tool.get("type")
        if kind not in TOOL_TYPES:
            invalid(
                f"{sub}.type", f"Invalid value: '{kind}'. Supported tool types are: {', '.join(TOOL_TYPES)}."
            )
        if kind == "function":
            name = tool.get("name")
            if name is None:
                missing(f"{sub}.name")
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                invalid(
                    f"{sub}.name",
                    f"Invalid value: {name!r}. Function names use 1-64 letters, digits, _ or -.",
                )
            if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
                reject_type(f"{sub}.parameters", "a JSON schema object", tool["parameters"])
        elif kind == "mcp":
            for required in ("server_label", "server_url"):
                if tool.get(required) is None:
                    missing(f"{sub}.{required}")
                if not isinstance(tool[required], str):
                    reject_type(f"{sub}.{required}", "a string", tool[required])
            approval: _Json = tool.get("require_approval")
            if isinstance(approval, str):
                _check_enum(approval, f"{sub}.require_approval", MCP_APPROVALS)
            elif approval is not None and not isinstance(approval, dict):
                reject_type(f"{sub}.require_approval", "'never', 'always' or an object", approval)
        elif kind == "foundry_agent":
            name = tool.get("agent_name")
            if name is None:
                missing(f"{sub}.agent_name")
            if not isinstance(name, str):
                reject_type(f"{sub}.agent_name", "a string", name)
        tools.append(dict(tool))
    return tools


def _check_tool_choice(cfg: SessionConfig, value: _Json, param: str) -> Any:
    if isinstance(value, str):
        if value not in TOOL_CHOICES:
            invalid(param, f"Invalid value: '{value}'. Supported values are: auto, none, required.")
        return value
    if isinstance(value, dict) and value.get("type") == "function" and isinstance(value.get("name"), str):
        return dict(value)
    invalid(param, f"Invalid value for '{param}': expected auto, none, required or a function selection.")


def _check_temperature(cfg: SessionConfig, value: Any, param: str) -> float:
    return check_number(value, param, *TEMPERATURE_RANGE)


def _check_model(cfg: SessionConfig, value: Any, param: str) -> str:
    model = _check_str(cfg, value, param)
    current = cfg.session.get("model")
    if model != current:
        invalid(
            param,
            f"Invalid value: '{model}'. The session's model is "
            + (f"'{current}'" if current is not None else "set by its agent")
            + " and cannot be changed; connect a new session to use another model.",
        )
    return model


def _check_max_tokens(cfg: SessionConfig, value: Any, param: str) -> int | str:
    if value == "inf":
        return "inf"
    if isinstance(value, bool) or not isinstance(value, int):
        reject_type(param, "an integer or 'inf'", value)
    if not 1 <= value <= 4096:
        invalid(param, f"Invalid value for '{param}': {value} is outside the range 1 to 4096.")
    return value


def _check_metadata(cfg: SessionConfig, value: _Json, param: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        reject_type(param, "an object of strings", value)
    return dict(value)


def _check_bool_field(cfg: SessionConfig, value: Any, param: str) -> bool:
    return check_bool(value, param)


SESSION_FIELDS: dict[str, _Check] = {
    "model": _check_model,
    "modalities": _check_modalities,
    "animation": _check_object,
    "voice": _check_voice,
    "instructions": _check_str,
    "input_audio_sampling_rate": _check_rate,
    "input_audio_format": _check_input_format,
    "output_audio_format": _check_output_format,
    "turn_detection": _check_turn_detection,
    "input_audio_noise_reduction": _check_typed(NOISE_REDUCTION_TYPES),
    "input_audio_echo_cancellation": _check_typed(ECHO_CANCELLATION_TYPES),
    "avatar": _check_object,
    "input_audio_transcription": _check_transcription,
    "output_audio_timestamp_types": _check_str_list,
    "tools": _check_tools,
    "tool_choice": _check_tool_choice,
    "parallel_tool_calls": _check_bool_field,
    "temperature": _check_temperature,
    "max_response_output_tokens": _check_max_tokens,
    "reasoning_effort": _check_str,
    "interim_response": _check_object,
    "include": _check_str_list,
    "metadata": _check_metadata,
}
"""Each field ``session.update`` accepts, with its validator ``(config, value, param) -> value``."""
