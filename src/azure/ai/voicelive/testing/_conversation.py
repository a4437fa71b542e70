"""The conversation store of the fake service (sans-I/O).

`Conversation` keeps the items in order, validates and normalises the items a client
creates, and knows what the wire shape does not carry: how much audio each item holds and when
each spoken word starts, so that truncation cuts the transcript where the audio ends.

What clients see of an item (`Conversation.public()`) never echoes the user's audio: an
``input_audio`` part shows ``"audio": null`` and its ``transcript``, as the service does. The
stored item keeps the audio (base64), so responders can still measure it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..audio import base64_to_pcm16, pcm16_to_base64
from ._common import Ids, get_int, get_str, invalid, missing, reject_type

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = ["Conversation", "ItemMeta", "item_text", "snapshot"]

PART_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("text", "audio"),
}
ITEM_TYPES = ("message", "function_call", "function_call_output", "mcp_approval_response")


@dataclass
class ItemMeta:
    """What the store knows about an item beyond its wire shape."""

    audio_ms: float = 0.0
    """Milliseconds of audio the item holds (input audio, or output audio generated so far)."""
    words: tuple[tuple[str, int, int], ...] = ()
    """Spoken words of an assistant audio part: ``(fragment, start_ms, duration_ms)``."""


def snapshot(item: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an item that later changes to the stored item do not affect."""
    return copy.deepcopy(dict(item))


def item_text(item: Mapping[str, Any]) -> str:
    """The text an item carries (for token counts): message text/transcripts, call name and arguments."""
    kind = item.get("type")
    if kind in ("function_call", "mcp_call"):
        return f"{item.get('name', '')}{item.get('arguments', '')}{item.get('output') or ''}"
    if kind == "function_call_output":
        return str(item.get("output", ""))
    texts: list[str] = []
    for part in item.get("content") or ():
        value = part.get("text") if "text" in part else part.get("transcript")
        if isinstance(value, str):
            texts.append(value)
    return " ".join(texts)


class Conversation:
    """The ordered conversation items of a session, with their metadata."""

    def __init__(self, ids: Ids) -> None:
        self.items: list[dict[str, Any]] = []
        """The items, oldest first, as ``conversation.item.retrieve`` returns them."""
        self.meta: dict[str, ItemMeta] = {}
        self._ids = ids
        self._by_id: dict[str, dict[str, Any]] = {}

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def last_id(self) -> str | None:
        """The id of the newest item (the ``previous_item_id`` of an item appended now)."""
        return self.items[-1]["id"] if self.items else None

    def get(self, item_id: str) -> dict[str, Any] | None:
        """The stored item with this id, or ``None``."""
        return self._by_id.get(item_id)

    @staticmethod
    def public(item: Mapping[str, Any]) -> dict[str, Any]:
        """The item as events show it: a copy whose ``input_audio`` parts carry ``"audio": null``."""
        shown = snapshot(item)
        for part in shown.get("content") or ():
            if part.get("type") == "input_audio":
                part["audio"] = None
        return shown

    def insert(
        self, item: dict[str, Any], index: int | None = None, meta: ItemMeta | None = None
    ) -> str | None:
        """Store ``item`` at ``index`` (default: last); returns its ``previous_item_id``."""
        at = len(self.items) if index is None else index
        self.items.insert(at, item)
        self._by_id[item["id"]] = item
        self._ids.claim(item["id"])
        self.meta[item["id"]] = meta if meta is not None else ItemMeta()
        return self.items[at - 1]["id"] if at else None

    def add_user_audio(
        self, item_id: str, audio: bytes, audio_ms: float
    ) -> tuple[dict[str, Any], str | None]:
        """Store a committed audio turn as a user message; returns ``(item, previous_item_id)``."""
        item: dict[str, Any] = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "audio": pcm16_to_base64(audio), "transcript": None}],
        }
        previous = self.insert(item, meta=ItemMeta(audio_ms=audio_ms))
        return item, previous

    def find(self, event: Mapping[str, Any], key: str = "item_id") -> dict[str, Any]:
        """The item named by ``event[key]``, or the service's error."""
        item_id = get_str(event, key)
        item = self._by_id.get(item_id)
        if item is None:
            invalid(key, f"Invalid value: '{item_id}'. No conversation item has this id.")
        return item

    def delete(self, item: dict[str, Any]) -> None:
        """Remove an item."""
        self.items.remove(item)
        del self._by_id[item["id"]]
        self.meta.pop(item["id"], None)

    # --- client-created items --------------------------------------------------------------------

    def create(
        self, raw: _Json, previous_item_id: object, bytes_per_ms: float, param: str = "item"
    ) -> tuple[dict[str, Any], str | None]:
        """Validate and store a client item (``conversation.item.create``).

        Returns ``(item, previous_item_id)``.

        ``previous_item_id``: ``None`` appends, ``"root"`` puts it first, an id puts it after that item.
        """
        if previous_item_id is not None and not isinstance(previous_item_id, str):
            reject_type("previous_item_id", "a string", previous_item_id)
        item = self.normalize(raw, param)
        if previous_item_id is None:
            index = len(self.items)
        elif previous_item_id == "root":
            index = 0
        elif previous_item_id in self._by_id:
            index = self.items.index(self._by_id[previous_item_id]) + 1
        else:
            invalid(
                "previous_item_id", f"Invalid value: '{previous_item_id}'. No conversation item has this id."
            )
        meta = ItemMeta()
        for part in item.get("content") or ():
            if part["type"] == "input_audio":
                audio = base64_to_pcm16(part["audio"])
                meta.audio_ms += len(audio) / bytes_per_ms
        return item, self.insert(item, index, meta)

    def normalize(self, raw: _Json, param: str) -> dict[str, Any]:
        """A client item in the service's shape (``id``, ``object``, ``status``...), validated."""
        if not isinstance(raw, dict):
            reject_type(param, "an object", raw)
        kind = get_str(raw, "type", f"{param}.type")
        item_id = get_str(raw, "id", f"{param}.id", required=False)
        if item_id is not None and item_id in self._by_id:
            invalid(f"{param}.id", f"Invalid value: '{item_id}'. An item with this id already exists.")
        base: dict[str, Any] = {
            "id": item_id or self._ids.new("item"),
            "object": "realtime.item",
            "type": kind,
        }
        if kind == "message":
            role = get_str(raw, "role", f"{param}.role")
            allowed = PART_TYPES.get(role)
            if allowed is None:
                invalid(
                    f"{param}.role", f"Invalid value: '{role}'. Supported roles are: user, assistant, system."
                )
            content: _Json = raw.get("content")
            if content is None:
                missing(f"{param}.content")
            if not isinstance(content, list):
                reject_type(f"{param}.content", "an array", content)
            parts = [_normalize_part(p, f"{param}.content[{i}]", allowed) for i, p in enumerate(content)]
            return {**base, "status": "completed", "role": role, "content": parts}
        if kind == "function_call":
            return {
                **base,
                "status": "completed",
                "name": get_str(raw, "name", f"{param}.name"),
                "call_id": get_str(raw, "call_id", f"{param}.call_id"),
                "arguments": get_str(raw, "arguments", f"{param}.arguments", required=False) or "{}",
            }
        if kind == "function_call_output":
            return {
                **base,
                "call_id": get_str(raw, "call_id", f"{param}.call_id"),
                "output": get_str(raw, "output", f"{param}.output"),
            }
        if kind == "mcp_approval_response":
            approve: _Json = raw.get("approve")
            if approve is None:
                missing(f"{param}.approve")
            if not isinstance(approve, bool):
                reject_type(f"{param}.approve", "a boolean", approve)
            request_id = get_str(raw, "approval_request_id", f"{param}.approval_request_id")
            request = self._by_id.get(request_id)
            if request is None or request.get("type") != "mcp_approval_request":
                invalid(
                    f"{param}.approval_request_id",
                    f"Invalid value: '{request_id}'. No mcp_approval_request item has this id.",
                )
            return {
                **base,
                "approval_request_id": request_id,
                "approve": approve,
                "reason": get_str(raw, "reason", f"{param}.reason", required=False),
            }
        invalid(
            f"{param}.type", f"Invalid value: '{kind}'. Supported item types are: {', '.join(ITEM_TYPES)}."
        )

    # --- truncation ------------------------------------------------------------------------------

    def check_truncate(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], int, int]:
        """Validate ``conversation.item.truncate``; returns ``(item, content_index, audio_end_ms)``."""
        item = self.find(event)
        content_index = get_int(event, "content_index")
        audio_end_ms = get_int(event, "audio_end_ms")
        if item.get("type") != "message" or item.get("role") != "assistant":
            invalid(
                "item_id", "Invalid value for 'item_id': only model output audio messages can be truncated."
            )
        content = item["content"]
        if content_index >= len(content) or content[content_index].get("type") != "audio":
            invalid(
                "content_index",
                f"Invalid value for 'content_index': content part {content_index} of item "
                f"'{item['id']}' is not model output audio.",
            )
        meta = self.meta.setdefault(item["id"], ItemMeta())
        if audio_end_ms > meta.audio_ms:
            invalid(
                "audio_end_ms",
                f"Audio content of {round(meta.audio_ms)}ms is already shorter than {audio_end_ms}ms.",
            )
        return item, content_index, audio_end_ms

    def truncate(self, item: dict[str, Any], content_index: int, audio_end_ms: int) -> None:
        """Cut an assistant audio part at ``audio_end_ms``: the transcript keeps the words heard."""
        meta = self.meta.setdefault(item["id"], ItemMeta())
        meta.audio_ms = float(min(audio_end_ms, meta.audio_ms))
        meta.words = tuple(w for w in meta.words if w[1] < audio_end_ms)
        item["content"][content_index]["transcript"] = "".join(w[0] for w in meta.words).rstrip()


def _normalize_part(raw: _Json, param: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        reject_type(param, "an object", raw)
    kind = get_str(raw, "type", f"{param}.type")
    if kind not in allowed:
        invalid(
            f"{param}.type",
            f"Invalid value: '{kind}'. Supported content types for this role are: {', '.join(allowed)}.",
        )
    if kind in ("input_text", "text"):
        return {"type": kind, "text": get_str(raw, "text", f"{param}.text")}
    if kind == "input_audio":
        audio = get_str(raw, "audio", f"{param}.audio")
        try:
            base64_to_pcm16(audio)
        except ValueError:
            invalid(f"{param}.audio", f"Invalid value for '{param}.audio': expected base64-encoded audio.")
        transcript = get_str(raw, "transcript", f"{param}.transcript", required=False)
        return {"type": kind, "audio": audio, "transcript": transcript}
    if kind == "audio":
        transcript = get_str(raw, "transcript", f"{param}.transcript", required=False)
        return {"type": kind, "transcript": transcript}
    part = {"type": kind, "image_url": get_str(raw, "image_url", f"{param}.image_url")}
    if raw.get("detail") is not None:
        part["detail"] = get_str(raw, "detail", f"{param}.detail")
    return part
