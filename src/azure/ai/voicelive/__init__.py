"""Azure AI Voice Live: a fast, drop-in async client (``azure.ai.voicelive``).

The async API lives in `azure.ai.voicelive.aio`, the typed models and enums in
`azure.ai.voicelive.models`, a local fake service in `azure.ai.voicelive.testing`.
"""

from typing import TYPE_CHECKING, Any

from ._version import VERSION

if TYPE_CHECKING:
    from .aio import connect as connect

__version__ = VERSION

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    # The official README imports ``connect`` from here, though its package only has it in
    # ``aio`` (an ImportError there); ours serves it, loaded on first use to keep imports light.
    if name == "connect":
        from .aio import connect

        return connect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
