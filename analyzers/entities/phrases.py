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
        # Per first word: the one-word phrase's value (or None), and the
        # longer phrases by their second word, longest first, so a match
        # tries only the few that can fit.
        self._table = {}
        for first, rests in phrases.items():
            longer = {}
            for rest, value in sorted(rests.items(), key=lambda item: -len(item[0])):
                if rest:
                    longer.setdefault(rest[0], []).append((rest, value))
            self._table[first] = (rests.get(()), {w: tuple(r) for w, r in longer.items()})
        self.first_words = frozenset(self._table)
        self._cache = {}

    def candidates(self, norm):
        """Return ``((prefix, one-word value, longer phrases), ...)`` for the
        forms of ``norm`` that start a phrase, the whole word first
        (uncached; :meth:`find` caches them per type)."""
        return tuple(
            (prefix,) + self._table[form]
            for form, prefix in clitic_variants(norm)
            if form in self._table
            and (self._bare_after_article or form.startswith(ARTICLE) or not _has_article(prefix))
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

    def find_sparse(self, norms):
        """Yield :meth:`find`'s matches, looking up only the tokens one of
        whose clitic forms starts a phrase (one set test per token): for
        small tables most texts never touch."""
        maybe = self._closure()
        if maybe.isdisjoint(norms):
            return iter(())
        hits = [()] * len(norms)
        for i in compress(count(), map(maybe.__contains__, norms)):   # a C-level scan
            hits[i] = self._candidates(norms[i])
        return self.find(norms, hits)

    def _closure(self):
        closure = self.__dict__.get("_first_closure")
        if closure is None:
            from analyzers.entities.tokens import clitic_closure

            # A superset of the words whose clitic variants start a phrase
            # (see tokens.clitic_closure), made once.
            closure = self._first_closure = clitic_closure(self.first_words)
        return closure

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
        # The longest phrase over every form; at equal length the earlier
        # form's (the whole word before a peel).
        best = None
        after = norms[i + 1] if i + 1 < len(norms) else None
        for prefix, single, longer in candidates:
            for rest, value in longer.get(after, ()) if after is not None else ():
                end = i + 1 + len(rest)
                if best is not None and end <= best[0]:
                    break
                if tuple(norms[i + 1:end]) == rest:
                    best = (end, value, prefix)
                    break
            if single is not None and best is None:
                best = (i + 1, single, prefix)
        return best


def _has_article(prefix):
    # لل is ل + ال with the alef dropped.
    return prefix.endswith(ARTICLE) or prefix.endswith("لل")
