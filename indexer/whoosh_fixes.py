"""A fix to whoosh-reloaded 2.7.5, applied when :mod:`indexer` loads.

A segment is one compound file, memory-mapped for reading.  Whoosh opens
each file inside it as ``BufferFile(memoryview)``, whose ``__init__`` wraps
the view in ``BytesIO``, and BytesIO copies it: every searcher copied its
segments' term, posting and column files into private memory, about 200 MB
a searcher on the full SaudiNewsNet index (the search service keeps one per
thread, the web server eight threads a process).  Here the file inside the
compound file reads straight from the mapping instead.
"""

import io

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile
from whoosh.filedb.filestore import StorageError


# Bytes read ahead per sequential read (a posting block header, a varint).
READ_BUFFER = 4096


class RawView(io.RawIOBase):
    """A read-only raw file over a buffer (a memoryview of an mmap)."""

    def __init__(self, buf):
        self._view = memoryview(buf)
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, out):
        end = min(self._pos + len(out), len(self._view))
        count = max(0, end - self._pos)
        out[:count] = self._view[self._pos:self._pos + count]
        self._pos += count
        return count

    def seek(self, pos, whence=io.SEEK_SET):
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self):
        return self._pos

    def close(self):
        # Let go of the view, so the mapping can close.
        self._view.release()
        super().close()


def view_reader(buf):
    """Return a file reading ``buf`` without copying it: C-level reads from
    a small buffer (Whoosh reads varints a byte at a time), refilled from
    the view."""
    return io.BufferedReader(RawView(buf), buffer_size=READ_BUFFER)


class ViewBufferFile(BufferFile):
    """Whoosh's BufferFile, reading through a :class:`ViewReader`."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = view_reader(buf)


def _open_file(self, name, *args, **kwargs):
    if self._source is None:
        return _whoosh_open_file(self, name, *args, **kwargs)
    if self.is_closed:
        raise StorageError("Storage was closed")
    offset, length = self.range(name)
    return ViewBufferFile(memoryview(self._source)[offset:offset + length], name=name)


_whoosh_open_file = compound.CompoundStorage.open_file
compound.CompoundStorage.open_file = _open_file
