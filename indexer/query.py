"""Turn what a user types into a Whoosh query over the combined text field.

Syntax: words (any of them may match; articles with more of them rank
higher), ``"a phrase"``, ``OR``, ``AND``, ``NOT word`` or ``-word``,
``+word`` (must appear), ``prefix*`` and parentheses.  Field syntax
(``title:x``) is off: filters are separate parameters, so a colon in a
query is just text.

After parsing, the query is rewritten:

* each word also matches its spelling variants (:mod:`analyzers.variants`);
* a prefix is normalized and loses its clitics, as index terms did, but is
  not stemmed (``الاستخب*`` asks for terms starting with استخب).
"""

from itertools import islice, product

from whoosh import query as Q
from whoosh.qparser import (
    FieldsPlugin,
    OrGroup,
    PlusMinusPlugin,
    QueryParser,
    WildcardPlugin,
)

from analyzers.normalize import normalize
from analyzers.stemmer import strip_prefix
from analyzers.variants import variants
from indexer.errors import QueryError
from indexer.schema import TEXT

MAX_QUERY_CHARS = 1000
# Variant expansion of a phrase multiplies its spellings; past this many
# the rarer combinations are dropped.
MAX_PHRASE_VARIANTS = 16


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


def _rewrite(q):
    if isinstance(q, Q.Term) and q.fieldname == TEXT:
        spellings = variants(q.text)
        if len(spellings) == 1:
            return q
        return Q.Or([Q.Term(TEXT, s, boost=q.boost) for s in sorted(spellings)])
    if isinstance(q, Q.Phrase) and q.fieldname == TEXT:
        options = [sorted(variants(w)) for w in q.words]
        combos = list(islice(product(*options), MAX_PHRASE_VARIANTS))
        if len(combos) == 1:
            return q
        return Q.Or([Q.Phrase(TEXT, list(c), slop=q.slop, boost=q.boost) for c in combos])
    if isinstance(q, (Q.Prefix, Q.Wildcard)) and q.fieldname == TEXT:
        text = normalize(q.text)
        if isinstance(q, Q.Prefix):
            text = strip_prefix(text)
        return type(q)(TEXT, text, boost=q.boost)
    if isinstance(q, Q.Or) and any(isinstance(c, Q.Not) for c in q.subqueries):
        # With OR as the default operator, "a NOT b" parses as a OR (NOT b),
        # which matches nearly everything; users mean a, without b.
        positive = [c for c in q.subqueries if not isinstance(c, Q.Not)]
        negative = [c.query for c in q.subqueries if isinstance(c, Q.Not)]
        if positive:
            kept = q.__class__(positive, boost=q.boost, scale=q.scale) if len(positive) > 1 else positive[0]
            return Q.AndNot(_rewrite(kept), _rewrite(Q.Or(negative)))
    if q.is_leaf():
        return q
    return q.apply(_rewrite)


def parse_query(parser, text):
    """Return the rewritten Whoosh query for ``text``, or raise QueryError."""
    if not isinstance(text, str):
        raise QueryError("the query must be text", "parameter")
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
            "too_long",
        )
    if not text:
        raise QueryError("the query is empty: type one or more words", "empty")
    try:
        q = parser.parse(text)
    except Exception as e:  # Whoosh's parser raises a zoo of types on odd input
        raise QueryError(f"cannot read the query {text!r}: {e}", "syntax") from None
    q = _rewrite(q).normalize()
    if not _has_positive(q):
        raise QueryError(
            f"the query {text!r} has no word to search for "
            "(only stopwords, operators or exclusions)",
            "no_terms",
        )
    return q


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


def expand_prefixes(q, reader, limit=200):
    """Return the index terms the prefix and wildcard parts of ``q`` match."""
    terms = set()

    def walk(node):
        if isinstance(node, (Q.Not,)):
            return
        if isinstance(node, (Q.Prefix, Q.Wildcard)) and node.fieldname == TEXT:
            for _, text in islice(node.expanded_terms(reader), limit):
                terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
        elif not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return terms
