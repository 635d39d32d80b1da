"""A light Arabic stemmer: strip clitics and inflectional affixes, never roots.

It works on normalized tokens (see :mod:`analyzers.normalize`), so teh
marbuta is already heh and alef maksura is already yeh. In the spirit of
Larkey's Light10 and Lucene's ArabicStemmer, with these changes measured on
the relevance benchmark:

* one leading conjunction (و or ف) may precede a preposition and the article
  (وبال, فلل ...), so the prefix table lists the combinations, longest first;
* the single-letter conjunction و is stripped only when the word does not
  start with a stem whose own first letter is و (وزير, وطن, وقت ...);
* لل is ل + the article, whose alef and lam are not written before a stem
  starting with ل: للجنة is ل + اللجنة and stems as اللجنة does (لجن), not
  as جنة, for the stems listed as starting with ل (لجنة, لاعب, لقاء ...);
* the one-letter prepositions ب ل ك are stripped when a four-letter stem
  remains (بالمستشفى and بمستشفى, لبرنامج), which Light10 and Lucene
  leave on;
* a teh marbuta written ت before a pronoun goes with it when three letters
  remain (حكومته, حكومتهم, شركته, زوجته stem as حكومة, شركة, زوجة; بيته, وقته
  keep their ت; a word ending in ت with a pronoun, سكوته, loses it too);
* the alef of an indefinite accusative (tanween fath: عامًا, مسؤولاً,
  normalized عاما, مسؤولا) goes when three letters remain, so عاما is
  عام; not after ي, where it is the word's own (سوريا, قضايا);
* the و of a plural in construct or of a plural verb goes when four letters
  remain (مسؤولو, شاركوا as مسؤول, شارك);
* protected words (countries, capitals, well-known names) are returned whole,
  after their clitics are stripped: بوتين stays بوتين and لفلسطين becomes
  فلسطين, where Lucene gives بوت and فلسط; one listed with its article
  keeps it (بالرياض and للكويت are الرياض and الكويت, as the bare word is:
  Riyadh is not رياض, gardens); a protected word of three
  letters is not looked for behind ف or ك without the article, nor behind
  a و that is the stem's own (فرقة, كبرى and ورقة are not الرقة, بري and
  رقة);
* a number keeps its digits only: the clitics before it and a calendar
  letter after it go (و2015, بـ50 and 2015م are 2015 and 50).
"""

import re
from functools import lru_cache

from analyzers.data import load_words


# Order matters: the longest prefix that fits wins, and the table is read
# from the top.  Each entry is (prefix, letters that must remain after it).
# Article forms leave at least two letters (Lucene's guard); the bare
# conjunctions leave three, since a two-letter remainder is almost always a
# word of its own (ولد, وعد).
PREFIXES = (
    ("وبال", 2), ("وكال", 2), ("فبال", 2), ("فكال", 2), ("ولل", 2), ("فلل", 2),
    ("وال", 2), ("فال", 2), ("بال", 2), ("كال", 2), ("لل", 2), ("ال", 2),
    ("و", 3),
)

# The one-letter prepositions ب ل ك (بمصر, لمصر, كمصر) are stripped only
# when the stem left after them and after the suffixes has four letters:
# far more words start with these letters than with و, and a shorter
# remainder is usually the word itself (كتاب, كتابها, بلاد, لقاء).
PREPOSITIONS = "بلك"
MIN_PREPOSITION_STEM = 4

# Light10's suffixes in Light10's order (normalized: ية is يه, ة is ه).
# Each is stripped at most once, in turn, while two letters remain.
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
MIN_STEM = 2

# Teh (a teh marbuta written before a pronoun) + pronoun suffix, longest
# first, stripped before Light10's suffixes when MIN_TEH_STEM letters remain.
TEH_PRONOUNS = tuple(
    "ت" + p for p in ("هما", "كما", "ها", "هم", "هن", "كم", "كن", "نا", "ه")
)
MIN_TEH_STEM = 3

# The accusative alef: stripped first, when this many letters remain.
ACCUSATIVE_ALEF = "ا"
MIN_ALEF_STEM = 3

# The و of a masculine plural in construct (مسؤولو الوزارة, مديرو الشركات)
# and of a plural verb (شاركوا, its alef gone as an accusative's): stripped
# when four letters remain.  A loanword ending in و loses it too (فيديو,
# يونيو), each still one term of its own.
PLURAL_WAW = "و"
MIN_WAW_STEM = 4

# Words whose first letter و belongs to the stem: the conjunction rule must
# not touch them (ووزير still loses its first و).
WAW_STEMS = load_words("waw_stems.txt")

# Words whose first letter ل is their own: after لل it is the stem's
# (للجنة is ل + اللجنة), and the preposition rule leaves it on.
LAM_STEMS = load_words("lam_stems.txt")
# The prefixes that end in ل + the article written لل.
LAM_ARTICLE_PREFIXES = ("ولل", "فلل", "لل")

# Names, countries and cities returned whole once their clitics are gone.
PROTECTED = load_words("protected.txt")


# Clitics that may stand before a protected word: the article forms above
# and the one-letter prepositions and conjunctions with their pairs.
PROTECTED_CLITICS = tuple(p for p, _ in PREFIXES) + (
    "وب", "ول", "وك", "فب", "فل", "فك", "ف", "ب", "ل", "ك",
)


def strip_prefix(word):
    """Return ``word`` without its longest clitic prefix that leaves a stem."""
    if word[:1] == "و" and strip_suffixes(word) in WAW_STEMS:
        # وزير, والد: the و is a root letter, not a conjunction.
        return word
    for prefix in LAM_ARTICLE_PREFIXES:
        # للجنة: ل + اللجنة, the article's lam written once with the stem's.
        if word.startswith(prefix) and _has_lam_stem(word[len(prefix) - 1:]):
            return word[len(prefix) - 1:]
    for prefix, keep in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= keep:
            word = word[len(prefix):]
            break
    # The preposition rule runs after the article too, so that a word whose
    # own first letter is ب ل ك loses it the same way with or without the
    # article (برنامج and البرنامج both give رنامج) and stays one term.
    if (word[:1] in PREPOSITIONS and len(strip_suffixes(word[1:])) >= MIN_PREPOSITION_STEM
            and not _has_lam_stem(word)):
        return word[1:]
    return word


def _has_lam_stem(word):
    """True when ``word`` is a stem whose own first letter is ل, with suffixes."""
    return word[:1] == "ل" and strip_suffixes(word) in LAM_STEMS


def kept_whole(term):
    """True when index term ``term`` starts with a letter the stemmer decided
    is the word's own: a protected name (بلير) or a stem whose first ل is
    its own (لباس).  Query-time clitic forms must not cut it off."""
    return term in PROTECTED or _has_lam_stem(term)


def strip_suffixes(word):
    """Strip Light10's suffixes in turn, each at most once, keeping two letters.

    A teh marbuta before a pronoun is written ت (حكومة, حكومته): the ت and
    the pronoun go together when three letters remain, so حكومته, حكومتها
    and حكومتهم stem as حكومة does, شركته as شركة.  Otherwise an indefinite
    accusative's alef goes (عاما, مسؤولا; see the module docstring).  Then
    a plural's و (مسؤولو, شاركوا once its alef is gone).

    >>> strip_suffixes("مسؤولا"), strip_suffixes("عاما"), strip_suffixes("قضايا")
    ('مسؤول', 'عام', 'قضايا')
    """
    for pronoun in TEH_PRONOUNS:
        if word.endswith(pronoun) and len(word) - len(pronoun) >= MIN_TEH_STEM:
            word = word[: -len(pronoun)]
            break
    else:
        if (word.endswith(ACCUSATIVE_ALEF) and not word.endswith("ي" + ACCUSATIVE_ALEF)
                and len(word) - 1 >= MIN_ALEF_STEM):
            word = word[:-1]
    if word.endswith(PLURAL_WAW) and len(word) - 1 >= MIN_WAW_STEM:
        word = word[:-1]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
    return word


# A protected word this short is read behind a clitic only when the clitic
# ends in the article or has neither ف nor ك: a three-letter remainder after
# ف or ك alone is far more often the word itself (فرقة, فعلي, فيمن, كبرى,
# كسرت) than a name (فمصر, كقطر); after the article it is the name
# (فالرقة, كالقدس).
SHORT_PROTECTED = 3
SHORT_PROTECTED_CLITICS = tuple(
    c for c in PROTECTED_CLITICS if not set(c) & set("فك") or c.endswith(("ال", "لل"))
)
# A two-letter protected word (بن) is never read behind a clitic (البن).
MIN_PROTECTED_AFTER_CLITIC = 3

_CLITICS_BY_LENGTH = sorted({len(c) for c in PROTECTED_CLITICS}, reverse=True)
_CLITIC_SET = frozenset(PROTECTED_CLITICS)
_SHORT_CLITIC_SET = frozenset(SHORT_PROTECTED_CLITICS)
# The clitics that end in the article (وال, بال, لل ...).
_ARTICLE_CLITICS = frozenset(c for c in PROTECTED_CLITICS if c.endswith(("ال", "لل")))


def _protected_after_clitic(word):
    """Return the protected word behind a clitic (لفلسطين: فلسطين), or None.

    Before a three-letter protected word, a lone و that :func:`strip_prefix`
    keeps as the stem's own letter (ورقة, like وزير) is no clitic either.

    >>> _protected_after_clitic("ومصر"), _protected_after_clitic("ورقه"), _protected_after_clitic("كبري")
    ('مصر', None, None)
    """
    for n in _CLITICS_BY_LENGTH:
        rest = word[n:]
        if word[:n] in _ARTICLE_CLITICS and "ال" + rest in PROTECTED:
            # بالرياض, للكويت: the name as listed with its article.
            return "ال" + rest
        if rest not in PROTECTED or len(rest) < MIN_PROTECTED_AFTER_CLITIC:
            continue
        if len(rest) > SHORT_PROTECTED:
            clitics = _CLITIC_SET
        elif word[:n] == "و" and strip_suffixes(word) in WAW_STEMS:
            continue
        else:
            clitics = _SHORT_CLITIC_SET
        if word[:n] in clitics:
            return rest
    return None


# A number written with a clitic before it (و2015, ب50, وب2015, ال2015; the
# tatweel of بـ2015 is gone by now) or a calendar letter after it (2015م,
# 1436ه) is the number.
NUMBER = re.compile(r"(?:[وف]?[بلك]|[وف]|[وف]?(?:ال|بال|كال|لل))?([0-9]+)[مه]?")


@lru_cache(maxsize=1 << 16)
def light_stem(word):
    """Stem one normalized token.

    >>> light_stem("الاستخبارات")
    'استخبار'
    >>> light_stem("والعراقيين")
    'عراق'
    >>> light_stem("لفلسطين")
    'فلسطين'
    >>> light_stem("وزير")
    'وزير'
    >>> light_stem("للجنه") == light_stem("اللجنه") == "لجن"
    True
    >>> light_stem("و2015"), light_stem("2015م"), light_stem("G20")
    ('2015', '2015', 'G20')
    """
    if not word.isalpha():
        number = NUMBER.fullmatch(word)
        return number.group(1) if number else word
    # A protected word keeps its shape under any clitic: ببغداد, لفلسطين;
    # one listed with its article keeps that too (بالرياض, للكويت are
    # الرياض, الكويت: Riyadh and Kuwait, not رياض, gardens, nor كويت, the
    # stem of كويتي), so the article and the clitic go together.
    if word in PROTECTED:
        return word
    protected = _protected_after_clitic(word)
    if protected is not None:
        return protected
    return strip_suffixes(strip_prefix(word))
