"""Conversation history: seed, inspect and edit the conversation before asking a question.

Restoring a chat from your own storage, adding context the user never typed, or removing a
message: the conversation is a list of items you can manage with ``conversation.item.*``.
This sample

1. creates a system message, then a user and an assistant message chained with
   ``previous_item_id`` (each placed right after the one before),
2. adds a message by mistake and deletes it (``conversation.item.delete`` ->
   ``conversation.item.deleted``),
3. inserts a message *between* two existing ones (``previous_item_id`` of the first),
4. reads an item back (``conversation.item.retrieve`` -> ``conversation.item.retrieved``),
5. asks a question and prints the answer (text modality).

Every request is answered by an event; ``expect`` waits for it (and stops on an ``error``).

    python samples/conversation_history_async.py                        # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    AZURE_VOICELIVE_API_KEY=<key> python samples/conversation_history_async.py   # against Azure
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from _common import parser, run, target

from azure.ai.voicelive.aio import VoiceLiveConnection, connect
from azure.ai.voicelive.models import (
    AssistantMessageItem,
    InputTextContentPart,
    Modality,
    OutputTextContentPart,
    RequestSession,
    ServerEvent,
    ServerEventConversationItemCreated,
    ServerEventConversationItemDeleted,
    ServerEventConversationItemRetrieved,
    ServerEventError,
    ServerEventResponseDone,
    ServerEventResponseTextDelta,
    SystemMessageItem,
    UserMessageItem,
)

E = TypeVar("E", bound=ServerEvent)


async def expect(conn: VoiceLiveConnection, kind: type[E], timeout: float = 30.0) -> E:
    """Wait (at most ``timeout`` seconds) for the next event of type ``kind``; raise on an ``error`` event."""

    async def wait() -> E:
        async for event in conn:
            if isinstance(event, kind):
                return event
            if isinstance(event, ServerEventError):
                raise RuntimeError(f"{event.error.code}: {event.error.message}")
        raise RuntimeError("the connection closed")

    return await asyncio.wait_for(wait(), timeout)


def text_of(item: Any) -> str:
    """The text of a message item's content parts."""
    parts: list[Any] = item.get("content") or []
    return " ".join(str(part.get("text") or part.get("transcript") or "") for part in parts)


async def add(conn: VoiceLiveConnection, item: Any, previous_item_id: str | None = None) -> str:
    """Create an item (after ``previous_item_id`` when given) and return the id the service gave it."""
    await conn.conversation.item.create(item=item, previous_item_id=previous_item_id)
    created = await expect(conn, ServerEventConversationItemCreated)
    assert created.item is not None
    after = f" (after {created.previous_item_id})" if created.previous_item_id else ""
    print(f"created {created.item.id} {created.item.get('role')}: {text_of(created.item)!r}{after}")
    return str(created.item.id)


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--question", default="Where do I live, and what is my cat called?")
    args = p.parse_args()

    async with (
        target(args) as t,
        connect(endpoint=t.endpoint, credential=t.credential, model=t.model) as conn,
    ):
        await conn.session.update(
            session=RequestSession(modalities=[Modality.TEXT], turn_detection=None, instructions="Be brief.")
        )

        # 1. Seed the history: each item placed right after the previous one.
        system = await add(
            conn, SystemMessageItem(content=[InputTextContentPart(text="The user's name is Ada.")])
        )
        user = await add(
            conn, UserMessageItem(content=[InputTextContentPart(text="I live in Lisbon.")]), system
        )
        reply = await add(
            conn,
            AssistantMessageItem(content=[OutputTextContentPart(text="Lovely city! Noted, Ada.")]),
            user,
        )

        # 2. A message added by mistake, then deleted.
        wrong = await add(conn, UserMessageItem(content=[InputTextContentPart(text="I live in Oslo.")]))
        await conn.conversation.item.delete(item_id=wrong)
        deleted = await expect(conn, ServerEventConversationItemDeleted)
        print(f"deleted {deleted.item_id}")

        # 3. Insert a message between the user's message and the assistant's reply.
        await add(conn, UserMessageItem(content=[InputTextContentPart(text="My cat is called Miso.")]), user)

        # 4. Read an item back.
        await conn.conversation.item.retrieve(item_id=reply)
        retrieved = await expect(conn, ServerEventConversationItemRetrieved)
        assert retrieved.item is not None
        print(f"retrieved {retrieved.item.id} {retrieved.item.get('role')}: {text_of(retrieved.item)!r}")

        # 5. Ask a question that needs the history.
        print(f"you: {args.question}")
        await add(conn, UserMessageItem(content=[InputTextContentPart(text=args.question)]))
        await conn.response.create()
        print("assistant: ", end="", flush=True)
        async for event in conn:
            if isinstance(event, ServerEventResponseTextDelta):
                print(event.delta, end="", flush=True)
            elif isinstance(event, ServerEventResponseDone):
                print(f"  [{event.response.status}]")
                break


if __name__ == "__main__":
    run(main)
