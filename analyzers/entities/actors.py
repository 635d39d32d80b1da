"""Find named people and organisations (actors) in tokenized Arabic text."""


def find_actors(tokens, norms):
    """Return ``(actors, person_token_indexes)``; filled in by the recogniser."""
    return [], frozenset()
