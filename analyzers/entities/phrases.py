"""Longest-match look-up of multi-word gazetteer phrases in token streams.

The first word of a phrase may carry proclitics (وبالعراق، لداعش); the
following words must match exactly, as normalized.
"""

from itertools import compress, count

from analyzers.entities.tokens import ARTICLE, clitic_variants

# Word types whose phrase candidates are remembered per table.
CACHE_SIZE = 1 << 17


class PhraseTable:
    """Map normalized phrases to values and find them, longest first."""

    def __init__(self, entries, bare_after_article=True):
        """``entries`` are ``(normalized phrase, value)``; a later entry for
        the same phrase replaces an earlier one.

        With ``bare_after_article`` false, a phrase whose first word has no
        article is not found behind a clitic that carries one: a name such
        as حماس never takes it, so بالحماس is "with enthusiasm".  Tables of
        nisba forms (عراقيين in العراقيين) need it true.
        """
        self._bare_after_article = bare_after_article
        phrases = {}
        for text, value in entries:
            words = tuple(text.split())
            if words:
                phrases.setdefault(words[0], {})[words[1:]] = value
        # Longest continuation first, so the first match found is the longest.
        self._table = {
            first: tuple(sorted(rests.items(), key=lambda item: -len(item[0])))
            for first, rests in phrases.items()
        }
        self.first_words = frozenset(self._table)
        self._cache = {}

    def candidates(self, norm):
        """Return ``((rest, value, prefix), ...)`` for phrases ``norm`` may
        start (uncached; :meth:`find` caches them per type)."""
        return tuple(
            (rest, value, prefix)
            for form, prefix in clitic_variants(norm)
            if self._bare_after_article or form.startswith(ARTICLE) or not _has_article(prefix)
            for rest, value in self._table.get(form, ())
        )

    def _candidates(self, norm):
        hits = self._cache.get(norm)
        if hits is None:
            hits = self.candidates(norm)
            if len(self._cache) < CACHE_SIZE:
                self._cache[norm] = hits  # most words start no phrase: ()
        return hits

    def match_at(self, norms, i):
        """Return ``(end, value, prefix)`` of the longest phrase at ``i``, or None."""
        return self._longest(self._candidates(norms[i]), norms, i)

    def find(self, norms, hits=None):
        """Yield ``(start, end, value, prefix)`` for non-overlapping matches.

        ``hits`` are the tokens' :meth:`candidates`, if the caller has them.
        """
        # Most tokens start no phrase: find those that may, by one cached
        # look-up per token, and try only them.
        if hits is None:
            hits = list(map(self._cache.get, norms))
            if None in hits:
                hits = [h if h is not None else self._candidates(x) for h, x in zip(hits, norms)]
        done = 0
        for i in compress(count(), hits):
            if i < done:
                continue
            hit = self._longest(hits[i], norms, i)
            if hit is not None:
                end, value, prefix = hit
                yield i, end, value, prefix
                done = end

    @staticmethod
    def _longest(candidates, norms, i):
        best = None
        for rest, value, prefix in candidates:
            end = i + 1 + len(rest)
            if (best is None or end > best[0]) and tuple(norms[i + 1:end]) == rest:
                best = (end, value, prefix)
        return best


def _has_article(prefix):
    # لل is ل + ال with the alef dropped.
    return prefix.endswith(ARTICLE) or prefix.endswith("لل")
