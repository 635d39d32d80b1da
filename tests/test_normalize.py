"""Golden rows for each normalization rule (cf. Lucene's TestArabicNormalizationFilter)."""

import pytest

from analyzers.normalize import normalize

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


LETTERS = [
    # (constant, its Unicode name)
    ("ALEF", "ARABIC LETTER ALEF"),
    ("ALEF_MADDA", "ARABIC LETTER ALEF WITH MADDA ABOVE"),
    ("ALEF_HAMZA_ABOVE", "ARABIC LETTER ALEF WITH HAMZA ABOVE"),
    ("ALEF_HAMZA_BELOW", "ARABIC LETTER ALEF WITH HAMZA BELOW"),
    ("ALEF_WASLA", "ARABIC LETTER ALEF WASLA"),
    ("ALEF_MAKSURA", "ARABIC LETTER ALEF MAKSURA"),
    ("YEH", "ARABIC LETTER YEH"),
    ("TEH_MARBUTA", "ARABIC LETTER TEH MARBUTA"),
    ("HEH", "ARABIC LETTER HEH"),
    ("WAW", "ARABIC LETTER WAW"),
    ("WAW_HAMZA", "ARABIC LETTER WAW WITH HAMZA ABOVE"),
    ("YEH_HAMZA", "ARABIC LETTER YEH WITH HAMZA ABOVE"),
    ("KAF", "ARABIC LETTER KAF"),
    ("TATWEEL", "ARABIC TATWEEL"),
    ("SUPERSCRIPT_ALEF", "ARABIC LETTER SUPERSCRIPT ALEF"),
    ("FARSI_YEH", "ARABIC LETTER FARSI YEH"),
    ("KEHEH", "ARABIC LETTER KEHEH"),
    ("HEH_DOACHASHMEE", "ARABIC LETTER HEH DOACHASHMEE"),
    ("HEH_YEH_ABOVE", "ARABIC LETTER HEH WITH YEH ABOVE"),
]


@pytest.mark.parametrize("constant,name", LETTERS, ids=[r[0] for r in LETTERS])
def test_letter_constants_are_the_letters_they_name(constant, name):
    import unicodedata

    from analyzers import normalize as N

    assert unicodedata.name(getattr(N, constant)) == name
