"""A stand-in for ``azure-monitor-opentelemetry``: spans go to the console instead of Azure Monitor.

``tools/run_official_samples.py`` puts ``tools/azure_monitor_standin`` on ``PYTHONPATH`` for the
official Azure Monitor tracing sample only, so that the sample runs (connect, session, response,
the VoiceLive instrumentation) without an Application Insights resource. ``azure`` and
``azure.monitor`` stay namespace packages (no ``__init__.py``), so the real ``azure.*`` packages
are still found.
"""

from __future__ import annotations

import atexit
from typing import Any

__all__ = ["configure_azure_monitor"]


def configure_azure_monitor(*, connection_string: str | None = None, **kwargs: Any) -> None:
    """Install a tracer provider that prints finished spans; ``ValueError`` for a bad connection string."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    if not connection_string or "InstrumentationKey=" not in connection_string:
        raise ValueError("connection_string must contain InstrumentationKey=...")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    atexit.register(provider.shutdown)
    print("azure-monitor stand-in: configured (spans are printed, not exported)", flush=True)
