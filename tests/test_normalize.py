"""Golden rows for each normalization rule (cf. Lucene's TestArabicNormalizationFilter)."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.normalize import FOLD_TABLE, LONG_TEXT, normalize, normalize_lines

ROWS = [
    # (input, expected, note)
    ("أحمد", "احمد", "alef hamza above"),
    ("إسلام", "اسلام", "alef hamza below"),
    ("آمن", "امن", "alef madda"),
    ("ٱلله", "الله", "alef wasla"),
    ("مستشفى", "مستشفي", "alef maksura to yeh, not to alef"),
    ("مدرسة", "مدرسه", "teh marbuta to heh"),
    ("كِتَابٌ", "كتاب", "fatha kasra dammatan"),
    ("مُدَرِّسٌ", "مدرس", "damma shadda"),
    ("سَمَاءً", "سماء", "fathatan keeps the lone hamza"),
    ("عْلم", "علم", "sukun"),
    ("هٰذا", "هذا", "superscript alef"),
    ("بِسْمِ", "بسم", "kasra sukun"),
    ("ٱلرَّحْمَٰنِ", "الرحمن", "Quranic spelling"),
    ("صلى الله عليه ۖ", "صلي الله عليه ", "Quranic pause mark"),
    ("الــــعــــراق", "العراق", "tatweel"),
    ("بغ\u200cداد", "بغداد", "zero-width non-joiner"),
    ("بغ\u200bداد", "بغداد", "zero-width space"),
    ("\u200fالعراق\u200e", "العراق", "direction marks"),
    ("\u061cالعراق", "العراق", "Arabic letter mark"),
    ("\ufeffالعراق", "العراق", "byte order mark"),
    ("\u202bالعراق\u202c", "العراق", "bidi embedding"),
    ("ﻻ", "لا", "lam-alef ligature (presentation form)"),
    ("ﺍﻟﻌﺮﺍﻕ", "العراق", "presentation forms B"),
    ("٢٠١٥", "2015", "Eastern Arabic-Indic digits"),
    ("۱۳۹۴", "1394", "Persian digits"),
    ("ایران", "ايران", "Persian yeh"),
    ("کتاب", "كتاب", "keheh"),
    ("ھذا", "هذا", "heh doachashmee"),
    ("مسؤول", "مسؤول", "waw hamza kept"),
    ("رئيس", "رئيس", "yeh hamza kept"),
    ("NATO", "nato", "Latin lowercased"),
    ("", "", "empty"),
]


@pytest.mark.parametrize("text,expected,note", ROWS, ids=[r[2] for r in ROWS])
def test_normalize(text, expected, note):
    assert normalize(text) == expected


SHOULD_NOT_CHANGE = ["العراق", "سوريا", "2015", "abc", "مسؤول", "؟", "،"]


@pytest.mark.parametrize("text", SHOULD_NOT_CHANGE)
def test_already_normal(text):
    assert normalize(text) == text


# Characters where folding is not one character at a time: presentation
# forms (NFKC), Greek capital sigma (lowercased by its context), marks and
# controls (deleted), with letters, digits and separators around them.
TRICKY = st.text(alphabet="ﻻﺍﻟﻌﺮﺍﻕﷺ\ufeffΣσςΑα َُّـ\u200b\u200fأإآةى٢۱ab1 .:\t", max_size=40)


@settings(max_examples=500, deadline=None)
@given(st.lists(TRICKY, max_size=8))
def test_normalize_lines_folds_each_line_alone(lines):
    assert normalize_lines("\n".join(lines)) == "\n".join(map(normalize, lines))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(min_size=LONG_TEXT, max_size=2 * LONG_TEXT),
                 TRICKY.map(lambda t: t * (1 + LONG_TEXT // max(1, len(t))))))
def test_long_texts_fold_as_str_translate_does(text):
    # A long text takes the array path: it must equal the table's own.
    assert normalize(text) == _reference_normalize(text)


def _reference_normalize(text):
    if any("\ufb50" <= c <= "\ufdff" or "\ufe70" <= c <= "\ufeff" for c in text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(FOLD_TABLE).lower()
