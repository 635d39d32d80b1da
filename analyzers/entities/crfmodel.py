"""Reading a crfsuite model file: the packaged one is xz-compressed, and its
weights are read in bulk (every indexing worker loads the model)."""

import lzma
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pycrfsuite

# The packaged model, xz-compressed (crfsuite's format is mostly zeros):
# 0.9 MB instead of 2.9.
MODEL = "ner.crfsuite.xz"


def open_tagger(model_path):
    """Return crfsuite's tagger for a model file, xz-compressed (.xz) or not."""
    tagger = pycrfsuite.Tagger()
    path = str(model_path)
    if not path.endswith(".xz"):
        tagger.open(path)
        return tagger
    # open_inmemory keeps no reference to its buffer (a crash once freed);
    # crfsuite reads a file whole, so a temporary copy can go at once.
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "model.crfsuite"
        with lzma.open(path) as f:
            plain.write_bytes(f.read())
        tagger.open(str(plain))
    return tagger


_DUMP_SECTION = re.compile(r"^(LABELS|TRANSITIONS|STATE_FEATURES) = \{\n(.*?)^\}", re.M | re.S)
_DUMP_LABEL = re.compile(r"^[ \t]*(\d+): (.*)", re.M)
_DUMP_WEIGHT = re.compile(r"^[ \t]*\(\d+\) (.+) --> (.+): ([+-]?\d+\.\d+)", re.M)


def model_info(tagger):
    """Return what crfsuite's ``tagger.info()`` does (labels, transitions,
    state features), parsing the model's dump in bulk: info() parses it a
    line at a time, about a second for the packaged model."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.txt"
        tagger.dump(str(path))
        sections = dict(_DUMP_SECTION.findall(path.read_text("utf-8")))
    weights = {
        name: {(a, b): float(w) for a, b, w in _DUMP_WEIGHT.findall(sections.get(name, ""))}
        for name in ("TRANSITIONS", "STATE_FEATURES")
    }
    return SimpleNamespace(
        labels={name: number for number, name in _DUMP_LABEL.findall(sections.get("LABELS", ""))},
        transitions=weights["TRANSITIONS"],
        state_features=weights["STATE_FEATURES"],
    )


def compress_model(path):
    """Replace the model file ``path`` by ``path``.xz; return the new path."""
    path = Path(path)
    out = path.with_name(path.name + ".xz")
    out.write_bytes(lzma.compress(path.read_bytes(), preset=9))
    path.unlink()
    return out
