"""The 14 discriminated hierarchies: every subtype decodes from realistic wire JSON into its class
(through the lazy nested-field path of a parent model and through the base), round-trips to
identical JSON, and an unknown discriminator value falls back to the base with the payload intact."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import azure.ai.voicelive.models as models
from azure.ai.voicelive._protocol.codec import decode_server_event, encode_client_event
from azure.ai.voicelive.models import (
    AssistantMessageItem,
    AzureVoice,
    ClientEventConversationItemCreate,
    ContentPart,
    ConversationRequestItem,
    EouDetection,
    FunctionCallItem,
    InterimResponseConfigBase,
    MessageContentPart,
    MessageItem,
    RequestSession,
    Response,
    ResponseFunctionCallItem,
    ResponseItem,
    ResponseMessageItem,
    ResponseSession,
    ResponseStatusDetails,
    ServerEventConversationItemCreated,
    ServerEventResponseContentPartAdded,
    ServerVad,
    SystemMessageItem,
    Tool,
    ToolChoiceSelection,
    TurnDetection,
    UserMessageItem,
)
from azure.ai.voicelive.models._base import Model

_SPEC_PATH = Path(__file__).resolve().parents[2] / "tools" / "azure-ai-voicelive-1.3.1.json"
with open(_SPEC_PATH, encoding="utf-8") as _f:
    DISCRIMINATORS: dict[str, Any] = json.load(_f)["discriminators"]
with open(Path(__file__).parent / "fixtures" / "server_events.json", encoding="utf-8") as _f:
    SERVER_FIXTURES: dict[str, Any] = json.load(_f)
with open(Path(__file__).parent / "fixtures" / "client_events.json", encoding="utf-8") as _f:
    CLIENT_FIXTURES: dict[str, Any] = json.load(_f)

TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBl"
    "CwAAAABJRU5ErkJggg=="
)
PARAMS = {
    "type": "object",
    "properties": {"location": {"type": "string"}},
    "required": ["location"],
}

#: Realistic wire JSON for every subtype of every hierarchy (keyed by discriminator value).
WIRE: dict[str, dict[str, dict[str, Any]]] = {
    "AzureVoice": {
        "avatar-voice-sync": {
            "type": "avatar-voice-sync",
            "model": "DragonLatestNeural",
            "locale": "en-US",
            "style": "cheerful",
        },
        "azure-custom": {
            "type": "azure-custom",
            "name": "ContosoBrandVoiceNeural",
            "endpoint_id": "6d4f1c2e-8a1b-4c3d-9e8f-0a1b2c3d4e5f",
            "temperature": 0.7,
            "custom_lexicon_url": "https://contoso.blob.core.windows.net/lexicon.xml",
        },
        "azure-personal": {
            "type": "azure-personal",
            "name": "personal-voice-7f3a",
            "model": "DragonLatestNeural",
            "prefer_locales": ["en-US", "en-GB"],
        },
        "azure-standard": {
            "type": "azure-standard",
            "name": "en-US-AvaMultilingualNeural",
            "temperature": 0.8,
            "rate": "+10%",
            "pitch": "-2st",
            "volume": "loud",
        },
    },
    "ContentPart": {
        "audio": {"type": "audio", "transcript": "Sure, here is the forecast."},
        "input_audio": {"type": "input_audio", "audio": "AAAIA9sFSQgmClEL", "transcript": "What's up?"},
        "input_image": {
            "type": "input_image",
            "image_url": TINY_PNG,
            "detail": "low",
        },
        "input_text": {"type": "input_text", "text": "What's in this picture?"},
        "text": {"type": "text", "text": "A cat on a sofa."},
    },
    "ConversationRequestItem": {
        "function_call": {
            "type": "function_call",
            "id": "item_fc_01",
            "name": "get_weather",
            "call_id": "call_Xq3sVb7nLm2kJh9d",
            "arguments": '{"location":"Seattle"}',
            "status": "completed",
        },
        "function_call_output": {
            "type": "function_call_output",
            "call_id": "call_Xq3sVb7nLm2kJh9d",
            "output": '{"temperature":18,"conditions":"sunny"}',
        },
        "mcp_approval_response": {
            "type": "mcp_approval_response",
            "approval_request_id": "mcpr_68a1b2c3",
            "approve": True,
        },
        "message": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Hello!"}],
        },
    },
    "EouDetection": {
        "semantic_detection_v1": {
            "model": "semantic_detection_v1",
            "threshold_level": "low",
            "timeout_ms": 800,
        },
        "semantic_detection_v1_en": {"model": "semantic_detection_v1_en", "threshold_level": "high"},
        "semantic_detection_v1_multilingual": {
            "model": "semantic_detection_v1_multilingual",
            "threshold_level": "default",
            "timeout_ms": 1200,
        },
    },
    "InterimResponseConfigBase": {
        "llm_interim_response": {
            "type": "llm_interim_response",
            "triggers": ["latency"],
            "latency_threshold_ms": 2000,
            "model": "gpt-4o-mini",
            "instructions": "Say a short filler sentence.",
            "max_completion_tokens": 20,
        },
        "static_interim_response": {
            "type": "static_interim_response",
            "triggers": ["tool"],
            "texts": ["Let me look that up."],
        },
    },
    "MessageContentPart": {
        "input_audio": {"type": "input_audio", "audio": "AAAIA9sFSQgmClEL"},
        "input_text": {"type": "input_text", "text": "Book a table for two."},
        "text": {"type": "text", "text": "Done, the table is booked."},
    },
    "MessageItem": {
        "assistant": {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": "Hi, how can I help?"}],
            "status": "completed",
        },
        "system": {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "You are a concise assistant."}],
        },
        "user": {
            "type": "message",
            "id": "item_user_01",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Hi"},
                {"type": "input_audio", "audio": "AAAIA9sFSQgmClEL", "transcript": "Hi"},
            ],
        },
    },
    "ResponseItem": {
        "file_search_call": {
            "type": "file_search_call",
            "id": "fs_CAbR9fileS3arch2Lq",
            "object": "realtime.item",
            "status": "completed",
            "queries": ["refund policy"],
            "results": [
                {
                    "file_id": "file-9xQ2",
                    "filename": "policy.pdf",
                    "score": 0.87,
                    "text": "Refunds within 30 days.",
                    "attributes": {"lang": "en"},
                }
            ],
        },
        "function_call": {
            "type": "function_call",
            "id": "item_fc_02",
            "object": "realtime.item",
            "name": "get_weather",
            "call_id": "call_2",
            "arguments": '{"location":"Oslo"}',
            "status": "completed",
        },
        "function_call_output": {
            "type": "function_call_output",
            "id": "item_fco_02",
            "object": "realtime.item",
            "call_id": "call_2",
            "output": '{"temperature":-3}',
        },
        "mcp_approval_request": {
            "type": "mcp_approval_request",
            "id": "mcpr_68a1b2c3",
            "name": "delete_file",
            "server_label": "files",
            "arguments": '{"path":"/tmp/x"}',
        },
        "mcp_approval_response": {
            "type": "mcp_approval_response",
            "id": "item_mar_01",
            "approval_request_id": "mcpr_68a1b2c3",
            "approve": False,
            "reason": "Not allowed",
        },
        "mcp_call": {
            "type": "mcp_call",
            "id": "item_CAbR8mcpCall4Zr1Vb",
            "server_label": "docs",
            "name": "search_docs",
            "arguments": '{"query":"pricing"}',
            "approval_request_id": None,
            "output": "Pricing starts at ...",
            "error": None,
        },
        "mcp_list_tools": {
            "type": "mcp_list_tools",
            "id": "item_CAbR7mcpLs2Tools9Qx",
            "server_label": "docs",
            "tools": [
                {
                    "name": "search_docs",
                    "description": "Full-text search",
                    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
                    "annotations": {"readOnlyHint": True},
                }
            ],
        },
        "message": {
            "type": "message",
            "id": "item_msg_03",
            "object": "realtime.item",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "text", "text": "Hello."}, {"type": "audio", "transcript": "Hello."}],
        },
        "web_search_call": {"type": "web_search_call", "id": "ws_CAbR9webS3arch1Kp", "status": "searching"},
    },
    "ResponseStatusDetails": {
        "cancelled": {"type": "cancelled", "reason": "turn_detected"},
        "failed": {
            "type": "failed",
            "error": {"type": "server_error", "code": "internal_error", "message": "Try again."},
        },
        "incomplete": {"type": "incomplete", "reason": "max_output_tokens"},
    },
    "Tool": {
        "function": {
            "type": "function",
            "name": "get_weather",
            "description": "Weather",
            "parameters": PARAMS,
        },
        "mcp": {
            "type": "mcp",
            "server_label": "docs",
            "server_url": "https://mcp.contoso.example/sse",
            "authorization": "Bearer eyJ0eXAi...",
            "require_approval": {"never": ["search_docs"]},
        },
    },
    "ToolChoiceSelection": {"function": {"type": "function", "name": "get_weather"}},
    "TurnDetection": {
        "azure_semantic_vad": {
            "type": "azure_semantic_vad",
            "threshold": 0.3,
            "silence_duration_ms": 350,
            "remove_filler_words": True,
            "end_of_utterance_detection": {"model": "semantic_detection_v1", "threshold_level": "default"},
        },
        "azure_semantic_vad_en": {"type": "azure_semantic_vad_en", "threshold": 0.4, "auto_truncate": True},
        "azure_semantic_vad_multilingual": {
            "type": "azure_semantic_vad_multilingual",
            "languages": ["en", "fr", "de"],
            "interrupt_response": False,
        },
        "server_vad": {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500,
            "create_response": False,
        },
    },
}

BASES: dict[str, type[Model]] = {name: getattr(models, name) for name in DISCRIMINATORS}


def _via_parent(hierarchy: str) -> Callable[[dict[str, Any]], tuple[Model, Any]]:
    """How a parent model holds one value of the hierarchy; returns (parent, decoded value)."""

    def one(parent_cls: type[Model], wire: str) -> Callable[[dict[str, Any]], tuple[Model, Any]]:
        def get(value: dict[str, Any]) -> tuple[Model, Any]:
            parent = parent_cls._from_wire({wire: value})
            attr = next(a for a, f in parent_cls._fields.items() if f.wire == wire)
            return parent, getattr(parent, attr)

        return get

    def first(parent_cls: type[Model], wire: str) -> Callable[[dict[str, Any]], tuple[Model, Any]]:
        def get(value: dict[str, Any]) -> tuple[Model, Any]:
            parent = parent_cls._from_wire({wire: [value]})
            attr = next(a for a, f in parent_cls._fields.items() if f.wire == wire)
            decoded = getattr(parent, attr)
            assert isinstance(decoded, list) and len(decoded) == 1
            return parent, decoded[0]

        return get

    return {
        "AzureVoice": one(ResponseSession, "voice"),
        "ContentPart": one(ServerEventResponseContentPartAdded, "part"),
        "ConversationRequestItem": one(ClientEventConversationItemCreate, "item"),
        "EouDetection": one(ServerVad, "end_of_utterance_detection"),
        "InterimResponseConfigBase": one(RequestSession, "interim_response"),
        "MessageContentPart": first(UserMessageItem, "content"),
        "MessageItem": one(ClientEventConversationItemCreate, "item"),
        "ResponseItem": one(ServerEventConversationItemCreated, "item"),
        "ResponseStatusDetails": one(Response, "status_details"),
        "Tool": first(RequestSession, "tools"),
        "ToolChoiceSelection": one(RequestSession, "tool_choice"),
        "TurnDetection": one(RequestSession, "turn_detection"),
    }[hierarchy]


#: Hierarchies reached through a union alias (Voice, ToolChoice, InterimResponseConfig). An unknown
#: discriminator there is kept with its payload intact, either as the plain dict (unions of several
#: model classes: nothing says which one) or as the hierarchy's base (ToolChoice, one model class).
UNION_HELD = {"AzureVoice", "ToolChoiceSelection", "InterimResponseConfigBase"}


def _expected_class(hierarchy: str, value: str, payload: dict[str, Any]) -> type[Model]:
    name = DISCRIMINATORS[hierarchy]["mapping"][value]
    cls: type[Model] = getattr(models, name)
    if name in DISCRIMINATORS:  # two-level: MessageItem dispatches again on role
        sub = DISCRIMINATORS[name]
        cls = getattr(models, sub["mapping"][payload[sub["property"]]])
    return cls


def test_there_are_14_hierarchies_and_every_subtype_has_wire_json() -> None:
    assert len(DISCRIMINATORS) == 14
    for name, disc in DISCRIMINATORS.items():
        if name in ("ServerEvent", "ClientEvent"):
            fixtures = SERVER_FIXTURES if name == "ServerEvent" else CLIENT_FIXTURES
            assert set(fixtures) == set(disc["mapping"])
        else:
            assert set(WIRE[name]) == set(disc["mapping"]), name
            for value, payload in WIRE[name].items():
                assert payload[disc["property"]] == value


CASES = [
    (hierarchy, value)
    for hierarchy in sorted(DISCRIMINATORS)
    if hierarchy not in ("ServerEvent", "ClientEvent")
    for value in sorted(DISCRIMINATORS[hierarchy]["mapping"])
]


@pytest.mark.parametrize(("hierarchy", "value"), CASES, ids=[f"{h}-{v}" for h, v in CASES])
def test_subtype_decodes_through_parent_field_and_round_trips(hierarchy: str, value: str) -> None:
    payload = WIRE[hierarchy][value]
    expected = _expected_class(hierarchy, value, payload)
    parent, decoded = _via_parent(hierarchy)(copy.deepcopy(payload))
    assert type(decoded) is expected
    assert isinstance(decoded, BASES[hierarchy] if hierarchy not in UNION_HELD else Model)
    assert decoded.as_dict() == payload
    assert json.loads(encode_client_event(decoded)) == payload
    # Reading every declared field works.
    for attr in type(decoded)._fields:
        getattr(decoded, attr)
    # The parent's wire JSON is unchanged by the lazy decode, and it round-trips.
    parent_json = json.loads(encode_client_event(parent))
    assert parent.as_dict() == parent_json
    assert payload in (parent_json.get(k) for k in parent_json) or [payload] in parent_json.values()
    # Writes through the decoded child show in the parent.
    decoded["__probe__"] = 1
    assert "__probe__" in json.dumps(parent.as_dict())


@pytest.mark.parametrize(("hierarchy", "value"), CASES, ids=[f"{h}-{v}" for h, v in CASES])
def test_subtype_decodes_through_its_base(hierarchy: str, value: str) -> None:
    payload = WIRE[hierarchy][value]
    expected = _expected_class(hierarchy, value, payload)
    decoded = BASES[hierarchy]._from_wire(copy.deepcopy(payload))
    assert type(decoded) is expected
    assert isinstance(decoded, BASES[hierarchy])
    assert decoded == payload
    # And the concrete class built from the same mapping is the same model.
    built = expected(payload)
    assert built == decoded
    assert json.loads(encode_client_event(built)) == payload


@pytest.mark.parametrize("hierarchy", sorted(DISCRIMINATORS))
def test_unknown_discriminator_falls_back_to_base(hierarchy: str) -> None:
    prop = DISCRIMINATORS[hierarchy]["property"]
    base = BASES[hierarchy]
    payload: dict[str, Any] = {prop: "x-future-kind", "some_field": {"nested": [1, 2, 3]}, "id": "abc"}
    if hierarchy == "MessageItem":
        payload["type"] = "message"
    decoded = base._from_wire(copy.deepcopy(payload))
    assert type(decoded) is base
    assert decoded.as_dict() == payload
    assert json.loads(encode_client_event(decoded)) == payload
    assert getattr(decoded, prop) == "x-future-kind"
    # A missing discriminator falls back too.
    bare = {k: v for k, v in payload.items() if k != prop}
    assert type(base._from_wire(copy.deepcopy(bare))) is base


@pytest.mark.parametrize("hierarchy", sorted(set(WIRE) - UNION_HELD))
def test_unknown_discriminator_through_parent_field_gives_base(hierarchy: str) -> None:
    prop = DISCRIMINATORS[hierarchy]["property"]
    payload: dict[str, Any] = {prop: "x-future-kind", "payload": [1, {"a": None}]}
    if hierarchy == "MessageItem":
        payload["type"] = "message"
    parent, decoded = _via_parent(hierarchy)(copy.deepcopy(payload))
    assert type(decoded) is BASES[hierarchy]
    assert decoded == payload
    assert json.loads(encode_client_event(parent)) == parent.as_dict()


@pytest.mark.parametrize("hierarchy", sorted(UNION_HELD))
def test_unknown_discriminator_through_union_field_keeps_payload(hierarchy: str) -> None:
    payload = {"type": "x-future-kind", "name": "whatever"}
    parent, decoded = _via_parent(hierarchy)(copy.deepcopy(payload))
    assert type(decoded) in (dict, BASES[hierarchy])
    assert decoded == payload
    assert json.loads(encode_client_event(parent)) == parent.as_dict()


def test_two_level_message_item_hierarchy() -> None:
    for role, cls in (
        ("user", UserMessageItem),
        ("assistant", AssistantMessageItem),
        ("system", SystemMessageItem),
    ):
        payload = WIRE["MessageItem"][role]
        ev = ClientEventConversationItemCreate(
            {"type": "conversation.item.create", "item": copy.deepcopy(payload)}
        )
        item = ev.item
        assert type(item) is cls
        assert isinstance(item, MessageItem)
        assert isinstance(item, ConversationRequestItem)
        assert item.role == role
        assert all(isinstance(p, MessageContentPart) for p in item.content)
        assert type(ConversationRequestItem._from_wire(copy.deepcopy(payload))) is cls
        assert type(MessageItem._from_wire(copy.deepcopy(payload))) is cls
        assert json.loads(encode_client_event(ev)) == {"type": "conversation.item.create", "item": payload}
    user = ClientEventConversationItemCreate({"item": copy.deepcopy(WIRE["MessageItem"]["user"])}).item
    assert [type(p).__name__ for p in user.content] == ["InputTextContentPart", "InputAudioContentPart"]
    unknown_role = {"type": "message", "role": "developer", "content": []}
    item = ClientEventConversationItemCreate({"item": copy.deepcopy(unknown_role)}).item
    assert type(item) is MessageItem
    assert item == unknown_role


def test_same_discriminator_value_in_sibling_hierarchies_gives_different_classes() -> None:
    fc = WIRE["ConversationRequestItem"]["function_call"]
    assert type(ConversationRequestItem._from_wire(copy.deepcopy(fc))) is FunctionCallItem
    assert type(ResponseItem._from_wire(copy.deepcopy(fc))) is ResponseFunctionCallItem
    audio = {"type": "input_audio", "audio": "AAAA"}
    assert type(ContentPart._from_wire(dict(audio))).__name__ == "RequestAudioContentPart"
    assert type(MessageContentPart._from_wire(dict(audio))).__name__ == "InputAudioContentPart"
    msg = {"type": "message", "role": "assistant", "content": []}
    assert type(ResponseItem._from_wire(dict(msg))) is ResponseMessageItem
    assert type(ConversationRequestItem._from_wire(dict(msg))) is AssistantMessageItem


def test_list_fields_decode_mixed_subtypes_in_order() -> None:
    items = [WIRE["ResponseItem"][k] for k in sorted(WIRE["ResponseItem"])]
    resp = Response._from_wire({"id": "resp_1", "output": copy.deepcopy(items)})
    assert [type(o).__name__ for o in resp.output] == [
        DISCRIMINATORS["ResponseItem"]["mapping"][k] for k in sorted(WIRE["ResponseItem"])
    ]
    tools = RequestSession(
        {"tools": [WIRE["Tool"]["function"], WIRE["Tool"]["mcp"], {"type": "x-new"}]}
    ).tools
    assert [type(t).__name__ for t in tools] == ["FunctionTool", "MCPServer", "Tool"]


def test_concrete_construction_then_base_dispatch() -> None:
    for name, disc in DISCRIMINATORS.items():
        base = BASES[name]
        for cls_name in disc["mapping"].values():
            cls = getattr(models, cls_name)
            wire = cls().as_dict()
            decoded = base._from_wire(wire)
            assert isinstance(decoded, cls)
            if cls_name not in DISCRIMINATORS:
                assert type(decoded) is cls


def test_bases_are_what_the_registry_says() -> None:
    assert issubclass(MessageItem, ConversationRequestItem)
    for base in (
        AzureVoice,
        ContentPart,
        EouDetection,
        InterimResponseConfigBase,
        MessageContentPart,
        ResponseItem,
        ResponseStatusDetails,
        Tool,
        ToolChoiceSelection,
        TurnDetection,
    ):
        for cls_name in DISCRIMINATORS[base.__name__]["mapping"].values():
            assert issubclass(getattr(models, cls_name), base)


def test_decoded_server_frame_reaches_nested_hierarchies() -> None:
    frame = {
        "type": "response.done",
        "event_id": "event_1",
        "response": {
            "id": "resp_1",
            "status": "cancelled",
            "status_details": WIRE["ResponseStatusDetails"]["cancelled"],
            "output": [WIRE["ResponseItem"]["mcp_list_tools"], WIRE["ResponseItem"]["file_search_call"]],
        },
    }
    ev = decode_server_event(json.dumps(frame))
    assert type(ev.response.status_details).__name__ == "ResponseCancelledDetails"
    assert ev.response.status_details.reason == "turn_detected"
    assert type(ev.response.output[0].tools[0]).__name__ == "MCPTool"
    assert type(ev.response.output[1].results[0]).__name__ == "FileSearchResult"
    assert ev.response.output[1].results[0].score == 0.87
    assert ev.as_dict() == frame
