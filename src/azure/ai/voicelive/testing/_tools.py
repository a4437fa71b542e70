"""Tools of the fake service: function calls and MCP servers (sans-I/O, no network).

Function calls stream their arguments (compact JSON, as the service sends them). An ``mcp``
tool in the session makes the fake list the server's tools (the responder provides them, see
[`DefaultResponder`][azure.ai.voicelive.testing.DefaultResponder]), and an [`McpCallReply`][] runs a call:
``response.mcp_call_arguments.delta/done`` and ``response.mcp_call.in_progress`` then
``.completed`` or ``.failed``. A server whose ``require_approval`` is not ``"never"`` first asks:
the response carries an ``mcp_approval_request`` item and ends; the client answers with an
``mcp_approval_response`` item and a new ``response.create``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._common import Emitter, Event
from ._conversation import Conversation
from ._responder import FunctionCallReply, McpCallReply

if TYPE_CHECKING:
    from ._responses import Response, Responses, Steps

__all__ = ["call_steps", "list_mcp_tools", "mcp_approval_needed", "mcp_steps"]

_ARGUMENT_CHUNK = 16

McpLister = Callable[[str, Mapping[str, Any]], Sequence[Mapping[str, Any]]]
"""``(server_label, tool) -> [{"name", "description", "input_schema"}, ...]``."""


def _chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), _ARGUMENT_CHUNK):
        yield text[start : start + _ARGUMENT_CHUNK]


def call_steps(rs: Responses, r: Response, index: int, reply: FunctionCallReply) -> Steps:
    """The events of a function call output item."""
    item_id = rs.ids.new("item")
    call_id = reply.call_id or rs.ids.new("call")
    arguments = reply.arguments_json()
    item: dict[str, Any] = {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": "in_progress",
        "name": reply.name,
        "call_id": call_id,
        "arguments": "",
    }
    yield from rs.add_item(r, item, index)
    ids = {"response_id": r.id, "item_id": item_id, "output_index": index, "call_id": call_id}
    for piece in _chunks(arguments):
        yield rs.later(r, "response.function_call_arguments.delta", **ids, delta=piece)
        item["arguments"] += piece
    yield rs.later(r, "response.function_call_arguments.done", **ids, name=reply.name, arguments=arguments)
    item["arguments"] = arguments
    item["status"] = "completed"
    yield from rs.item_done(r, item, index)


def mcp_server(config: Mapping[str, Any], label: str) -> Mapping[str, Any] | None:
    """The session's ``mcp`` tool with this ``server_label``."""
    for tool in config.get("tools") or ():
        if tool.get("type") == "mcp" and tool.get("server_label") == label:
            found: Mapping[str, Any] = tool
            return found
    return None


def mcp_approval_needed(server: Mapping[str, Any] | None, name: str) -> bool:
    """Whether a call of ``name`` needs approval: ``require_approval`` ``"never"`` does not;
    ``{"never": [names]}`` exempts those tools; anything else (default ``"always"``) does."""
    if server is None:
        return True
    rule: Any = server.get("require_approval")
    if rule == "never":
        return False
    if isinstance(rule, dict):
        rules = cast("dict[str, Any]", rule)
        never = _names(rules.get("never"))
        if never is not None and name in never:
            return False
        always = _names(rules.get("always"))
        if always is not None:
            return name in always
    return True


def _names(value: object) -> list[object] | None:
    """Tool names of a ``require_approval`` entry: a list, or ``{"tool_names": [...]}``."""
    if isinstance(value, dict):
        value = cast("dict[str, Any]", value).get("tool_names")
    return cast("list[object]", value) if isinstance(value, list) else None


def mcp_steps(rs: Responses, r: Response, index: int, reply: McpCallReply) -> Steps:
    """An MCP call: an approval request when one is needed, else the call and its result."""
    server = mcp_server(r.config, reply.server_label)
    arguments = reply.arguments_json()
    if reply.approval_request_id is None and mcp_approval_needed(server, reply.name):
        item: dict[str, Any] = {
            "id": rs.ids.new("mcpr"),
            "object": "realtime.item",
            "type": "mcp_approval_request",
            "server_label": reply.server_label,
            "name": reply.name,
            "arguments": arguments,
        }
        yield from rs.add_item(r, item, index)
        yield from rs.item_done(r, item, index)
        r.stop = True  # the model waits for the client's decision
        return
    item = {
        "id": rs.ids.new("mcp"),
        "object": "realtime.item",
        "type": "mcp_call",
        "server_label": reply.server_label,
        "name": reply.name,
        "arguments": "",
        "approval_request_id": reply.approval_request_id,
        "output": None,
        "error": None,
    }
    yield from rs.add_item(r, item, index)
    ids = {"response_id": r.id, "item_id": item["id"], "output_index": index}
    for piece in _chunks(arguments):
        yield rs.later(r, "response.mcp_call_arguments.delta", **ids, delta=piece)
        item["arguments"] += piece
    yield rs.later(r, "response.mcp_call_arguments.done", **ids, arguments=arguments)
    item["arguments"] = arguments
    yield rs.later(r, "response.mcp_call.in_progress", item_id=item["id"], output_index=index)
    if reply.error is not None:
        item["error"] = {"type": "mcp_tool_error", "message": reply.error}
        yield rs.later(r, "response.mcp_call.failed", item_id=item["id"], output_index=index)
    else:
        item["output"] = reply.output if reply.output is not None else "{}"
        yield rs.later(r, "response.mcp_call.completed", item_id=item["id"], output_index=index)
    yield from rs.item_done(r, item, index)


def list_mcp_tools(
    emit: Emitter,
    conversation: Conversation,
    server: Mapping[str, Any],
    lister: McpLister | None,
    interval: float,
) -> Iterator[tuple[float, Event]]:
    """The listing of an MCP server's tools after ``session.update``: ``mcp_list_tools.in_progress``,
    then ``.completed`` and the ``mcp_list_tools`` conversation item (or ``.failed``)."""
    label = str(server.get("server_label"))
    item_id = emit.ids.new("mcpl")
    yield interval, emit.later("mcp_list_tools.in_progress", item_id=item_id)
    try:
        tools = [dict(t) for t in lister(label, server)] if lister is not None else []
    except Exception:
        yield 2 * interval, emit.later("mcp_list_tools.failed", item_id=item_id)
        return
    allowed = server.get("allowed_tools")
    if isinstance(allowed, list):
        tools = [t for t in tools if t.get("name") in allowed]
    for tool in tools:
        tool.setdefault("description", None)
        tool.setdefault("input_schema", {"type": "object", "properties": {}})
        tool.setdefault("annotations", None)
    item = {
        "id": item_id,
        "object": "realtime.item",
        "type": "mcp_list_tools",
        "server_label": label,
        "tools": tools,
    }
    yield 2 * interval, emit.later("mcp_list_tools.completed", item_id=item_id)
    previous = conversation.last_id()
    conversation.insert(item)
    yield (
        3 * interval,
        emit.later("conversation.item.created", previous_item_id=previous, item=json.loads(json.dumps(item))),
    )
