"""Stored documents as the service returns them: hits with snippets, and
whole documents with their matches marked and their entities."""

from dataclasses import dataclass, field

from indexer import schema as S
from indexer import snippets
from indexer.boilerplate import strip
from indexer.curation import EMPTY
from indexer.facets import actor_facet_value

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
    # The other matches of this hit's near-copy cluster (when collapsed).
    copies: list = field(default_factory=list)


def make_hit(stored, terms, score, boilerplate=None, body=None):
    """A :class:`Hit` from stored fields; ``terms`` (index terms to mark, or
    None for no snippet) and the score.  The snippet leaves out the
    ``boilerplate`` keys of the article's source, or is taken from
    ``body``, the stored body without them, when the caller has it."""
    date = stored.get(S.DATE)
    if body is None:
        body = stored.get(S.BODY, "")
        if terms is not None and boilerplate:
            body = strip(body, boilerplate.get(stored.get(S.SOURCE, "")))
    return Hit(
        id=stored[S.ID],
        title=stored.get(S.TITLE, ""),
        date=date.isoformat() if date else None,
        source=stored.get(S.SOURCE, ""),
        url=stored.get(S.URL, ""),
        author=stored.get(S.AUTHOR, ""),
        score=round(float(score), 4) if score is not None else None,
        snippet=snippets.snippet(body, terms, SNIPPET_CHARS) if terms is not None else "",
        title_html=snippets.highlight_all(stored.get(S.TITLE, ""), terms) if terms is not None else "",
    )


def document_dict(stored, terms, curation=EMPTY):
    """One stored document as a dict, ``terms`` marked in its title and body,
    its entities as the user's ``curation`` shows them."""
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
        "entities": _curated(_with_facet_values(stored.get(S.ENTITIES)), curation),
        "title_html": snippets.highlight_all(stored.get(S.TITLE, ""), terms),
        "body_html": snippets.highlight_all(body, terms),
    }


def _with_facet_values(entities):
    """A document's entities, each actor with the value its facet filters on."""
    entities = entities or {"countries": [], "actors": []}
    for actor in entities.get("actors", []):
        actor["value"] = actor_facet_value(actor["name"])
    return entities


def _curated(entities, curation):
    """Merged actors as one entry (counts added, names kept as aliases),
    hidden ones dropped, renamed ones under their new label."""
    if not curation:
        return entities
    actors = {}
    for actor in entities.get("actors", []):
        value = curation.canonical("actor", actor["value"])
        if value is None:
            continue
        found = actors.get(value)
        if found is None:
            found = actors[value] = {**actor, "value": value, "aliases": list(actor.get("aliases", []))}
        else:
            found["count"] += actor.get("count", 0)
            found["aliases"] += [a for a in actor.get("aliases", []) + [actor["name"]] if a not in found["aliases"]]
        found["name"] = curation.label("actor", value, found["name"] if value == actor["value"] else value)
    countries = []
    for country in entities.get("countries", []):
        if curation.canonical("country", country["code"]) is None:
            continue
        label = curation.label("country", country["code"], country.get("label_ar", ""))
        countries.append({**country, "label_ar": label})
    return {**entities, "actors": list(actors.values()), "countries": countries}
