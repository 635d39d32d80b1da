"""Split text into words without splitting vowelled Arabic words.

Python's ``\\w`` does not match the Arabic combining marks (harakat, shadda,
superscript alef, Quranic marks), so Whoosh's default ``\\w+`` pattern cuts
الرّئيس into الر + ئيس.  The pattern here lets a word run through those marks
and through the joiners and direction marks that sit inside words; the
normalization filter removes them later, so each token's ``startchar`` and
``endchar`` still slice the original, vowelled surface form (highlighting
depends on it).
"""

import re

from whoosh.analysis import RegexTokenizer

# Combining marks and in-word invisibles a word may contain (not start with:
# a run of marks alone would become an empty token after normalization).
IN_WORD = (
    "\u0610-\u061a"  # Quranic annotation signs
    "\u064b-\u065f"  # harakat, tanwin, shadda, sukun, hamza above/below
    "\u0670"  # superscript alef
    "\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"  # Quranic marks
    "\u200c-\u200f"  # joiners and direction marks
)

WORD_PATTERN = re.compile(rf"\w[\w{IN_WORD}]*")


def tokenize(text):
    """Return the surface words of ``text``.

    >>> tokenize("الرَّئِيسُ، قال: 2015")
    ['الرَّئِيسُ', 'قال', '2015']
    """
    return WORD_PATTERN.findall(text)


def is_word(token):
    r"""Tell a word from the punctuation and newline tokens the entity
    recogniser also keeps: only a word may be longer than one character,
    and a one-character word is \w.

    >>> [t for t in ["قال", ":", "و", "\n", "2"] if is_word(t)]
    ['قال', 'و', '2']
    """
    return len(token) > 1 or token.isalnum() or token == "_"


def ArabicTokenizer():
    """A Whoosh tokenizer using :data:`WORD_PATTERN`."""
    return RegexTokenizer(WORD_PATTERN)
