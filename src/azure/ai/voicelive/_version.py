"""Version of this distribution (``voicelive``), which mirrors the public API of azure-ai-voicelive 1.3.1."""

VERSION = "0.1.0"
