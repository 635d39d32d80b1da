"""A port of Lucene's Arabic analysis to Whoosh, as a benchmark baseline.

It answers "how would the project rank with Lucene's analysis and nothing
else of ours?", so it copies Lucene (``org.apache.lucene.analysis.ar``, 9.x)
rule for rule and adds nothing:

* ``ArabicAnalyzer``: StandardTokenizer | LowerCaseFilter |
  DecimalDigitFilter | StopFilter | ArabicNormalizationFilter |
  ArabicStemFilter.  The order is Lucene's: its stopword list is not
  normalized, so stopwords are matched before normalization (إلى is a
  stopword, الى is not).
* ``ArabicNormalizer``: أ إ آ to ا, ى to ي, ة to ه; the eight harakat
  (fathatan..sukun) and tatweel are deleted.  Nothing else: not alef wasla,
  not superscript alef, not the Quranic marks, not ؤ ئ.
* ``ArabicStemmer``: the first prefix of ``PREFIXES`` that fits is removed
  (one at most), then every suffix of ``SUFFIXES`` in turn, each at most once;
  a prefix must leave two letters (the one-letter و needs a word of four), a
  suffix must leave two.
* ``STOPWORDS``: the 119 words of Lucene's ``ar/stopwords.txt`` (Jacques
  Savoy's CLEF list, BSD), as that file lists them.

Two known differences, neither of which matters for ranking Arabic prose:
Whoosh has no UAX#29 word segmenter, so :data:`TOKEN_PATTERN` writes down the
UAX#29 rules that occur in Arabic and Latin text (words run through
combining marks and format characters; letters join across ``. ' :``,
digits across ``. , ;`` and the Arabic separators); and a token that
normalizes to nothing (a lone tatweel run) is dropped, where Lucene indexes
an empty term.
"""

import re
import sys
import unicodedata

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter

# --- ArabicNormalizer ------------------------------------------------------

ALEF = "\u0627"
ALEF_MADDA = "\u0622"
ALEF_HAMZA_ABOVE = "\u0623"
ALEF_HAMZA_BELOW = "\u0625"
YEH = "\u064a"
DOTLESS_YEH = "\u0649"
TEH_MARBUTA = "\u0629"
HEH = "\u0647"
TATWEEL = "\u0640"
FATHATAN = "\u064b"
DAMMATAN = "\u064c"
KASRATAN = "\u064d"
FATHA = "\u064e"
DAMMA = "\u064f"
KASRA = "\u0650"
SHADDA = "\u0651"
SUKUN = "\u0652"

NORMALIZE_FOLDS = {
    ALEF_MADDA: ALEF,
    ALEF_HAMZA_ABOVE: ALEF,
    ALEF_HAMZA_BELOW: ALEF,
    DOTLESS_YEH: YEH,
    TEH_MARBUTA: HEH,
}
NORMALIZE_DELETES = (
    TATWEEL, KASRATAN, DAMMATAN, FATHATAN, FATHA, DAMMA, KASRA, SHADDA, SUKUN,
)
_NORMALIZE_TABLE = str.maketrans(
    {**NORMALIZE_FOLDS, **dict.fromkeys(NORMALIZE_DELETES)}
)


def normalize(word):
    """ArabicNormalizer.normalize.

    >>> normalize("أَحْمَدُ")
    'احمد'
    """
    return word.translate(_NORMALIZE_TABLE)


# --- ArabicStemmer ---------------------------------------------------------

BEH = "\u0628"
TEH = "\u062a"
FEH = "\u0641"
KAF = "\u0643"
LAM = "\u0644"
NOON = "\u0646"
WAW = "\u0648"

# Lucene's order, which is not longest-first: ال is tried before وال, so
# "والحسن" reaches وال only because it does not start with ال.
PREFIXES = (
    ALEF + LAM,
    WAW + ALEF + LAM,
    BEH + ALEF + LAM,
    KAF + ALEF + LAM,
    FEH + ALEF + LAM,
    LAM + LAM,
    WAW,
)
SUFFIXES = (
    HEH + ALEF,
    ALEF + NOON,
    ALEF + TEH,
    WAW + NOON,
    YEH + NOON,
    YEH + HEH,
    YEH + TEH_MARBUTA,
    HEH,
    TEH_MARBUTA,
    YEH,
)


def _prefix_fits(word, prefix):
    # startsWithCheckLength: the conjunction و needs a word of at least four
    # letters; every other prefix must leave two.
    if len(prefix) == 1 and len(word) < 4:
        return False
    if len(word) < len(prefix) + 2:
        return False
    return word.startswith(prefix)


def _suffix_fits(word, suffix):
    # endsWithCheckLength: two letters must remain.
    return len(word) >= len(suffix) + 2 and word.endswith(suffix)


def stem_prefix(word):
    """ArabicStemmer.stemPrefix: remove the first prefix that fits, if any."""
    for prefix in PREFIXES:
        if _prefix_fits(word, prefix):
            return word[len(prefix):]
    return word


def stem_suffix(word):
    """ArabicStemmer.stemSuffix: try every suffix once, in table order."""
    for suffix in SUFFIXES:
        if _suffix_fits(word, suffix):
            word = word[: -len(suffix)]
    return word


def stem(word):
    """ArabicStemmer.stem.

    >>> stem("والمعلومات")
    'معلوم'
    """
    return stem_suffix(stem_prefix(word))


# --- Stopwords -------------------------------------------------------------

# lucene/analysis/common/src/resources/org/apache/lucene/analysis/ar/
# stopwords.txt, in its order.  Not normalized: the filter runs first.
STOPWORDS = frozenset("""
من ومن منها منه في وفي فيها فيه و ف ثم او أو ب بها به ا أ اى اي أي أى لا ولا
الا ألا إلا لكن ما وما كما فما عن مع اذا إذا ان أن إن انها أنها إنها انه أنه
إنه بان بأن فان فأن وان وأن وإن التى التي الذى الذي الذين الى الي إلى إلي على
عليها عليه اما أما إما ايضا أيضا كل وكل لم ولم لن ولن هى هي هو وهى وهي وهو فهى
فهي فهو انت أنت لك لها له هذه هذا تلك ذلك هناك كانت كان يكون تكون وكانت وكان
غير بعض قد نحو بين بينما منذ ضمن حيث الان الآن خلال بعد قبل حتى عند عندما لدى
جميع
""".split())


# --- Tokenizer (UAX#29 as it applies to Arabic and Latin text) --------------


def _char_ranges(categories, exclude=()):
    """Return a regex class body of the code points in ``categories``."""
    points = [
        cp for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in categories and chr(cp) not in exclude
    ]
    ranges, start, prev = [], None, None
    for cp in points:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


# WB4: Extend (combining marks) and Format characters never break a word;
# ZWSP is not Format for word breaking.
_IN_WORD = _char_ranges({"Mn", "Mc", "Me", "Cf"}, exclude={"\u200b"})
# Python's \w also takes "other numbers" (² ¼ ①), which UAX#29 breaks on.
_OTHER_NUMBER = _char_ranges({"No"})
_CHAR = rf"[^\W{_OTHER_NUMBER}]"
_LETTER = rf"[^\W\d_{_OTHER_NUMBER}]"
_DIGIT = r"\d"
_WORD = rf"{_CHAR}(?:{_CHAR}|[{_IN_WORD}])*"


def _after(cls):
    # A fixed-width look-behind for a ``cls`` character, optionally followed
    # by one ignorable (WB4) character: re has no variable-width look-behind.
    return rf"(?:(?<={cls})|(?<={cls}[{_IN_WORD}]))"


# WB6/7: letters across MidLetter and MidNumLet; WB11/12: digits across
# MidNum and MidNumLet (U+060C Arabic comma and U+066C Arabic thousands
# separator are MidNum).
_JOIN = (
    rf"(?:{_after(_LETTER)}[:.'\u2018\u2019][{_IN_WORD}]*(?={_LETTER})"
    rf"|{_after(_DIGIT)}[.,;'\u2018\u2019\u060c\u066c][{_IN_WORD}]*(?=\d))"
)
# Lucene's tokenizer also emits pictographs (© ® ™ and emoji) as tokens.
_PICTOGRAPH = (
    "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u231a\u231b\u23e9-\u23f3"
    "\u2600-\u27bf\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\U0001f000-\U0001faff]"
)
TOKEN_PATTERN = re.compile(rf"{_WORD}(?:{_JOIN}{_WORD})*|{_PICTOGRAPH}[{_IN_WORD}]*")

# DecimalDigitFilter: every Unicode decimal digit to its ASCII twin.
_DIGIT_TABLE = {
    cp: str(unicodedata.decimal(chr(cp)))
    for cp in range(sys.maxunicode + 1)
    if unicodedata.category(chr(cp)) == "Nd" and cp > 0x7F
}


class DecimalDigitFilter(Filter):
    """Lucene's DecimalDigitFilter: fold any decimal digit to 0-9."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = t.text.translate(_DIGIT_TABLE)
            yield t


class LuceneArabicNormalizationFilter(Filter):
    """Lucene's ArabicNormalizationFilter (see :func:`normalize`).

    A token left empty is dropped (Lucene would index an empty term).
    """

    def __call__(self, tokens):
        for t in tokens:
            t.text = normalize(t.text)
            if t.text:
                yield t


class LuceneArabicStemFilter(Filter):
    """Lucene's ArabicStemFilter (see :func:`stem`)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = stem(t.text)
            yield t


def lucene_arabic_analyzer(stopwords=True, stemming=True):
    """Return Lucene's ArabicAnalyzer as a Whoosh analyzer.

    RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter | DecimalDigitFilter
    | StopFilter(STOPWORDS) | LuceneArabicNormalizationFilter
    | LuceneArabicStemFilter

    ``stopwords=False`` and ``stemming=False`` drop a step, for ablations.

    >>> [t.text for t in lucene_arabic_analyzer()("الذين ملكت أيمانكم")]
    ['ملكت', 'ايمانكم']
    """
    chain = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | DecimalDigitFilter()
    if stopwords:
        # Before normalization, as in Lucene: the list is not normalized.
        chain = chain | StopFilter(stoplist=STOPWORDS, minsize=1, renumber=False)
    chain = chain | LuceneArabicNormalizationFilter()
    return chain | LuceneArabicStemFilter() if stemming else chain
