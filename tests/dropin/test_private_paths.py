"""Import paths that official samples and docs use beyond the public faces."""

from __future__ import annotations

import subprocess
import sys
import typing

from azure.ai.voicelive import models


def test_types_module_has_the_union_aliases() -> None:
    from azure.ai.voicelive import _unions
    from azure.ai.voicelive._types import InterimResponseConfig, ToolChoice, Voice

    assert (_unions.Voice, _unions.ToolChoice, _unions.InterimResponseConfig) == (
        Voice,
        ToolChoice,
        InterimResponseConfig,
    )
    members = {ref.__forward_arg__ for ref in typing.get_args(InterimResponseConfig)}
    assert members == {"LlmInterimResponseConfig", "StaticInterimResponseConfig"}
    assert str in typing.get_args(Voice)
    assert str in typing.get_args(ToolChoice)


def test_interim_response_config_annotation_accepts_both_models() -> None:
    from azure.ai.voicelive._types import InterimResponseConfig

    config: InterimResponseConfig = models.StaticInterimResponseConfig(texts=["One moment..."])
    session = models.RequestSession(interim_response=config)
    assert session.as_dict()["interim_response"]["texts"] == ["One moment..."]
    assert isinstance(session.interim_response, models.StaticInterimResponseConfig)


def test_connect_is_importable_from_the_package_root_lazily() -> None:
    # The official README writes ``from azure.ai.voicelive import connect``.
    code = (
        "import sys, azure.ai.voicelive as v; assert 'azure.ai.voicelive.aio' not in sys.modules;"
        "from azure.ai.voicelive import connect; from azure.ai.voicelive.aio import connect as c;"
        "assert connect is c; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_unknown_root_attribute_still_raises() -> None:
    import azure.ai.voicelive as root

    try:
        root.not_there  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "not_there" in str(exc)
    else:
        raise AssertionError("AttributeError expected")
