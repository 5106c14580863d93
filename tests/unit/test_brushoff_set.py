"""The brush-off check measured on a labelled set: no concrete answer flagged, at least 90 % of brush-offs."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_REGION_FILE
from handlers.brushoff import Draft, reasons
from storage.region import load_region
from tests.unit.labelled_answers import BRUSHOFFS, CONCRETE

PHRASES = load_region(DEFAULT_REGION_FILE).brushoff_phrases


def test_the_set_is_big_enough():
    assert len(BRUSHOFFS) >= 30 and len(CONCRETE) >= 30


@pytest.mark.parametrize(("signal", "text", "photos"), CONCRETE)
def test_no_concrete_answer_is_flagged(signal, text, photos):
    assert reasons(Draft(text, photos=photos), signal, PHRASES) == []


def test_at_least_nine_brush_offs_in_ten_are_flagged():
    missed = [text for signal, text, photos in BRUSHOFFS if not reasons(Draft(text, photos=photos), signal, PHRASES)]
    assert len(missed) <= len(BRUSHOFFS) // 10, missed
