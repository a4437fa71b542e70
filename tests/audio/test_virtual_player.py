"""VirtualPlayer: real-time playback accounting without a sound card."""

from __future__ import annotations

import asyncio

import pytest

from azure.ai.voicelive.audio import VirtualPlayer, sine_pcm16


async def test_plays_at_real_time_speed_and_records_what_was_played() -> None:
    audio = sine_pcm16(440, 200)  # 200 ms
    async with VirtualPlayer(record=True, tick_ms=10) as player:
        player.write(audio, item_id="item_1")
        assert player.queued_ms == pytest.approx(200)
        await asyncio.sleep(0.1)
        halfway = player.played_ms
        assert 40 <= halfway <= 160  # about 100 ms of a real-time clock (scheduling jitter allowed)
        await asyncio.wait_for(player.drain(), 2)
    assert player.played_ms == pytest.approx(200)
    assert player.played_ms_for("item_1") == pytest.approx(200)
    assert bytes(player.played_audio) == audio


async def test_clear_drops_the_queue_and_reports_the_dropped_milliseconds() -> None:
    async with VirtualPlayer(tick_ms=10) as player:
        player.write(sine_pcm16(440, 1000), item_id="a")
        await asyncio.sleep(0.05)
        dropped = player.clear()
        played = player.played_ms
        assert dropped + played == pytest.approx(1000, abs=0.1)
        assert player.queued_ms == 0
        await asyncio.sleep(0.05)
        assert player.played_ms == played  # nothing more plays after a clear


def test_rejects_a_non_positive_tick() -> None:
    with pytest.raises(ValueError, match="tick_ms"):
        VirtualPlayer(tick_ms=0)
