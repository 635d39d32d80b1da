"""Stored documents as the service returns them: hits with snippets, and
whole documents with their matches marked and their entities."""

from dataclasses import dataclass

from indexer import schema as S
from indexer import snippets
from indexer.segments import actor_facet_value

SNIPPET_CHARS = 240


@dataclass
class Hit:
    id: str
    title: str
    date: str | None
    source: str
    url: str
    author: str
    score: float | None
    snippet: str
    title_html: str = ""


def make_hit(stored, terms, score):
    """A :class:`Hit` from stored fields; ``terms`` (index terms to mark, or
    None for no snippet) and the score."""
    date = stored.get(S.DATE)
    return Hit(
        id=stored[S.ID],
        title=stored.get(S.TITLE, ""),
        date=date.isoformat() if date else None,
        source=stored.get(S.SOURCE, ""),
        url=stored.get(S.URL, ""),
        author=stored.get(S.AUTHOR, ""),
        score=round(float(score), 4) if score is not None else None,
        snippet=snippets.snippet(stored.get(S.BODY, ""), terms, SNIPPET_CHARS) if terms is not None else "",
        title_html=snippets.highlight_all(stored.get(S.TITLE, ""), terms) if terms is not None else "",
    )


def document_dict(stored, terms):
    """One stored document as a dict, ``terms`` marked in its title and body."""
    date = stored.get(S.DATE)
    body = stored.get(S.BODY, "")
    return {
        "id": stored[S.ID],
        "title": stored.get(S.TITLE, ""),
        "body": body,
        "date": date.isoformat() if date else None,
        "source": stored.get(S.SOURCE, ""),
        "author": stored.get(S.AUTHOR, ""),
        "url": stored.get(S.URL, ""),
        "entities": _with_facet_values(stored.get(S.ENTITIES)),
        "title_html": snippets.highlight_all(stored.get(S.TITLE, ""), terms),
        "body_html": snippets.highlight_all(body, terms),
    }


def _with_facet_values(entities):
    """A document's entities, each actor with the value its facet filters on."""
    entities = entities or {"countries": [], "actors": []}
    for actor in entities.get("actors", []):
        actor["value"] = actor_facet_value(actor["name"])
    return entities
