"""The tokenizer, the term function and its filter, the whole chain, and its invariants."""

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzers.analysis import ArabicTermFilter, analyze, arabic_analyzer, exact_term, index_term
from analyzers.normalize import normalize
from analyzers.stopwords import STOPWORDS
from analyzers.tokenizer import ArabicTokenizer, tokenize
from analyzers.variants import variants


def texts(tokens):
    return [t.text for t in tokens]


TOKENIZER_ROWS = [
    ("الرّئيس", ["الرّئيس"], "shadda inside a word"),
    ("مَبْنًى", ["مَبْنًى"], "harakat and tanwin"),
    ("هٰذا", ["هٰذا"], "superscript alef"),
    ("الــعراق", ["الــعراق"], "tatweel"),
    ("بغ\u200cداد", ["بغ\u200cداد"], "zero-width non-joiner"),
    ("قال: «نعم»، ثم ذهب.", ["قال", "نعم", "ثم", "ذهب"], "punctuation splits"),
    ("عام 2015م", ["عام", "2015م"], "digits"),
    ("NATO و ٢٠١٥", ["NATO", "و", "٢٠١٥"], "Latin and Arabic-Indic digits"),
]


@pytest.mark.parametrize("text,expected,note", TOKENIZER_ROWS, ids=[r[2] for r in TOKENIZER_ROWS])
def test_tokenizer_keeps_marks_inside_words(text, expected, note):
    assert tokenize(text) == expected
    assert texts(ArabicTokenizer()(text)) == expected


TERM_ROWS = [
    ("أَحْمَد", "احمد", "vowels and hamza folded"),
    ("والمعلومات", "معلوم", "clitics and suffix stemmed"),
    ("إلى", None, "stopword, after normalization"),
    ("ـــ", None, "marks only"),
]


@pytest.mark.parametrize("word,expected,note", TERM_ROWS, ids=[r[2] for r in TERM_ROWS])
def test_index_term(word, expected, note):
    assert index_term(word) == expected


def test_exact_terms_are_not_stemmed():
    chain = ArabicTokenizer() | ArabicTermFilter(stem=False)
    assert texts(chain("الكتاب والمعلومات في")) == ["الكتاب", "والمعلومات"]
    assert exact_term("الإستخبارات") == "الاستخبارات"


def test_stopwords_can_be_kept_and_marks_cannot():
    # archive analyze shows stopwords (removestops=False); a run of
    # tatweel is no word at all.
    tokens = [(t.text, t.stopped) for t in arabic_analyzer()("في ـــ بغداد", removestops=False)]
    assert tokens == [("في", True), ("بغداد", False)]


CHAIN_ROWS = [
    ("الإستخبارات العراقيّة", ["استخبار", "عراق"], "article, hamza, shadda, nisba"),
    ("في بغداد من العراق", ["بغداد", "عراق"], "stopwords dropped"),
    ("بِغْدَادَ", ["بغداد"], "fully vowelled"),
    ("الرّئيس بوتين", ["رئيس", "بوتين"], "protected name"),
    ("٢٠١٥ 2015", ["2015", "2015"], "digits fold"),
]


@pytest.mark.parametrize("text,expected,note", CHAIN_ROWS, ids=[r[2] for r in CHAIN_ROWS])
def test_chain(text, expected, note):
    assert analyze(text) == expected


def test_stopwords_are_normalized():
    assert all(normalize(w) == w for w in STOPWORDS)
    assert "الي" in STOPWORDS  # إلى, as the filter sees it


def test_positions_close_stopword_gaps():
    tokens = [(t.text, t.pos) for t in arabic_analyzer()("تبادل في المعلومات", positions=True)]
    assert tokens == [("تبادل", 0), ("معلوم", 1)]


def test_offsets_slice_the_vowelled_original():
    text = "وصلَ الرّئيسُ إلى بغدادَ"
    surfaces = [text[t.startchar:t.endchar] for t in arabic_analyzer()(text, chars=True)]
    assert surfaces == ["وصلَ", "الرّئيسُ", "بغدادَ"]


def test_analyzer_pickles():
    ana = arabic_analyzer()
    again = pickle.loads(pickle.dumps(ana))
    text = "وأكّد الرئيس الإيراني"
    assert texts(again(text)) == texts(ana(text))


VARIANT_ROWS = [
    ("سوريا", "سورية"),
    ("أمريكا", "أميركا"),
    ("ميليشيات", "مليشيات"),
    ("ترامب", "ترمب"),
]


@pytest.mark.parametrize("a,b", VARIANT_ROWS)
def test_variants_are_one_family(a, b):
    (ta,), (tb,) = analyze(a), analyze(b)
    assert ta != tb
    assert tb in variants(ta) and ta in variants(tb)


def test_word_without_variants():
    assert variants("كتاب") == frozenset({"كتاب"})


# Property tests: odd text yields tokens, never exceptions.
arabic_text = st.text(
    alphabet=st.sampled_from(
        list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى")
        + ["\u064b", "\u064e", "\u0650", "\u0651", "\u0652", "\u0670", "\u0640",
           "\u200c", "\u200f", "\ufeff", "ﻻ", "٣", " ", "،", "-", "a", "Z", "1"]
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(arabic_text, st.text(max_size=40)))
def test_analyzer_never_raises_and_never_emits_empty_tokens(text):
    for t in arabic_analyzer()(text, chars=True, positions=True):
        assert t.text
        assert 0 <= t.startchar < t.endchar <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(arabic_text, st.text(max_size=40)))
def test_normalization_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(arabic_text)
def test_offsets_slice_the_surface_form(text):
    chain = ArabicTokenizer() | ArabicTermFilter(stem=False)
    for t in chain(text, chars=True):
        assert normalize(text[t.startchar:t.endchar]) == t.text


@settings(max_examples=300, deadline=None)
@given(st.one_of(arabic_text, st.text(max_size=40)))
def test_fast_path_indexes_what_the_analyzer_indexes(text):
    from analyzers.analysis import term_positions

    expected = {}
    for t in arabic_analyzer()(text, positions=True):
        expected.setdefault(t.text, []).append(t.pos)
    length, positions = term_positions(text)
    assert positions == expected
    assert length == sum(len(p) for p in expected.values())


def test_no_variant_family_merges_two_common_words():
    # جنسون stems to جنس (nationality): a family with it made every query
    # about nationality also search for Johnson.
    from analyzers.variants import variants

    assert variants(analyze("الجنسية")[0]) == frozenset(analyze("الجنسية"))


@settings(max_examples=200, deadline=None)
@given(st.one_of(arabic_text, st.text(max_size=40)))
def test_the_recognisers_tokens_give_the_same_index_terms(text):
    # Indexing with entities takes a text's words from the recogniser's
    # tokens instead of splitting the text again.
    from analyzers.analysis import term_positions, word_positions
    from analyzers.entities import extract_entities_many
    from analyzers.tokenizer import is_word

    ((_, tokens),) = extract_entities_many([text], with_tokens=True)
    assert [t for t in tokens if is_word(t)] == tokenize(text)
    assert word_positions(filter(is_word, tokens)) == term_positions(text)


ARABIC_WORDS = st.text(alphabet="ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيًٌٍَُِّْـ", min_size=1, max_size=12)


@settings(max_examples=3000, deadline=None)
@given(ARABIC_WORDS)
def test_a_term_is_a_slice_of_the_normalized_word(word):
    # Snippets rely on it: a word whose normalized form contains none of
    # the query's terms is never stemmed (indexer/snippets.py).
    term = index_term(word)
    assert term is None or term in normalize(word)


# Words, marks, joiners, digits, an underscore, punctuation, presentation
# forms and every kind of white space the pattern and str.split see.
TOKEN_ALPHABET = st.sampled_from(
    list("بغداد الرئيس NATO g2 ٢٠١٥ 2015 _ . ، : « » - ـ ﻻ ﷲ ً ّ ٰ")
    + ["\u200c", "\u200f", "\n", "\r", "\t", "\xa0", "\u2003", "\u2028", "\x1c", "\x85", "\u0610", "\u06d6", "½", "²"]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(TOKEN_ALPHABET, max_size=40).map("".join))
def test_the_recognisers_tokenizer_is_its_pattern(text):
    # It cuts at white space and sends only pieces that are not all word
    # characters through the pattern.
    from analyzers.entities.tokens import TOKEN_RE
    from analyzers.entities.tokens import tokenize as recogniser_tokens

    assert recogniser_tokens(text) == TOKEN_RE.findall(text)
