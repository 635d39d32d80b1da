"""Entity recogniser: countries and actors in Arabic news (issue 3).

Sentences here are composed for the tests, never copied from a corpus.
"""

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


# --- actors -----------------------------------------------------------------

def actors(text):
    return {a.name: a for a in extract_entities(text).actors}


def find_actor(ents, name):
    """Return the actor whose canonical name or an alias is ``name``."""
    for a in ents.actors:
        if a.name == name or name in a.aliases:
            return a
    return None


def test_acronym_from_gazetteer():
    ents = extract_entities("هاجم مسلحو داعش قرية، وقال بيان لتنظيم الدولة الإسلامية إن")
    isis = find_actor(ents, "داعش")
    assert isis is not None and isis.kind == "organization"
    assert isis.name == "تنظيم الدولة الإسلامية"
    assert isis.count == 2


def test_acronym_in_brackets_becomes_alias():
    ents = extract_entities("أعلنت هيئة تنمية الصادرات الوطنية (هتص) خطة جديدة، وقالت هتص إن")
    org = find_actor(ents, "هتص")
    assert org is not None and org.name == "هيئة تنمية الصادرات الوطنية"
    assert org.count == 3  # the name, the bracketed acronym, the acronym alone


def test_surname_resolves_to_full_name():
    ents = extract_entities("قال العميد سامي الحربي إن الوضع هادئ. وأضاف الحربي أن الدوريات مستمرة، وطبقا للحربي فإن")
    person = find_actor(ents, "الحربي")
    assert person is not None and person.kind == "person"
    assert person.name == "سامي الحربي"
    assert person.count == 3
    assert "الحربي" in person.aliases


def test_names_carry_no_invisible_marks():
    # A direction mark pasted after a name is part of the word token, but
    # not of the name or its aliases.
    ents = extract_entities("قال العقيد فواز الميموني\u200f إن الحادث وقع، وأضاف الميموني\u200f أن")
    person = find_actor(ents, "فواز الميموني")
    assert person is not None and person.count == 2
    assert person.aliases == ["الميموني", "فواز الميموني"]


def test_title_introduces_an_unseen_name():
    ents = extract_entities("صرح السفير الألماني في عمان، يواكيم شتراوبنغر، بأن")
    assert find_actor(ents, "يواكيم شتراوبنغر") is not None


def test_org_head_rule_names_a_ministry():
    ents = extract_entities("أعلنت وزارة الزراعة السودانية اليوم خطة")
    org = find_actor(ents, "وزارة الزراعة السودانية")
    assert org is not None and org.kind == "organization"


@pytest.mark.parametrize("text, phrase", [
    ("انتشرت قوات الأمن في الشوارع", "قوات الأمن"),
    ("أعلنت الشركة الفرنسية أرباحها", "الشركة الفرنسية"),
    ("زار السفير الروسي المركز الأمني", "السفير الروسي"),
    ("زار السفير الروسي المركز الأمني", "المركز الأمني"),
])
def test_generic_phrases_are_not_actors(text, phrase):
    ents = extract_entities(text)
    assert all(phrase not in a.aliases and a.name != phrase for a in ents.actors)


TITLE_AND_ORDINAL_ROWS = [
    ("قال وزير الخارجية السعودي إن الزيارة ناجحة", "الخارجية السعودي", "a minister's title"),
    ("قالت وزيرة الخارجية السويدية إن", "الخارجية السويدية", "a minister's title, feminine"),
    ("تأهل الفريق إلى المجموعة الرابعة في البطولة", "المجموعة الرابعة", "an ordinal"),
]


@pytest.mark.parametrize("text, phrase, note", TITLE_AND_ORDINAL_ROWS, ids=[r[2] for r in TITLE_AND_ORDINAL_ROWS])
def test_titles_and_ordinals_are_not_organisations(text, phrase, note):
    ents = extract_entities(text)
    assert all(phrase not in a.aliases and a.name != phrase for a in ents.actors)


@pytest.mark.parametrize("text, found", [
    ("استقبل الجمهور اللاعبين بالحماس المعهود", False),   # with enthusiasm
    ("قال متحدث باسم حماس إن الحركة ترفض", True),
    ("وأشاد المسؤول لحماس بالاتفاق", True),
])
def test_a_name_without_article_is_not_found_behind_one(text, found):
    hamas = find_actor(extract_entities(text), "حركة المقاومة الإسلامية (حماس)")
    assert (hamas is not None) == found


QAEDA_ROWS = [
    ("هبطت الطائرة في القاعدة العسكرية قرب المطار", False, "the military base"),
    ("توسعت القاعدة الشعبية للحزب", False, "the popular base"),
    ("تبنت القاعدة الهجوم في بيان", True, "the group, then its verb's object"),
    ("قالت القاعدة التي تنشط في اليمن إن", True, "a relative pronoun"),
    ("قاتلت القاعدة والدولة الإسلامية معا", True, "a noun joined by wa"),
    ("أعلنت القاعدة الإرهابية مسؤوليتها", True, "an adjective news gives the group"),
]


@pytest.mark.parametrize("text, found, note", QAEDA_ROWS, ids=[r[2] for r in QAEDA_ROWS])
def test_common_noun_alias_needs_no_describing_word(text, found, note):
    qaeda = find_actor(extract_entities(text), "تنظيم القاعدة")
    assert (qaeda is not None) == found


def test_head_noun_before_a_name_is_not_part_of_the_mention():
    # ANERcorp's convention, and the same actor either way.
    ents = extract_entities("أعلنت حركة حماس أن حماس ترفض")
    hamas = find_actor(ents, "حركة المقاومة الإسلامية (حماس)")
    assert hamas.count == 2 and hamas.aliases == ["حماس"]


@pytest.mark.parametrize("text, name", [
    ("وصلت قافلة جمعية الهلال الأحمر الفلسطيني إلى غزة", "جمعية الهلال الأحمر الفلسطيني"),
])
def test_organisations_after_a_role_or_with_an_agreeing_complement(text, name):
    assert find_actor(extract_entities(text), name) is not None


def test_an_organisation_after_a_role_is_a_mention_but_no_actor_of_its_own():
    # Issue 13's guidelines: a body named only in a person's job title is no
    # actor of the text; the recogniser still finds the mention (NER corpora
    # tag it), and the body counts where the text names it otherwise too.
    from analyzers.entities.actors import find_mentions
    from analyzers.entities.tokens import normalize_tokens, tokenize

    norms = normalize_tokens(tokenize("قال عضو مجلس الشورى إن"))
    assert [norms[m.start:m.end] for m in find_mentions(norms)] == [["مجلس", "الشوري"]]
    assert find_actor(extract_entities("قال عضو مجلس الشورى إن"), "مجلس الشورى") is None
    assert find_actor(extract_entities("قال عضو مجلس الشورى إن مجلس الشورى أقر النظام"), "مجلس الشورى") is not None


def test_descriptive_names_are_marked():
    from analyzers.entities.actors import find_mentions
    from analyzers.entities.tokens import normalize_tokens, tokenize

    tokens = tokenize("قصف الجيش الإسرائيلي مواقع وقالت وزارة الدفاع العراقية إن داعش انسحب")
    found = {" ".join(tokens[m.start:m.end]): m.descriptive for m in find_mentions(normalize_tokens(tokens))}
    assert found == {"الجيش الإسرائيلي": True, "وزارة الدفاع العراقية": True, "داعش": False}
    # Repeats and acronyms of a descriptive name are descriptive too.
    tokens = tokenize("أعلنت هيئة تنمية الصادرات (هتص) خطة، وقالت هتص إن هيئة تنمية الصادرات")
    mentions = find_mentions(normalize_tokens(tokens))
    assert len(mentions) == 4 and all(m.descriptive for m in mentions)   # name, (acronym), acronym, name


def test_a_place_ending_a_name_is_no_surname():
    from analyzers.entities.actors import find_mentions
    from analyzers.entities.tokens import normalize_tokens, tokenize

    # As if the CRF had run a name into the city after it.
    tokens = tokenize("زار سامي غزة أمس ثم عاد إلى غزة")
    found = find_mentions(normalize_tokens(tokens), chunks=[(1, 3, "PERS")])
    assert all(m.start != len(tokens) - 1 for m in found)


def test_weak_alias_needs_the_full_name():
    # المالكي is a common surname: alone it is not the gazetteer's politician.
    assert find_actor(extract_entities("حضر المالكي الحفل"), "نوري المالكي") is None
    ents = extract_entities("التقى نوري المالكي الوفد، وقال المالكي إن")
    assert find_actor(ents, "نوري المالكي").count == 2


def test_actor_shape():
    ents = extract_entities("قال الرئيس فلاديمير بوتين في الكرملين")
    putin = find_actor(ents, "فلاديمير بوتين")
    assert putin.kind == "person" and putin.label_en == "Vladimir Putin"
    assert putin.aliases == sorted(putin.aliases)


def test_seed_article_actors():
    ents = extract_entities(SEED.read_text("utf-8"))
    for name in ["داعش", "قوات سورية الديمقراطية", "قسد", "تحسين الخفاجي", "ماكسيم ماكسيموف",
                 "قاسم الأعرجي", "عبد المهدي", "العربي الجديد"]:
        assert find_actor(ents, name) is not None, name
    assert find_actor(ents, "قسد") is find_actor(ents, "قوات سورية الديمقراطية")
    assert find_actor(ents, "الخفاجي") is find_actor(ents, "تحسين الخفاجي")
    kinds = {a.name: a.kind for a in ents.actors}
    assert kinds["تحسين الخفاجي"] == kinds["قاسم الأعرجي"] == "person"
    for generic in ["المركز الأمني", "السفير الروسي", "قوات الأمن"]:
        assert find_actor(ents, generic) is None, generic


def test_regime_metonym_resolves_to_the_president():
    # "نظام الأسد" is Assad's, not an unnamed person called الأسد.
    ents = extract_entities("هاجمت قوات نظام الأسد البلدة")
    assad = find_actor(ents, "نظام الأسد")
    assert assad is not None and assad.name == "بشار الأسد" and assad.kind == "person"
    assert all(a.name != "الأسد" for a in ents.actors)
    assert codes("هاجمت قوات نظام الأسد البلدة") == {"SY"}


def test_repeated_name_is_counted_each_time():
    # A name recognised once (after a title) counts where it recurs, clitic
    # and all, even where no rule or model would find it alone.
    ents = extract_entities("قال العميد سامي الحربي إن الوضع هادئ. ثم غادر وسامي الحربي المكان")
    person = find_actor(ents, "سامي الحربي")
    assert person is not None and person.count == 2


# --- the fast tagger --------------------------------------------------------

TAGGER_TEXTS = [
    "قال اللواء تحسين الخفاجي إن قوات سورية الديمقراطية تقدمت.\nوأكد الخفاجي ذلك.",
    "استقبل وزير الخارجية سامح شكري نظيره الأردني في القاهرة!",
    "أعلنت شركة أرامكو السعودية ارتفاع أرباحها ، وقال المتحدث باسم الشركة إن",
    "",
    "\n\n؟",
    "التقى الأمين العام للأمم المتحدة أنطونيو غوتيريش وفدا من الاتحاد الأوروبي",
]


def test_a_types_scores_are_the_sum_of_its_feature_rows():
    # Pre-summed affix, shape and cluster rows give what the training
    # features' rows add up to, word by word.
    import numpy as np

    from analyzers.entities import crf
    from analyzers.entities.features import own_features
    from analyzers.entities.tokens import normalize_tokens, tokenize

    rec = crf.default_recogniser()
    words = list(dict.fromkeys(normalize_tokens(tokenize(" ".join(TAGGER_TEXTS) + " x ٢٠١٥ NATO"))))
    got = rec._score_types(words)._matrix
    expected = [rec._base[[rec._base_row.get(f, 0) for f in own_features(w)[0]]].sum(axis=0) for w in words]
    assert np.allclose(got, np.array(expected), atol=1e-5)


def test_model_info_reads_what_crfsuite_reads():
    from analyzers.entities import crfmodel
    from analyzers.entities.resources import data_path

    tagger = crfmodel.open_tagger(data_path(crfmodel.MODEL))
    expected, got = tagger.info(), crfmodel.model_info(tagger)
    assert len(got.state_features) > 1000
    assert got.labels == expected.labels
    assert got.transitions == expected.transitions
    assert got.state_features == expected.state_features


def test_batch_chunks_stay_in_their_documents(monkeypatch):
    # spans_many chunks a whole batch at once; a chunk must never run over
    # the newline that separates two documents, even for a model without
    # an O label, which tags every token.
    from analyzers.entities import crf
    from analyzers.entities.conll import spans
    from analyzers.entities.tokens import normalize_tokens, tokenize

    recogniser = crf.default_recogniser()
    docs = [normalize_tokens(tokenize(text)) for text in TAGGER_TEXTS] + [[]]
    for o in (recogniser._o, None):
        monkeypatch.setattr(recogniser, "_o", o)
        assert recogniser.spans_many(docs) == [spans(recogniser.tag(d)) for d in docs]
        for doc, chunks in zip(docs, recogniser.spans_many(docs)):
            assert all(0 <= start < end <= len(doc) for start, end, _ in chunks)


def test_fast_tagger_equals_crfsuite(monkeypatch):
    # With the O shortcut off, the numpy decoder must give exactly
    # crfsuite's tags, sentence by sentence.
    pytest.importorskip("pycrfsuite")
    from analyzers.entities import crf
    from analyzers.entities.conll import spans
    from analyzers.entities.crfmodel import MODEL, open_tagger
    from analyzers.entities.features import sentence_features, split_sentences
    from analyzers.entities.resources import data_path
    from analyzers.entities.tokens import normalize_tokens, tokenize

    monkeypatch.setattr(crf, "O_MARGIN", None)
    fast = crf.Recogniser(data_path(MODEL))
    slow = open_tagger(data_path(MODEL))
    for text in TAGGER_TEXTS:
        norms = normalize_tokens(tokenize(text))
        expected = ["O"] * len(norms)
        for start, end in split_sentences(norms):
            expected[start:end] = slow.tag(sentence_features(norms[start:end]))
        assert fast.tag(norms) == expected, text
    docs = [normalize_tokens(tokenize(text)) for text in TAGGER_TEXTS]
    expected = [spans(fast.tag(d)) for d in docs]
    assert fast.spans_many(docs) == expected
    assert fast.spans_many(docs, [fast.rows(d) for d in docs]) == expected
    # A full registry scores a text's new types aside, with the same result.
    monkeypatch.setattr(crf, "TYPE_CACHE", len(fast._ids) + 3)
    full = crf.Recogniser(data_path(MODEL))
    full._add_types(normalize_tokens(tokenize(TAGGER_TEXTS[0])))
    assert full.spans_many(docs) == expected
    assert len(full._ids) <= crf.TYPE_CACHE
    monkeypatch.setattr(crf, "TYPE_CACHE", len(full._ids))
    known = docs[0][0]
    assert full.rows([known, "بلاتين", "نحاسيات"]) == [full._ids[known], None, None]   # no room


def test_extraction_with_a_full_registry(monkeypatch):
    import analyzers.entities as entities
    from analyzers.entities import crf, extract_entities_many

    texts = TAGGER_TEXTS + [SEED.read_text("utf-8")]
    expected = extract_entities_many(texts)   # their types are registered now
    unseen = "وصل المدرب ماتياس يايسلهوفر إلى جدة، وقال يايسلهوفر إن الفريق جاهز"
    monkeypatch.setattr(entities, "_WORDS", {})
    monkeypatch.setattr(crf, "TYPE_CACHE", len(crf.default_recogniser()._ids))
    got = extract_entities_many(texts + [unseen])
    assert got[:-1] == expected
    # Known words keep their records; a new one, with no row, is not kept.
    assert "جدة" not in entities._WORDS or entities._WORDS["جدة"][4] is not None
    assert "يايسلهوفر" not in entities._WORDS and "قال" in entities._WORDS
    monkeypatch.undo()
    assert got[-1] == extract_entities(unseen)


def test_many_equals_one_at_a_time():
    from analyzers.entities import extract_entities_many

    texts = TAGGER_TEXTS + [SEED.read_text("utf-8")]
    assert extract_entities_many(texts) == [extract_entities(t) for t in texts]
    assert extract_entities_many([]) == []


def test_clitic_closure_holds_every_word_a_table_form_hides_in():
    from analyzers.entities.tokens import ARTICLE, PREFIX_CLITICS, clitic_closure, clitic_variants

    forms = {"العراق", "عراقي", "داعش", "الخفاجي", "وزاره", "حماس"}
    closure = clitic_closure(forms)
    words = {p + f for p in ("",) + PREFIX_CLITICS for f in forms}
    words |= {p + f[len(ARTICLE):] for p in PREFIX_CLITICS for f in forms if f.startswith(ARTICLE)}
    words |= set(tokenize_seed())
    for word in words:
        if any(form in forms for form, _ in clitic_variants(word)):
            assert word in closure, word


def tokenize_seed():
    from analyzers.entities.tokens import normalize_tokens, tokenize

    return normalize_tokens(tokenize(SEED.read_text("utf-8")))


def test_quick_description_equals_the_full_look_up():
    import analyzers.entities as entities
    from analyzers.entities.actors import token_kind
    from analyzers.entities.countries import country_table
    from analyzers.entities.gazetteer import actor_table
    from analyzers.entities.tokens import tokenize
    from analyzers.normalize import normalize

    tokens = sorted(set(tokenize(SEED.read_text("utf-8") + " " + " ".join(TAGGER_TEXTS))))
    described = entities._describer()(tokens)
    for token in tokens:
        norm = normalize(token)
        full = (norm, token_kind(norm), actor_table().candidates(norm), country_table().candidates(norm))
        assert described[token][:4] == full, token
