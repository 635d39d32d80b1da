"""Datelines, bylines, tag lists and link footers name no actor or country
(analyzers/entities/layout.py), one row per rule."""

import pytest

from analyzers.entities import extract_entities
from analyzers.entities.layout import boilerplate
from analyzers.entities.tokens import normalize_tokens, tokenize


def skipped(text):
    tokens = tokenize(text)
    return " ".join(tokens[i] for i in sorted(boilerplate(normalize_tokens(tokens))))


# (text as indexing builds it: title, newline, body; tokens skipped; note)
ROWS = [
    ("عنوان\nواس- جدة: أعلنت الوزارة اليوم", "واس - جدة :", "byline ends at its colon"),
    ("عنوان\nبروكسل - واس\nأعلنت الوزارة اليوم عن خطة", "بروكسل - واس", "dateline line with an agency"),
    ("عنوان\nمن الرياض\nأعلنت الوزارة اليوم عن خطة", "من الرياض", "short first line before a story"),
    ("عنوان\nوصل الوفد إلى بغداد", "", "a body of one short line is the story"),
    ("\nوصل الوفد إلى بغداد", "", "no title, one short line"),
    ("عنوان\nأعلنت الوزارة اليوم عن خطة جديدة. سمات بغداد موسكو", "سمات بغداد موسكو", "tag list"),
    ("عنوان\nأعلنت الوزارة سمات جديدة للخطة", "", "سمات inside a sentence"),
    ("عنوان\nأعلنت الوزارة اليوم عن خطة جديدة\nرابط الخبر بصحيفة الوئام: عنوان",
     "رابط الخبر بصحيفة الوئام : عنوان", "link footer"),
    ("وصل الوفد - واس إلى بغداد", "", "no newline, no layout"),
]


@pytest.mark.parametrize("text, expected, note", ROWS, ids=[r[2] for r in ROWS])
def test_boilerplate(text, expected, note):
    assert skipped(text) == expected


def test_a_dateline_city_is_no_country_of_the_story():
    found = extract_entities("عنوان\nبغداد - واس\nأعلن الوزير الروسي عن زيارة قريبة")
    assert [c.code for c in found.countries] == ["RU"]


def test_a_one_line_story_keeps_its_country():
    assert [c.code for c in extract_entities("\nوصل الوفد إلى بغداد").countries] == ["IQ"]
