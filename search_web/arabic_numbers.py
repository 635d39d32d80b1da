"""Counts in Arabic words: the noun after a number agrees with it.

Arabic says "لا نتائج", "نتيجة واحدة", "نتيجتان", "3 نتائج", "11 نتيجة",
"100 نتيجة", "103 نتائج": the counted noun depends on the number's last
two digits.  These are CLDR's plural categories for Arabic, read here from
Babel (already a dependency, for the country names) rather than restated:

========  =========================  ==============================
category  numbers                    written
========  =========================  ==============================
zero      0                          لا نتائج (the noun's ``none``)
one       1                          نتيجة واحدة (``one``)
two       2                          نتيجتان / نتيجتين (``two``)
few       3-10, 103-110, ...         N نتائج (the plural)
many      11-99, 111-199, ...        N نتيجة (singular, accusative)
other     100-102, 200-202, ...      N نتيجة (singular, genitive)
========  =========================  ==============================

Accusative and genitive singular are spelled alike without diacritics, so
only the dual shows grammatical case: ``case="oblique"`` gives نتيجتين
where the count follows a preposition (ابحث في مقالتين).  Numbers are
written in Western digits with thousands separators, like the rest of the
page.

    >>> [count_phrase(n, RESULTS) for n in (0, 1, 2, 7, 11, 1000, 1003)]
    ['لا نتائج', 'نتيجة واحدة', 'نتيجتان', '7 نتائج', '11 نتيجة', '1,000 نتيجة', '1,003 نتائج']
    >>> count_phrase(2, ARTICLES, case="oblique")
    'مقالتين'
"""

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

_ARABIC = Locale.parse("ar")


@dataclass(frozen=True)
class Noun:
    """The forms of one counted noun."""

    singular: str     # نتيجة: after 11 and up
    plural: str       # نتائج: after 3 to 10
    one: str          # نتيجة واحدة
    two: str          # نتيجتان (nominative)
    two_oblique: str  # نتيجتين (after a preposition, or as an object)
    none: str         # لا نتائج


RESULTS = Noun("نتيجة", "نتائج", "نتيجة واحدة", "نتيجتان", "نتيجتين", "لا نتائج")
ARTICLES = Noun("مقالة", "مقالات", "مقالة واحدة", "مقالتان", "مقالتين", "لا مقالات")
MENTIONS = Noun("مرة", "مرات", "مرة واحدة", "مرتان", "مرتين", "لا مرات")
COPIES = Noun("نسخة", "نسخ", "نسخة واحدة", "نسختان", "نسختين", "لا نسخ")
STORIES = Noun("خبر", "أخبار", "خبر واحد", "خبران", "خبرين", "لا أخبار")
NOUNS = {"result": RESULTS, "article": ARTICLES, "mention": MENTIONS, "copy": COPIES, "story": STORIES}


@lru_cache(maxsize=4096)
def plural_category(n):
    """CLDR's Arabic plural category of a whole number: zero, one, two, few, many or other."""
    return _ARABIC.plural_form(abs(int(n)))


def count_phrase(n, noun, case="nominative"):
    """``n`` and the form of ``noun`` (a :class:`Noun` or a key of NOUNS) that goes with it."""
    if isinstance(noun, str):
        noun = NOUNS[noun]
    category = plural_category(n)
    if category == "zero":
        return noun.none
    if category == "one":
        return noun.one
    if category == "two":
        return noun.two_oblique if case == "oblique" else noun.two
    word = noun.plural if category == "few" else noun.singular
    return f"{int(n):,} {word}"
