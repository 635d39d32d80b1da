"""Whoosh filters wrapping the pure functions, and the analyzer built from them.

The filters are thin: the rules live in :mod:`analyzers.normalize`,
:mod:`analyzers.stopwords` and :mod:`analyzers.stemmer`.  Whoosh pickles the
analyzer into the index schema, so these class names and this module path are
part of the on-disk format: after moving one, rebuild the index.
"""

import hashlib
from functools import lru_cache
from importlib import resources
from itertools import compress, repeat
from operator import is_not

from whoosh.analysis import Filter, StopFilter

from analyzers.normalize import normalize_token
from analyzers.stemmer import light_stem
from analyzers.stopwords import STOPWORDS
from analyzers.tokenizer import WORD_PATTERN, ArabicTokenizer


class ArabicNormalizeFilter(Filter):
    """Apply :func:`analyzers.normalize.normalize` to each token's text.

    Only ``text`` changes: ``startchar``/``endchar`` keep pointing at the
    original spelling.  A token that was nothing but marks (a lone tatweel
    run, a stray direction mark) normalizes to "" and is dropped.
    """

    def __call__(self, tokens):
        for t in tokens:
            text = normalize_token(t.text)
            if text:
                t.text = text
                yield t


class ArabicLightStemFilter(Filter):
    """Replace each token's text with :func:`analyzers.stemmer.light_stem`."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = light_stem(t.text)
            yield t


def arabic_analyzer(stem=True):
    """Return the archive's analyzer, the same at index and query time.

    ArabicTokenizer | ArabicNormalizeFilter | StopFilter | ArabicLightStemFilter

    The order here is important: the stopword list is normalized but not
    stemmed, so stopwords go before the stemmer.  ``renumber=True`` closes the
    gaps stopwords leave, so a phrase matches across them the same way at
    index and query time ("تبادل في المعلومات" finds "تبادل المعلومات").
    ``minsize=1`` keeps one-letter tokens such as digits.  The only
    query-only step, spelling-variant expansion, runs on parsed queries (see
    :mod:`analyzers.variants`), not here.
    """
    chain = (
        ArabicTokenizer()
        | ArabicNormalizeFilter()
        | StopFilter(stoplist=STOPWORDS, minsize=1, renumber=True)
    )
    return chain | ArabicLightStemFilter() if stem else chain


def analyze(text, stem=True):
    """Return the index terms of ``text``, in order.

    >>> analyze("وأكّد الرئيسُ الإيرانيّ في طهران")
    ['اكد', 'رئيس', 'ايران', 'طهران']
    """
    return [t.text for t in arabic_analyzer(stem)(text)]


@lru_cache(maxsize=1 << 18)
def index_term(word):
    """Return the term the analyzer indexes surface ``word`` under, or None.

    The whole chain for one word, cached: token frequencies are Zipfian, so
    nearly every lookup after the first few thousand articles is a hit.
    None for stopwords and for words that normalize to nothing.

    >>> index_term("وبالإستخبارات"), index_term("في")
    ('استخبار', None)
    """
    return normalized_term(normalize_token(word))


def normalized_term(normalized):
    """Return :func:`index_term` of a word from its normalized form (for
    callers that normalized it already), uncached.

    >>> normalized_term("وبالاستخبارات"), normalized_term("في")
    ('استخبار', None)
    """
    if not normalized or normalized in STOPWORDS:
        return None
    return light_stem(normalized)


def term_positions(text):
    """Return (length, {term: [positions]}) exactly as :func:`arabic_analyzer` indexes ``text``.

    The indexing fast path: the same tokenizer pattern and the same cached
    per-word chain as the Whoosh analyzer, without a generator and a Token
    object per word per filter.  Positions skip stopwords, as the
    StopFilter's ``renumber=True`` does.

    >>> term_positions("في بغداد وبغداد")
    (2, {'بغداد': [1, 2]})
    """
    return _positions(map(index_term, WORD_PATTERN.findall(text)))


# In a column of index terms (see :func:`positions_of`): a token that is not
# a word, such as punctuation.  Words are str terms, or None (stopwords).
NOT_A_WORD = False


def positions_of(terms):
    """Return ``(length, {term: [positions]})`` from the index term of each
    token of a text, as :func:`term_positions` does from the text.

    ``terms`` has :func:`index_term` of each word and NOT_A_WORD for other
    tokens: indexing with entities takes them from the recogniser's tokens,
    so the text is split once (:mod:`analyzers.entities.tokens`).

    >>> positions_of([None, NOT_A_WORD, "بغداد", "بغداد"])  # في ، بغداد وبغداد
    (2, {'بغداد': [1, 2]})
    """
    return _positions(compress(terms, map(is_not, terms, repeat(NOT_A_WORD))))


def _positions(terms):
    """Return ``(length, {term: [positions]})`` from the index term of each
    word of a text (None: not indexed)."""
    positions = {}
    pos = None
    length = 0
    for index, term in enumerate(terms):
        if term is None:
            continue
        # Whoosh's StopFilter(renumber=True) keeps the first kept word's
        # own position and counts on from there.
        pos = index if pos is None else pos + 1
        length += 1
        found = positions.get(term)
        if found is None:
            positions[term] = [pos]
        else:
            found.append(pos)
    return length, positions


# Bump when a rule in the code changes what a word is indexed as.
ANALYSIS_RULES_VERSION = 2
# Data files that decide index terms (variants apply at query time only).
INDEX_TIME_DATA = ("stopwords.txt", "protected.txt", "waw_stems.txt")


def analysis_fingerprint():
    """A short hash of everything that decides the terms a text is indexed as.

    An index records it; an index built with other rules or word lists
    would silently miss words its queries are now analyzed into.
    """
    digest = hashlib.sha1(str(ANALYSIS_RULES_VERSION).encode())
    data = resources.files("analyzers.data")
    for name in INDEX_TIME_DATA:
        digest.update(data.joinpath(name).read_bytes())
    return digest.hexdigest()[:16]
