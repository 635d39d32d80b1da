"""Golden rows for bench/lucene_arabic.py, the benchmark's port of Lucene's
Arabic analysis: Lucene's own test cases (TestArabicNormalizationFilter,
TestArabicStemFilter, TestArabicAnalyzer in
lucene/analysis/common/src/test/org/apache/lucene/analysis/ar/), one row each,
so the baseline the project is measured against stays Lucene's.
"""

import importlib.util
import pickle
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parent.parent / "bench" / "lucene_arabic.py"
_spec = importlib.util.spec_from_file_location("lucene_arabic", _PATH)
lucene_arabic = importlib.util.module_from_spec(_spec)
# Registered under its own name, as bench/relevance.py imports it, so the
# analyzer pickles the way it does into a benchmark index.
sys.modules.setdefault("lucene_arabic", lucene_arabic)
_spec.loader.exec_module(lucene_arabic)


def tokens(analyzer, text):
    return [t.text for t in analyzer(text)]


# TestArabicNormalizationFilter: (input, expected, Lucene's test name).
NORMALIZATION = [
    ("آجن", "اجن", "testAlifMadda"),
    ("أحمد", "احمد", "testAlifHamzaAbove"),
    ("إعاذ", "اعاذ", "testAlifHamzaBelow"),
    ("بنى", "بني", "testAlifMaksura"),
    ("فاطمة", "فاطمه", "testTehMarbuta"),
    ("روبرـــــت", "روبرت", "testTatweel"),
    ("مَبنا", "مبنا", "testFatha"),
    ("علِي", "علي", "testKasra"),
    ("بُوات", "بوات", "testDamma"),
    ("ولداً", "ولدا", "testFathatan"),
    ("ولدٍ", "ولد", "testKasratan"),
    ("ولدٌ", "ولد", "testDammatan"),
    ("نلْسون", "نلسون", "testSukun"),
    ("هتميّ", "هتمي", "testShaddah"),
    ("", "", "testEmptyTerm"),
]

# TestArabicStemFilter.
STEMMING = [
    ("الحسن", "حسن", "testAlPrefix"),
    ("والحسن", "حسن", "testWalPrefix"),
    ("بالحسن", "حسن", "testBalPrefix"),
    ("كالحسن", "حسن", "testKalPrefix"),
    ("فالحسن", "حسن", "testFalPrefix"),
    ("للاخر", "اخر", "testLlPrefix"),
    ("وحسن", "حسن", "testWaPrefix"),
    ("زوجها", "زوج", "testAhSuffix"),
    ("ساهدان", "ساهد", "testAnSuffix"),
    ("ساهدات", "ساهد", "testAtSuffix"),
    ("ساهدون", "ساهد", "testWnSuffix"),
    ("ساهدين", "ساهد", "testYnSuffix"),
    ("ساهديه", "ساهد", "testYhSuffix"),
    ("ساهدية", "ساهد", "testYpSuffix"),
    ("ساهده", "ساهد", "testHSuffix"),
    ("ساهدة", "ساهد", "testPSuffix"),
    ("ساهدي", "ساهد", "testYSuffix"),
    ("وساهدون", "ساهد", "testComboPrefSuf"),
    ("ساهدهات", "ساهد", "testComboSuf"),
    ("الو", "الو", "testShouldntStem"),
    ("English", "English", "testNonArabic"),
    ("", "", "testEmptyTerm"),
]

# TestArabicAnalyzer: the whole chain.
ANALYZER = [
    ("كبير", ["كبير"], "testBasicFeatures: كبير"),
    ("كبيرة", ["كبير"], "testBasicFeatures: feminine marker"),
    ("مشروب", ["مشروب"], "testBasicFeatures: مشروب"),
    ("مشروبات", ["مشروب"], "testBasicFeatures: plural -at"),
    ("أمريكيين", ["امريك"], "testBasicFeatures: plural -in"),
    ("امريكي", ["امريك"], "testBasicFeatures: singular with bare alif"),
    ("كتاب", ["كتاب"], "testBasicFeatures: كتاب"),
    ("الكتاب", ["كتاب"], "testBasicFeatures: definite article"),
    ("ما ملكت أيمانكم", ["ملكت", "ايمانكم"], "testBasicFeatures: ما ملكت أيمانكم"),
    ("الذين ملكت أيمانكم", ["ملكت", "ايمانكم"], "testBasicFeatures: stopwords"),
    ("English text.", ["english", "text"], "testEnglishInput"),
    ("١٢٣٤", ["1234"], "testDigits"),
    ("كبيرة the quick ساهدهات", ["كبير", "the", "quick", "ساهد"],
     "testWithStemExclusionSet: empty sets"),
]


@pytest.mark.parametrize(
    "word, expected", [r[:2] for r in NORMALIZATION], ids=[r[2] for r in NORMALIZATION]
)
def test_normalize(word, expected):
    assert lucene_arabic.normalize(word) == expected


@pytest.mark.parametrize(
    "word, expected", [r[:2] for r in NORMALIZATION if r[0]],
    ids=[r[2] for r in NORMALIZATION if r[0]],
)
def test_normalization_filter(word, expected):
    chain = lucene_arabic.RegexTokenizer(r"\S+") | lucene_arabic.LuceneArabicNormalizationFilter()
    assert tokens(chain, word) == [expected]


@pytest.mark.parametrize(
    "word, expected", [r[:2] for r in STEMMING], ids=[r[2] for r in STEMMING]
)
def test_stem(word, expected):
    assert lucene_arabic.stem(word) == expected


@pytest.mark.parametrize(
    "word, expected", [r[:2] for r in STEMMING if r[0]], ids=[r[2] for r in STEMMING if r[0]]
)
def test_stem_filter(word, expected):
    chain = lucene_arabic.RegexTokenizer(r"\S+") | lucene_arabic.LuceneArabicStemFilter()
    assert tokens(chain, word) == [expected]


@pytest.mark.parametrize(
    "text, expected", [r[:2] for r in ANALYZER], ids=[r[2] for r in ANALYZER]
)
def test_analyzer(text, expected):
    assert tokens(lucene_arabic.lucene_arabic_analyzer(), text) == expected


def test_stopword_list_is_lucenes():
    # 119 entries, unnormalized: both spellings of إلى are listed.
    assert len(lucene_arabic.STOPWORDS) == 119
    assert {"إلى", "الى", "على", "جميع"} <= lucene_arabic.STOPWORDS


def test_stopwords_match_before_normalization():
    # Lucene's order: "على" is a stopword, but "علي" (its normalized form,
    # also the name Ali) is not, and neither is a word only normalization
    # would turn into a stopword.
    analyzer = lucene_arabic.lucene_arabic_analyzer()
    assert tokens(analyzer, "على") == []
    assert tokens(analyzer, "علي") == ["عل"]
    assert tokens(analyzer, "عـلى") == ["عل"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("الرَّئِيسُ قال", ["الرَّئِيسُ", "قال"]),
        ("1,000 و3.5 ١٬٠٠٠", ["1,000", "و3.5", "١٬٠٠٠"]),
        ("U.S. don't", ["U.S", "don't"]),
        ("Super_Bowl_50", ["Super_Bowl_50"]),
        ("قال: «نعم»؟", ["قال", "نعم"]),
        ("مسؤول\u200fون", ["مسؤول\u200fون"]),
    ],
    ids=["marks inside words", "digits across separators", "letters across . and '",
         "underscore joins", "punctuation splits", "format characters inside words"],
)
def test_tokenizer_follows_uax29(text, expected):
    assert lucene_arabic.TOKEN_PATTERN.findall(text) == expected


def test_no_empty_tokens():
    # A lone tatweel run normalizes to nothing; Lucene would keep "".
    assert tokens(lucene_arabic.lucene_arabic_analyzer(), "ـــ كتاب") == ["كتاب"]


def test_analyzer_pickles():
    # Whoosh pickles the analyzer into the index schema.
    analyzer = pickle.loads(pickle.dumps(lucene_arabic.lucene_arabic_analyzer()))
    assert tokens(analyzer, "والكتابات") == ["كتاب"]
