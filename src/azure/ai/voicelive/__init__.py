"""Azure AI Voice Live: a fast, drop-in async client (``azure.ai.voicelive``).

The async API lives in :mod:`azure.ai.voicelive.aio`, the typed models and enums in
:mod:`azure.ai.voicelive.models`, a local fake service in :mod:`azure.ai.voicelive.testing`.
"""

from ._version import VERSION

__version__ = VERSION

__all__: list[str] = []
