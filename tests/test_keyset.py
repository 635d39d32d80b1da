"""indexer.keyset: the indexer's compact memory of ids and content keys."""

from indexer.keyset import KeySet, digest


def test_members_and_strangers():
    keys = [f"https://example.com/news/{i}" for i in range(5000)] + ["خبر", "", "\ud800"]
    found = KeySet(keys)
    assert all(k in found for k in keys)
    assert not any(f"https://example.com/news/{i}" in found for i in range(5000, 6000))
    assert "خبر " not in found


def test_added_keys_are_members():
    found = KeySet(["a"])
    found.update(["b", "c"])
    found.add("d")
    assert all(k in found for k in "abcd") and "e" not in found


def test_empty_set():
    assert "a" not in KeySet()


def test_keys_sharing_their_first_eight_digest_bytes_are_told_apart():
    # Looked up by the first half of the digest, then the second: a set whose
    # sorted first halves repeat must still compare the second.
    found = KeySet(["x"])
    high = found._high.copy()
    found._high = high.repeat(3)
    found._low = found._low.repeat(3) + [1, 0, 2]
    assert "x" in found
    assert digest("x")[:8] == found._high[:1].tobytes()


def test_many_additions_are_merged_into_the_arrays(monkeypatch):
    from indexer import keyset

    monkeypatch.setattr(keyset, "MERGE_AT", 100)
    found = KeySet(["old"])
    found.update(str(i) for i in range(250))
    found.add("new")
    assert len(found._added) < 100 and len(found._high) > 200
    assert all(str(i) in found for i in range(250)) and "old" in found and "new" in found
    assert "250" not in found
