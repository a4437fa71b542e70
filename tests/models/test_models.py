"""The model layer through the public API: decoding every server event, encoding every client
event, nested typed access, formats (base64, Unix timestamps), mutation, copies, equality, repr,
construction rules and pattern matching."""

from __future__ import annotations

import base64
import copy
import datetime
import json
import math
import pickle
import re
import struct
import weakref
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import pytest

import azure.ai.voicelive.models as models
from azure.ai.voicelive._protocol.codec import decode_server_event, encode_client_event
from azure.ai.voicelive.models import (
    Animation,
    AudioEchoCancellation,
    AudioInputTranscriptionOptions,
    AudioNoiseReduction,
    AvatarConfig,
    AvatarConfigTypes,
    AzureSemanticDetection,
    AzureSemanticVad,
    AzureStandardVoice,
    Background,
    CachedTokenDetails,
    ClientEvent,
    ClientEventConversationItemCreate,
    ClientEventInputAudioBufferAppend,
    ClientEventResponseCancel,
    ClientEventResponseCreate,
    ClientEventSessionUpdate,
    FunctionCallOutputItem,
    FunctionTool,
    IceServer,
    InputAudioFormat,
    InputTextContentPart,
    InputTokenDetails,
    LogProbProperties,
    MCPServer,
    MessageRole,
    Modality,
    OpenAIVoiceName,
    OutputTokenDetails,
    RequestAudioContentPart,
    RequestSession,
    Response,
    ResponseAudioContentPart,
    ResponseCreateParams,
    ResponseFunctionCallItem,
    ResponseItemStatus,
    ResponseMessageItem,
    ResponseSession,
    ResponseStatus,
    ResponseTextContentPart,
    ServerEvent,
    ServerEventConversationItemCreated,
    ServerEventError,
    ServerEventErrorDetails,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    ServerEventResponseOutputItemAdded,
    ServerEventSessionCreated,
    ServerEventWarningDetails,
    ServerVad,
    StaticInterimResponseConfig,
    TokenUsage,
    ToolChoiceFunctionSelection,
    ToolChoiceLiteral,
    TranscriptionPhrase,
    TranscriptionWord,
    UserMessageItem,
    VideoCrop,
    VideoParams,
    VideoResolution,
    VoiceLiveErrorDetails,
)
from azure.ai.voicelive.models._base import Model

_FIXTURES = Path(__file__).parent / "fixtures"
_SPEC_PATH = Path(__file__).resolve().parents[2] / "tools" / "azure-ai-voicelive-1.3.1.json"
with open(_FIXTURES / "server_events.json", encoding="utf-8") as _f:
    SERVER_FIXTURES: dict[str, Any] = json.load(_f)
with open(_FIXTURES / "client_events.json", encoding="utf-8") as _f:
    CLIENT_FIXTURES: dict[str, Any] = json.load(_f)
with open(_SPEC_PATH, encoding="utf-8") as _f:
    _SPEC = json.load(_f)
SERVER_MAPPING: dict[str, str] = _SPEC["discriminators"]["ServerEvent"]["mapping"]
CLIENT_MAPPING: dict[str, str] = _SPEC["discriminators"]["ClientEvent"]["mapping"]
SPEC_MODELS: dict[str, Any] = _SPEC["modules"]["azure.ai.voicelive.models"]["names"]

# The 16 PCM16 samples in the response.audio.delta fixture (a 1 kHz tone at 24 kHz).
FIXTURE_PCM = struct.pack("<16h", *[int(3000 * math.sin(2 * math.pi * 1000 * n / 24000)) for n in range(16)])
UNION_ALIASES = {"Voice", "ToolChoice", "InterimResponseConfig"}


def frame(payload: Any) -> str:
    return json.dumps(payload)


def decode(payload: Any) -> ServerEvent:
    return decode_server_event(json.dumps(payload))


def roundtrip(model: Any) -> Any:
    return json.loads(encode_client_event(model))


def _model_names_in(annotation: str) -> set[str]:
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"Literal\[[^\]]*\]", "", annotation)))
    return {
        n
        for n in names
        if n in UNION_ALIASES
        or (isinstance(getattr(models, n, None), type) and issubclass(getattr(models, n), Model))
    }


def read_everything(model: Any, path: str = "") -> int:
    """Read every declared field of ``model`` and of every nested model, recursively.

    Asserts that a JSON object found at a field whose annotation names a model class came back
    as a typed model (not a raw dict). Returns the number of fields read.
    """
    base = Model
    count = 0
    for attr, fld in type(model)._fields.items():
        value = getattr(model, attr)
        count += 1
        raw = model.get(fld.wire)
        if _model_names_in(fld.annotation):
            if isinstance(raw, dict):
                assert isinstance(value, base), f"{path}.{attr} stayed a {type(value).__name__}"
                assert value == raw
            elif isinstance(raw, list):
                assert isinstance(value, list) and len(value) == len(raw)
                for i, (v, r) in enumerate(zip(value, raw, strict=True)):
                    if isinstance(r, dict):
                        assert isinstance(v, base), f"{path}.{attr}[{i}] stayed a {type(v).__name__}"
        elif fld.format is None:
            # Plain fields give the wire value itself.
            assert value is raw or value == raw
        if isinstance(value, base):
            count += read_everything(value, f"{path}.{attr}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, base):
                    count += read_everything(v, f"{path}.{attr}[{i}]")
    return count


def test_fixtures_cover_every_event_type() -> None:
    assert set(SERVER_FIXTURES) == set(SERVER_MAPPING)
    assert len(SERVER_FIXTURES) == 56
    assert set(CLIENT_FIXTURES) == set(CLIENT_MAPPING)
    assert len(CLIENT_FIXTURES) == 19
    for mapping in (SERVER_FIXTURES, CLIENT_FIXTURES):
        for type_, payload in mapping.items():
            assert payload["type"] == type_


def _json_type_ok(annotation: str, value: Any) -> bool:
    """A coarse check that a wire value has the JSON type its top-level annotation asks for."""
    a = annotation.replace(" ", "")
    if a.startswith("Optional["):
        return value is None or _json_type_ok(a[len("Optional[") : -1], value)
    if a == "str" or a == "bytes":
        return isinstance(value, str)
    if a == "int":
        return type(value) is int
    if a == "float":
        return type(value) in (int, float)
    if a == "bool":
        return type(value) is bool
    if a.startswith("list["):
        return isinstance(value, list)
    if a.startswith("dict["):
        return isinstance(value, dict)
    if a.startswith("Literal["):
        return isinstance(value, str)
    if a == "Any":
        return True
    if a.startswith("Union["):
        return True  # checked by the typed reads below
    # A model name.
    return isinstance(value, dict)


@pytest.mark.parametrize("fixtures", [SERVER_FIXTURES, CLIENT_FIXTURES], ids=["server", "client"])
def test_fixtures_have_every_required_field_with_the_right_json_type(fixtures: dict[str, Any]) -> None:
    mapping = SERVER_MAPPING if fixtures is SERVER_FIXTURES else CLIENT_MAPPING
    for type_, payload in fixtures.items():
        spec = SPEC_MODELS[mapping[type_]]
        for f in spec["fields"]:
            ann = f["annotation"]
            optional = ann.startswith("Optional[") or "NoneType" in ann
            if not optional:
                assert f["wire"] in payload, f"{type_} lacks required field {f['wire']!r}"
            if f["wire"] in payload:
                assert _json_type_ok(ann, payload[f["wire"]]), (type_, f["wire"], payload[f["wire"]])


# -- every server event -------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(SERVER_FIXTURES))
def test_decode_every_server_event(event_type: str, server_events: dict[str, Any]) -> None:
    payload = server_events[event_type]
    ev = decode_server_event(frame(payload))
    assert type(ev).__name__ == SERVER_MAPPING[event_type]
    assert type(ev) is getattr(models, SERVER_MAPPING[event_type])
    assert isinstance(ev, ServerEvent)
    assert isinstance(ev, MutableMapping)
    assert ev.type == event_type
    assert ev["type"] == event_type
    assert ev.event_id == payload["event_id"]
    assert ev.as_dict() == payload
    assert roundtrip(ev) == payload
    # Bytes frames decode the same.
    assert decode_server_event(frame(payload).encode("utf-8")).as_dict() == payload
    # Every declared attribute reads without error, nested ones too, and nested JSON objects
    # come back typed.
    assert read_everything(ev) >= len(type(ev)._fields)
    # Reading fields changes nothing on the wire.
    assert ev.as_dict() == payload
    assert roundtrip(ev) == payload


@pytest.mark.parametrize("event_type", sorted(SERVER_FIXTURES))
def test_server_event_round_trips_through_its_class_and_the_base(
    event_type: str, server_events: dict[str, Any]
) -> None:
    payload = server_events[event_type]
    cls = getattr(models, SERVER_MAPPING[event_type])
    built = cls(payload)
    assert type(built) is cls
    assert built == payload
    assert roundtrip(built) == payload
    # The discriminated base dispatches a decoded dict to the registered class.
    dispatched = ServerEvent._from_wire(copy.deepcopy(payload))
    assert type(dispatched) is cls
    assert dispatched == payload


def test_decoded_event_wraps_the_parsed_dict_without_copying_nested_objects() -> None:
    ev = decode(SERVER_FIXTURES["response.output_item.added"])
    # A nested model wraps the same dict as the parent's wire data: writes show up in both.
    assert ev.item is ev.item  # decoded once, cached
    assert ev.item._data is ev["item"]


# -- nested typing of particular events ------------------------------------------------------


def test_output_item_added_nested_types() -> None:
    ev = decode(SERVER_FIXTURES["response.output_item.added"])
    assert isinstance(ev, ServerEventResponseOutputItemAdded)
    item = ev.item
    assert type(item) is ResponseMessageItem
    assert item.role == "assistant"
    assert item.role == MessageRole.ASSISTANT
    assert item.status == ResponseItemStatus.IN_PROGRESS
    assert item.object == "realtime.item"
    part = item.content[0]
    assert type(part) is ResponseAudioContentPart
    assert part.type == "audio"
    assert part.transcript == ""
    assert ev.response_id == SERVER_FIXTURES["response.output_item.added"]["response_id"]
    assert ev.output_index == 0


def test_response_done_nested_types() -> None:
    payload = SERVER_FIXTURES["response.done"]
    ev = decode(payload)
    assert isinstance(ev, ServerEventResponseDone)
    resp = ev.response
    assert type(resp) is Response
    assert resp.status == ResponseStatus.COMPLETED
    assert resp.status_details is None
    assert resp.max_output_tokens == "inf"
    assert resp.conversation_id == payload["response"]["conversation_id"]
    assert type(resp.voice) is AzureStandardVoice
    assert resp.voice.name == "en-US-AvaMultilingualNeural"
    out = resp.output[0]
    assert type(out) is ResponseMessageItem
    assert type(out.content[0]) is ResponseAudioContentPart
    assert out.content[0].transcript == "It's 18 degrees and sunny in Seattle right now."
    usage = resp.usage
    assert type(usage) is TokenUsage
    assert (usage.total_tokens, usage.input_tokens, usage.output_tokens) == (372, 227, 145)
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    details = usage.input_token_details
    assert type(details) is InputTokenDetails
    assert (details.cached_tokens, details.text_tokens, details.audio_tokens, details.image_tokens) == (
        128,
        119,
        108,
        0,
    )
    assert type(details.cached_tokens_details) is CachedTokenDetails
    assert details.cached_tokens_details.audio_tokens == 64
    assert type(usage.output_token_details) is OutputTokenDetails
    assert usage.output_token_details.audio_tokens == 113
    assert usage.output_token_details.reasoning_tokens == 0
    assert resp.metadata == {"turn": "3"}


def test_response_created_keeps_openai_voice_name_as_str() -> None:
    ev = decode(SERVER_FIXTURES["response.created"])
    assert type(ev.response.voice) is str
    assert ev.response.voice == OpenAIVoiceName.ALLOY
    assert ev.response.output == []
    assert ev.response.usage is None
    assert ev.response.status == "in_progress"


def test_session_created_nested_types() -> None:
    ev = decode(SERVER_FIXTURES["session.created"])
    assert isinstance(ev, ServerEventSessionCreated)
    s = ev.session
    assert type(s) is ResponseSession
    assert s.id == "sess_CAbR3xq0Zf2mVw8kLp1Ty"
    assert s.modalities == ["text", "audio"]
    assert s.modalities == [Modality.TEXT, Modality.AUDIO]
    assert type(s.turn_detection) is ServerVad
    assert s.turn_detection.threshold == 0.5
    assert s.turn_detection.silence_duration_ms == 500
    assert s.turn_detection.create_response is True
    assert type(s.voice) is AzureStandardVoice
    assert s.voice.name == "en-US-AvaMultilingualNeural"
    assert s.voice.temperature == 0.8
    tool = s.tools[0]
    assert type(tool) is FunctionTool
    assert tool.name == "get_weather"
    assert tool.parameters["required"] == ["location"]
    assert s.tool_choice == "auto"
    assert s.tool_choice == ToolChoiceLiteral.AUTO
    assert s.input_audio_format == InputAudioFormat.PCM16
    assert type(s.input_audio_noise_reduction) is AudioNoiseReduction
    assert type(s.input_audio_echo_cancellation) is AudioEchoCancellation
    assert type(s.input_audio_transcription) is AudioInputTranscriptionOptions
    assert s.input_audio_transcription.model == "azure-speech"
    assert s.max_response_output_tokens == "inf"
    expires = s.expires_at
    assert isinstance(expires, datetime.datetime)
    assert expires.utcoffset() == datetime.timedelta(0)
    assert expires == datetime.datetime(2026, 1, 1, 1, 0, tzinfo=datetime.timezone.utc)
    assert s["expires_at"] == 1767229200


def test_session_updated_nested_types() -> None:
    ev = decode(SERVER_FIXTURES["session.updated"])
    s = ev.session
    assert type(s.voice) is str
    assert s.voice == OpenAIVoiceName.ALLOY
    td = s.turn_detection
    assert type(td) is AzureSemanticVad
    assert td.languages == ["en", "es"]
    assert type(td.end_of_utterance_detection) is AzureSemanticDetection
    assert td.end_of_utterance_detection.timeout_ms == 1000
    assert type(s.tool_choice) is ToolChoiceFunctionSelection
    assert s.tool_choice.name == "get_weather"
    assert [type(t) for t in s.tools] == [FunctionTool, MCPServer]
    assert s.tools[1].server_label == "docs"
    assert s.tools[1].require_approval == "never"
    assert type(s.interim_response) is StaticInterimResponseConfig
    assert s.interim_response.texts == ["One moment please.", "Let me check that."]
    assert type(s.animation) is Animation
    avatar = s.avatar
    assert type(avatar) is AvatarConfig
    assert avatar.avatar_type == AvatarConfigTypes.VIDEO_AVATAR  # wire name "type"
    assert avatar["type"] == "video-avatar"
    assert type(avatar.ice_servers[0]) is IceServer
    assert avatar.ice_servers[0].urls == ["turn:relay.communication.microsoft.com:3478"]
    assert type(avatar.video) is VideoParams
    assert type(avatar.video.resolution) is VideoResolution
    assert (avatar.video.resolution.width, avatar.video.resolution.height) == (1920, 1080)
    assert type(avatar.video.crop) is VideoCrop
    assert type(avatar.video.background) is Background
    assert s.max_response_output_tokens == 4096


def test_error_and_warning_details() -> None:
    err = decode(SERVER_FIXTURES["error"])
    assert isinstance(err, ServerEventError)
    assert type(err.error) is ServerEventErrorDetails
    assert err.error.type == "invalid_request_error"
    assert err.error.code == "invalid_value"
    assert err.error.param == "session.voice.name"
    assert err.error.event_id == "evt_client_0012"
    assert "not supported" in err.error.message
    warn = decode(SERVER_FIXTURES["warning"])
    assert type(warn.warning) is ServerEventWarningDetails
    assert warn.warning.code == "unsupported_sampling_rate"


def test_conversation_and_transcription_nested_types() -> None:
    created = decode(SERVER_FIXTURES["conversation.item.created"])
    assert isinstance(created, ServerEventConversationItemCreated)
    assert type(created.item) is ResponseMessageItem
    assert created.item.role == MessageRole.USER
    assert type(created.item.content[0]) is RequestAudioContentPart
    assert created.item.content[0].transcript is None
    assert created.previous_item_id == "item_CAbR2aaaBBBcccDDDee"

    retrieved = decode(SERVER_FIXTURES["conversation.item.retrieved"])
    assert type(retrieved.item) is ResponseFunctionCallItem
    assert json.loads(retrieved.item.arguments) == {"location": "Seattle", "unit": "celsius"}

    done = decode(SERVER_FIXTURES["conversation.item.input_audio_transcription.completed"])
    assert type(done.logprobs[0]) is LogProbProperties
    assert bytes(done.logprobs[0].bytes).decode() == done.logprobs[0].token
    phrase = done.phrases[0]
    assert type(phrase) is TranscriptionPhrase
    assert [type(w) for w in phrase.words] == [TranscriptionWord] * 5
    assert " ".join(w.text for w in phrase.words) + "?" == done.transcript

    failed = decode(SERVER_FIXTURES["conversation.item.input_audio_transcription.failed"])
    assert type(failed.error) is VoiceLiveErrorDetails
    assert failed.error.param is None

    part = decode(SERVER_FIXTURES["response.content_part.done"]).part
    assert type(part) is ResponseAudioContentPart


def test_audio_delta_fixture_gives_pcm_bytes() -> None:
    ev = decode(SERVER_FIXTURES["response.audio.delta"])
    assert isinstance(ev, ServerEventResponseAudioDelta)
    assert ev.delta == FIXTURE_PCM
    assert len(ev.delta) == 32  # 16 samples of 16 bits
    assert ev["delta"] == base64.b64encode(FIXTURE_PCM).decode()
    assert struct.unpack("<16h", ev.delta)[6] == 3000  # the tone's peak


# -- every client event ---------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(CLIENT_FIXTURES))
def test_client_event_from_mapping_encodes_identical_json(
    event_type: str, client_events: dict[str, Any]
) -> None:
    payload = client_events[event_type]
    cls = getattr(models, CLIENT_MAPPING[event_type])
    ev = cls(payload)
    assert type(ev) is cls
    assert isinstance(ev, ClientEvent)
    assert ev.type == event_type
    text = encode_client_event(ev)
    assert isinstance(text, str)
    assert json.loads(text) == payload
    assert ev.as_dict() == payload
    # The mapping was copied: mutating the source leaves the model alone.
    payload["event_id"] = "changed"
    assert ev.event_id != "changed"
    # A plain dict encodes the same.
    assert json.loads(encode_client_event(CLIENT_FIXTURES[event_type])) == CLIENT_FIXTURES[event_type]
    # Reading every attribute works; nested objects are typed.
    read_everything(ev)
    # The base dispatches to the class.
    assert type(ClientEvent._from_wire(copy.deepcopy(CLIENT_FIXTURES[event_type]))) is cls


def test_client_event_nested_types_from_mapping() -> None:
    create = ClientEventConversationItemCreate(CLIENT_FIXTURES["conversation.item.create"])
    assert type(create.item) is UserMessageItem
    assert type(create.item.content[0]) is InputTextContentPart
    assert create.item.content[0].text == "And tomorrow?"
    resp = ClientEventResponseCreate(CLIENT_FIXTURES["response.create"])
    assert type(resp.response) is ResponseCreateParams
    assert type(resp.response.input_items[0]) is FunctionCallOutputItem
    assert type(resp.response.tools[0]) is FunctionTool
    assert resp.response.voice == {"type": "openai", "name": "alloy"}
    assert type(resp.response.voice).__name__ == "OpenAIVoice"
    upd = ClientEventSessionUpdate(CLIENT_FIXTURES["session.update"])
    assert type(upd.session) is RequestSession
    assert type(upd.session.turn_detection).__name__ == "AzureSemanticVadMultilingual"
    assert type(upd.session.turn_detection.end_of_utterance_detection).__name__ == (
        "AzureSemanticDetectionMultilingual"
    )


def _all_strings_are_plain(value: Any) -> bool:
    if isinstance(value, str):
        return type(value) is str
    if isinstance(value, dict):
        return all(type(k) is str and _all_strings_are_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_strings_are_plain(v) for v in value)
    return True


def test_kwargs_construction_session_update_with_nested_models_and_enums() -> None:
    ev = ClientEventSessionUpdate(
        session=RequestSession(
            modalities=[Modality.TEXT, Modality.AUDIO],
            turn_detection=ServerVad(threshold=0.4),
            voice=AzureStandardVoice(name="en-US-AvaNeural"),
        )
    )
    expected = {
        "type": "session.update",
        "session": {
            "modalities": ["text", "audio"],
            "turn_detection": {"type": "server_vad", "threshold": 0.4},
            "voice": {"type": "azure-standard", "name": "en-US-AvaNeural"},
        },
    }
    assert ev.as_dict() == expected
    assert _all_strings_are_plain(ev.as_dict())
    assert json.loads(encode_client_event(ev)) == expected
    assert type(ev.session.turn_detection) is ServerVad
    assert type(ev.session.voice) is AzureStandardVoice


def test_kwargs_construction_more_events() -> None:
    item = ClientEventConversationItemCreate(
        previous_item_id="item_1",
        item=UserMessageItem(content=[InputTextContentPart(text="Hello")]),
    )
    assert item.as_dict() == {
        "type": "conversation.item.create",
        "previous_item_id": "item_1",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
    }
    output = ClientEventConversationItemCreate(
        item=FunctionCallOutputItem(call_id="call_1", output=json.dumps({"temp": 18}))
    )
    assert roundtrip(output) == {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 18}'},
    }
    create = ClientEventResponseCreate(
        response=ResponseCreateParams(
            modalities=[Modality.TEXT],
            voice=OpenAIVoiceName.ALLOY,
            tool_choice=ToolChoiceLiteral.AUTO,
            max_output_tokens="inf",
            tools=[FunctionTool(name="get_weather", parameters={"type": "object"})],
        ),
        additional_instructions="be brief",
    )
    expected = {
        "type": "response.create",
        "response": {
            "modalities": ["text"],
            "voice": "alloy",
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
        },
        "additional_instructions": "be brief",
    }
    assert create.as_dict() == expected
    assert _all_strings_are_plain(create.as_dict())
    assert roundtrip(create) == expected
    session = RequestSession(
        input_audio_format=InputAudioFormat.PCM16,
        tool_choice=ToolChoiceFunctionSelection(name="get_weather"),
        avatar=AvatarConfig(character="lisa", customized=False, avatar_type=AvatarConfigTypes.VIDEO_AVATAR),
    )
    assert session.as_dict() == {
        "input_audio_format": "pcm16",
        "tool_choice": {"type": "function", "name": "get_weather"},
        "avatar": {"character": "lisa", "customized": False, "type": "video-avatar"},
    }
    assert _all_strings_are_plain(session.as_dict())


def test_bytes_given_for_a_text_audio_field_are_sent_as_base64() -> None:
    ev = ClientEventInputAudioBufferAppend(audio=b"\x00\x01\xff\xfe")
    assert ev["audio"] == "AAH//g=="
    assert json.loads(encode_client_event(ev)) == {"type": "input_audio_buffer.append", "audio": "AAH//g=="}


# -- base64 field ---------------------------------------------------------------------------


def test_base64_attribute_bytes_and_item_text() -> None:
    pcm = bytes(range(256)) * 4
    ev = ServerEventResponseAudioDelta(
        response_id="r", item_id="i", output_index=0, content_index=0, delta=pcm
    )
    assert ev["delta"] == base64.b64encode(pcm).decode("ascii")
    assert ev.delta == pcm
    assert type(ev.delta) is bytes
    assert ev.delta is ev.delta  # decoded once, cached
    assert json.loads(encode_client_event(ev))["delta"] == base64.b64encode(pcm).decode()


def test_base64_assignment_stores_text_and_invalidates_cache() -> None:
    ev = decode(SERVER_FIXTURES["response.audio.delta"])
    assert ev.delta == FIXTURE_PCM
    ev.delta = b"\x01\x02\x03"
    assert ev["delta"] == "AQID"
    assert ev.delta == b"\x01\x02\x03"
    ev["delta"] = "BAUG"
    assert ev.delta == b"\x04\x05\x06"
    ev["delta"] = b"\x07\x08"  # bytes through the mapping are stored as base64 text
    assert ev["delta"] == "Bwg="
    assert ev.delta == b"\x07\x08"
    ev.delta = bytearray(b"\x09")
    assert ev.delta == b"\x09"
    ev.delta = memoryview(b"\x0a\x0b")
    assert ev["delta"] == "Cgs="
    ev.update(delta="DA==")
    assert ev.delta == b"\x0c"
    ev.update({"delta": b"\x0d"})
    assert ev["delta"] == "DQ=="
    assert ev.delta == b"\x0d"
    assert ev.pop("delta") == "DQ=="
    assert ev.delta is None
    assert ev.setdefault("delta", b"\x0e") == "Dg=="
    assert ev.delta == b"\x0e"
    del ev.delta
    assert "delta" not in ev
    assert ev.delta is None
    ev.delta = "Dw=="  # text is taken as already-encoded base64
    assert ev.delta == b"\x0f"
    del ev["delta"]
    assert ev.delta is None
    ev["delta"] = "EA=="
    ev.clear()
    assert ev.delta is None and len(ev) == 0


@pytest.mark.parametrize("bad", ["abc", "A", "====A", "é", "AAAA\u00ff"])
def test_invalid_base64_raises_value_error_naming_the_field(bad: str) -> None:
    payload = dict(SERVER_FIXTURES["response.audio.delta"], delta=bad)
    ev = decode(payload)  # decoding the frame is lazy and never fails on field contents
    with pytest.raises(ValueError, match="delta") as info:
        _ = ev.delta
    assert "ServerEventResponseAudioDelta" in str(info.value)
    assert ev["delta"] == bad  # the text stays readable
    assert roundtrip(ev) == payload


def test_base64_field_with_non_string_wire_value_returns_it_unchanged() -> None:
    for raw in (None, 5, [1, 2], {"a": 1}, True):
        ev = decode(dict(SERVER_FIXTURES["response.audio.delta"], delta=raw))
        assert ev.delta == raw


def test_base64_of_a_full_100ms_chunk() -> None:
    pcm = struct.pack("<2400h", *[(i * 37) % 65536 - 32768 for i in range(2400)])
    assert len(pcm) == 4800
    text = base64.b64encode(pcm).decode()
    assert len(text) == 6400
    ev = decode(dict(SERVER_FIXTURES["response.audio.delta"], delta=text))
    assert ev.delta == pcm


# -- timestamp field ------------------------------------------------------------------------


def test_timestamp_read_and_write() -> None:
    s = ResponseSession({"expires_at": 1767229200})
    assert s.expires_at == datetime.datetime(2026, 1, 1, 1, tzinfo=datetime.timezone.utc)
    assert s.expires_at.tzinfo is not None
    s.expires_at = datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.timezone.utc)
    assert s["expires_at"] == int(
        datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.timezone.utc).timestamp()
    )
    assert type(s["expires_at"]) is int
    assert s.expires_at == datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.timezone.utc)
    # An aware datetime in another zone is stored as the same instant.
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    s.expires_at = datetime.datetime(2030, 6, 1, 14, 30, tzinfo=plus2)
    assert s.expires_at == datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.timezone.utc)
    # A naive datetime is taken as UTC.
    s.expires_at = datetime.datetime(2030, 6, 1, 12, 30)
    assert s.expires_at == datetime.datetime(2030, 6, 1, 12, 30, tzinfo=datetime.timezone.utc)
    # Plain seconds are stored as given.
    s.expires_at = 1700000000
    assert s["expires_at"] == 1700000000
    assert s.expires_at == datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc)
    # kwargs construction converts too.
    built = ResponseSession(expires_at=datetime.datetime(2026, 1, 1, 1, tzinfo=datetime.timezone.utc))
    assert built.as_dict() == {"expires_at": 1767229200}
    del s.expires_at
    assert s.expires_at is None
    assert "expires_at" not in s


def test_timestamp_with_non_numeric_wire_value_returns_it_unchanged() -> None:
    for raw in ("2026-01-01T00:00:00Z", True, None, [1]):
        assert ResponseSession({"expires_at": raw}).expires_at == raw


# -- unknown types and fields ---------------------------------------------------------------


def test_unknown_server_event_type_gives_base_with_full_payload() -> None:
    payload = {
        "type": "response.hologram.delta",
        "event_id": "event_9",
        "response_id": "resp_1",
        "delta": {"frames": [1, 2, 3]},
        "nested": {"deep": [{"x": None}]},
    }
    ev = decode(payload)
    assert type(ev) is ServerEvent
    assert ev.type == "response.hologram.delta"
    assert ev.event_id == "event_9"
    assert ev.as_dict() == payload
    assert roundtrip(ev) == payload
    assert ev["nested"]["deep"][0]["x"] is None
    no_type = decode({"event_id": "e"})
    assert type(no_type) is ServerEvent
    assert no_type.type is None


def test_unknown_fields_survive_decode_mutation_and_round_trip() -> None:
    payload = copy.deepcopy(SERVER_FIXTURES["response.done"])
    payload["future_top_level"] = {"a": [1, 2]}
    payload["response"]["future_response_field"] = "x"
    payload["response"]["output"][0]["content"][0]["future_part_field"] = 7
    ev = decode(payload)
    ev.response.output[0].content[0].transcript = "changed"
    ev.response.status = ResponseStatus.CANCELLED
    ev.event_id = "event_new"
    out = roundtrip(ev)
    assert out["future_top_level"] == {"a": [1, 2]}
    assert out["response"]["future_response_field"] == "x"
    assert out["response"]["output"][0]["content"][0]["future_part_field"] == 7
    assert out["response"]["output"][0]["content"][0]["transcript"] == "changed"
    assert out["response"]["status"] == "cancelled"
    assert out["event_id"] == "event_new"
    # Unknown keys given in the mapping form are kept too.
    vad = ServerVad({"threshold": 0.4, "future_knob": 1})
    assert vad.as_dict() == {"type": "server_vad", "threshold": 0.4, "future_knob": 1}


# -- mutation -------------------------------------------------------------------------------


def test_item_and_attribute_set_and_delete() -> None:
    ev = decode(SERVER_FIXTURES["response.audio_transcript.delta"])
    ev["delta"] = "new text"
    assert ev.delta == "new text"
    ev.delta = "via attribute"
    assert ev["delta"] == "via attribute"
    ev.output_index = 3
    assert ev["output_index"] == 3
    del ev.event_id
    assert "event_id" not in ev
    assert ev.event_id is None
    del ev["delta"]
    assert ev.delta is None
    with pytest.raises(KeyError):
        del ev["delta"]
    del ev.delta  # deleting a missing field through the attribute is a no-op
    ev["custom"] = {"k": Modality.TEXT}
    assert ev["custom"] == {"k": "text"}
    assert type(ev["custom"]["k"]) is str
    assert roundtrip(ev)["custom"] == {"k": "text"}


def test_nested_writes_through_decoded_models_show_in_parent() -> None:
    ev = decode(SERVER_FIXTURES["session.created"])
    ev.session.turn_detection.threshold = 0.9
    ev.session.voice.name = "en-US-EmmaNeural"
    ev.session.tools[0].description = "Weather lookup"
    ev.session.instructions = "new instructions"
    ev.session.modalities = [Modality.AUDIO]
    d = ev.as_dict()
    assert d["session"]["turn_detection"]["threshold"] == 0.9
    assert d["session"]["voice"]["name"] == "en-US-EmmaNeural"
    assert d["session"]["tools"][0]["description"] == "Weather lookup"
    assert d["session"]["instructions"] == "new instructions"
    assert d["session"]["modalities"] == ["audio"]
    assert type(d["session"]["modalities"][0]) is str
    assert ev["session"]["turn_detection"]["threshold"] == 0.9


def test_replacing_a_nested_model_invalidates_the_cached_one() -> None:
    ev = decode(SERVER_FIXTURES["response.output_item.added"])
    first = ev.item
    assert type(first) is ResponseMessageItem
    ev.item = ResponseMessageItem(
        role="assistant", status="completed", content=[ResponseTextContentPart(text="Hi")]
    )
    assert ev.item is not first
    assert type(ev.item.content[0]) is ResponseTextContentPart
    assert ev["item"] == {
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "text", "text": "Hi"}],
    }
    ev["item"] = {
        "type": "function_call",
        "name": "f",
        "call_id": "c",
        "arguments": "{}",
        "status": "completed",
    }
    assert type(ev.item) is ResponseFunctionCallItem
    ev.update(item={"type": "message", "role": "user", "content": [], "status": "completed"})
    assert type(ev.item) is ResponseMessageItem
    assert ev.item.role == "user"
    del ev.item
    assert ev.item is None
    ev.setdefault("item", {"type": "message", "role": "system", "content": [], "status": "completed"})
    assert ev.item.role == "system"
    ev.pop("item")
    assert ev.item is None


def test_mapping_protocol() -> None:
    ev = ServerEventResponseAudioDelta(
        response_id="r", item_id="i", output_index=0, content_index=1, delta=b"\x00"
    )
    assert isinstance(ev, Mapping) and isinstance(ev, MutableMapping)
    assert list(ev) == ["type", "response_id", "item_id", "output_index", "content_index", "delta"]
    assert list(ev.keys()) == list(ev)
    assert list(ev.values()) == ["response.audio.delta", "r", "i", 0, 1, "AA=="]
    assert dict(ev.items()) == ev.as_dict()
    assert len(ev) == 6
    assert "delta" in ev and "nope" not in ev
    assert ev.get("nope") is None and ev.get("nope", 5) == 5
    assert dict(ev) == ev.as_dict()
    with pytest.raises(KeyError):
        ev["nope"]
    ev.update({"event_id": "e1"}, extra=1)
    assert ev["event_id"] == "e1" and ev["extra"] == 1
    assert ev.pop("extra") == 1
    assert ev.pop("extra", "default") == "default"
    with pytest.raises(KeyError):
        ev.pop("extra")
    assert ev.setdefault("event_id", "other") == "e1"
    assert ev.setdefault("new", [1]) == [1]
    assert ev.popitem() == ("new", [1])
    assert len(ev) == 7
    ev.clear()
    assert len(ev) == 0 and list(ev) == [] and ev.as_dict() == {}
    with pytest.raises(KeyError):
        ev.popitem()
    assert ev.type is None


def test_as_dict_is_a_deep_plain_copy() -> None:
    ev = decode(SERVER_FIXTURES["response.done"])
    _ = ev.response.output[0].content[0]  # populate the caches
    d = ev.as_dict()
    assert type(d) is dict
    assert type(d["response"]) is dict
    assert type(d["response"]["output"][0]) is dict
    d["response"]["output"][0]["content"][0]["transcript"] = "mutated"
    assert ev.response.output[0].content[0].transcript != "mutated"
    assert ev.as_dict(exclude_readonly=True) == ev.as_dict()


# -- copies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type", ["session.created", "response.done", "response.audio.delta", "conversation.item.created"]
)
def test_copy_is_deep_and_same_class(event_type: str) -> None:
    ev = decode(SERVER_FIXTURES[event_type])
    for dup in (ev.copy(), copy.copy(ev), copy.deepcopy(ev), pickle.loads(pickle.dumps(ev))):
        assert type(dup) is type(ev)
        assert dup == ev
        assert dup is not ev
        assert dup.as_dict() == SERVER_FIXTURES[event_type]
        # Mutating the copy's nested dicts leaves the original alone.
        for value in dup.values():
            if isinstance(value, dict):
                value["__mutated__"] = True
        dup["event_id"] = "other"
        assert ev.as_dict() == SERVER_FIXTURES[event_type]


def test_copy_of_nested_cache_is_independent() -> None:
    ev = decode(SERVER_FIXTURES["session.created"])
    _ = ev.session.turn_detection  # cache it on the original
    dup = ev.copy()
    dup.session.turn_detection.threshold = 0.99
    assert ev.session.turn_detection.threshold == 0.5
    assert dup.session.turn_detection.threshold == 0.99
    ev.session.voice.name = "changed"
    assert dup.session.voice.name == "en-US-AvaMultilingualNeural"


def test_pickle_round_trip_of_many_models() -> None:
    for payload in SERVER_FIXTURES.values():
        ev = decode(payload)
        back = pickle.loads(pickle.dumps(ev, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is type(ev)
        assert back.as_dict() == payload
    for type_, payload in CLIENT_FIXTURES.items():
        ev = getattr(models, CLIENT_MAPPING[type_])(payload)
        back = pickle.loads(pickle.dumps(ev))
        assert type(back) is type(ev) and back == payload


# -- equality, hashing, repr ----------------------------------------------------------------


def test_equality_with_models_and_dicts() -> None:
    payload = SERVER_FIXTURES["response.text.delta"]
    a = decode(payload)
    b = decode(payload)
    assert a == b
    assert (a != b) is False
    assert a == payload
    assert payload == a
    assert (a != payload) is False
    assert a != dict(payload, delta="other")
    assert dict(payload, delta="other") != a
    b.delta = "other"
    assert a != b
    assert (a == b) is False
    assert a != "response.text.delta"
    assert a != 5
    assert a != None  # noqa: E711
    assert a != [payload]
    assert ServerVad(threshold=0.5) == ServerVad({"type": "server_vad", "threshold": 0.5})
    assert ServerVad(threshold=0.5) != ServerVad(threshold=0.6)


def test_models_are_unhashable() -> None:
    ev = decode(SERVER_FIXTURES["response.text.delta"])
    with pytest.raises(TypeError):
        hash(ev)
    with pytest.raises(TypeError):
        {ev}  # noqa: B018
    with pytest.raises(TypeError):
        hash(ServerVad())


def test_repr_shows_class_and_fields() -> None:
    ev = decode(SERVER_FIXTURES["response.audio_transcript.delta"])
    r = repr(ev)
    assert r.startswith("ServerEventResponseAudioTranscriptDelta(")
    assert "'delta': \"It's 18 degrees\"" in r
    assert "'response_id': 'resp_CAbR5mN2cJ7hGd4eQw9Zk'" in r
    assert repr(ServerVad(threshold=0.4)) == "ServerVad({'type': 'server_vad', 'threshold': 0.4})"


def test_repr_truncates_audio_payloads() -> None:
    pcm = bytes(4800)  # 100 ms of 24 kHz PCM16
    ev = ServerEventResponseAudioDelta(delta=pcm)
    assert len(ev["delta"]) == 6400
    r = repr(ev)
    assert len(r) < 200
    assert "6400" in r  # says how long the payload was
    assert "A" * 33 not in r
    # A realistic event: the payload contributes only a short prefix.
    full = decode(dict(SERVER_FIXTURES["response.audio.delta"], delta=base64.b64encode(pcm).decode()))
    without = decode(dict(SERVER_FIXTURES["response.audio.delta"], delta=""))
    assert len(repr(full)) < len(repr(without)) + 60
    append = ClientEventInputAudioBufferAppend(audio=pcm)
    assert len(repr(append)) < 200
    # Short payloads are shown in full.
    assert "'AQID'" in repr(ServerEventResponseAudioDelta(delta=b"\x01\x02\x03"))


# -- construction ---------------------------------------------------------------------------


def test_unknown_keyword_raises_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="thresold"):
        ServerVad(thresold=0.4)
    with pytest.raises(TypeError, match="'type'"):
        AvatarConfig(type="video-avatar")  # the attribute is avatar_type; "type" is the wire name
    with pytest.raises(TypeError, match="bogus"):
        ClientEventSessionUpdate(session=RequestSession(), bogus=1)


def test_none_kwargs_are_dropped() -> None:
    assert ClientEventResponseCancel(response_id=None).as_dict() == {"type": "response.cancel"}
    assert ServerVad(threshold=None, silence_duration_ms=300).as_dict() == {
        "type": "server_vad",
        "silence_duration_ms": 300,
    }
    assert json.loads(encode_client_event(ClientEventResponseCancel(response_id=None, event_id=None))) == {
        "type": "response.cancel"
    }


def test_request_session_keeps_explicit_none_as_null() -> None:
    s = RequestSession(turn_detection=None)
    assert s.as_dict() == {"turn_detection": None}
    # As upstream, the mapping leaves the explicit None out; the wire carries it.
    assert "turn_detection" not in s
    assert dict(s) == {}
    assert len(s) == 0
    assert s.turn_detection is None
    text = encode_client_event(ClientEventSessionUpdate(session=RequestSession(turn_detection=None)))
    assert json.loads(text) == {"type": "session.update", "session": {"turn_detection": None}}
    assert re.search(r'"turn_detection"\s*:\s*null', text)
    assert RequestSession().as_dict() == {}
    assert RequestSession(instructions="x").as_dict() == {"instructions": "x"}
    # Only the fields whose null means "off" keep None; elsewhere None means "not set" (the
    # official package would send ``"voice": null`` too; see docs/migration.md).
    s = RequestSession(instructions=None, voice=None, input_audio_transcription=None, turn_detection=None)
    assert s.as_dict() == {"input_audio_transcription": None, "turn_detection": None}
    s.instructions = None
    s.turn_detection = None
    assert s.as_dict() == {"input_audio_transcription": None, "turn_detection": None}
    assert dict(s) == {}


def test_explicit_null_follows_later_writes() -> None:
    s = RequestSession(turn_detection=None, modalities=["text"])
    s.turn_detection = ServerVad()  # a value replaces the null (the official package keeps null)
    assert s.as_dict() == {"modalities": ["text"], "turn_detection": {"type": "server_vad"}}
    s.turn_detection = None  # and None switches it off again
    assert s.as_dict() == {"modalities": ["text"], "turn_detection": None}
    assert dict(s) == {"modalities": ["text"]}
    del s.turn_detection
    assert s.as_dict() == {"modalities": ["text"]}
    s = RequestSession(turn_detection=None)
    s["turn_detection"] = None  # an item write is plain mapping data, as upstream
    assert dict(s) == {"turn_detection": None}
    assert s.as_dict() == {"turn_detection": None}
    s = RequestSession(input_audio_transcription=None)
    s.clear()
    assert s.as_dict() == {}
    kept = pickle.loads(pickle.dumps(RequestSession(turn_detection=None, voice="alloy")))
    assert kept.as_dict() == {"voice": "alloy", "turn_detection": None}
    assert dict(kept) == {"voice": "alloy"}
    assert copy.deepcopy(kept).as_dict() == {"voice": "alloy", "turn_detection": None}
    assert kept.copy().as_dict() == {"voice": "alloy", "turn_detection": None}


def test_positional_arguments_rules() -> None:
    with pytest.raises(TypeError):
        ServerVad({"threshold": 0.1}, {"threshold": 0.2})
    with pytest.raises(TypeError):
        ServerVad([("threshold", 0.1)])
    with pytest.raises(TypeError):
        ServerVad("threshold")
    with pytest.raises(TypeError):
        ServerVad(5)
    with pytest.raises(TypeError):
        ServerVad({"threshold": 0.1}, threshold=0.2)
    # One mapping (any Mapping, including another model) is fine.
    vad = ServerVad({"threshold": 0.1})
    assert vad.as_dict() == {"type": "server_vad", "threshold": 0.1}
    again = ServerVad(vad)
    assert again == vad
    again.threshold = 0.3
    assert vad.threshold == 0.1


def test_concrete_classes_fill_in_their_discriminators() -> None:
    assert dict(ServerEventResponseAudioDelta()) == {"type": "response.audio.delta"}
    assert dict(UserMessageItem()) == {"type": "message", "role": "user"}
    assert dict(ServerVad()) == {"type": "server_vad"}
    assert dict(AzureStandardVoice()) == {"type": "azure-standard"}
    assert dict(RequestSession()) == {}
    assert dict(ServerEvent()) == {}


def test_nested_model_given_to_constructor_is_shared_not_copied() -> None:
    # Documented: nested models wrap the same dict, so later writes through them are seen.
    session = RequestSession(instructions="a")
    ev = ClientEventSessionUpdate(session=session)
    session.instructions = "b"
    assert ev.session.instructions == "b"
    assert json.loads(encode_client_event(ev))["session"] == {"instructions": "b"}


# -- pattern matching -----------------------------------------------------------------------


def _describe(ev: ServerEvent) -> tuple[str, Any]:
    match ev:
        case ServerEventResponseAudioDelta(delta=pcm):
            return ("audio", pcm)
        case ServerEventResponseAudioTranscriptDelta(delta=text):
            return ("transcript", text)
        case ServerEventError(error=ServerEventErrorDetails(code=code)):
            return ("error", code)
        case ServerEventResponseOutputItemAdded(
            item=ResponseMessageItem(content=[ResponseAudioContentPart()])
        ):
            return ("audio item", None)
        case ServerEvent(type=t):
            return ("other", t)
    return ("unreachable", None)


def test_match_narrowing() -> None:
    assert _describe(decode(SERVER_FIXTURES["response.audio.delta"])) == ("audio", FIXTURE_PCM)
    assert _describe(decode(SERVER_FIXTURES["response.audio_transcript.delta"])) == (
        "transcript",
        "It's 18 degrees",
    )
    assert _describe(decode(SERVER_FIXTURES["error"])) == ("error", "invalid_value")
    assert _describe(decode(SERVER_FIXTURES["response.output_item.added"])) == ("audio item", None)
    assert _describe(decode(SERVER_FIXTURES["response.text.delta"])) == ("other", "response.text.delta")
    assert _describe(decode({"type": "brand.new"})) == ("other", "brand.new")


def test_match_mapping_pattern_and_isinstance() -> None:
    ev = decode(SERVER_FIXTURES["response.audio.delta"])
    match ev:
        case {"type": "response.audio.delta", "delta": str(text)}:
            assert base64.b64decode(text) == FIXTURE_PCM
        case _:
            pytest.fail("a model must match a mapping pattern")
    assert isinstance(ev, ServerEventResponseAudioDelta)
    assert not isinstance(ev, ServerEventResponseAudioTranscriptDelta)
    assert not isinstance(ev, dict)


def test_models_are_plain_objects_too() -> None:
    event = decode_server_event('{"type":"response.done","event_id":"e1","response":{"id":"r1"}}')
    assert hasattr(event, "__dict__")
    assert vars(event) == {}
    event.received_at = 12.5  # an ad-hoc attribute, as on any plain object
    assert vars(event) == {"received_at": 12.5}
    assert event.received_at == 12.5
    assert "received_at" not in event  # never part of the mapping...
    assert json.loads(encode_client_event(ClientEventResponseCancel(response_id="r1"))) == {
        "type": "response.cancel",
        "response_id": "r1",
    }
    session = RequestSession(voice="alloy")
    session.label = "config A"
    assert session.as_dict() == {"voice": "alloy"}  # ...nor on the wire
    assert json.loads(encode_client_event(ClientEventSessionUpdate(session=session)))["session"] == {
        "voice": "alloy"
    }
    assert weakref.ref(session)() is session
    for copied in (
        session.copy(),
        copy.copy(session),
        copy.deepcopy(session),
        pickle.loads(pickle.dumps(session)),
    ):
        assert copied.label == "config A"
        assert copied == session
    with pytest.raises(AttributeError):
        _ = event.not_set_anywhere
