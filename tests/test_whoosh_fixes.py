"""Reading segments through a view of the mmap instead of a BytesIO copy."""

import io
import random

from whoosh.filedb import compound

from indexer.whoosh_fixes import ViewBufferFile, view_reader


def test_view_reader_reads_like_bytesio():
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(20000)) + b"line one\nline two\n"
    view, copy = view_reader(memoryview(data)), io.BytesIO(data)
    for _ in range(500):
        op = rng.randrange(4)
        if op == 0:
            pos = rng.randrange(len(data) + 10)
            assert view.seek(pos) == copy.seek(pos)
        elif op == 1:
            size = rng.choice([1, 2, 4, 8, 100, 5000])
            assert view.read(size) == copy.read(size)
        elif op == 2:
            assert view.seek(-3, io.SEEK_CUR if view.tell() >= 3 else io.SEEK_SET) \
                == copy.seek(-3, io.SEEK_CUR if copy.tell() >= 3 else io.SEEK_SET)
        else:
            assert view.tell() == copy.tell()
    view.seek(len(data) - 18)
    assert view.readline() == b"line one\n"
    assert view.read() == b"line two\n" and view.read(5) == b""


def test_segments_open_without_copies(seed_index, monkeypatch):
    # Every file inside a segment is read through the mapping.
    from indexer.writer import open_index

    opened = []
    original = compound.CompoundStorage.open_file

    def spy(self, name, *args, **kwargs):
        opened.append(original(self, name, *args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(compound.CompoundStorage, "open_file", spy)
    with open_index(seed_index).searcher() as searcher:
        assert searcher.doc_count() >= 1 and list(searcher.lexicon("text"))
    assert opened and all(isinstance(f, ViewBufferFile) for f in opened)
