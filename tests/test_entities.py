"""Entity recogniser: countries and actors in Arabic news (issue 3).

Sentences here are composed for the tests, never copied from a corpus.
"""

import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from analyzers.entities import Entities, country_label, extract_entities, resolve_country

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_6c22a9322c8a761d.txt"


def codes(text):
    return {c.code for c in extract_entities(text).countries}


# (text, expected codes, note) — one row per kind of evidence.
COUNTRY_ROWS = [
    ("وصل الوفد إلى إيران أمس", {"IR"}, "bare name"),
    ("زار الوزير لبنان وروسيا", {"LB", "RU"}, "conjunction clitic"),
    ("أقام سنوات بالعراق", {"IQ"}, "preposition and article"),
    ("قدمت الدعم لسوريا", {"SY"}, "lam clitic"),
    ("سافر للعراق ثم للكويت", {"IQ", "KW"}, "lam plus hidden article"),
    ("تقع سورية شمال الأردن", {"SY", "JO"}, "variant سورية"),
    ("قال مسؤول في أميركا", {"US"}, "variant أميركا"),
    ("قال مسؤول في أمريكا", {"US"}, "variant أمريكا"),
    ("أعلنت الولايات المتحدة الأمريكية", {"US"}, "long name"),
    ("أعلنت المملكة العربية السعودية", {"SA"}, "CLDR long name"),
    ("حذرت كوريا الشمالية جارتها", {"KP"}, "two-word name"),
    ("قال الوزير الروسي", {"RU"}, "demonym masculine"),
    ("قالت الحكومة الإيرانية", {"IR"}, "demonym feminine"),
    ("التقى الرئيس بالمسؤولين العراقيين", {"IQ"}, "demonym plural oblique"),
    ("يقول الأمريكيون إن", {"US"}, "demonym plural nominative"),
    ("أصدر الجانبان التركيان بيانا", {"TR"}, "demonym dual"),
    ("شاركت لاعبات مصريات", {"EG"}, "demonym feminine plural"),
    ("اجتمع الروس والأتراك", {"RU", "TR"}, "irregular plurals"),
    ("التقى نظيره الكوري الشمالي", {"KP"}, "two-word demonym"),
    ("وصل الوفد إلى بغداد", {"IQ"}, "capital"),
    ("انفجار في الموصل", {"IQ"}, "major city"),
    ("غادر طهران متجها إلى موسكو", {"IR", "RU"}, "two capitals"),
    ("قصف على غزة", {"PS"}, "Gaza"),
    ("هبطت الطائرة في جدة", {"SA"}, "Saudi city"),
    ("افتتح المعرض في الدوحة", {"QA"}, "Gulf capital"),
    ("رد الكرملين على التصريحات", {"RU"}, "Kremlin"),
    ("قال البيت الأبيض إن", {"US"}, "White House"),
    ("هاجمت قوات نظام الأسد البلدة", {"SY"}, "regime"),
]


@pytest.mark.parametrize("text, expected, note", COUNTRY_ROWS, ids=[r[2] for r in COUNTRY_ROWS])
def test_country_evidence(text, expected, note):
    assert codes(text) == expected


# False friends: words that look like country evidence and are not.
FALSE_FRIEND_ROWS = [
    ("كتبت روان المصري مقالا", set(), "nisba surname after a given name"),
    ("قال محمد العراقي للصحفيين", set(), "nisba surname after محمد"),
    ("استقبل الأمير تركي بن محمد الضيوف", set(), "تركي as a given name"),
    ("توترت الأوضاع في بحر الصين الجنوبي", set(), "South China Sea"),
    ("عبرت السفينة المحيط الهندي", set(), "Indian Ocean"),
    ("يتحدث باللغة الإنجليزية بطلاقة", set(), "language"),
    ("تنمو الصادرات إلى أمريكا اللاتينية", set(), "Latin America"),
    ("بلغ الدعم المالي مليون ريال", set(), "مالي financial, not Mali"),
    ("افتتحت مدرسة البنين الجديدة", set(), "بنين boys, not Benin"),
]


@pytest.mark.parametrize("text, expected, note", FALSE_FRIEND_ROWS, ids=[r[2] for r in FALSE_FRIEND_ROWS])
def test_country_false_friends(text, expected, note):
    assert codes(text) == expected


def test_demonym_after_a_noun_is_still_a_country():
    # The surname rule must not swallow an adjective after a common noun.
    assert codes("قال وزير الخارجية المصري") == {"EG"}


def test_country_counts_and_order():
    ents = extract_entities("زار العراق ثم عاد إلى بغداد، وقال الوزير الإيراني")
    assert [(c.code, c.count) for c in ents.countries] == [("IQ", 2), ("IR", 1)]
    assert ents.countries[0].label_ar == "العراق"
    assert ents.countries[0].label_en == "Iraq"


@pytest.mark.parametrize("value", ["Iran", "إيران", "ir", "IR", "ايران", "iran"])
def test_resolve_country(value):
    assert resolve_country(value) == "IR"


@pytest.mark.parametrize("value", ["", "Atlantis", "الكتاب"])
def test_resolve_country_unknown(value):
    assert resolve_country(value) is None


def test_resolve_country_variants():
    assert resolve_country("أميركا") == resolve_country("United States") == "US"
    assert resolve_country("سورية") == "SY"


def test_country_label():
    assert country_label("ru") == ("روسيا", "Russia")
    assert country_label("PS") == ("فلسطين", "Palestine")


def test_to_dict_shape():
    d = extract_entities("قال الرئيس الروسي في موسكو").to_dict()
    assert set(d) == {"countries", "actors"}
    assert d["countries"] == [{"code": "RU", "label_ar": "روسيا", "label_en": "Russia", "count": 2}]
    for actor in d["actors"]:
        assert set(actor) == {"name", "kind", "aliases", "count"}
        assert actor["kind"] in {"person", "organization"}
        assert isinstance(actor["aliases"], list)


def test_empty_and_odd_text():
    assert extract_entities("") == Entities()
    assert extract_entities("123 ... !!! abc").countries == []


def test_pickle_and_threads_are_deterministic():
    text = SEED.read_text("utf-8")
    first = extract_entities(text)
    assert pickle.loads(pickle.dumps(first)) == first
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(extract_entities, [text] * 8))
    assert all(r == first for r in results)


def test_seed_countries():
    assert codes(SEED.read_text("utf-8")) == {"IQ", "IR", "RU", "SY", "US"}
