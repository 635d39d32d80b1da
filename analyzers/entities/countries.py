"""Find the countries an Arabic text is about, as ISO 3166-1 alpha-2 codes.

Evidence, all looked up in one phrase table built once per process:

* the country's name, with or without clitics (وروسيا، بالعراق، لسوريا) and
  in its spelling variants (سوريا/سورية، أمريكا/أميركا/الولايات المتحدة);
  CLDR's Arabic names via Babel are the base, ``data/countries.tsv`` adds
  the variants;
* demonyms in every gender and number, generated from the masculine nisba
  (روسي -> الروسية، الروسيين، الروسيون ...) plus irregular plurals (الروس);
* capitals and major cities (بغداد، طهران، الموصل، غزة، جدة);
* government metonyms (الكرملين، البيت الأبيض، نظام الأسد).

False friends are dropped: phrases listed as blocks (بحر الصين الجنوبي،
المحيط الهندي، اللغة الإنجليزية), any country word right after a sea or gulf
noun, and a nisba that is a surname: directly after a given name or a title,
inside a person's name found by the recogniser, or before بن (تركي بن ...).
"""

from functools import lru_cache

from babel import Locale

from analyzers.entities.resources import FIRST_NAMES, PERSON_TITLES, read_table
from analyzers.entities.phrases import PhraseTable
from analyzers.entities.tokens import ARTICLE, clitic_variants
from analyzers.normalize import normalize

# CLDR territory codes that are not ISO 3166-1 countries (regions, unions,
# reserved or private-use codes).
NOT_COUNTRIES = frozenset(
    "AC CP CQ DG EA EU EZ IC QO TA UN XA XB ZZ".split()
)

# Feminine, dual and plural endings added to a masculine nisba (normalized:
# ة is ه).  The bare nisba itself is the first, empty ending.
NISBA_ENDINGS = ("", "ه", "ان", "تان", "تين", "ين", "ون", "ات")

# Nouns after which a country word names a sea, gulf or strait instead.
SEA_NOUNS = frozenset(normalize(w) for w in "بحر البحر المحيط خليج الخليج مضيق قناة".split())

# Kinds of evidence, in the order a tie prefers them.
KINDS = ("name", "metonym", "city", "demonym", "plural")
BLOCK = "-"

# A nisba right after one of these is a name part, not a demonym.
NAME_LINKS = frozenset(normalize(w) for w in "بن ابن بنت أبو ابو أبي أم آل".split())


def _babel_names(locale):
    territories = Locale(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@lru_cache(maxsize=1)
def _tables():
    """Return (labels, phrase table, lookup) built from Babel and the data file."""
    names_ar = _babel_names("ar")
    names_en = _babel_names("en")
    labels = {code: (names_ar[code], names_en.get(code, code)) for code in names_ar}
    rows = list(read_table("countries.tsv"))
    deny = {normalize(f) for code, kind, forms in rows if kind == "deny" for f in forms}

    entries = []  # (normalized words, code, kind)
    for code, name in names_ar.items():
        name = name.split("(")[0].strip()  # "ميانمار (بورما)"
        if normalize(name) not in deny:
            entries.append((normalize(name), code, "name"))
    for code, kind, forms in rows:
        if kind == "label":
            labels[code] = (forms[0], forms[1])
        elif kind == "demonym":
            for form in forms:
                entries.extend((w, code, kind) for w in _nisba_forms(normalize(form)))
        elif kind in KINDS or kind == "block":
            entries.extend((normalize(f), code, kind) for f in forms)

    # Where two entries spell the same words (سورية is both a name and a
    # feminine nisba) the kind earlier in KINDS wins; blocks win over all.
    rank = {kind: i for i, kind in enumerate(("block",) + KINDS)}
    ordered = sorted(entries, key=lambda e: -rank[e[2]])
    table = PhraseTable((text, (code, kind)) for text, code, kind in ordered)
    lookup = {}
    for code, (label_ar, label_en) in labels.items():
        for key in (code, code.lower(), label_ar, label_en, normalize(label_ar), label_en.lower()):
            lookup[key] = code
    for text, code, kind in entries:
        if code != BLOCK and kind in ("name", "demonym"):
            lookup.setdefault(text, code)
    return labels, table, lookup


def _nisba_forms(nisba):
    """Yield every gender and number of a (possibly two-word) nisba.

    Every word of كوري شمالي is inflected (الكوريين الشماليين), and the
    words after the first may carry the article.
    """
    words = nisba.split()
    for ending in NISBA_ENDINGS:
        inflected = [w + ending for w in words]
        yield " ".join(inflected)
        if len(words) > 1:
            yield " ".join(inflected[:1] + [ARTICLE + w for w in inflected[1:]])


def country_label(code):
    """Return ``(label_ar, label_en)`` for an ISO code (``KeyError`` if unknown).

    >>> country_label("IQ")
    ('العراق', 'Iraq')
    """
    return _tables()[0][code.upper()]


def resolve_country(value):
    """Return the ISO code for a code, Arabic or English name, or None.

    >>> resolve_country("Iran"), resolve_country("إيران"), resolve_country("ir")
    ('IR', 'IR', 'IR')
    >>> resolve_country("Atlantis") is None
    True
    """
    if not value:
        return None
    lookup = _tables()[2]
    value = value.strip()
    for key in (value, value.upper(), value.lower(), normalize(value)):
        if key in lookup:
            return lookup[key]
    for form, _ in clitic_variants(normalize(value)):
        if form in lookup:
            return lookup[form]
    return None


def _is_surname(norms, i, prefix, kind, person_tokens):
    """Tell a nisba that belongs to a person's name from a demonym."""
    if kind not in ("demonym", "plural"):
        return False
    if i in person_tokens:
        return True
    # A surname carries at most the article: وروان المصري is rare, and a
    # conjunction or preposition before the nisba marks an adjective.
    if prefix not in ("", ARTICLE):
        return False
    if i + 1 < len(norms) and norms[i + 1] in NAME_LINKS:
        return True  # تركي بن عبدالله
    if i == 0:
        return False
    prev = norms[i - 1]
    if prev in FIRST_NAMES or prev in NAME_LINKS:
        return True  # روان المصري، أبو المصري
    return prefix == "" and prev in PERSON_TITLES  # الأمير تركي


def find_countries(norms, person_tokens=frozenset(), hits=None):
    """Return ``[(start, end, code, kind)]`` country mentions in ``norms``.

    ``norms`` are normalized tokens; ``person_tokens`` holds the indexes of
    tokens the recogniser put inside person names; ``hits`` are the tokens'
    candidates in :func:`country_table`, if the caller has them.
    """
    return [
        (start, end, code, kind)
        for start, end, (code, kind), prefix in _tables()[1].find(norms, hits)
        if code != BLOCK
        and not (start and _bare(norms[start - 1]) in SEA_NOUNS)
        and not _is_surname(norms, start, prefix, kind, person_tokens)
    ]


@lru_cache(maxsize=1 << 16)
def is_demonym(norm):
    """Tell whether a normalized word (clitics allowed) is a country's nisba."""
    for form, _ in clitic_variants(norm):
        hit = _tables()[1].match_at([form], 0)
        if hit and hit[0] == 1 and hit[1][1] in ("demonym", "plural"):
            return True
    return False


def country_table():
    """Return the :class:`PhraseTable` of country evidence -> ``(code, kind)``."""
    return _tables()[1]


def country_words():
    """Return the normalized first words of every country phrase (a CRF feature)."""
    return _tables()[1].first_words


def _bare(norm):
    # وفي البحر -> البحر; a sea noun may carry a clitic itself.
    for form, _ in clitic_variants(norm):
        if form in SEA_NOUNS:
            return form
    return norm


def is_place(norms, start, end):
    """Tell whether ``norms[start:end]`` is exactly a country or city name
    (a span the CRF took for a person: كينيا، القاهرة)."""
    hit = _tables()[1].match_at(norms, start)
    return bool(hit) and hit[0] == end and hit[1][0] != BLOCK and hit[1][1] in ("name", "city")
