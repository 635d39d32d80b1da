"""Shared fixtures: small real indexes built from inline Arabic articles."""

import os
from datetime import datetime
from pathlib import Path

import pytest

from indexer.readers import Article
from indexer.writer import index_articles

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(relative):
    """Return a path under ../shared/data, or skip (fail under CI=true) if absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        reason = f"needs {path} (the shared data set), which is not on this machine"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def article(id, title, body, date=None, source="test", url="", author=""):
    return Article(
        id=id, title=title, body=body,
        date=datetime.fromisoformat(date) if isinstance(date, str) else date,
        source=source, author=author, url=url, origin=f"fixture:{id}",
    )


@pytest.fixture
def make_index(tmp_path):
    """Build an index in a fresh temporary folder from Article objects."""
    counter = iter(range(1000))

    def make(articles, entities=False):
        index_dir = tmp_path / f"index{next(counter)}"
        index_articles(index_dir, articles, entities=entities)
        return index_dir

    return make


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory):
    """The seeds/ folder indexed once for the session, as 'archive index seeds' does."""
    from indexer.writer import index_sources

    index_dir = tmp_path_factory.mktemp("seed_index")
    report = index_sources(index_dir, [SEEDS])
    assert report.indexed == len(list(SEEDS.glob("*.txt")))
    return index_dir
