"""The index terms of every country's names and demonyms, for query expansion.

A query for a country's name also finds its demonyms (:mod:`indexer.query`).
Knowing which query terms spell a country needs every name analysed into
index terms, from CLDR's names (Babel) and the country tables: about 0.15 s,
a third of a one-word ``archive query`` in a fresh process.  The table
depends only on this package (its analysis and its country data), so the
writer keeps a copy in the index folder (``country-terms.json``, written by
every run when missing or out of date) and a searcher reads that copy instead.
A copy whose key differs from the package's (an index built by another
version) is ignored and the table is computed.
"""

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from analyzers.analysis import analysis_fingerprint, analyze

FILENAME = "country-terms.json"
# Raise when the table's shape or the way it is derived changes.
TABLE_VERSION = 1
# The country data the table is derived from (besides CLDR's names).
_DATA = ("countries.tsv",)


@lru_cache(maxsize=1)
def key():
    """A short hash of what the table is derived from."""
    digest = hashlib.sha1(f"{TABLE_VERSION} {analysis_fingerprint()}".encode())
    # Not resources.files("analyzers.entities.data"): that imports the
    # recogniser, which a search does not need.
    data = resources.files("analyzers") / "entities" / "data"
    for name in _DATA:
        digest.update(data.joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def _terms(texts):
    """The distinct index-term tuples of ``texts``, sorted."""
    return sorted({tuple(terms) for terms in map(analyze, texts) if terms})


def build():
    """Return the table: ``{"key", "names": [[terms, codes]], "demonyms":
    {code: [terms, ...]}}`` (a name two countries share names both)."""
    from analyzers.entities.countries import country_codes, demonym_forms, named_countries

    names = {}
    for code, spellings in named_countries().items():
        for terms in _terms(spellings):
            names.setdefault(terms, set()).add(code)
    demonyms = {code: _terms(demonym_forms(code)) for code in country_codes()}
    return {
        "key": key(),
        "names": [[list(terms), sorted(codes)] for terms, codes in sorted(names.items())],
        "demonyms": {code: [list(t) for t in forms] for code, forms in demonyms.items() if forms},
    }


def save(index_dir):
    """Write the table into ``index_dir`` unless an up-to-date copy is there."""
    path = Path(index_dir) / FILENAME
    if _read(path) is not None:
        return
    tmp = path.with_name(FILENAME + ".tmp")
    tmp.write_text(json.dumps(build(), ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


def _read(path):
    try:
        table = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return table if isinstance(table, dict) and table.get("key") == key() else None


class CountryTerms:
    """Look-ups over one table: which codes a name's terms spell, and a
    country's demonym terms."""

    def __init__(self, table):
        self.names = {tuple(terms): frozenset(codes) for terms, codes in table["names"]}
        self.demonyms = {code: tuple(tuple(t) for t in forms) for code, forms in table["demonyms"].items()}

    def codes(self, terms):
        """The codes of the countries ``terms`` (a tuple) names, or None."""
        return self.names.get(tuple(terms))

    def demonym_terms(self, code):
        return self.demonyms.get(code, ())


_loaded = None


def load(index_dir):
    """Use the copy in ``index_dir`` from now on, if it is up to date (the
    table is the package's, so any index's copy serves every index)."""
    global _loaded
    if _loaded is None:
        table = _read(Path(index_dir) / FILENAME)
        if table is not None:
            _loaded = CountryTerms(table)


def table():
    """The :class:`CountryTerms` in use: a loaded copy, or one computed now."""
    global _loaded
    if _loaded is None:
        _loaded = CountryTerms(build())
    return _loaded
