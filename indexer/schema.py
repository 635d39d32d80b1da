"""The index schema: field names, in one place, and the schema built from them.

Title and body are searched as one combined field, ``text``: as two BM25F
fields a short distractor title outweighs a long relevant body (XQuAD
MRR@10 0.737 vs 0.847 in one field, see bench/results/relevance.md).  The
raw title and body are stored for display and snippets.
"""

from whoosh import columns, fields

from analyzers.analysis import arabic_analyzer, term_positions, word_positions

ID = "id"
TITLE = "title"
BODY = "body"
TEXT = "text"
DATE = "date"
YEAR = "year"
MONTH = "month"
SOURCE = "source"
AUTHOR = "author"
URL = "url"
COUNTRY = "country"
ACTOR = "actor"
ENTITIES = "entities"
ORIGIN = "origin"
# A hash of everything an article is indexed from (see
# indexer.segments.fingerprint): a rerun skips articles whose fingerprint
# the index holds.  CONTENT hashes title and text alone: another id with
# the same content is an exact duplicate.
FINGERPRINT = "fingerprint"
CONTENT = "content"
# The MinHash signature of the body and the near-copy cluster key, packed
# (indexer.nearcopy); read into each segment's arrays.
NEARCOPY = "nearcopy"

# Multi-valued facets (country, actor) are joined with this separator into
# one column value per document.  Names never contain an ASCII comma (the
# writer strips it).
FACET_SEPARATOR = ","

# Bumped whenever the schema or the analysis changes in a way that needs a
# rebuild; written into the index folder's marker file.
SCHEMA_VERSION = 6
# Fields stored and kept as columns but not indexed.  The search filters,
# counts and sorts by them from each generation's arrays (indexer.columns),
# and the query parser has no field syntax: their terms (a date is eight
# trie terms) were written into every segment and never read, 5-10% of
# building one.  An index made before keeps the schema it was made with
# (Whoosh stores it), terms and all, and reads the same.
COLUMN_ONLY = (DATE, YEAR, MONTH, SOURCE)
# 32 MinHash minima (uint32) and an int64 cluster key.
NEARCOPY_BYTES = 32 * 4 + 8


class ArabicText(fields.TEXT):
    """TEXT that indexes through :func:`analyzers.analysis.term_positions`.

    The terms and positions are the analyzer's own (a property test holds
    the two to it); only the per-token generator chain is skipped, which
    halves analysis time.  The value is the text, or its words in order
    (a list, as the entity recogniser split them), as Whoosh's own fields
    take a list to bypass their analyzer.  Queries and highlighting still
    use ``analyzer``.
    """

    def index(self, value, **kwargs):
        _, positions = term_positions(value) if isinstance(value, str) else word_positions(value)
        encode = self.format.encode
        boost = self.format.field_boost
        # Three terms in four occur once in an article: the encoding of a
        # lone position (a pickled list) is made once per position.
        once = _ONE_POSITION
        out = []
        for term, pos in positions.items():
            if len(pos) == 1:
                value = once.get(pos[0])
                if value is None:
                    value = once[pos[0]] = encode(pos)
            else:
                value = encode(pos)
            out.append((term.encode("utf-8"), len(pos), len(pos) * boost, value))
        return out


# Position -> the value Whoosh's Positions format encodes [position] as
# (module state, not the field's: the field is pickled into the index).
_ONE_POSITION = {}


class FacetColumn(fields.COLUMN):
    """A multi-valued facet kept only as a column of joined text values.

    The search service counts and filters facets from per-generation arrays
    built from the column (see :class:`indexer.search.SearchService`), so
    no posting is indexed: on SaudiNewsNet the actor facet alone would add
    some 70,000 terms, each one a posting block to write.
    """

    def __init__(self):
        super().__init__(columns.VarBytesColumn())

    def to_bytes(self, value):
        return value.encode("utf-8")

    def from_bytes(self, data):
        return data.decode("utf-8")


def build_schema():
    """Return a fresh Whoosh schema for the archive."""
    analyzer = arabic_analyzer()
    schema = fields.Schema(
        **{
            ID: fields.ID(stored=True, unique=True),
            TITLE: fields.STORED(),
            BODY: fields.STORED(),
            TEXT: ArabicText(analyzer=analyzer, phrase=True),
            DATE: fields.DATETIME(stored=True, sortable=True),
            YEAR: fields.ID(stored=False, sortable=True),
            # "2015-07": the timeline counts articles a month.
            MONTH: fields.ID(stored=False, sortable=True),
            SOURCE: fields.ID(stored=True, sortable=True),
            AUTHOR: fields.STORED(),
            URL: fields.STORED(),
            COUNTRY: FacetColumn(),
            ACTOR: FacetColumn(),
            ENTITIES: fields.STORED(),
            ORIGIN: fields.STORED(),
            FINGERPRINT: fields.ID(stored=False),
            CONTENT: fields.ID(stored=False),
            NEARCOPY: fields.COLUMN(columns.FixedBytesColumn(NEARCOPY_BYTES)),
        }
    )
    for name in COLUMN_ONLY:
        schema[name].indexed = False
    return schema
