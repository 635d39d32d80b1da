"""Longest-match look-up of multi-word gazetteer phrases in token streams.

The first word of a phrase may carry proclitics (وبالعراق، لداعش); the
following words must match exactly, as normalized.
"""

from analyzers.entities.tokens import clitic_variants


class PhraseTable:
    """Map normalized phrases to values and find them, longest first."""

    def __init__(self, entries):
        """``entries`` are ``(normalized phrase, value)``; a later entry for
        the same phrase replaces an earlier one."""
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

    def match_at(self, norms, i):
        """Return ``(end, value, prefix)`` of the longest phrase at ``i``, or None."""
        best = None
        for form, prefix in clitic_variants(norms[i]):
            for rest, value in self._table.get(form, ()):
                end = i + 1 + len(rest)
                if best is not None and end <= best[0]:
                    break
                if tuple(norms[i + 1:end]) == rest:
                    best = (end, value, prefix)
                    break
        return best

    def find(self, norms):
        """Yield ``(start, end, value, prefix)`` for non-overlapping matches."""
        i, n = 0, len(norms)
        while i < n:
            hit = self.match_at(norms, i)
            if hit is None:
                i += 1
                continue
            end, value, prefix = hit
            yield i, end, value, prefix
            i = end
