"""Agent mode: talk to an Azure AI Foundry agent instead of a bare model.

``connect(agent_name=..., project_name=...)`` (instead of ``model=``) opens a session bound to
an agent of a Foundry project: the agent brings its own instructions, tools and knowledge, and
``session.created`` carries its identity (``session.agent``: name, agent id, thread id).
``agent_version=`` and ``conversation_id=`` (resume a conversation) refine it. This sample
prints the agent's details and has one exchange: a typed question and the agent's spoken
answer (its transcript is printed; the audio is counted).

Agent sessions authenticate with Microsoft Entra ID: leave the API key unset so that
``DefaultAzureCredential`` is used, with an identity that has access to the project.
Options: ``--agent-name`` / ``$AZURE_VOICELIVE_AGENT_NAME`` and ``--project-name`` /
``$AZURE_VOICELIVE_PROJECT_NAME``; against the bundled fake server they default to a demo agent.

    python samples/agent_mode_async.py                                  # against the fake server
    AZURE_VOICELIVE_ENDPOINT=https://<resource>.services.ai.azure.com \\
    python samples/agent_mode_async.py --agent-name <agent> --project-name <project>   # against Azure
"""

from __future__ import annotations

import os

from _common import parser, run, target

from azure.ai.voicelive.aio import connect
from azure.ai.voicelive.audio import duration_ms
from azure.ai.voicelive.models import (
    InputTextContentPart,
    ServerEventError,
    ServerEventResponseAudioDelta,
    ServerEventResponseAudioTranscriptDelta,
    ServerEventResponseDone,
    ServerEventResponseTextDelta,
    ServerEventSessionCreated,
    UserMessageItem,
)


async def main() -> None:
    p = parser(__doc__)
    p.add_argument("--agent-name", default=os.environ.get("AZURE_VOICELIVE_AGENT_NAME"))
    p.add_argument("--project-name", default=os.environ.get("AZURE_VOICELIVE_PROJECT_NAME"))
    p.add_argument("--agent-version", default=os.environ.get("AZURE_VOICELIVE_AGENT_VERSION"))
    p.add_argument("--question", default="Hello! What can you help me with?")
    args = p.parse_args()
    if args.endpoint and not (args.agent_name and args.project_name):
        p.error(
            "agent mode needs --agent-name and --project-name (or $AZURE_VOICELIVE_AGENT_NAME and "
            "$AZURE_VOICELIVE_PROJECT_NAME)"
        )
    agent_name = args.agent_name or "demo-agent"
    project_name = args.project_name or "demo-project"

    async with (
        target(args) as t,
        connect(
            endpoint=t.endpoint,
            credential=t.credential,
            agent_name=agent_name,
            project_name=project_name,
            agent_version=args.agent_version,
        ) as conn,
    ):
        async for event in conn:
            if isinstance(event, ServerEventSessionCreated):
                agent = event.session.agent
                if agent is not None:
                    print(f"agent: {agent.name} (id {agent.agent_id}, thread {agent.thread_id})")
                print(f"session: {event.session.id} in project {project_name}")
                break
            if isinstance(event, ServerEventError):
                raise SystemExit(f"error: {event.error.code}: {event.error.message}")

        print(f"you: {args.question}")
        await conn.conversation.item.create(
            item=UserMessageItem(content=[InputTextContentPart(text=args.question)])
        )
        await conn.response.create()
        print("agent: ", end="", flush=True)
        audio = 0
        async for event in conn:
            if isinstance(event, (ServerEventResponseAudioTranscriptDelta, ServerEventResponseTextDelta)):
                print(event.delta, end="", flush=True)
            elif isinstance(event, ServerEventResponseAudioDelta):
                audio += len(event.delta)
            elif isinstance(event, ServerEventError):
                print(f"\nerror: {event.error.code}: {event.error.message}")
            elif isinstance(event, ServerEventResponseDone):
                print(f"  [{event.response.status}, {duration_ms(audio) / 1000:.1f} s of audio]")
                break


if __name__ == "__main__":
    run(main)
