"""Union type aliases at the path the official package's samples import them from.

``from azure.ai.voicelive._types import InterimResponseConfig`` works as on the official package;
these are the same objects as the aliases the models use (``Voice``, ``ToolChoice``,
``InterimResponseConfig``). Like upstream, the module is private: prefer the model classes.
"""

from .models._unions import InterimResponseConfig, ToolChoice, Voice

__all__ = ["InterimResponseConfig", "ToolChoice", "Voice"]
