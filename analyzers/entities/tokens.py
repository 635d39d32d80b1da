"""Split text into word tokens and peel Arabic clitics for gazetteer look-ups.

The recogniser works on surface tokens (kept for aliases and canonical
names) paired with their normalized forms (used for every look-up).  Its
words are the analyzer's words (:data:`analyzers.tokenizer.WORD_PATTERN`:
a vowelled word stays one token, normalization then strips the marks), so
indexing takes a text's index terms from the same tokens.
"""

import re
from functools import lru_cache

from analyzers.normalize import normalize
from analyzers.tokenizer import WORD_PATTERN

# A newline is a token: title and paragraphs end there, so phrases and
# sentences never run across it.
NEWLINE = "\n"
# The analyzer's words, then any other character but white space alone
# (punctuation, a stray mark), and newlines.  The words come out exactly
# as WORD_PATTERN.findall finds them: where no word starts, both move on
# by one character.
TOKEN_RE = re.compile(rf"{WORD_PATTERN.pattern}|[^\w\s]|\n")
_findall = TOKEN_RE.findall

# Proclitics that may stand before a name, longest first.  Forms ending in
# لل hide the article (ل + ال), so ARTICLE_AFTER restores it.
PREFIX_CLITICS = (
    "وبال", "وكال", "فبال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال",
    "لل", "ال", "وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك",
)
ARTICLE = "ال"
_CLITIC_SET = frozenset(PREFIX_CLITICS)
_CLITIC_LENGTHS = sorted({len(p) for p in PREFIX_CLITICS}, reverse=True)
# Per-type results every token needs are cached in full by their users (the
# tagger's registry, the phrase tables); these steps towards them are kept
# only for the words being worked on, which keeps a worker's memory flat.
INTERMEDIATE_CACHE = 1 << 14
# Keep at least this many letters after a clitic: "بل" must not become "ل".
MIN_REST = 2


def tokenize(text):
    r"""Return the word and punctuation tokens of ``text`` as written:
    ``TOKEN_RE.findall(text)``.

    A line at a time, cut at white space: a piece of word characters only
    (``str.isalnum`` is the regex engine's ``\w`` but for ``_``) is one
    word, and only the rest (a mark, punctuation, an underscore) goes
    through the pattern.  A quarter faster on SaudiNewsNet, where most
    pieces are plain words.

    >>> tokenize("قال اللواءُ: نعم.\nثم")
    ['قال', 'اللواءُ', ':', 'نعم', '.', '\n', 'ثم']
    """
    out = []
    for line in text.split(NEWLINE):
        for piece in line.split():
            if piece.isalnum():
                out.append(piece)
            else:
                out += _findall(piece)
        out.append(NEWLINE)
    out.pop()   # no line break after the last line
    return out


def normalize_tokens(tokens):
    """Return the normalized twin of every token (cached per word type)."""
    norms = list(map(_NORMS.get, tokens))
    if None in norms:
        norms = [_normalize(t) if x is None else x for t, x in zip(tokens, norms)]
    return norms


# token -> normalized form: a plain dict, as a look-up through map() costs a
# fraction of an lru_cache call, bounded like one.
_NORMS = {}
NORM_CACHE = 1 << 17


def _normalize(token):
    norm = normalize(token)
    if len(_NORMS) < NORM_CACHE:
        _NORMS[token] = norm
    return norm


@lru_cache(maxsize=INTERMEDIATE_CACHE)
def clitic_variants(norm):
    """Return ``norm`` and the forms left by peeling its proclitics.

    Each variant is ``(form, prefix)``; the whole word comes first, then the
    longest peel.  A peel ending in ال yields both the definite form and the
    bare one, so a table may list either الْعراق or عراقي.

    >>> [f for f, _ in clitic_variants("وبالعراق")]
    ['وبالعراق', 'العراق', 'عراق', 'بالعراق']
    """
    out = [(norm, "")]
    seen = {norm}
    for prefix in _prefixes(norm):
        if len(norm) - len(prefix) < MIN_REST:
            continue
        rest = norm[len(prefix):]
        forms = [rest]
        if prefix.endswith(ARTICLE) or prefix.endswith("لل"):
            forms.insert(0, ARTICLE + rest)
        for form in forms:
            if form not in seen:
                seen.add(form)
                out.append((form, prefix))
    return tuple(out)


# Only the article forms are peeled blindly; a lone و/ب/ل/ك/ف is too often
# a root letter (بغداد, وليد, كركوك).  Longest first, as in PREFIX_CLITICS.
_ARTICLE_CLITICS = tuple(p for p in PREFIX_CLITICS if ARTICLE in p or p.endswith("لل"))


@lru_cache(maxsize=INTERMEDIATE_CACHE)
def bare(norm):
    """Return ``norm`` without proclitics or article: the form clusters and
    surname matching compare (للخفاجي, الخفاجي -> خفاجي).

    >>> bare("للخفاجي"), bare("وبالعراق"), bare("بغداد"), bare("الى")
    ('خفاجي', 'عراق', 'بغداد', 'الى')
    """
    if norm.startswith(_ARTICLE_CLITICS):
        for prefix in _ARTICLE_CLITICS:
            if norm.startswith(prefix) and len(norm) - len(prefix) >= 3:
                return norm[len(prefix):]
    return norm


def clitic_closure(forms):
    """Return every word one of whose :func:`clitic_variants` may be in
    ``forms``: each form with each proclitic, and a definite form behind لل,
    which hides its alef (للعراق for العراق).

    A superset, for a one-look-up test that most words match nothing.

    >>> {"العراق", "وبالعراق", "للعراق", "وللعراق"} <= clitic_closure({"العراق"})
    True
    """
    out = set(forms)
    for form in forms:
        out.update(prefix + form for prefix in PREFIX_CLITICS)
        if form.startswith(ARTICLE):
            rest = form[len(ARTICLE):]
            out.update(prefix + rest for prefix in PREFIX_CLITICS
                       if prefix.endswith(ARTICLE) or prefix.endswith("لل"))
    return frozenset(out)


def _prefixes(norm):
    """Yield the proclitics ``norm`` starts with, in PREFIX_CLITICS order.

    That order is longest first, and at most one clitic of each length can
    start a word, so a set look-up per length finds them in order.
    """
    for size in _CLITIC_LENGTHS:
        if norm[:size] in _CLITIC_SET and len(norm) > size:
            yield norm[:size]
