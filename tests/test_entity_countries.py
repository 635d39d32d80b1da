"""Country evidence added for issue 13: demonyms by rule, shared and
implicit names, languages, and the demonym table the query side expands."""

import pytest

from analyzers.entities import extract_entities
from analyzers.entities.countries import demonym_forms, find_countries, is_demonym, nisba_of
from analyzers.entities.tokens import normalize_tokens, tokenize
from analyzers.normalize import normalize


def codes(text):
    return {c.code for c in extract_entities(text).countries}


# (text, expected codes, note): sentences written for these tests.
ROWS = [
    ("سجل اللاعب البوليفي هدفا", {"BO"}, "demonym made by rule from بوليفيا"),
    ("فاز العداء الإكوادوري بالسباق", {"EC"}, "rule after the article: الإكوادور"),
    ("وقعت الشركة السنغافورية العقد", {"SG"}, "final ة: سنغافورة"),
    ("وصل الوفد البيروفي", {"PE"}, "irregular nisba from the table: بيروفي"),
    ("تألق المهاجم العاجي", {"CI"}, "multi-word name, listed nisba: ساحل العاج"),
    ("قالت الحكومة السورية", {"SY"}, "a feminine nisba that also spells the name"),
    ("هطلت أمطار على منطقة عسير", {"SA"}, "Saudi region"),
    ("وصل الجرحى إلى العاصمة الأردنية عمان", {"JO"}, "Amman after العاصمة الأردنية"),
    ("وصل الجرحى إلى الأردن وعولجوا في عمان", {"JO"}, "عمان in a text about Jordan only"),
    ("زار الوزير سلطنة عمان ثم عمان", {"OM"}, "عمان with Oman named otherwise"),
    ("افتتح فرع جديد في المملكة", {"SA"}, "المملكة alone"),
    ("تعاون بين المملكة والمغرب", {"MA"}, "المملكة beside another kingdom: unknown"),
    ("طبعت باللغتين العربية والإنجليزية", set(), "two languages"),
    ("ارتفع سعر خام دبي", set(), "a crude named after a city"),
    ("انطلقت بطولة كوبا أمريكا", set(), "a tournament named after countries"),
    ("تحدث عن حديثه في الجلسة", set(), "no city that is a common word (حديثة)"),
    ("مر شهر آب بسلام", set(), "آب the month, not the Yemeni city إب"),
]


@pytest.mark.parametrize("text, expected, note", ROWS, ids=[r[2] for r in ROWS])
def test_country_rows(text, expected, note):
    assert codes(text) == expected


@pytest.mark.parametrize("name, nisba", [
    ("كولومبيا", "كولومبي"), ("كندا", "كندي"), ("لبنان", "لبناني"), ("السودان", "سوداني"),
    ("سورية", "سوري"), ("تشيلي", "تشيلي"), ("كوريا الجنوبية", ""), ("توغو", ""),
])
def test_nisba_rule(name, nisba):
    assert nisba_of(name) == nisba


def test_demonym_forms_cover_every_spelling_gender_and_number():
    forms = demonym_forms("US")
    expected = {"أمريكي", "أميركي", "أميركية", "الأمريكيون", "الأمريكيين", "امريكيات", "الأمريكان"}
    assert {normalize(w) for w in expected} <= forms
    assert all(f == normalize(f) for f in forms)
    assert normalize("أمريكا") not in forms   # the name is not a demonym


def test_demonym_forms_of_two_word_demonyms_are_phrases():
    forms = demonym_forms("KP")
    assert {"كوري شمالي", "الكوري الشمالي", "الكوريين الشماليين"} <= {f for f in forms}


def test_demonym_forms_unknown_code():
    assert demonym_forms("ZZ") == frozenset()


def test_every_listed_country_has_its_forms_as_demonyms():
    for code in ("SA", "BO", "EC", "RU", "GB", "CI"):
        words = [f for f in demonym_forms(code) if " " not in f]
        assert words and all(is_demonym(f) for f in words), code


def test_a_city_inside_a_persons_name_is_no_mention():
    norms = normalize_tokens(tokenize("سجل ثيو والكوت هدفا"))
    assert [m[2] for m in find_countries(norms)] == ["IQ"]   # و + الكوت, read alone
    assert find_countries(norms, person_tokens=frozenset({1, 2})) == []


def test_wrong_rule_made_nisbas_are_denied():
    # ألمانيا normalizes like ال + مانيا; النمسا's nisba is نمساوي.
    assert not is_demonym("ماني") and not is_demonym("نمسي")
    assert is_demonym(normalize("الألمانية")) and is_demonym(normalize("النمساوي"))
