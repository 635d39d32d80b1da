"""Find named people and organisations (actors) in tokenized Arabic text.

Mentions come from four sources, in this order of trust; a later source
never takes tokens an earlier one claimed:

1. the curated gazetteer (:mod:`.gazetteer`): داعش -> تنظيم الدولة الإسلامية;
2. the CRF (:mod:`.crf`), for PERS and ORG spans, minus generic
   descriptions (المركز الأمني، قوات الأمن، الشركة الفرنسية) and place names;
3. organisation names built on a head noun (وزارة الدفاع العراقية، مجلس
   الأمن الروسي، الجيش العراقي), with the same filter: after the CRF, whose
   spans follow ANERcorp's conventions (in 5-fold CV this order scores ORG
   F1 0.49 against 0.47 the other way round);
4. a title rule: a person title or role (اللواء، السفير الروسي في بغداد،
   مستشار الأمن الوطني العراقي) then a given name and its surname (off,
   see TITLE_RULE).

Person spans are widened over a name link (وأبو | عبد الله) or a regnal
ordinal (عبدالله الثاني), and split where a conjunction joins two names
(ريد وموساوي).

Within a document mentions are then merged: a name found once is claimed
where it recurs (the CRF often misses the second mention), a surname alone
resolves to the full name seen elsewhere (الخفاجي -> تحسين الخفاجي), an acronym in brackets
after an organisation becomes its alias, and weak gazetteer aliases
(المالكي) count only when the actor is named in full.
"""

from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, count

from analyzers.entities.countries import country_table, is_demonym, is_place
from analyzers.entities.crf import default_recogniser
from analyzers.entities.gazetteer import actor_table, club_table, office_table
from analyzers.entities.resources import FIRST_NAMES, TRIGGERS, read_lines
from analyzers.entities.tokens import ARTICLE, INTERMEDIATE_CACHE, NEWLINE, bare, clitic_variants
from analyzers.normalize import normalize

PERSON, ORGANIZATION = "person", "organization"
KIND_OF_TAG = {"PERS": PERSON, "ORG": ORGANIZATION}

ORG_HEADS = TRIGGERS["org"]
NATIONAL_HEADS = TRIGGERS["national"]
ALL_HEADS = ORG_HEADS | NATIONAL_HEADS
GENERIC = TRIGGERS["generic"]
STOP = TRIGGERS["stop"]
SPEECH = TRIGGERS["speech"]
TITLES = TRIGGERS["person"] | TRIGGERS["role"]
GENERIC_PHRASES = frozenset(normalize(line) for line in read_lines("generic_phrases.txt"))
NAME_LINKS = frozenset(normalize(w) for w in "بن ابن بنت أبو ابو أبي عبد آل".split())
# A person span the CRF starts with these is a place (نيو أورليانز).
PLACE_PREFIXES = frozenset(normalize(w) for w in "نيو".split())
# Links that join a son's name to his father's (X بن Y), and those that
# start a new name (أبو عمر: a kunya, often a second person).
PATRONYMIC_LINKS = frozenset(normalize(w) for w in "بن ابن بنت".split())
KUNYA_LINKS = frozenset(normalize(w) for w in "أبو ابو أبي عبد".split())
# Conjunction and preposition clitics a name may carry in running text,
# longest first; لل hides the article (للخفاجي = ل + الخفاجي).
NAME_CLITICS = ("ولل", "فلل", "وب", "ول", "وك", "فب", "فل", "لل", "و", "ف", "ب", "ل", "ك")

# Normalization folds ى into ي, so the preposition على reads as the name
# علي: after a title it must not start a name (الرئيس ... على). A real
# علي there is left to the CRF; in CV this raised PERS precision.
NOT_A_NAME_START = frozenset(normalize(w) for w in "على وعلى فعلى".split())

MAX_ORG_COMPLEMENTS = 6
MAX_TITLE_GAP = 7   # tokens between a title and the name it introduces
# The title rule is off: with the span fixes below, 5-fold CV on ANERcorp
# (bench/entities.py) scored PERS F1 0.750 without it, 0.749 with it at a
# gap of 1 and 0.749 at 7.
TITLE_RULE = False
ORDINALS = frozenset(normalize(w) for w in "الأول الثاني الثالث الرابع".split())
ORDINAL_WORDS = TRIGGERS["ordinal"]
ORG_ADJECTIVES = TRIGGERS["org_adjective"]
GOVERNMENT = TRIGGERS["government"]
VERBAL_HEADS = TRIGGERS["verbal"] | {ARTICLE + w for w in TRIGGERS["verbal"]}
NAMED_AFTER = TRIGGERS["named_after"]
ORG_STOP = TRIGGERS["org_stop"]
PERSON_TITLES = TRIGGERS["person"]
REGIONAL = TRIGGERS["regional"]
SPORTS_CUES = TRIGGERS["sports"]
NOT_AFTER_CLUB = TRIGGERS["not_after_club"]
# A text with this many different sports words is a sports text (club
# names that are common words count there); one is enough with two clubs.
MIN_SPORTS_CUES = 2
# Words after an office's title that make it another holder's (الرئيس
# الأمريكي السابق) or name the holder (handled by the name's own rule).
OFFICE_FOLLOWERS = frozenset(normalize(w) for w in (
    "السابق السابقة الأسبق الراحل الراحلة المقبل المقبلة المنتخب المنتخبة الجديد الجديدة "
    "المؤقت المؤقتة الأول الأولى الثاني الثالث المنتهية باسم"
).split())
# Prepositions that open a complement inside a name (الاتحاد السعودي لكرة
# القدم، المرصد السوري لحقوق الإنسان), after at least one complement.
NAME_PREPOSITIONS = ("لل", "ل")
MAX_NAME_PARTS = 3
TAA_MARBUTA = normalize("ة")   # the feminine ending, as normalization writes it
OPEN_BRACKET, CLOSE_BRACKET = "(", ")"
QUOTES = frozenset('"«»\'“”')


@dataclass
class Mention:
    start: int
    end: int
    kind: str
    known: object = None   # the gazetteer's KnownActor, if any
    weak: bool = False
    owner: object = None   # the full-name Mention a surname or acronym stands for
    # Named by a descriptive phrase on a head noun (وزارة الدفاع العراقية,
    # الجيش الإسرائيلي), not by a proper name: still an actor in the index,
    # but not a named entity as NER corpora tag them; bench/entities.py
    # scores named mentions apart.
    descriptive: bool = False
    # The rule that found it (gazetteer, club, office, crf, head, title,
    # repeat, surname, acronym): for tests and error analysis.
    source: str = ""
    # An organisation named in a person's job title (عضو مجلس الشورى):
    # an actor only if the text names it otherwise too.
    in_title: bool = False
    # The proclitic a table match peeled off the first word (و in وللهلال
    # ...), None where no table read the word (the surface guesses).
    clitic: object = None


# Per-type predicates, cached: extraction runs on every article at index
# time, and word types repeat (Zipf), so each is computed once per type.
# Most are asked only of the words near a mention; every token's kind is
# kept in _KINDS.
CACHED = lru_cache(maxsize=1 << 16)


@lru_cache(maxsize=INTERMEDIATE_CACHE)
def _forms(norm):
    return tuple(f for f, _ in clitic_variants(norm))


@CACHED
def _is_title(norm):
    return any(f in TITLES for f in _forms(norm))


@CACHED
def _is_first_name(norm):
    return any(f in FIRST_NAMES for f in _forms(norm))


def _is_word(norm):
    return norm.isalpha()


@CACHED
def _definite(norm):
    return any(f.startswith(ARTICLE) for f in _forms(norm))


@CACHED
def _surname_keys(norm):
    # In clitic-peeling order, not a set's: the first key that names someone wins.
    return tuple(dict.fromkeys(bare(f) for f in _forms(norm) if len(bare(f)) > 2))


@CACHED
def _name_keys(norm):
    return _surname_keys(norm) + (bare(norm),)


HEAD, TITLE = 1, 2
# The words token_kind may find behind a word's clitics (a head also with
# the article, as _head accepts it).
KIND_WORDS = ALL_HEADS | {ARTICLE + h for h in ALL_HEADS} | TITLES
_KINDS = {}


def _kinds(norms):
    """Return a bit set per token: HEAD (may start an organisation name),
    TITLE (may introduce a person), from a per-type cache."""
    kinds = list(map(_KINDS.get, norms))
    if None in kinds:
        kinds = [_kind(x) if k is None else k for k, x in zip(kinds, norms)]
    return kinds


def _kind(norm):
    kind = token_kind(norm)
    if len(_KINDS) < 1 << 17:  # a bounded cache, as lru_cache's
        _KINDS[norm] = kind
    return kind


def token_kind(norm):
    """Return the HEAD and TITLE bits of one normalized word (uncached)."""
    # Uncached calls: the kind of every type is kept by the caller, the
    # caches of _head and _is_title only the words mentions are built from.
    return (HEAD if _head.__wrapped__(norm) is not None else 0) | (TITLE if _is_title.__wrapped__(norm) else 0)


# --- organisation names on a head noun --------------------------------------

def _org_at(norms, i):
    """Return the end of an organisation name whose head is at ``i``, or None."""
    head = _head(norms[i])
    if head is None:
        return None
    n = len(norms)
    j = i + 1
    prepositional = False   # a ل complement seen: لكرة القدم
    construct, noun = False, head
    while j < n and j - i <= MAX_ORG_COMPLEMENTS:
        norm = norms[j]
        # Complements are definite words as written: a preposition clitic
        # (بالبرلمان) starts a new phrase; وال joins a pair (لجنة الأمن
        # والدفاع); ل after a complement opens one that belongs to the name.
        if not _is_word(norm) or norm in STOP or norm in SPEECH or _org_stop(norm):
            break
        if norm in PERSON_TITLES:
            end = _named_person_end(norms, j)
            if end is None:
                break   # نادي الهلال الأمير ...: the title starts a person
            j = end     # جامعة الملك سعود: a person the body is named after
            continue
        if j > i + 1 and norm.startswith("و" + ARTICLE) and _head(norm[1:]) is not None:
            break   # المرصد ... والفرقة 30: a second body
        definite = norm.startswith(ARTICLE) or (norm.startswith("و" + ARTICLE) and j > i + 1)
        if not definite and not prepositional and head.startswith(ARTICLE) and j > i + 1 \
                and _prepositional(norm):
            # الهيئة السعودية | للمواصفات: a definite head and adjectives,
            # then what the body is for.  After a construct (وزارة الصحة)
            # a ل phrase is the sentence's (لتعزيز الوعي).
            prepositional = True
            # لكرة wants its complement (القدم); للمواصفات is definite.
            construct = not norm.startswith("لل")
            noun = ARTICLE + norm[2 if norm.startswith("لل") else 1:]
            j += 1
            continue
        if prepositional:
            if construct and definite:
                construct = False   # لحقوق | الإنسان
            elif not norm.startswith("و" + ARTICLE) and not _qualifies(noun, norm):
                # A pair (للمواصفات والمقاييس) or an adjective may follow;
                # not another noun (لحقوق الإنسان | الغارات).
                break
        elif head.startswith(ARTICLE) and not _qualifies(head, norm):
            break   # الكلية | الراغبين، المحكمة | الأشرطة: no adjective of the head
        # An indefinite noun continues a construct chain only when a
        # definite word follows (هيئة تنمية الصادرات).
        if not definite and not (
            j == i + 1
            and not head.startswith(ARTICLE)
            and norm[0] not in "لبك"
            and j + 1 < n
            and norms[j + 1].startswith(ARTICLE)
            and norms[j + 1] not in STOP
        ):
            break
        j += 1
    if j == i + 1:
        return None  # a bare head: الوزارة، الشركة
    if head in VERBAL_HEADS and not prepositional:
        return None  # تنظيم الحفل، حركة الشاحنات، إدارة النادي
    return j if not _generic(norms, i, j, head) else None


def _place_after(norms, taken, end):
    """Return the end of a body's name taken over the place after it, with
    ب (الغرفة التجارية الصناعية | بالمدينة المنورة، جمعية المكفوفين
    الخيرية | بمنطقة الرياض): the branch's place is part of its name."""
    if end >= len(norms) or taken[end] or not norms[end].startswith("ب"):
        return end
    hit = _place_at(norms, end)
    if hit is not None and hit[1] in ("ب", "بال"):
        found = hit[0]   # بالمدينة المنورة
    elif any(f in PLACE_NOUNS for f in _forms(norms[end])) and _place_at(norms, end + 1):
        found = _place_at(norms, end + 1)[0]   # بمنطقة | الرياض
    else:
        return end
    return found if not any(taken[end:found]) else end


def _place_at(norms, i):
    """Return ``(end, clitic)`` of a country or city name at ``i``, or None."""
    hit = country_table().match_at(norms, i) if i < len(norms) else None
    if hit is None or hit[1][1] not in ("name", "city") or hit[1][0] == "-":
        return None
    return hit[0], hit[2]


# (Only the head rule's bodies: on CRF spans, which follow ANERcorp's
# conventions, it cost ANERcorp ORG 0.001 and changed no dev actor.)
PLACE_NOUNS = frozenset(normalize(w) for w in "منطقة محافظة مدينة".split())


@CACHED
def _prepositional(norm):
    """Tell ل + noun (لكرة، للتدريب, with the article hidden) from a word
    that starts with lam (لجنة) or a pronoun after ل (لها، لذلك)."""
    if not norm.startswith(NAME_PREPOSITIONS) or norm in ORG_HEADS or norm in FIRST_NAMES:
        return False
    rest = norm[2:] if norm.startswith("لل") else norm[1:]
    # ل + ي is a verb (ليتولى, ليكون), not a noun.
    return len(rest) >= 3 and rest[0] != "ي" and rest not in STOP and ARTICLE + rest not in STOP


@CACHED
def _org_stop(norm):
    # والجهات ends a name as الجهات does.
    return norm in ORG_STOP or (norm.startswith("و") and norm[1:] in ORG_STOP)


# Adjectives that qualify a head without the nisba ending (المجلس الأعلى،
# الجيش الحر).
PLAIN_ADJECTIVES = frozenset(normalize(w) for w in "الأعلى العليا الحر الحرة الكبير الكبرى الأهلي الأحمر".split())


@CACHED
def _qualifies(head, norm):
    """Tell whether ``norm`` can follow a definite head in a name: an
    adjective that agrees with it (الاتحاد السعودي، الهيئة الوطنية،
    المجلس الأعلى), as a nisba does (-ي, -ية), alone or after و."""
    word = norm[1:] if norm.startswith("و" + ARTICLE) else norm
    if not word.startswith(ARTICLE):
        return False
    if word in PLAIN_ADJECTIVES:
        return True
    if not (word.endswith("ي") or word.endswith("يه") or word in GENERIC or is_demonym(word)):
        return False
    feminine = word.endswith(TAA_MARBUTA)
    # The head's gender: ة, or a feminine plural (القوات), takes ية.
    return feminine == head.endswith((TAA_MARBUTA, "ات"))


@CACHED
def _names_after(norm):
    """Tell a noun whose complement a person names (مطار، كأس، مدائن),
    clitics allowed (بمطار، لكأس).  Only in construct, without the
    article: رئيس المهرجان | عيسى العمراني is a person."""
    return any(f in NAMED_AFTER for f in _forms(norm)) and not _definite(norm)


def _inside_a_name(norms, start):
    """Tell a person's name that is part of a place's, a body's or an
    event's (مطار الملك | خالد، كأس | خادم الحرمين الشريفين، مدائن | صالح):
    a named-after noun before it, or before its title."""
    i = start - 1
    if i > 0 and norms[i] in PERSON_TITLES:
        i -= 1
    return i >= 0 and _names_after(norms[i])


def _named_person_end(norms, j):
    """Return the end of a title and a given name at ``j`` that name a body
    or place after a person (جامعة الملك سعود، مركز الأمير سلطان بن
    عبدالعزيز), or None when no given name follows the title."""
    k = j + 1
    if k >= len(norms) or not _is_first_name(norms[k]):
        return None
    k += 1
    while k + 1 < len(norms) and norms[k] in NAME_LINKS and _is_word(norms[k + 1]):
        k += 2
    return k


@CACHED
def _head(norm):
    """Return the organisation head noun ``norm`` stands for, or None."""
    heads = ALL_HEADS
    for form in _forms(norm):
        # Keep the article: a definite head (المركز) behaves unlike a
        # construct one (مركز التنسيق), even if only one is listed.
        if form in heads or (form.startswith(ARTICLE) and form[len(ARTICLE):] in heads):
            return form
    return None


def _describes(noun, word):
    """Tell whether ``word`` is an adjective agreeing with the definite
    feminine ``noun`` before it (القاعدة العسكرية): not its verb's object
    (تبنت القاعدة الهجوم), a relative pronoun (التي), a noun joined by و
    (القاعدة والدولة) or an adjective news gives the group (الإرهابية).
    Normalized, ة is ه, so a word ending in a true ه (المياه) passes too."""
    return (
        noun.endswith(TAA_MARBUTA) and word.endswith(TAA_MARBUTA) and word.startswith(ARTICLE)
        and word not in STOP and word not in ORG_ADJECTIVES
    )


def _names_same(norms, start, end, known):
    """Tell whether ``norms[start:end]`` alone is an alias of ``known``."""
    hit = actor_table().match_at(norms, start)
    return hit is not None and hit[0] == end and hit[1][0] == known


@CACHED
def _national_body(name):
    """Tell a country's institution named by description (الجيش الإسرائيلي:
    a national head and demonyms) from a proper name."""
    return _national_words(tuple(normalize(name).split()))


def _national_words(words):
    return len(words) > 1 and _head(words[0]) in NATIONAL_HEADS and all(map(_nationality, words[1:]))


def _nationality(norm):
    """A demonym, or a region's adjective that names a body like one
    (البرلمان العربي)."""
    return norm in REGIONAL or is_demonym(norm)


def _generic(norms, start, end, head=None):
    """Tell a description (المركز الأمني، قوات الأمن) from a name."""
    head = head or _head(norms[start])
    if head is None:
        return False
    words = [head] + list(norms[start + 1:end])
    if head.startswith(ARTICLE) and len(words) > 2 and any(map(_prepositional, words[2:])):
        return False   # الاتحاد السعودي لكرة القدم: what the body is for names it
    with_demonym = False
    while len(words) > 1 and is_demonym(words[-1]):
        words.pop()  # قوات الأمن العراقية -> قوات الأمن
        with_demonym = True
    if " ".join(words) in GENERIC_PHRASES:
        return True
    complements = words[1:]
    if head in NATIONAL_HEADS and complements and all(c in REGIONAL for c in complements):
        return False   # البرلمان العربي: one body, as with a demonym
    if complements and complements[-1] in ORDINAL_WORDS:
        return True
    if with_demonym and not complements and head.endswith(TAA_MARBUTA) \
            and not norms[end - 1].endswith(TAA_MARBUTA):
        # الخارجية السعودي: the demonym agrees with a dropped وزير.  After a
        # complement it may agree with that (الهلال الأحمر الفلسطيني).
        return True
    if not complements:
        # Head + demonym only: one institution for national heads (الجيش
        # العراقي), a description for any other (الشركة الفرنسية).
        return not (with_demonym and head in NATIONAL_HEADS)
    if head not in ORG_HEADS and head[len(ARTICLE):] not in ORG_HEADS:
        return True  # الحكومة، الخارجية name an institution only with a demonym
    if head.startswith(ARTICLE) and head not in NATIONAL_HEADS:
        # A definite head is a description unless a proper complement names
        # it; an indefinite word after it is a verb or a new clause (المركز
        # قدم الكثير).
        if any(not c.startswith(ARTICLE) and not c.startswith("و" + ARTICLE) for c in complements):
            return True
        return all(c in GENERIC or is_demonym(c) for c in complements)
    return complements[0] in GENERIC


# --- people after a title ---------------------------------------------------

def _starts_name(norm):
    return norm not in NOT_A_NAME_START and _is_first_name(norm)


@CACHED
def _name_part(norm):
    return _is_word(norm) and norm not in STOP and norm not in SPEECH and not _is_title(norm)


def _person_after(norms, i):
    """Return ``(start, end)`` of a name introduced by the title at ``i``."""
    j = i + 1
    n = len(norms)
    while j < n and j - i <= MAX_TITLE_GAP and not _starts_name(norms[j]):
        if norms[j] == NEWLINE or norms[j] == ".":
            return None
        j += 1
    if j >= n or j - i > MAX_TITLE_GAP:
        return None
    start = j
    j += 1
    while j < n and j - start < MAX_NAME_PARTS and _name_part(norms[j]):
        if norms[j - 1] in NAME_LINKS or _is_first_name(norms[j]) or _definite(norms[j]) \
                or _unknown_word(norms[j]):
            j += 1
        else:
            break
    if j - start < 2:
        return None
    return start, j


@CACHED
def _unknown_word(norm):
    # A word the cluster map never saw in 10M words of news is most likely
    # a rare name (ماكسيموف).
    from analyzers.entities.features import clusters

    return norm not in clusters() and bare(norm) not in clusters()


# --- assembling ---------------------------------------------------------------

def _claim(mentions, taken, start, end, kind, **extra):
    if start < end and not any(taken[start:end]):
        mentions.append(Mention(start, end, kind, **extra))
        taken[start:end] = [True] * (end - start)
        return True
    return False


# Joiners and direction marks a word may carry (analyzers.tokenizer.IN_WORD):
# invisible, and no part of a name.
_INVISIBLE = str.maketrans("", "", "\u200c\u200d\u200e\u200f")


def _surface(tokens, norms, start, end, types=frozenset(), clitic=None):
    """Return the mention's words as written, without the first word's
    clitics or invisible marks; ``types`` are the document's word types,
    ``clitic`` the proclitic a table match peeled off, if known."""
    words = [w for w in tokens[start:end] if w not in QUOTES]
    if words:
        if clitic is None:
            words[0] = _strip_clitic(tokens[start], norms[start], types)
        elif clitic:
            words[0] = _strip_known_clitic(tokens[start], clitic)
    return " ".join(words).translate(_INVISIBLE)


def _strip_known_clitic(word, clitic):
    """Drop a proclitic a table match peeled (normalized letters): the
    article stays (وبالعراق -> العراق, للعراق -> العراق)."""
    if clitic.endswith(ARTICLE):
        return word[_surface_offset(word, len(clitic) - len(ARTICLE)):] if len(clitic) > len(ARTICLE) else word
    if clitic.endswith("لل"):
        return ARTICLE[0] + word[_surface_offset(word, len(clitic) - 1):]
    return word[_surface_offset(word, len(clitic)):]


def _strip_clitic(word, norm, types=frozenset()):
    """Drop a conjunction or preposition from the start of a name's first word.

    The letter is taken for a clitic, in this order, when what remains is a
    given name or a head noun, or stands alone elsewhere in the document
    (وكيانو where كيانو recurs; للويس as ل + لويس); not when the whole word
    is one the cluster map knows (واين روني، كايل، ليستر، وست، باير،
    فالنسيا: the و or ب is the name's); else when what remains is an
    article form or a known word (والخفاجي).  و in وزارة and ب in بغداد
    belong to the word.
    """
    keep, readings = _clitic_readings(word, norm)
    if keep or not readings:
        return word
    for stripped, rest, strong in readings:
        if strong or (rest in types and rest not in STOP and len(rest) >= 3):
            return stripped
    if _known_word(norm):
        return word
    for stripped, rest, strong in readings:
        if rest.startswith(ARTICLE) or _known_word(rest):
            return stripped
    return word


@CACHED
def _known_word(norm):
    """A word the cluster map knows (seen five times in SaudiNewsNet)."""
    from analyzers.entities.features import clusters

    return norm in clusters()


@lru_cache(maxsize=INTERMEDIATE_CACHE)
def _clitic_readings(word, norm):
    """Return ``(keep, readings)``: whether ``word`` is never stripped (a
    head, given name or title), and each ``(word without the clitic, what
    remains normalized, remains a given name or head)``, in NAME_CLITICS
    order.  لل reads both as ل + ال (the article's alef dropped) and as ل +
    a word starting with lam."""
    if norm in ORG_HEADS or norm in FIRST_NAMES or norm in TITLES:
        return True, ()
    readings = []
    for prefix in NAME_CLITICS:
        if not norm.startswith(prefix) or len(norm) - len(prefix) < 2:
            continue
        if prefix.endswith("لل"):
            # لل = ل + ال with the alef dropped: keep the second lam.
            options = [(ARTICLE + norm[len(prefix):], ARTICLE[0] + word[_surface_offset(word, len(prefix) - 1):]),
                       (norm[len(prefix) - 1:], word[_surface_offset(word, len(prefix) - 1):])]
        else:
            options = [(norm[len(prefix):], word[_surface_offset(word, len(prefix)):])]
        for rest, stripped in options:
            readings.append((stripped, rest, rest in FIRST_NAMES or rest in ORG_HEADS))
    return False, tuple(readings)


def _surface_offset(word, letters):
    """Return the index in ``word`` after its first ``letters`` letters,
    skipping the marks and tatweel that normalization removed."""
    count = 0
    for idx, ch in enumerate(word):
        if normalize(ch):
            count += 1
            if count == letters:
                return idx + 1
    return len(word)


def find_actors(tokens, norms, chunks=None, kinds=None, hits=None, skip=frozenset()):
    """Return ``(actors, person_token_indexes)`` for one tokenized document.

    ``chunks`` are the CRF's spans of ``norms`` when the caller tagged
    several documents at once; ``kinds`` (:func:`token_kind`) and ``hits``
    (candidates in the actor gazetteer) are per token, if the caller has
    them; ``skip`` holds the tokens no mention may take (a dateline:
    :func:`analyzers.entities.layout.boilerplate`).
    """
    from analyzers.entities import Actor

    mentions = find_mentions(norms, chunks=chunks, kinds=kinds, hits=hits, skip=skip)
    return _group(tokens, norms, mentions, Actor)


def crf_chunks(docs, recogniser=None, rows=None):
    """Return the CRF's ``(start, end, type)`` spans of each document, tagged
    in one batch ([] each when no model is packaged); ``rows`` are the
    tokens' registry rows in ``recogniser``, if known."""
    if recogniser is None:
        recogniser = default_recogniser()
    if recogniser is None:
        return [[] for _ in docs]
    return recogniser.spans_many(docs, rows)


def find_mentions(norms, recogniser=None, chunks=None, kinds=None, hits=None, skip=frozenset()):
    """Return the document's actor :class:`Mention` s, in text order.

    ``recogniser`` is the CRF to use (the packaged one by default); the
    benchmark passes one trained on other folds.  ``chunks`` are its spans,
    and ``kinds``, ``hits`` and ``skip`` are as in :func:`find_actors`, if
    already computed.
    """
    n = len(norms)
    taken = [False] * n
    for i in skip:
        taken[i] = True   # no rule claims a dateline's words, nor repeats them
    mentions = []

    found = list(actor_table().find(norms, hits))
    named = {known for _, _, (known, weak, _), _ in found if not weak}
    for start, end, (known, weak, common), clitic in found:
        if known.kind == ORGANIZATION and end < n and is_demonym(norms[end]):
            continue  # مجلس الأمن الروسي is Russia's council, not the UN's
        if common and end < n and _describes(norms[end - 1], norms[end]):
            continue  # القاعدة العسكرية: the base, not al-Qaeda
        if known.kind == PERSON and _inside_a_name(norms, start):
            continue   # كأس خادم الحرمين الشريفين: the cup, not the king
        if known.kind == PERSON:
            if weak and known not in named:
                # A weak alias (الأسد) with no full name in the document:
                # not a mention (_group would drop it), but its words stay
                # out of the other rules (الأسد the lion), unless a given
                # name before makes it someone else's (محمد توفيق مدني).
                if not (start and _is_first_name(norms[start - 1])):
                    taken[start:end] = [True] * (end - start)
                continue
            if end - start > 1 and _is_title(norms[start]):
                start, clitic = start + 1, ""  # الملك عبدالله: the title is not part of the name
                # The title's alias (الشيخ خليفة بن زايد) may hide a longer
                # name of the same person after the title (... آل نهيان).
                longer = actor_table().match_at(norms, start)
                if longer is not None and longer[0] > end and longer[1][0] is known:
                    end = longer[0]
            widened, end = _name_bounds(norms, taken, start, end)
            if widened != start:
                if norms[start - 1] in PATRONYMIC_LINKS and widened < start - 1:
                    # حمدان بن | محمد بن راشد: the son, not the actor named
                    _claim(mentions, taken, widened, end, PERSON, source="crf")
                    continue
                start, clitic = widened, None
        elif end - start > 1 and _head(norms[start]) and _names_same(norms, start + 1, end, known):
            start, clitic = start + 1, ""  # حركة | حماس: the head noun describes the name
        _claim(mentions, taken, start, end, known.kind, known=known, weak=weak, source="gazetteer",
               descriptive=known.kind == ORGANIZATION and _national_body(known.name), clitic=clitic)

    # Clubs before the CRF: in a sports text the table is surer than the
    # CRF's spans (ليستر | سيتي).
    _find_clubs(norms, mentions, taken)

    if chunks is None:
        chunks = crf_chunks([norms], recogniser)[0]
    for start, end, tag in chunks:
        kind = KIND_OF_TAG.get(tag)
        if kind is None:
            continue
        while start < end and norms[start] in QUOTES:
            start += 1
        if start < end and end - start == 1 and start and (norms[start - 1].isdigit()
                                                          or norms[start - 1] in NUMBER_WORDS):
            continue   # 90 مليون | ريال: a unit after a number
        if kind == ORGANIZATION and (_generic(norms, start, end) or _facility(norms, start, end)
                                     or start and _names_after(norms[start - 1])
                                     and _head(norms[start - 1]) is None):
            continue   # دبي مول; كأس | الأمم: a place's or event's name
        if kind == ORGANIZATION and _head(norms[start]) is None:
            if end - start > 1 and _nationality_noun(norms[start]):
                start += 1   # الاكوادوري | انطونيو فالنسيا: the nationality describes
            if _org_is_person(norms, start, end):
                kind = PERSON   # البرازيلي أوزفالدو، خالد البلطان: a person
        if kind == PERSON and (
            not any(_name_part(x) and not is_demonym(x) for x in norms[start:end])
            or is_place(norms, start, end)
            or norms[start] in PLACE_PREFIXES
            or _inside_a_name(norms, start)
        ):
            continue
        if kind == PERSON:
            if all(x.isascii() for x in norms[start:end]):
                continue  # Latin script in Arabic news: titles, terms, not people
            start, end = _repair_person(norms, taken, start, end)
            if start >= end:
                continue
            start, end = _name_bounds(norms, taken, start, end)
            cut = next((j for j in range(start + 1, end) if _conjoined_name(norms[j])), None)
            if cut is not None:
                _claim(mentions, taken, start, cut, kind, source="crf")   # ريد وموساوي: two people
                start = cut
        _claim(mentions, taken, start, end, kind, source="crf",
               descriptive=kind == ORGANIZATION and _national_words(tuple(norms[start:end])))

    _find_offices(norms, mentions, taken)

    # Only a head noun can start an organisation name.
    if kinds is None:
        kinds = _kinds(norms)
    marked = [i for i in compress(count(), kinds)]   # most tokens are neither
    for i in marked:
        if taken[i] or not kinds[i] & HEAD:
            continue
        if i and kinds[i - 1] & TITLE and _head(norms[i]) in NATIONAL_HEADS:
            continue  # وزيرة الخارجية السويدية: a person's title, not the ministry
        end = _org_at(norms, i)
        if end:
            end = _place_after(norms, taken, end)
            _claim(mentions, taken, i, end, ORGANIZATION, descriptive=True, source="head")

    for i in [i for i in marked if TITLE_RULE and kinds[i] & TITLE]:
        hit = _person_after(norms, i)
        if hit:
            _claim(mentions, taken, *hit, PERSON, source="title")

    if _sports_text(norms, ()):
        _people_after_demonyms(norms, mentions, taken)

    types = set(norms)
    _repeat_names(norms, types, mentions, taken)
    _resolve_surnames(norms, types, mentions, taken)
    _resolve_acronyms(norms, types, mentions, taken)
    mentions.sort(key=lambda m: m.start)
    _mark_titles(norms, mentions)
    return mentions


# Roles that place a person in a body without the body acting (عضو مجلس
# الشورى، المستشار بالديوان الملكي، أستاذ الفقه بالمعهد العالي للقضاء).
MEMBERSHIP = frozenset(normalize(w) for w in (
    "عضو عضوة أعضاء عضوية مستشار المستشار مستشارة المستشارة أستاذ الأستاذ أستاذة الأستاذة "
    "منسوبي منسوبو موظف موظفي"
).split())


@lru_cache(maxsize=1)
def _membership_words():
    from analyzers.entities.tokens import clitic_closure

    return clitic_closure(MEMBERSHIP)


def _mark_titles(norms, mentions):
    """Mark the organisations named in a person's job title: right after a
    membership role (عضو | مجلس الشورى، المستشار | بالديوان الملكي), or
    linked by ب or في to one that is (رئيس اللجنة الفنية | بالاتحاد
    السعودي للتايكوندو)."""
    if _membership_words().isdisjoint(norms):
        return
    previous = None
    for m in mentions:
        if m.kind == ORGANIZATION and m.start:
            before = norms[m.start - 1]
            if any(f in MEMBERSHIP for f in _forms(before)):
                m.in_title = True
            elif previous is not None and previous.in_title and (
                    previous.end == m.start and norms[m.start].startswith("ب")
                    or previous.end == m.start - 1 and before == normalize("في")):
                m.in_title = True
        previous = m


def _sports_text(norms, clubs):
    """Tell a sports text: two different sports words, or one and two
    different clubs (``clubs``: the canonical names found)."""
    cues = len(SPORTS_CUES.intersection(norms))
    return cues >= MIN_SPORTS_CUES or cues == MIN_SPORTS_CUES - 1 and len(clubs) >= 2


def _find_clubs(norms, mentions, taken):
    """Claim the clubs of a sports text (الهلال، ريال مدريد, with نادي or
    فريق before or a demonym after), or named with نادي/فريق anywhere.

    Not a club: a name after an age group (منتخب الشباب) or a definite
    noun it describes (اللاعبين الشباب), nor one another adjective or a
    prepositional phrase follows (الهلال الأحمر، الاتحاد الآسيوي،
    الاتحاد السعودي لكرة القدم).
    """
    if SPORTS_CUES.isdisjoint(norms) and _club_prefix_words().isdisjoint(norms):
        return   # no football word and no نادي/فريق: most texts
    found = list(club_table().find_sparse(norms))
    if not found:
        return
    if not _sports_text(norms, {c[0][0].name for _, _, c, _ in found}):
        found = [hit for hit in found if _prefixed(norms, hit)]
    n = len(norms)
    # A club named with its demonym (الأهلي المصري) is the one its bare
    # name means elsewhere in the text.
    named = {cands[0][0] for _, _, cands, _ in found if len(cands) == 1}
    for start, end, candidates, clitic in found:
        if any(taken[start:end]):
            continue
        if start and (_names_after(norms[start - 1]) or any(f in NOT_AFTER_CLUB for f in _forms(norms[start - 1]))
                      or _describes_noun(norms[start - 1], norms[start])):
            continue
        if end < n and (_prepositional(norms[end])
                        or norms[end].startswith(ARTICLE) and norms[end] not in STOP and not _is_title(norms[end])):
            continue
        actor, nickname = next((c for c in candidates if c[0] in named), candidates[0])
        if nickname and start and _definite(norms[start - 1]):
            continue   # المستوى العالمي: the word, not النصر's nickname
        if start and _is_first_name(norms[start - 1]):
            continue   # انطونيو فالنسيا: a surname
        # A one-word name alone is a club near a sports word or another
        # club (not التعاون مع ...); مان يونايتد is one anywhere in the text.
        if end - start == 1 and not _near_sports(norms, start, end, found):
            continue
        # The mention is the name: نادي | الهلال | السعودي, as NER corpora
        # tag it (the words around it say what it is).
        if _forms(norms[start])[-1] in CLUB_HEADS and end - start > 1:
            start, clitic = start + 1, ""
        while end - start > 1 and _nationality(norms[end - 1]):
            end -= 1
        _claim(mentions, taken, start, end, ORGANIZATION, known=actor, source="club", clitic=clitic)


# A club's name alone needs a sports word or another club this close.
SPORTS_WINDOW = 8


def _near_sports(norms, start, end, found):
    lo, hi = max(0, start - SPORTS_WINDOW), min(len(norms), end + SPORTS_WINDOW)
    if SPORTS_CUES.intersection(norms[lo:hi]):
        return True
    return any(lo <= s < hi and (s, e) != (start, end) for s, e, _, _ in found)


def _prefixed(norms, hit):
    # نادي الهلال، فريق سباهان: a club in any text.
    return hit[1] - hit[0] > 1 and _forms(norms[hit[0]])[-1] in CLUB_HEADS


CLUB_HEADS = frozenset(normalize(w) for w in "نادي فريق".split())


@lru_cache(maxsize=1)
def _club_prefix_words():
    from analyzers.entities.tokens import clitic_closure

    return clitic_closure(CLUB_HEADS)


def _describes_noun(prev, norm):
    """Tell a club name that is an adjective of the definite noun before it
    (اللاعبين الشباب); a club follows an indefinite one (لاعبي الهلال)."""
    return norm.startswith(ARTICLE) and _definite(prev)


def _find_offices(norms, mentions, taken):
    """Claim the titles that stand for one person (وزير الخارجية الأمريكي,
    خادم الحرمين الشريفين: :func:`analyzers.entities.gazetteer.office_table`)
    where no name follows them and they are no complement of a role or of
    another name (مستشار الرئيس الأمريكي، كأس خادم الحرمين الشريفين).
    The mentions are descriptive: a title is no name."""
    found = list(office_table().find_sparse(norms))
    if not found:
        return
    n = len(norms)
    people = {m.start: m for m in mentions if m.kind == PERSON}
    # One text, one holder: where the title introduces a name once (رئيس
    # الوزراء العراقي نوري المالكي, writing of a former one), the bare title
    # is that person elsewhere in the text too.
    named = {}
    for _, end, actor, _ in found:
        while end < n and norms[end] in OFFICE_FOLLOWERS:
            end += 1   # رئيس الوزراء العراقي السابق | نوري المالكي
        if end in people:
            named.setdefault(actor, people[end])
    for start, end, actor, clitic in found:
        if any(taken[start:end]):
            continue
        if end < n and (end in people or norms[end] in OFFICE_FOLLOWERS or _starts_name(norms[end])):
            continue
        if start and (_is_title(norms[start - 1]) or _names_after(norms[start - 1])
                      or any(f in GOVERNMENT for f in _forms(norms[start - 1]))):
            continue   # مستشار / كأس / حكومة خادم الحرمين الشريفين
        holder = named.get(actor)
        if holder is not None:
            _claim(mentions, taken, start, end, PERSON, known=holder.known, owner=holder,
                   descriptive=True, source="office", clitic=clitic)
        else:
            _claim(mentions, taken, start, end, PERSON, known=actor, descriptive=True, source="office",
                   clitic=clitic)


# Words after a nationality that are no name: adverbs, prepositions and
# nouns the press puts there (البرازيلي مقابل، الإيراني حاليا).
NOT_A_NAME_AFTER = frozenset(normalize(w) for w in (
    "مقابل أمام مساء صباح أربع أربعة ثلاث خمس أصبح عندما إضافة حاليا سابقا قوله كافة فيما "
    "وذلك دوام حامل خطورة برصيد بعقد مؤخرا أيضا بشكل ضمن لصالح "
    "أولا ثانيا ثالثا رابعا خامسا سادسا سابعا ثامنا تاسعا عاشرا أخيرا"
).split())


def _people_after_demonyms(norms, mentions, taken):
    """Claim the player a nationality introduces in a sports text (البرازيلي
    أوزفالدو، بالبرازيليين أدواردو وألميدا): the first word after the
    demonym when it looks like a name (see :func:`_name_like`), a second
    one if it does too, and a name after و that follows."""
    n = len(norms)
    for i in range(n - 1):
        if not _nationality_noun(norms[i]) or taken[i + 1] or not _name_like(norms[i + 1]):
            continue
        if i and norms[i].startswith(ARTICLE) and (taken[i - 1] or _definite(norms[i - 1])
                                                    and not _is_title(norms[i - 1])):
            continue   # الجيش اللبناني | أمسك: the adjective of a thing, then a verb
            # (not والبوليفي، للبوليفي: a clitic starts a new phrase)
        end = i + 2
        # A second word only if no common word (not أوزفالدو | مهرجان).
        if end < n and not taken[end] and _name_like(norms[end]) and not norms[end].startswith("و") \
                and (norms[end] in FIRST_NAMES or _unknown_word(norms[end])
                     or end + 1 == n or norms[end + 1] in LIST_BREAKS):
            end += 1
        if _claim(mentions, taken, i + 1, end, PERSON, source="demonym"):
            nxt = norms[end] if end < n else ""
            if nxt.startswith("و") and end + 1 <= n and not taken[end] and _name_like(nxt[1:]):
                _claim(mentions, taken, end, end + 1, PERSON, source="demonym", clitic="و")


@CACHED
def _nationality_noun(norm):
    """A demonym that can stand for a person: masculine, singular or
    plural, with the article (البرازيلي، والأرجنتيني، بالبرازيليين)."""
    for form in _forms(norm):
        if form.startswith(ARTICLE) and is_demonym(form) and form.endswith(("ي", "يين", "يون")):
            return True
    return False


@CACHED
def _name_like(norm):
    """Tell a word that may be a (foreign) given name or surname after a
    nationality: no article, no clitic before it, not a function word, an
    imperfect verb (يعلن), a feminine noun (خطورة) or an adverb (حاليا)."""
    if norm in NOT_A_NAME_START:
        return False   # على, normalized like علي
    if norm in FIRST_NAMES:
        return True
    if len(norm) < 4 or not norm.isalpha() or norm.startswith(ARTICLE):
        return False
    if norm[0] == "س" and norm[1] in "يتن":
        return False   # سيكون: the future of a verb
    if norm in STOP or norm in SPEECH or norm in GENERIC or norm in NOT_A_NAME_AFTER or _is_title(norm) \
            or _head(norm) is not None or is_demonym(norm):
        return False
    if norm[0] in "لبوفك" and any(map(_known_word, _forms(norm)[1:])) or norm[0] in "يتن" \
            or norm.endswith(TAA_MARBUTA):
        return False   # لكرة، بهدف، والذي (not فابيان)؛ يعلن، تصدر؛ خطورة
    if norm.endswith("ا") and _known_word(ARTICLE + norm[:-1]):
        return False   # حاليا، دفاعا، قائلا: an adverb or an accusative (not مورا)
    if norm.endswith(("ها", "هما", "هم", "كم")) or norm.startswith(("مست", "مت")):
        return False   # انطلاقتها؛ مستضيف، متطور: a pronoun's noun, a participle
    if len(norm) == 4 and (norm[0] == "ا" or norm[1] == "ا"):
        return False   # أمسك، أثار؛ حاول، خارج: a verb or a common noun
    if norm.startswith("است") or (len(norm) == 5 and norm[0] == "ا" and norm[2] == "ت"):
        return False   # استعاد، اعتبر: verbs
    return True


# Tokens that end a name in a list (الصحيح ، / المبروك وعبدالإله).
LIST_BREAKS = frozenset(("،", ",", "؛", ";", ".", ":", NEWLINE, ")", "("))


def _org_is_person(norms, start, end):
    """Tell a CRF organisation span that names a person: it starts with a
    given name, or a nationality introduces it (البرازيلي أوزفالدو)."""
    return _is_first_name(norms[start]) or (
        start and _nationality_noun(norms[start - 1]) and all(map(_name_like, norms[start:end])))


def _repair_person(norms, taken, start, end):
    """Mend a CRF person span: drop leading function words (بأن عبدالغني),
    and take in the family name the CRF left out after a father's name
    (عبدالهادي محمد | الصحيح، حمد مبروك | المبروك) or the given name it left
    out before (، عقيل | عبدالمحسن آل سالم)."""
    while start < end and _function_word(norms[start]):
        start += 1
    # A head noun or a football word ends a name (لي | وللنادي).
    cut = next((j for j in range(start + 1, end) if _head(norms[j]) is not None or norms[j] in SPORTS_CUES), end)
    end = cut
    if start >= end:
        return start, end
    n = len(norms)
    if end < n and not taken[end] and _family_name_after(norms, start, end):
        end += 1
    elif end < n and not taken[end] and _rare_name(norms[end]) and not norms[end].startswith("و"):
        end += 1   # مورغن | شنايدرلين: a word too rare for the cluster map (not و + a next name)
    prev = start - 1
    if prev >= 0 and not taken[prev] and _given_name(norms[prev]) and (
            prev == 0 or norms[prev - 1] in LIST_BREAKS or norms[prev][0] == "و" and norms[prev] not in FIRST_NAMES):
        start = prev
    elif end - start == 1 and prev >= 0 and not taken[prev] and _rare_name(norms[prev]):
        start = prev   # خورخي | كيانو
    return start, end


NUMBER_WORDS = frozenset(normalize(w) for w in "ألف آلاف مليون ملايين مليار مليارات".split())
FACILITY_WORDS = frozenset(normalize(w) for w in (
    "مول فندق منتجع برج مجمع ملعب استاد ستاد مسجد جامع حديقة شارع طريق جسر ميناء"
).split())


def _facility(norms, start, end):
    """A span named by a facility word (دبي مول، برج خليفة): a place."""
    return any(f in FACILITY_WORDS for w in (norms[start], norms[end - 1]) for f in _forms(w))


@CACHED
def _function_word(norm):
    """A word that cannot start a name: a stop word, or one after ب، ل or ك
    (بأن، لما); not a given name (علي, which على normalizes to) nor what
    ف or و make of a name particle (فان، وان)."""
    if norm in FIRST_NAMES:
        return False
    return norm in STOP or (norm[0] in "بلك" and norm[1:] in STOP)


def _rare_name(norm):
    """A name-like word the cluster map never saw (شنايدرلين): a name."""
    return _name_like(norm) and _unknown_word(norm) and not _head(norm) and not _is_title(norm)


def _given_name(norm):
    """A given name, alone or after و (وعايض)."""
    return norm in FIRST_NAMES or (norm.startswith("و") and norm[1:] in FIRST_NAMES)


def _family_name_after(norms, start, end):
    """Tell a definite family name right after a person span that ends on
    a given name (the father's: حمد مبروك | المبروك): a nisba (الأسمري), a
    word the cluster map does not know, or the father's name with the
    article (مبروك المبروك), and then the name ends (a list break, و, a
    verb's object does not follow a family name)."""
    word, last = norms[end], norms[end - 1]
    if not (word.startswith(ARTICLE) and _name_part(word)) or is_demonym(word) or word in GENERIC \
            or word in ORDINALS or _head(word) is not None:
        return False
    if not (_is_first_name(last) or bare(word) == bare(last)):
        return False
    if not (bare(word) == bare(last) or word.endswith("ي") or _unknown_word(word)):
        return False
    after = norms[end + 1] if end + 1 < len(norms) else NEWLINE
    return after in LIST_BREAKS or after.startswith("و") or after in STOP


def _name_bounds(norms, taken, start, end):
    """Widen a person span over a name link before it (وأبو | عبد الله),
    and over the son's name before a patronymic link (حمدان بن | محمد بن
    راشد); over a link ending it (عبد | الله) and the family or father's
    name after it (محمد بن زايد | آل نهيان); and over a regnal ordinal
    (عبدالله الثاني)."""
    n = len(norms)
    if start > 0 and not taken[start - 1] and any(f in NAME_LINKS for f in _forms(norms[start - 1])):
        start -= 1
        if norms[start] in PATRONYMIC_LINKS and start > 0 and not taken[start - 1] \
                and _is_first_name(norms[start - 1]):
            start -= 1
    if end < n and not taken[end] and norms[end - 1] in NAME_LINKS and _name_part(norms[end]):
        end += 1
    while end + 1 < n and not taken[end] and not taken[end + 1] and norms[end] in NAME_LINKS \
            and norms[end] not in KUNYA_LINKS and _name_part(norms[end + 1]) and not is_demonym(norms[end + 1]):
        end += 2
    if end < n and not taken[end] and norms[end] in ORDINALS:
        end += 1
    return start, end


@CACHED
def _conjoined_name(norm):
    """Tell وموساوي (و + a name) from وليد (a name): the word is not a given
    name, and without و it is one, or a word the cluster map knows when the
    whole is not."""
    from analyzers.entities.features import clusters

    if not norm.startswith("و") or len(norm) < 4 or norm in FIRST_NAMES:
        return False
    rest = norm[1:]
    return rest in FIRST_NAMES or (norm not in clusters() and rest in clusters())


def _repeat_names(norms, types, mentions, taken):
    """Claim later and earlier repeats of a name found once (one discourse,
    one sense): the CRF often misses a name the second time it appears.
    The first word of a repeat may carry a clitic (وبوتين)."""
    names = {}
    for m in mentions:
        if m.weak or m.owner is not None or m.known is not None:
            continue
        words = norms[m.start:m.end]
        if m.kind == PERSON and m.end - m.start == 1 and len(bare(words[0])) < 3:
            continue
        names.setdefault(bare(words[0]), []).append((tuple(words[1:]), m))
    if not names:
        return
    firsts = _types_keyed(types, names, _name_keys)
    for i in compress(count(), map(firsts.__contains__, norms)):
        norm = norms[i]
        if taken[i]:
            continue
        for rest, owner in sorted(firsts[norm], key=lambda item: -len(item[0])):
            end = i + 1 + len(rest)
            if tuple(norms[i + 1:end]) == rest and not any(taken[i:end]):
                mentions.append(Mention(i, end, owner.kind, owner=owner, descriptive=owner.descriptive,
                                        source="repeat"))
                taken[i:end] = [True] * (end - i)
                break


def _types_keyed(types, table, keys_of):
    """Return ``{word type: table[key]}`` for the types one of whose
    clitic-free ``keys_of(type)`` is in ``table`` (first key wins)."""
    # Keys are clitic-free forms, so a word can match only if it ends with
    # one: a C-level test spares most types the look-up.
    ends = tuple(table)
    out = {}
    for norm in [x for x in types if x.endswith(ends)]:
        key = next((k for k in keys_of(norm) if k in table), None)
        if key is not None:
            out[norm] = table[key]
    return out


def _resolve_surnames(norms, types, mentions, taken):
    """Tie bare surnames to people named in full (وأوضح الخفاجي، للخفاجي)."""
    surnames = {}
    for m in mentions:
        # Not a title's last word (رئيس الوزراء العراقي): a demonym.
        if m.kind == PERSON and m.end - m.start >= 2 and not m.weak and m.source != "office":
            last = norms[m.end - 1]
            if _not_a_surname(last):
                continue
            surnames.setdefault(bare(last), m)
    if not surnames:
        return
    for m in mentions:
        if m.kind == PERSON and m.end - m.start == 1 and m.known is None:
            m.owner = surnames.get(bare(norms[m.start]))
    # Word types first, then the positions of the types that matched.
    owners = _types_keyed(types, surnames, _surname_keys)
    for i in compress(count(), map(owners.__contains__, norms)):
        owner = owners[norms[i]]
        if not taken[i]:
            # A surname after a name link is one with it (ابن | لادن, أبي |
            # وقاص), as in the full name.
            start = i - 1 if i and not taken[i - 1] and norms[i - 1] in NAME_LINKS else i
            mentions.append(Mention(start, i + 1, PERSON, owner.known, owner=owner, source="surname"))
            taken[start:i + 1] = [True] * (i + 1 - start)


@CACHED
def _not_a_surname(norm):
    """Words that end a person span but must not be resolved alone:
    علي (also على), ordinals and name links, Latin words, places (a CRF
    span that ran into غزة), and common definite nouns (the CRF's نادال
    المصنف): a definite word the cluster map knows that is no nisba
    (الخفاجي)."""
    if norm in NOT_A_NAME_START or norm in ORDINALS or norm in NAME_LINKS or norm.isascii():
        return True
    if _head(norm) is not None or _is_title(norm):
        return True   # a CRF span run into a head noun (لي وللنادي) or a title
    if is_place([norm], 0, 1):
        return True
    return _definite(norm) and not norm.endswith("ي") and not _unknown_word(norm)


def _resolve_acronyms(norms, types, mentions, taken):
    """Make "X (ACR)" an alias of organisation X, and count later ACR alone."""
    acronyms = {}
    for m in list(mentions):
        if m.kind != ORGANIZATION or m.owner is not None:
            continue
        j = m.end
        while j < len(norms) and norms[j] in QUOTES:
            j += 1
        if j + 2 < len(norms) and norms[j] == OPEN_BRACKET and norms[j + 2] == CLOSE_BRACKET \
                and _is_word(norms[j + 1]) and not taken[j + 1]:
            acronyms[norms[j + 1]] = m
    if not acronyms:
        return
    # Word types first, then the positions of the types that matched.  A
    # form of a word is a tail of it, or an article form whose bare part is
    # (للقسد: القسد): a C-level test spares most types the look-up.
    ends = tuple(acronyms) + tuple(a[len(ARTICLE):] for a in acronyms if a.startswith(ARTICLE))
    owners = {}
    for norm in [x for x in types if x.endswith(ends)]:
        owner = next((acronyms[f] for f in _forms(norm) if f in acronyms), None)
        if owner is not None:
            owners[norm] = owner
    for i in compress(count(), map(owners.__contains__, norms)):
        if not taken[i]:
            owner = owners[norms[i]]
            mentions.append(Mention(i, i + 1, ORGANIZATION, owner.known, owner=owner,
                                    descriptive=owner.descriptive, source="acronym"))
            taken[i] = True


def _root(m):
    while m.owner is not None:
        m = m.owner
    return m


def _group(tokens, norms, mentions, actor_type):
    texts = {}   # (start, end) -> the words as written, each made once
    types = set()

    def text(m):
        span = (m.start, m.end)
        if span not in texts:
            if not types:
                types.update(norms)
            texts[span] = _surface(tokens, norms, m.start, m.end, types, m.clitic)
        return texts[span]

    groups, keys = {}, {}   # keys: root -> its group's key, made once
    for m in mentions:
        root = _root(m)
        known = m.known or root.known
        if known:
            key = ("known", known.name)
        else:
            key = keys.get(id(root))
            if key is None:
                key = keys[id(root)] = normalize(text(root))
        groups.setdefault(key, []).append(m)
    summaries = {key: _summary(group, text) for key, group in groups.items()}
    actors, person_tokens = [], set()
    for keys_ in _merge_aliases(summaries):
        group = groups[keys_[0]] if len(keys_) == 1 else [m for k in keys_ for m in groups[k]]
        known, name, kind = summaries[keys_[0]] if len(keys_) == 1 else _summary(group, text)
        if known is not None and all(m.weak for m in group):
            continue  # المالكي alone may be anyone of that name
        if all(m.in_title for m in group):
            continue  # عضو مجلس الشورى: the person's title, not an actor of the text
        if kind == PERSON:
            # A title's demonym (وزير الخارجية المصري) still names its country.
            for m in group:
                if m.source != "office":
                    person_tokens.update(range(m.start, m.end))
        label_en = known.label_en if known is not None else ""
        actors.append(actor_type(name, kind, sorted(set(map(text, group))), len(group), label_en))
    actors.sort(key=lambda a: (-a.count, a.name))
    return actors, frozenset(person_tokens)


def _summary(group, text):
    """Return ``(known actor or None, name, kind)`` of a group of mentions:
    the gazetteer's, else the longest mention's words and the group's kind."""
    known = next((m.known for m in group if m.known), None)
    if known is not None:
        return known, known.name, known.kind
    longest = max(group, key=lambda m: (m.end - m.start, -m.start)) if len(group) > 1 else group[0]
    return None, text(longest), _kind_of(group)


def _kind_of(group):
    """Return the kind of an actor's mentions: that of its longest ones (a
    full name says more than a lone surname the CRF typed otherwise), then
    of most of them."""
    most = max(m.end - m.start for m in group)
    votes = [m.kind for m in group if m.end - m.start == most]
    return max((PERSON, ORGANIZATION), key=votes.count)


def _merge_aliases(summaries):
    """Return the keys of ``summaries`` in groups, one group per actor: the
    aliases of one actor merged.

    ``summaries`` maps a key (one name, or one gazetteer actor) to its
    ``(known, name, kind)``.  A name that is another's short form joins it
    when exactly one fits, across kinds (the CRF may type a lone surname
    as an organisation):

    * the same words (فيدال typed person once and organisation once);
    * a surname or a given name alone, for a person named in full
      (راموس، سيرخيو -> سيرخيو راموس);
    * a person's first and last names (عيسى العمراني -> عيسى أحمد
      العمراني) or last names (عبد الغني -> حسين عبد الغني);
    * an organisation's first words (مطار الملك خالد -> مطار الملك خالد
      الدولي), or its head and nouns without the demonym (اتحاد السباحة
      -> الاتحاد السعودي للسباحة).
    """
    if len(summaries) < 2:
        return [[key] for key in summaries]
    infos = [(key, kind, _name_words(name), known) for key, (known, name, kind) in summaries.items()]
    parent = list(range(len(infos)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(short, full):
        a, b = find(short), find(full)
        if a != b:
            parent[a] = b

    by_words, by_last, by_first, org_prefix, org_nouns = {}, {}, {}, {}, {}
    for n, (_, kind, words, _) in enumerate(infos):
        by_words.setdefault(words, []).append(n)
        if len(words) > 1 and kind == PERSON:
            by_last.setdefault(words[-1], []).append(n)
            by_first.setdefault(words[0], []).append(n)
        elif len(words) > 1 and kind == ORGANIZATION:
            org_prefix.setdefault(words[0], []).append(n)
            org_nouns.setdefault(_org_nouns(words), []).append(n)
    for same in by_words.values():
        for n in same[1:]:
            join(n, same[0])
    for n, (_, kind, words, known) in enumerate(infos):
        if known is not None:
            continue   # a gazetteer actor's aliases are its own
        people = by_last.get(words[-1], []) + (by_first.get(words[0], []) if len(words) == 1 else [])
        fits = [m for m in people if m != n and len(infos[m][2]) > len(words) and _short_person(words, infos[m][2])]
        if kind == ORGANIZATION and not fits:
            fits = [m for m in org_prefix.get(words[0], ())
                    if m != n and len(infos[m][2]) > len(words) and infos[m][2][:len(words)] == words]
            if not fits:
                short = _org_nouns(words)
                fits = [m for m in org_nouns.get(short, ()) if m != n and infos[m][2] != words] \
                    if len(short) > 1 else []
            if not fits:
                # نادي الاتحاد السعودي is the club الاتحاد.
                core = _club_core(words)
                fits = [m for m in by_words.get(core, ()) if m != n] if core else []
        if len({find(m) for m in fits}) == 1:
            join(n, fits[0])
    merged = {}
    for n, (key, _, _, _) in enumerate(infos):
        merged.setdefault(find(n), []).append(key)
    return list(merged.values())


def _club_core(words):
    """Return a club's name without نادي/فريق and a demonym after it, or ()."""
    if len(words) < 2 or words[0] not in CLUB_HEADS:
        return ()
    core = list(words[1:])
    while len(core) > 1 and (is_demonym(core[-1]) or is_demonym(ARTICLE + core[-1])):
        core.pop()
    return tuple(core)


def _short_person(words, full):
    """Tell a short form of the person ``full`` (words without articles)."""
    if len(words) == 1:
        return words[0] == full[-1] or words[0] == full[0]
    return full[-len(words):] == words or (len(words) == 2 and (full[0], full[-1]) == words)


@CACHED
def _org_nouns(words):
    """Return an organisation name's head and nouns, demonyms left out and
    ل taken off (الاتحاد السعودي للسباحة and اتحاد السباحة: اتحاد، سباحه)."""
    out = []
    for n, word in enumerate(words):
        if n and (is_demonym(word) or is_demonym(ARTICLE + word)):
            continue   # not an adjective: لجنة التدريب is not اللجنة الوطنية للتدريب
        if n and word.startswith("ل") and _prepositional(word):
            word = bare(ARTICLE + word[2:]) if word.startswith("لل") else word[1:]
        out.append(word)
    return tuple(out)


@CACHED
def _name_words(name):
    """Return a name's words as _merge_aliases compares them: normalized,
    without clitics or article, عبد and أبو joined to the next word as
    they are written either way (عبد الغني, عبدالغني)."""
    words = normalize(name).split()
    out = []
    for n, word in enumerate(words):
        if out and out[-1][1] and word:
            out[-1] = (out[-1][0] + word, False)
        else:
            out.append((word, word in JOINED_NAMES and n + 1 < len(words)))
    return tuple(bare(w) for w, _ in out)


JOINED_NAMES = frozenset(normalize(w) for w in "عبد أبو ابو".split())

