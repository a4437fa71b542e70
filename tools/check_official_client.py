"""Drive the bundled fake server with Microsoft's official ``azure-ai-voicelive`` client.

Run by hand, in a separate virtual environment that has the official package (never in ours:
both install ``azure.ai.voicelive``)::

    python -m venv /tmp/official && /tmp/official/bin/pip install azure-ai-voicelive aiohttp
    .venv/bin/python -m azure.ai.voicelive.testing --port 8765 &      # our fake server
    /tmp/official/bin/python tools/check_official_client.py http://127.0.0.1:8765

It holds a text conversation, a function call and an audio round trip, and checks that every
server event parses into its specific typed class (never the ``ServerEvent`` fallback).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
import sys
from collections import Counter

from azure.core.credentials import AzureKeyCredential

from azure.ai.voicelive import models
from azure.ai.voicelive.aio import connect

seen: Counter[str] = Counter()


def check(event: models.ServerEvent) -> None:
    cls = type(event).__name__
    assert cls != "ServerEvent", f"event {event.type} did not parse into a typed class"
    seen[cls] += 1


async def until_done(conn) -> list[models.ServerEvent]:
    events = []
    async for event in conn:
        check(event)
        events.append(event)
        if event.type == "response.done":
            return events
    raise AssertionError("connection ended before response.done")


async def main(endpoint: str) -> None:
    async with connect(endpoint=endpoint, credential=AzureKeyCredential("k"), model="gpt-4o") as conn:
        created = await conn.recv()
        check(created)
        tool = models.FunctionTool(
            name="get_weather",
            description="Weather for a city",
            parameters={"type": "object", "properties": {"location": {"type": "string"}}},
        )
        await conn.session.update(
            session=models.RequestSession(modalities=[models.Modality.TEXT], tools=[tool], tool_choice="auto")
        )
        # 1. text conversation
        await conn.conversation.item.create(
            item=models.UserMessageItem(content=[models.InputTextContentPart(text="Hello there")])
        )
        await conn.response.create()
        events = await until_done(conn)
        text = "".join(e.delta for e in events if e.type == "response.text.delta")
        assert "Hello there" in text, text
        # 2. function call and its answer
        await conn.conversation.item.create(
            item=models.UserMessageItem(
                content=[models.InputTextContentPart(text="What is the weather in Seattle?")]
            )
        )
        await conn.response.create()
        events = await until_done(conn)
        call = next(e for e in events if e.type == "response.function_call_arguments.done")
        assert call.name == "get_weather" and json.loads(call.arguments) == {"location": "Seattle"}
        await conn.conversation.item.create(
            item=models.FunctionCallOutputItem(call_id=call.call_id, output=json.dumps({"forecast": "sunny"}))
        )
        await conn.response.create()
        events = await until_done(conn)
        answer = "".join(e.delta for e in events if e.type == "response.text.delta")
        assert "sunny" in answer, answer
        # 3. audio round trip (manual turn)
        await conn.session.update(
            session={"modalities": ["text", "audio"], "turn_detection": None, "tools": []}
        )
        tone = b"".join(struct.pack("<h", int(8000 * math.sin(i / 10))) for i in range(24000))
        for i in range(0, len(tone), 4800):
            await conn.input_audio_buffer.append(audio=base64.b64encode(tone[i : i + 4800]).decode())
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        events = await until_done(conn)
        audio = b"".join(e.delta for e in events if e.type == "response.audio.delta")
        assert len(audio) > 4800, len(audio)
    print(f"official client OK: {sum(seen.values())} events in {len(seen)} typed classes")
    for name, count in sorted(seen.items()):
        print(f"  {count:4d} {name}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"))
