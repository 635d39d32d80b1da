"""Turn what a user types into a Whoosh query over the combined text field.

Syntax: words (any of them may match; articles with more of them rank
higher), ``"a phrase"``, ``OR``, ``AND``, ``NOT word`` or ``-word``,
``+word`` (must appear), ``prefix*`` and parentheses.  Field syntax
(``title:x``) is off: filters are separate parameters, so a colon in a
query is just text.

Before parsing, what a parser would silently misread is repaired, and
each repair is reported as a :class:`~indexer.errors.Notice`: an unclosed
quote is closed (``"تبادل المعلومات`` is the phrase, not two words), an
unbalanced parenthesis is closed or dropped, and an operator with nothing
on one side (``النفط AND``, a lone ``-``) is dropped.  Arabic quotation
marks (« » “ ”) quote a phrase as ``"`` does.

After parsing, the query is rewritten:

* each word also matches its spelling variants (:mod:`analyzers.variants`);
* across scripts, a Latin word or run of words (three letters or more)
  that names a country or a well-known actor also finds its Arabic names
  (``Putin`` finds بوتين, ``Hezbollah`` حزب الله, ``Iraq`` العراق, ``Saudi
  Arabia`` السعودية): English names from CLDR and the gazetteers
  (``analyzers/entities/data/actors.tsv``, ``clubs.tsv``);
* a country's name, Arabic or Latin, also finds its demonyms at
  ``DEMONYM_WEIGHT`` (``أميركا`` finds an article that only says
  ``أميركية``, ranked below one that says ``أميركا``);
* a prefix is normalized and loses its clitics, as index terms did, but is
  not stemmed (``الاستخب*`` asks for terms starting with استخب); one with
  fewer than ``MIN_PREFIX_CHARS`` letters left (``*``, ``ا*``, ``ال*``,
  ``و*``) would match most of the index, and is dropped with a notice.
"""

import re
from functools import lru_cache
from itertools import islice, product

from whoosh import query as Q
from whoosh.qparser import (
    FieldsPlugin,
    OrGroup,
    PlusMinusPlugin,
    QueryParser,
    WildcardPlugin,
)

from analyzers.analysis import analyze
from analyzers.normalize import normalize
from analyzers.stemmer import PREFIXES, PROTECTED_CLITICS, strip_prefix
from analyzers.variants import variants
from indexer import country_terms
from indexer.cleaning import replace_surrogates
from indexer.errors import Notice, QueryError
from indexer.schema import TEXT

MAX_QUERY_CHARS = 1000
# Variant expansion of a phrase multiplies its spellings; past this many
# the rarer combinations are dropped.
MAX_PHRASE_VARIANTS = 16
# Letters a prefix must keep once its clitics are gone.
MIN_PREFIX_CHARS = 2
# What a prefix made of clitics alone (ال*, وال*, و*) strips down to: nothing.
CLITICS_ONLY = frozenset(normalize(p) for p, _ in PREFIXES) | frozenset(PROTECTED_CLITICS)

# A demonym found for a country's name weighs this much of the name typed:
# an article that says أميركية is about America less surely than one that
# says أميركا.
DEMONYM_WEIGHT = 0.5
# Shorter Latin words are too often something else (IS, UN, us).
MIN_LATIN_NAME = 3
# Latin names of this many words at most are looked up in a run of words.
MAX_LATIN_WORDS = 4
_LATIN = re.compile(r"[a-z]")

PHRASE_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"'})
BINARY_OPERATORS = ("AND", "OR")
# Words, and quoted phrases kept whole.
_PIECE = re.compile(r'"[^"]*"|\S+')


class StarOnlyWildcardPlugin(WildcardPlugin):
    """Wildcards are ``*`` only.

    Whoosh also reads ``?`` and the Arabic question mark ؟ as one-letter
    wildcards, so a question typed as a question ("من فاز بالمباراة؟")
    lost its last word to a wildcard that matched nothing.
    """

    qmarks = ""
    expr = "(?P<text>[*])"


def make_parser(schema):
    # Plain OR: BM25 already ranks articles with more of the words first, and
    # Whoosh's coordination bonus measured nothing (bench/results/relevance.md).
    parser = QueryParser(TEXT, schema, group=OrGroup)
    parser.remove_plugin_class(FieldsPlugin)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(StarOnlyWildcardPlugin())
    # + and - are operators only at the start of a word: inside one
    # ("24-10", "كوفيد-19") they are part of the text, not NOT.
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    return parser


def repair(text):
    """Return (text, notices): ``text`` with what the parser would misread
    repaired, and a :class:`Notice` for each repair.

    >>> fixed, notices = repair('"تبادل المعلومات')
    >>> fixed, [n.code for n in notices]
    ('"تبادل المعلومات"', ['closed_quote'])
    """
    notices = []
    text = text.translate(PHRASE_QUOTES)
    if text.count('"') % 2:
        at = text.rindex('"')
        notices.append(Notice(
            "closed_quote", f"closed the quote opened before {text[at + 1:].strip()!r}: searched as a phrase",
            text[at + 1:].strip(),
        ))
        text = text.rstrip() + '"'
    text, fixed = _balance_parentheses(text)
    if fixed:
        notices.append(Notice("parenthesis", "balanced the parentheses of the query", fixed))
    pieces = _PIECE.findall(text)
    kept = []
    for i, piece in enumerate(pieces):
        before = kept[-1] if kept else None
        after = pieces[i + 1] if i + 1 < len(pieces) else None
        if _lone(piece, before, after):
            notices.append(Notice(
                "lone_operator", f"ignored {piece!r}: an operator needs a word on both sides "
                "(NOT and - need one after them)", piece,
            ))
            continue
        kept.append(piece)
    return " ".join(kept), notices


def _balance_parentheses(text):
    """Drop unmatched ``)``, close unclosed ``(`` (outside phrases)."""
    out = []
    depth = 0
    quoted = False
    fixed = ""
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            if not depth:
                fixed = ")"
                continue
            depth -= 1
        out.append(ch)
    if depth:
        fixed = "("
        out.append(")" * depth)
    return "".join(out), fixed


def _is_operator(piece):
    return piece in BINARY_OPERATORS or piece == "NOT"


def _lone(piece, before, after):
    """True when ``piece`` is an operator with nothing to apply to."""
    if piece in ("+", "-"):
        return True
    if piece in BINARY_OPERATORS:
        return (before is None or _is_operator(before) or before.endswith("(")
                or after is None or _is_operator(after) or after.startswith(")"))
    if piece == "NOT":
        return after is None or after in BINARY_OPERATORS or after.startswith(")")
    return False


def _rewrite(q, notices):
    if isinstance(q, Q.Term) and q.fieldname == TEXT:
        spellings = variants(q.text)
        names = _entity_names((q.text,))
        if len(spellings) == 1 and not names:
            return q
        return Q.Or([Q.Term(TEXT, s, boost=q.boost) for s in sorted(spellings)]
                    + _name_queries(names, q.boost))
    if isinstance(q, Q.Phrase) and q.fieldname == TEXT:
        options = [sorted(variants(w)) for w in q.words]
        combos = list(islice(product(*options), MAX_PHRASE_VARIANTS))
        names = _entity_names(tuple(q.words))
        if len(combos) == 1 and not names:
            return q
        return Q.Or([Q.Phrase(TEXT, list(c), slop=q.slop, boost=q.boost) for c in combos]
                    + _name_queries(names, q.boost))
    if isinstance(q, Q.Every):
        return _too_short("*", notices)
    if isinstance(q, (Q.Prefix, Q.Wildcard)) and q.fieldname == TEXT:
        text = normalize(q.text)
        literal = text.split("*")[0] if isinstance(q, Q.Wildcard) else text
        stem = "" if literal in CLITICS_ONLY else strip_prefix(literal)
        if len(stem) < MIN_PREFIX_CHARS:
            return _too_short(q.text if isinstance(q, Q.Wildcard) else q.text + "*", notices)
        if isinstance(q, Q.Prefix):
            text = stem
        return type(q)(TEXT, text, boost=q.boost)
    if isinstance(q, Q.Or) and any(isinstance(c, Q.Not) for c in q.subqueries):
        # With OR as the default operator, "a NOT b" parses as a OR (NOT b),
        # which matches nearly everything; users mean a, without b.
        positive = [c for c in q.subqueries if not isinstance(c, Q.Not)]
        negative = [c.query for c in q.subqueries if isinstance(c, Q.Not)]
        if positive:
            kept = q.__class__(positive, boost=q.boost, scale=q.scale) if len(positive) > 1 else positive[0]
            return Q.AndNot(_rewrite(kept, notices), _rewrite(Q.Or(negative), notices))
    if q.is_leaf():
        return q
    rewritten = q.apply(lambda child: _rewrite(child, notices))
    if type(q) is Q.Or:
        # Saudi Arabia, al-Qaeda: a name of several Latin words typed
        # without quotes.
        names = _latin_runs(q.subqueries)
        if names:
            return Q.Or(list(rewritten.subqueries) + _name_queries(names, 1.0), boost=q.boost)
    return rewritten


# -- names across scripts, and demonyms -------------------------------------------

def _entity_names(terms):
    """Return ``((terms, weight), ...)``: the index terms of the names a
    query's word or phrase (its index terms) also finds; () for most."""
    if all(_LATIN.search(t) for t in terms):
        return _latin_names(" ".join(terms))
    return _demonyms(terms)


def _name_queries(names, boost):
    return [Q.Term(TEXT, t[0], boost=boost * w) if len(t) == 1 else Q.Phrase(TEXT, list(t), boost=boost * w)
            for t, w in names]


def _latin_runs(children):
    """Return the names that runs of two or more Latin words among an OR's
    ``children`` spell (one word alone is :func:`_entity_names`'s)."""
    words = [c.text if isinstance(c, Q.Term) and c.fieldname == TEXT and _LATIN.search(c.text) else None
             for c in children]
    found, i = [], 0
    while i < len(words):
        for n in range(min(MAX_LATIN_WORDS, len(words) - i), 1, -1):
            run = words[i:i + n]
            names = None not in run and _latin_names(" ".join(run))
            if names:
                found += names
                i += n
                break
        else:
            i += 1
    return tuple(found)


@lru_cache(maxsize=4096)
def _latin_names(text):
    """The Arabic names of the actor and the country a Latin name stands for
    (their canonical names and strong aliases; a country's demonyms at
    DEMONYM_WEIGHT)."""
    if len(text.replace(" ", "")) < MIN_LATIN_NAME:
        return ()
    from analyzers.entities import resolve_country
    from analyzers.entities.countries import country_names
    from analyzers.entities.gazetteer import arabic_names, resolve_actor

    found = []
    actor = resolve_actor(text)
    if actor is not None:
        found += [(t, 1.0) for t in _terms(arabic_names(actor))]
    code = resolve_country(text)
    if code is not None:
        found += [(t, 1.0) for t in _terms(country_names(code))]
        named = {t for t, _ in found}
        found += [n for n in _demonyms_of(frozenset({code})) if n[0] not in named]
    return tuple(dict.fromkeys(found))


def _demonyms(terms):
    codes = country_terms.table().codes(terms)
    if not codes:
        return ()
    return tuple(n for n in _demonyms_of(codes) if n[0] != tuple(terms))


@lru_cache(maxsize=512)
def _demonyms_of(codes):
    table = country_terms.table()
    forms = sorted({t for code in codes for t in table.demonym_terms(code)})
    return tuple((t, DEMONYM_WEIGHT) for t in forms)


def _terms(texts):
    """The distinct index-term tuples of ``texts``, sorted."""
    return sorted({tuple(terms) for terms in map(analyze, texts) if terms})


def _too_short(typed, notices):
    notices.append(Notice(
        "short_prefix",
        f"left out {typed!r}: a prefix needs at least {MIN_PREFIX_CHARS} letters after "
        "clitics such as ال and و, or it would match most of the archive",
        typed,
    ))
    return Q.NullQuery


def parse_query(parser, text):
    """Return the rewritten Whoosh query for ``text``, or raise QueryError."""
    return read_query(parser, text)[0]


def read_query(parser, text):
    """Return (query, notices) for ``text``, or raise QueryError.

    ``notices`` say what was repaired or left out on the way (see
    :func:`repair` and the prefix rule).
    """
    if not isinstance(text, str):
        raise QueryError("the query must be text", "parameter")
    # Lone surrogates (a shell's undecodable bytes) cannot be encoded to
    # look terms up: they become U+FFFD, which matches nothing.
    text = replace_surrogates(text).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
            "too_long",
        )
    if not text:
        raise QueryError("the query is empty: type one or more words", "empty")
    repaired, notices = repair(text)
    try:
        q = parser.parse(repaired)
    except Exception as e:  # Whoosh's parser raises a zoo of types on odd input
        raise QueryError(f"cannot read the query {text!r}: {e}", "syntax") from None
    q = _rewrite(q, notices).normalize()
    notices = list(dict.fromkeys(notices))  # one notice per prefix, however often typed
    if not _has_positive(q):
        short = [n.value for n in notices if n.code == "short_prefix"]
        if short:
            named = ", ".join(map(repr, short[:3])) + (f" and {len(short) - 3} more" if len(short) > 3 else "")
            raise QueryError(
                f"nothing left to search for: {named} "
                f"{'is' if len(short) == 1 else 'are'} too short (a prefix needs at least "
                f"{MIN_PREFIX_CHARS} letters after clitics such as ال and و)",
                "short_prefix", notices,
            )
        raise QueryError(
            f"the query {text!r} has no word to search for "
            "(only stopwords, operators or exclusions)",
            "no_terms", notices,
        )
    return q, notices


def _has_positive(q):
    """True when ``q`` asks for at least one term (not only NOT clauses)."""
    if isinstance(q, Q.Not):
        return False
    if isinstance(q, Q.AndNot):
        return _has_positive(q.a)
    if q.is_leaf():
        return q is not Q.NullQuery
    return any(_has_positive(c) for c in q.children())


def positive_terms(q, fieldname=TEXT, phrases=True):
    """Return the terms of ``fieldname`` that ``q`` asks for, in query order,
    leaving out NOT clauses (and phrase words unless ``phrases``)."""
    terms = []

    def walk(node):
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
            return
        if isinstance(node, Q.Term) and node.fieldname == fieldname:
            terms.append(node.text)
        elif isinstance(node, Q.Phrase) and node.fieldname == fieldname:
            if phrases:
                terms.extend(node.words)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return terms


def highlight_terms(q):
    """Return the TEXT-field terms ``q`` asks for, leaving out NOT clauses."""
    return set(positive_terms(q))


def positive_patterns(q, fieldname=TEXT):
    """Return the prefix and wildcard nodes of ``q`` outside NOT clauses."""
    found = []

    def walk(node):
        if isinstance(node, Q.Not):
            return
        if isinstance(node, Q.AndNot):
            walk(node.a)
        elif isinstance(node, (Q.Prefix, Q.Wildcard)) and node.fieldname == fieldname:
            found.append(node)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return found
