"""Text chat: a text-only conversation, the assistant's answers streamed as they are written.

The session uses the text modality only (no audio at all) and manual turns. Each line given
with ``--prompt`` (repeatable; by default two lines) is sent as a user message, followed by
``response.create``; ``response.text.delta`` events are printed as they arrive. The
conversation keeps its history, so later answers can refer to earlier lines.

    python samples/text_chat_async.py                                   # against the fake server
    python samples/text_chat_async.py --prompt "Hi, I'm Ada." --prompt "What's my name?"
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/text_chat_async.py     # against Azure
"""

from __future__ import annotations

import sys

from _common import parser, run, target

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.models import (
    InputTextContentPart,
    Modality,
    RequestSession,
    ServerEventError,
    ServerEventResponseDone,
    ServerEventResponseTextDelta,
    UserMessageItem,
)

DEFAULT_PROMPTS = ["Hello! Who are you?", "Give me one tip for writing clear code."]


async def ask(conn: VoiceLiveConnection, prompt: str) -> str:
    """Send one user line, stream the written answer to stdout and return it."""
    print(f"you: {prompt}")
    await conn.conversation.item.create(item=UserMessageItem(content=[InputTextContentPart(text=prompt)]))
    await conn.response.create()
    print("assistant: ", end="", flush=True)
    answer: list[str] = []
    async for event in conn:
        if isinstance(event, ServerEventResponseTextDelta):
            answer.append(event.delta)
            print(event.delta, end="", flush=True)
        elif isinstance(event, ServerEventError):
            print(f"\nerror: {event.error.code}: {event.error.message}", file=sys.stderr)
        elif isinstance(event, ServerEventResponseDone):
            print(f"  [{event.response.status}]")
            break
    return "".join(answer)


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--prompt", action="append", help="a line to send (repeat for more; default: two lines)")
    args = p.parse_args()

    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(
                instructions="You are a concise assistant. Answer in one or two sentences.",
                modalities=[Modality.TEXT],
                turn_detection=None,  # no audio, no voice activity detection: sent as null
            )
        )
        for prompt in args.prompt or DEFAULT_PROMPTS:
            await ask(conn, prompt)


if __name__ == "__main__":
    run(main)
