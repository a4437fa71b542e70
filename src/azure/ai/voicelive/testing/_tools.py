"""Tools of the fake service: function calls and MCP servers (sans-I/O, no network).

Function calls stream their arguments (compact JSON, as the service sends them). An ``mcp``
tool in the session makes the fake list the server's tools (the responder provides them, see
[`DefaultResponder`][azure.ai.voicelive.testing.DefaultResponder]). An [`McpCallReply`][] is an MCP
call the model makes: the response carries an ``mcp_call`` item and streams its arguments
(``response.mcp_call_arguments.delta/done``), then ends. The service runs the call on its own
after ``response.done``: ``response.mcp_call.in_progress``, ``.completed`` or ``.failed``, and
``response.output_item.done`` with the item's ``output``. A server whose ``require_approval`` is
not ``"never"`` first asks: once the arguments are done the response adds an
``mcp_approval_request`` item, and the call runs when the client's ``mcp_approval_response``
approves it (no ``response.create`` needed); a refusal skips it. To hear the result the client
sends ``response.create``, as the service's samples do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._common import Emitter, Event
from ._conversation import Conversation
from ._responder import FunctionCallReply, McpCallReply

if TYPE_CHECKING:
    from ._responses import McpRun, Response, Responses, Steps

__all__ = ["McpRunner", "call_steps", "list_mcp_tools", "mcp_approval_needed", "mcp_run_steps", "mcp_steps"]

_ARGUMENT_CHUNK = 16

McpLister = Callable[[str, Mapping[str, Any]], Sequence[Mapping[str, Any]]]
"""``(server_label, tool) -> [{"name", "description", "input_schema"}, ...]``."""

McpRunner = Callable[[str, dict[str, Any]], str]
"""``(tool_name, arguments) -> output``: runs an MCP tool (a responder's ``run_mcp_tool``)."""


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
    ``{"never": [names], "always": [names]}`` decides per tool, and a tool in neither list needs
    approval (the default, ``"always"``, as the MCP how-to says)."""
    if server is None:
        return True
    rule: Any = server.get("require_approval")
    if rule == "never":
        return False
    if isinstance(rule, dict):
        never = _names(cast("dict[str, Any]", rule).get("never"))
        if never is not None and name in never:
            return False
    return True


def _names(value: object) -> list[object] | None:
    """Tool names of a ``require_approval`` entry: a list, or ``{"tool_names": [...]}``."""
    if isinstance(value, dict):
        value = cast("dict[str, Any]", value).get("tool_names")
    return cast("list[object]", value) if isinstance(value, list) else None


def mcp_steps(rs: Responses, r: Response, index: int, reply: McpCallReply) -> Steps:
    """An MCP call in a response: the ``mcp_call`` item and its arguments, then an approval
    request when one is needed; the call itself runs after the response (see :func:`mcp_run_steps`)."""
    from ._responses import McpRun  # the responses part builds on this one

    server = mcp_server(r.config, reply.server_label)
    arguments = reply.arguments_json()
    item: dict[str, Any] = {
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
    r.open = None  # no output_item.done yet: the item is done once the call has run
    run = McpRun(item, reply, r.id, index)
    if reply.approval_request_id is None and mcp_approval_needed(server, reply.name):
        request: dict[str, Any] = {
            "id": rs.ids.new("mcpr"),
            "object": "realtime.item",
            "type": "mcp_approval_request",
            "server_label": reply.server_label,
            "name": reply.name,
            "arguments": arguments,
        }
        yield from rs.add_item(r, request, index + 1)
        rs.awaiting_approval[request["id"]] = run  # the call waits for the client's decision
        yield from rs.item_done(r, request, index + 1)
    else:
        r.mcp_runs.append(run)


def mcp_run_steps(
    emit: Emitter, run: McpRun, runner: McpRunner | None, interval: float, errors: list[BaseException]
) -> Iterator[tuple[float, Event]]:
    """The service running an MCP call: ``response.mcp_call.in_progress``, then ``.completed``
    (or ``.failed``) and ``response.output_item.done`` with the item's ``output`` (or ``error``).

    The output is the reply's ``output``, else what ``runner`` returns (the responder's
    ``run_mcp_tool``), else ``"{}"``; the reply's ``error`` fails the call, and so does ``runner``
    raising (the exception is also recorded in ``errors``, like any the responder raises).
    """
    item, reply = run.item, run.reply
    ids = {"item_id": item["id"], "output_index": run.output_index}
    yield interval, emit.later("response.mcp_call.in_progress", **ids)
    error = reply.error
    output = reply.output
    if error is None and output is None and runner is not None:
        try:
            output = str(runner(reply.name, _json_object(item["arguments"])))
        except Exception as exc:  # the tool failed: so does the call
            errors.append(exc)
            error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        item["error"] = {"type": "mcp_tool_error", "message": error}
        yield 2 * interval, emit.later("response.mcp_call.failed", **ids)
    else:
        item["output"] = output if output is not None else "{}"
        yield 2 * interval, emit.later("response.mcp_call.completed", **ids)
    yield (
        3 * interval,
        emit.later(
            "response.output_item.done",
            response_id=run.response_id,
            output_index=run.output_index,
            item=json.loads(json.dumps(item)),
        ),
    )


def _json_object(text: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object (``{}`` for anything else)."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return {}
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


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
