"""Find the parts of a news article that are not its story: datelines,
bylines, tag lists and link footers.

A reporter's name in a byline (سلوى المدني ـ عين اليوم), the agency and
city of a dateline (واس- جدة:, بروكسل 26 شوال ... واس), the tags after
سمات and the "رابط الخبر بصحيفة الوئام: ..." footer name no actor or
country of the story, and the recogniser skips them.

The text is read as indexing builds it: the title, a newline, the body.
A text without a newline (a sentence, a chunk of a corpus) has no layout
and nothing is skipped.
"""

from analyzers.entities.tokens import NEWLINE
from analyzers.normalize import normalize

# Dashes that separate a byline's parts; "" is a tatweel (ـ) used as one,
# which normalization removes.
DASHES = frozenset(("-", "–", "—", ""))
COLON = ":"
# A first body line this short, with a dash or an agency's mark, is a
# dateline or byline; one of at most SHORT_LINE words is one even without
# («الاقتصادية» من الرياض).  Only when a story follows it: a body of one
# short line is the story itself.
MAX_DATELINE = 16
SHORT_LINE = 4
# A byline that opens the body's first line ends with a colon this close
# to its start (عبدالله الراجحي- سبق- جدة:).
MAX_BYLINE = 10
AGENCY_MARKS = frozenset(normalize(w) for w in "واس".split())
FOOTER_START = tuple(normalize(w) for w in "رابط الخبر".split())
TAGS = normalize("سمات")
SENTENCE_END = frozenset(".!?؟")


def boilerplate(norms):
    """Return the indexes of the tokens of ``norms`` (normalized tokens of
    title, newline, body) that belong to a dateline, byline, tag list or
    link footer.

    >>> from analyzers.entities.tokens import tokenize, normalize_tokens
    >>> tokens = tokenize("عنوان\\nواس- جدة: أعلنت الوزارة\\nرابط الخبر بصحيفة الوئام: عنوان")
    >>> [tokens[i] for i in sorted(boilerplate(normalize_tokens(tokens)))]
    ['واس', '-', 'جدة', ':', 'رابط', 'الخبر', 'بصحيفة', 'الوئام', ':', 'عنوان']
    """
    lines = _lines(norms)
    if len(lines) < 2:
        return frozenset()
    skip = set()
    body = [(s, e) for s, e in lines[1:] if e > s]
    if body:
        start, end = body[0]
        words = norms[start:end]
        colon = next((i for i in range(start, min(end, start + MAX_BYLINE)) if norms[i] == COLON), None)
        if colon is not None and any(norms[i] in DASHES for i in range(start, colon)):
            skip.update(range(start, colon + 1))
        elif len(body) > 1 and end - start <= MAX_DATELINE and (
            any(w in DASHES or w in AGENCY_MARKS for w in words)
            or sum(map(str.isalpha, words)) <= SHORT_LINE
        ):
            skip.update(range(start, end))
    if FOOTER_START[0] in norms:
        for start, end in body:
            if tuple(norms[start:start + len(FOOTER_START)]) == FOOTER_START:
                skip.update(range(start, end))
    if body and TAGS in norms:
        # The tag list ends the last line, after a sentence: "... . سمات a b c".
        start, end = body[-1]
        for i in range(end - 1, start - 1, -1):
            if norms[i] == TAGS and (i == start or norms[i - 1] in SENTENCE_END):
                skip.update(range(i, end))
                break
    return frozenset(skip)


def _lines(norms):
    """Return ``(start, end)`` token ranges of the lines, newlines excluded."""
    lines, start = [], 0
    while True:
        try:
            i = norms.index(NEWLINE, start)   # a C-level scan
        except ValueError:
            lines.append((start, len(norms)))
            return lines
        lines.append((start, i))
        start = i + 1
