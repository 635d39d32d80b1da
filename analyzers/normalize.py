"""Arabic search normalization: fold the spellings a reader treats as one word.

Rules, applied by :func:`normalize` in this order:

1. Presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFF) are decomposed with NFKC,
   so ligatures such as ﻻ become لا before the letter folds run.
2. Tashkeel is removed: fathatan..sukun and the other combining marks
   U+064B-U+065F, superscript alef U+0670 and the Quranic annotation marks
   U+0610-U+061A, U+06D6-U+06DC, U+06DF-U+06E8, U+06EA-U+06ED.
3. Tatweel U+0640 is removed, and so are the zero-width and bidi controls
   U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+061C and the BOM.
4. Alef forms أ إ آ ٱ fold to bare alef ا; alef maksura ى folds to yeh ي;
   teh marbuta ة folds to heh ه (as Lucene's ArabicNormalizer does).
5. Persian and Urdu letter forms fold to their Arabic twins: ی ي, ک ك,
   ھ ه, ۀ ه.
6. Eastern Arabic-Indic (٠..٩) and Persian (۰..۹) digits fold to ASCII.
7. Latin letters are lowercased.

The hamza carriers ؤ and ئ and the lone hamza ء are kept (see
``HAMZA_FOLDS``): folding them to و / ي merges words such as مسؤول and مسوول
that are spelled both ways, but also سائل and سايل, and it did not move the
relevance benchmark (bench/results/relevance.md), so we keep the letters as
written, like Lucene.

Unlike pyarabic's ``normalize_alef`` we never fold ى into ا (مستشفى must not
become مستشفا), and unlike its ``normalize_hamza`` we never turn إ into ء.
"""

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pyarabic.araby as araby

# Letters pyarabic already names; the Persian/Urdu forms it lacks are ours.
ALEF = araby.ALEF
ALEF_MADDA = araby.ALEF_MADDA
ALEF_HAMZA_ABOVE = araby.ALEF_HAMZA_ABOVE
ALEF_HAMZA_BELOW = araby.ALEF_HAMZA_BELOW
ALEF_WASLA = araby.ALEF_WASLA
ALEF_MAKSURA = araby.ALEF_MAKSURA
YEH = araby.YEH
TEH_MARBUTA = araby.TEH_MARBUTA
HEH = araby.HEH
WAW = araby.WAW
WAW_HAMZA = araby.WAW_HAMZA
YEH_HAMZA = araby.YEH_HAMZA
KAF = araby.KAF
TATWEEL = araby.TATWEEL
SUPERSCRIPT_ALEF = araby.MINI_ALEF
FARSI_YEH = "\u06cc"
KEHEH = "\u06a9"
HEH_DOACHASHMEE = "\u06be"
HEH_YEH_ABOVE = "\u06c0"

# Combining marks that carry vowels, gemination or Quranic annotation.
TASHKEEL = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + [SUPERSCRIPT_ALEF]
    + [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x06D6, 0x06DD)]
    + [chr(c) for c in range(0x06DF, 0x06E9)]
    + [chr(c) for c in range(0x06EA, 0x06EE)]
)

# Invisible characters that only steer joining or direction.
CONTROLS = (
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u061c", "\ufeff"]
)

LETTER_FOLDS = {
    ALEF_MADDA: ALEF,
    ALEF_HAMZA_ABOVE: ALEF,
    ALEF_HAMZA_BELOW: ALEF,
    ALEF_WASLA: ALEF,
    ALEF_MAKSURA: YEH,
    TEH_MARBUTA: HEH,
    FARSI_YEH: YEH,
    KEHEH: KAF,
    HEH_DOACHASHMEE: HEH,
    HEH_YEH_ABOVE: HEH,
}

# Measured and left off (see the module docstring); kept here so the
# benchmark can switch them on.
HAMZA_FOLDS = {WAW_HAMZA: WAW, YEH_HAMZA: YEH}

DIGIT_FOLDS = {chr(0x0660 + i): str(i) for i in range(10)}
DIGIT_FOLDS.update({chr(0x06F0 + i): str(i) for i in range(10)})

_DELETE = dict.fromkeys(map(ord, TASHKEEL + CONTROLS + [TATWEEL]))
FOLD_TABLE = {
    **_DELETE,
    **{ord(k): v for k, v in LETTER_FOLDS.items()},
    **{ord(k): v for k, v in DIGIT_FOLDS.items()},
}


_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")

# Texts this long or longer are folded through an array of code points
# (:func:`_fold`): ``str.translate`` looks every character up in the
# table, and raises and catches a KeyError for each one it does not map,
# about 0.1 us a character (a third of a millisecond an article).
LONG_TEXT = 256
_DELETED = 0xFFFFFFFF


def normalize(text):
    """Return ``text`` with the search folds above applied.

    >>> normalize("الإِسْتِخْبَارَاتُ")
    'الاستخبارات'
    >>> normalize("مستشفى ١٩٤٨")
    'مستشفي 1948'
    """
    if _PRESENTATION_FORMS.search(text):
        # NFKC also turns the BOM-range's ZWNBSP into nothing we keep, and
        # ﻷ into لأ, whose alef the table then folds.
        text = unicodedata.normalize("NFKC", text)
    return _fold(text).lower()


def _fold(text):
    """``text.translate(FOLD_TABLE)``, for a long text in numpy."""
    if len(text) < LONG_TEXT:
        return text.translate(FOLD_TABLE)
    table = _fold_array()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.max() >= len(table):
        # Past the BMP (emoji): the table has no room, and nothing to fold.
        return text.translate(FOLD_TABLE)
    folded = table[codes]
    return folded[folded != _DELETED].tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def _fold_array():
    """FOLD_TABLE as an array over the BMP: code point -> folded code point,
    or _DELETED (every fold is one character or none)."""
    table = np.arange(0x10000, dtype=np.uint32)
    for code, folded in FOLD_TABLE.items():
        table[code] = _DELETED if folded is None else ord(folded)
    return table


def normalize_lines(text):
    r"""Return :func:`normalize` of each line of ``text``, joined by line breaks again.

    One call for many short texts (the segments of an article) where a call
    each would cost more than the folding.  Without presentation forms it
    is :func:`normalize` of the whole text: the table maps one character at
    a time, and lowercasing's one rule with context (a final sigma) never
    looks across a line break.  NFKC is not a character-by-character map,
    so a text with presentation forms is folded a line at a time.

    >>> normalize_lines("الإِسْتِخْبَارَاتُ ١٩٤٨\n\ufefb")
    'الاستخبارات 1948\nلا'
    """
    if _PRESENTATION_FORMS.search(text):
        return "\n".join(map(normalize, text.split("\n")))
    return _fold(text).lower()


@lru_cache(maxsize=1 << 16)
def normalize_token(token):
    """Cached :func:`normalize` for single tokens (their frequencies are Zipfian)."""
    return normalize(token)
