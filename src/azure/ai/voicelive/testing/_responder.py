"""Who answers in the fake service: replies, responders and transcribers (sans-I/O).

A *responder* decides the assistant's reply from the conversation so far:

```python
def responder(conversation: list[dict], session: dict) -> Reply | Sequence[Reply]
```

``conversation`` is the list of conversation items (wire-shaped dicts, oldest first, the ones the
response may see; do not mutate them) and ``session`` is the effective configuration of this
response: the session merged with the ``response.create`` overrides (``instructions``, ``tools``,
``tool_choice``, ``modalities``, ``voice``, ...). A reply is a [`TextReply`][] (spoken or written
depending on the modalities), a [`FunctionCallReply`][], or a plain ``str`` (short for
``TextReply``); an [`McpCallReply`][] runs a tool of a session ``mcp`` server; a sequence
gives several output items in one response. The responder may be an
``async def`` (or return any awaitable); the fake server awaits it.

A *transcriber* turns committed user audio into text when ``input_audio_transcription`` is
configured:

```python
def transcriber(pcm16: bytes, sample_rate: int) -> str
```

``pcm16`` is 16-bit little-endian mono at ``sample_rate`` (G.711 input is decoded to 8 kHz PCM16).
"""

from __future__ import annotations

import base64
import json
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union, cast

if TYPE_CHECKING:
    from ..models._base import _Json

__all__ = [
    "DefaultResponder",
    "FunctionCallReply",
    "McpCallReply",
    "Reply",
    "Responder",
    "ScriptedResponder",
    "TextReply",
    "Transcriber",
    "default_transcriber",
    "describe_duration",
]


@dataclass(frozen=True)
class TextReply:
    """An assistant message: spoken (audio + transcript) or written (text), by the modalities."""

    text: str


@dataclass(frozen=True)
class FunctionCallReply:
    """A function call: ``arguments`` is a mapping (sent as compact JSON, ``{"location":"Seattle"}``,
    as the service sends it) or JSON text sent as is.

    ``call_id`` defaults to a fresh ``call_...`` id.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict[str, Any])
    call_id: str | None = None

    def arguments_json(self) -> str:
        """The arguments as the JSON text that goes on the wire."""
        return _compact(self.arguments)


@dataclass(frozen=True)
class McpCallReply:
    """A call of tool ``name`` on the session's MCP server ``server_label``.

    As on the service, the response ends with the call (an MCP call comes last in a response)
    and the service runs it after ``response.done``; the client sends ``response.create`` to hear
    the result. Unless the server's ``require_approval`` exempts the tool, a reply without
    ``approval_request_id`` first gets an ``mcp_approval_request`` item, and the call runs when
    the client approves it (``approval_request_id`` marks a call as approved already).

    The fake makes no network call: ``output`` is the tool's result; without it the responder's
    ``run_mcp_tool(name, arguments)`` runs the tool (when the call runs, so only once approved),
    else the output is ``"{}"``. ``error`` makes the call fail.
    """

    server_label: str
    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict[str, Any])
    output: str | None = None
    error: str | None = None
    approval_request_id: str | None = None

    def arguments_json(self) -> str:
        """The arguments as the JSON text that goes on the wire."""
        return _compact(self.arguments)


def _compact(arguments: Mapping[str, Any] | str) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(dict(arguments), separators=(",", ":"), ensure_ascii=False)


Reply = Union[TextReply, FunctionCallReply, McpCallReply, str]
"""One output item of a response: text/speech, a function or MCP call, or ``str`` for ``TextReply(str)``."""

ReplyResult = Union[Reply, Sequence[Reply]]
"""What a responder returns: one reply or several (several output items in one response)."""

Responder = Callable[
    [list[dict[str, Any]], dict[str, Any]],
    Union[ReplyResult, Awaitable[ReplyResult]],
]
"""``(conversation, session) -> Reply | Sequence[Reply]`` (or an awaitable of one)."""

Transcriber = Callable[[bytes, int], str]
"""``(pcm16, sample_rate) -> transcript`` for committed user audio."""


def describe_duration(ms: float) -> str:
    """``1234`` -> ``"1.2 s"``: how the defaults describe a length of audio."""
    return f"{ms / 1000:.1f} s"


#: What :func:`default_transcriber` writes, e.g. ``[1.2 s of audio]``.
_DESCRIBED_AUDIO = re.compile(r"\[(\d+(?:\.\d+)? s) of audio\]")


def default_transcriber(pcm16: bytes, sample_rate: int) -> str:
    """The default transcriber: describes the audio instead of recognising it, e.g. ``"[1.2 s of audio]"``."""
    return f"[{describe_duration(len(pcm16) / 2 / sample_rate * 1000)} of audio]"


def normalize_replies(result: object) -> list[TextReply | FunctionCallReply | McpCallReply]:
    """Turn what a responder returned into a list of replies.

    Raises ``TypeError`` for anything that is not a reply, a string or a sequence of them.
    """
    items: Iterable[object]
    if isinstance(result, (str, TextReply, FunctionCallReply, McpCallReply)):
        items = (result,)
    elif isinstance(result, Sequence):
        items = cast("Sequence[object]", result)
    else:
        raise TypeError(
            f"a responder must return TextReply, FunctionCallReply, McpCallReply or str, got {result!r}"
        )
    replies: list[TextReply | FunctionCallReply | McpCallReply] = []
    for item in items:
        if isinstance(item, str):
            replies.append(TextReply(item))
        elif isinstance(item, (TextReply, FunctionCallReply, McpCallReply)):
            replies.append(item)
        else:
            raise TypeError(
                f"a responder must return TextReply, FunctionCallReply, McpCallReply or str, got {item!r}"
            )
    return replies


# --- the default responder ---------------------------------------------------------------------

_VERBS = frozenset(
    """get set fetch find lookup look up search query retrieve list create update delete check do
    make call run show read send tell give compute calculate""".split()  # noqa: SIM905
)
_PLACE_KEYS = ("location", "city", "place", "country", "region", "address", "destination", "where", "town")
_QUERY_KEYS = ("query", "q", "text", "search", "term", "topic", "question", "input", "prompt", "keywords")
_PLACE = re.compile(r"\b(?:in|at|for|near|from|to)\s+((?:[A-Z][\w'.-]*)(?:\s+[A-Z][\w'.-]*)*)")
_PLACE_LOOSE = re.compile(r"\b(?:in|at|near)\s+([\w'-]+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TOKEN = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _message_text(item: Mapping[str, Any]) -> str:
    texts: list[str] = []
    content: Iterable[_Json] = item.get("content") or ()
    for part in content:
        if not isinstance(part, Mapping):
            continue
        value = part.get("text") if part.get("type") in ("input_text", "text") else part.get("transcript")
        if isinstance(value, str) and value:
            texts.append(value)
    return " ".join(texts)


def _audio_ms(item: Mapping[str, Any], session: Mapping[str, Any]) -> float:
    fmt = session.get("input_audio_format") or "pcm16"
    per_ms = 8.0 if str(fmt).startswith("g711") else (session.get("input_audio_sampling_rate") or 24000) / 500
    total = 0.0
    content: Iterable[_Json] = item.get("content") or ()
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "input_audio":
            audio = part.get("audio")
            if isinstance(audio, str) and audio:
                total += len(base64.b64decode(audio)) / per_ms
    return total


def _flatten(value: _Json) -> list[str]:
    if isinstance(value, Mapping):
        return [text for v in value.values() for text in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [text for v in value for text in _flatten(v)]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    return [str(value)]


def describe_output(output: str) -> str:
    """The values of a function output, joined: ``'{"sky": "sunny", "temp": "72F"}'`` -> ``"sunny, 72F"``."""
    try:
        value: _Json = json.loads(output)
    except ValueError:
        return output.strip()
    return ", ".join(_flatten(value)) if isinstance(value, (Mapping, list)) else str(value)


def _function_tools(session: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tools: Iterable[_Json] = session.get("tools") or ()
    return [t for t in tools if isinstance(t, Mapping) and t.get("type") == "function" and t.get("name")]


def _subject_words(name: str) -> list[str]:
    spaced = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ").lower()
    return [w for w in spaced.split() if w not in _VERBS and len(w) >= 3]


def _mentions(text: str, tool: Mapping[str, Any]) -> bool:
    lowered = text.lower()
    name = str(tool["name"])
    if name.lower() in lowered or name.replace("_", " ").lower() in lowered:
        return True
    tokens = set(_TOKEN.findall(lowered))
    return any(w in tokens or w + "s" in tokens or w.rstrip("s") in tokens for w in _subject_words(name))


def _place(text: str) -> str | None:
    match = _PLACE.search(text) or _PLACE_LOOSE.search(text)
    return match.group(1).rstrip(".,!?;:") if match else None


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    kind: _Json = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return {"string"}


def _fill_argument(name: str, schema: Mapping[str, Any], text: str, required: bool) -> Any:
    kinds = _schema_types(schema)
    lname = name.lower()
    enum: _Json = schema.get("enum")
    if isinstance(enum, list) and enum:
        lowered = text.lower()
        for option in enum:
            if str(option).lower() in lowered:
                return option
        return enum[0] if required else None
    if kinds & {"integer", "number"}:
        match = _NUMBER.search(text)
        if match:
            number = float(match.group())
            return int(number) if "integer" in kinds or number.is_integer() else number
        return 0 if required else None
    if "boolean" in kinds:
        return False if required else None
    if "string" in kinds:
        if any(key in lname for key in _PLACE_KEYS):
            place = _place(text)
            if place:
                return place
        if lname in _QUERY_KEYS or required:
            return text
        return None
    if required:
        return [] if "array" in kinds else {}
    return None


def build_arguments(tool: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Arguments for ``tool`` from the user's words, guided by its JSON-schema ``parameters``.

    String properties named like a place (``location``, ``city``, ...) get the capitalised words
    after "in"/"at"/"for" ("weather in Seattle" -> ``"Seattle"``); query-like ones (``query``,
    ``text``, ...) get the whole utterance; numbers take the first number mentioned; enums the
    option mentioned. Required properties always get a value.
    """
    params: _Json = tool.get("parameters")
    if not isinstance(params, Mapping):
        return {}
    properties: _Json = params.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    required: _Json = params.get("required")
    required_names: set[Any] = set(required) if isinstance(required, list) else set()
    args: dict[str, Any] = {}
    for name, schema in properties.items():
        value = _fill_argument(
            str(name),
            cast("Mapping[str, Any]", schema) if isinstance(schema, Mapping) else {},
            text,
            name in required_names,
        )
        if value is not None:
            args[str(name)] = value
    return args


class DefaultResponder:
    """The deterministic default assistant.

    It looks at the newest item of the conversation (ignoring system messages):

    * a ``function_call_output`` or an MCP call that has run: answers ``The result is: <values>.``
      quoting the output's values (JSON objects and arrays are flattened, e.g.
      ``The result is: sunny, 72F.``), or ``The search call failed: <error>.``;
    * an ``mcp_approval_response``: answers with the approved call's result the same way (or
      ``I am still waiting for search.`` before it has run), or says it will not run a refused one;
    * a user message, with function tools available and ``tool_choice`` not ``"none"``: calls the
      first tool the words name or whose subject they mention ("What's the weather in Seattle?"
      calls ``get_weather`` with ``{"location": "Seattle"}``); ``tool_choice`` ``"required"`` or
      ``{"type": "function", "name": ...}`` forces a call; the same goes for the tools listed by
      the session's MCP servers (an MCP call ends the response: the service runs it, then the
      client sends ``response.create`` to hear the result, as the service's samples do);
    * otherwise answers ``You said: "<text>".`` with the newest user text (typed text or audio
      transcript); ``I heard 1.2 s of audio.`` for audio without a transcript (or with the
      default transcriber's ``[1.2 s of audio]`` description); and
      ``Hello! How can I help you today?`` when there is no user message.

    Options:

    * ``memory=True`` answers with what it remembers instead of ``You said``:
      ``This is turn 3; earlier you said: "Hi", "I live in Oslo".`` counting the user messages
      in the conversation (typed, spoken or created with ``conversation.item.create``), so a
      conversation carried over into a new session is visible.
    * ``preamble="Let me check."`` speaks a short message before each function or MCP call, in
      the same response (as models often do).
    * ``mcp_tools``: the tools each MCP server lists, by ``server_label`` (a list of
      ``{"name", "description", "input_schema"}``); a server not in it lists one ``search`` tool
      taking a ``query``. ``mcp_results``: a tool's output by tool name, a string or a function
      of the arguments (default: ``{"result": "<name> done"}``).

    Instructions are accepted and ignored.
    """

    def __init__(
        self,
        *,
        memory: bool = False,
        preamble: str | None = None,
        mcp_tools: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        mcp_results: Mapping[str, str | Callable[[dict[str, Any]], str]] | None = None,
    ) -> None:
        self.memory = memory
        self.preamble = preamble
        self.mcp_tools = dict(mcp_tools or {})
        self.mcp_results = dict(mcp_results or {})

    def __call__(self, conversation: list[dict[str, Any]], session: dict[str, Any]) -> ReplyResult:
        """Decide the reply for ``conversation`` under ``session`` (see the class docstring)."""
        newest: Mapping[str, Any] | None = None
        for item in reversed(conversation):
            if not (item.get("type") == "message" and item.get("role") == "system"):
                newest = item
                break
        if newest is not None and newest.get("type") == "function_call_output":
            return self._result(str(newest.get("output", "")))
        if newest is not None and newest.get("type") == "mcp_call":
            return self._mcp_outcome(newest)
        if newest is not None and newest.get("type") == "mcp_approval_response":
            return self._approved(newest, conversation)
        if newest is not None and newest.get("type") == "message" and newest.get("role") == "user":
            text = _message_text(newest)
            call = self._tool_call(text, session) or self._mcp_call(text, session, conversation)
            if call is not None:
                replies: list[Reply] = [self.preamble] if self.preamble else []
                replies.append(call)  # the call ends the response: its result comes in the next one
                return replies[0] if len(replies) == 1 else replies
            if self.memory:
                return self._remember(conversation)
            heard = _DESCRIBED_AUDIO.fullmatch(text)
            if heard:  # the default transcriber's description, not words: say what was heard
                return TextReply(f"I heard {heard.group(1)} of audio.")
            if text:
                return TextReply(f'You said: "{text}".')
            return TextReply(f"I heard {describe_duration(_audio_ms(newest, session))} of audio.")
        if self.memory:
            return self._remember(conversation)
        for item in reversed(conversation):
            if item.get("type") == "message" and item.get("role") == "user":
                text = _message_text(item)
                if text:
                    return TextReply(f'You said: "{text}".')
        return TextReply("Hello! How can I help you today?")

    @staticmethod
    def _result(output: str) -> TextReply:
        return TextReply(f"The result is: {describe_output(output).rstrip('.')}.")

    @staticmethod
    def _remember(conversation: list[dict[str, Any]]) -> TextReply:
        said = [
            _message_text(item) or "[audio]"
            for item in conversation
            if item.get("type") == "message" and item.get("role") == "user"
        ]
        if not said:
            return TextReply("Hello! How can I help you today?")
        if len(said) == 1:
            return TextReply("This is turn 1; you have not said anything before.")
        earlier = ", ".join(f'"{text}"' for text in said[:-1])
        return TextReply(f"This is turn {len(said)}; earlier you said: {earlier}.")

    @staticmethod
    def _tool_call(text: str, session: Mapping[str, Any]) -> FunctionCallReply | None:
        choice: _Json = session.get("tool_choice", "auto")
        if choice == "none":
            return None
        tools = _function_tools(session)
        if not tools:
            return None
        chosen: Mapping[str, Any] | None = None
        if isinstance(choice, Mapping) and choice.get("name"):
            chosen = next((t for t in tools if t["name"] == choice["name"]), None)
        if chosen is None:
            chosen = next((t for t in tools if _mentions(text, t)), None)
        if chosen is None and choice == "required":
            chosen = tools[0]
        if chosen is None:
            return None
        return FunctionCallReply(str(chosen["name"]), build_arguments(chosen, text))

    # --- MCP ---------------------------------------------------------------------------------------

    def list_mcp_tools(self, server_label: str, server: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The tools the MCP server ``server_label`` lists (``mcp_tools``, or one ``search`` tool)."""
        if server_label in self.mcp_tools:
            return [dict(t) for t in self.mcp_tools[server_label]]
        return [
            {
                "name": "search",
                "description": f"Search {server_label}",
                "input_schema": {
                    "type": "object",
                    "properties": {"query": {"type": "string"}},
                    "required": ["query"],
                },
            }
        ]

    def run_mcp_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """The output of an MCP tool call (from ``mcp_results``, or ``{"result": "<name> done"}``)."""
        result = self.mcp_results.get(name)
        if result is None:
            return json.dumps({"result": f"{name} done"}, separators=(",", ":"))
        return result(arguments) if callable(result) else result

    def _mcp_call(
        self, text: str, session: Mapping[str, Any], conversation: list[dict[str, Any]]
    ) -> McpCallReply | None:
        if session.get("tool_choice", "auto") == "none":
            return None
        for item in conversation:
            if item.get("type") != "mcp_list_tools":
                continue
            for tool in item.get("tools") or ():
                spec = {"name": tool.get("name", ""), "parameters": tool.get("input_schema")}
                if tool.get("name") and _mentions(text, spec):
                    return McpCallReply(
                        str(item.get("server_label")), str(tool["name"]), build_arguments(spec, text)
                    )
        return None

    def _mcp_outcome(self, call: Mapping[str, Any]) -> TextReply:
        name = str(call.get("name", ""))
        error: _Json = call.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            return TextReply(f"The {name} call failed: {str(message).rstrip('.')}.")
        if call.get("output") is None:
            return TextReply(f"I am still waiting for {name}.")
        return self._result(str(call["output"]))

    def _approved(self, answer: Mapping[str, Any], conversation: list[dict[str, Any]]) -> ReplyResult:
        request_id = answer.get("approval_request_id")
        request = next((i for i in conversation if i.get("id") == request_id), None)
        if request is None:
            return TextReply("Hello! How can I help you today?")
        name = str(request.get("name", ""))
        if not answer.get("approve"):
            return TextReply(f"OK, I will not run {name}.")
        call = next(
            (
                i
                for i in conversation
                if i.get("type") == "mcp_call" and i.get("approval_request_id") == request_id
            ),
            None,
        )
        if call is not None:
            return self._mcp_outcome(call)
        # The approved call is not in this conversation (an out-of-band response made it): make it.
        return McpCallReply(
            str(request.get("server_label", "")),
            name,
            str(request.get("arguments") or "{}"),
            approval_request_id=str(request_id),
        )


class ScriptedResponder:
    """Replies from a script, in order; after the script runs out, ``then`` answers (the default responder).

    ``ScriptedResponder("Hi!", FunctionCallReply("lookup", {"q": "x"}), [TextReply("a"), TextReply("b")])``
    answers the first response with "Hi!", the second with a function call, the third with two
    messages. [`calls`][] records each ``(conversation, session)`` it was asked about.
    """

    def __init__(self, *replies: ReplyResult, then: Responder | None = None) -> None:
        self._script: deque[ReplyResult] = deque(replies)
        self._then: Responder = then if then is not None else DefaultResponder()
        self.calls: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
        """Each ``(conversation, session)`` this responder was asked about, oldest first."""

    def __call__(
        self, conversation: list[dict[str, Any]], session: dict[str, Any]
    ) -> ReplyResult | Awaitable[ReplyResult]:
        """Return the next scripted reply, or ask ``then``."""
        self.calls.append((conversation, session))
        if self._script:
            return self._script.popleft()
        return self._then(conversation, session)
