"""Documentation that runs: module doctests and the README's command reference."""

import doctest
import importlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT

DOCTEST_MODULES = [
    "analyzers.normalize",
    "analyzers.tokenizer",
    "analyzers.stemmer",
    "analyzers.analysis",
    "analyzers.variants",
    "analyzers.entities",
    "analyzers.entities.conll",
    "analyzers.entities.tokens",
    "indexer.dates",
    "indexer.query",
    "indexer.writer",
    "indexer.boilerplate",
    "indexer.spelling",
]


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_module_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_readme_command_reference_is_current():
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "README.md"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, "README is stale: run 'cog -r README.md'\n" + result.stdout + result.stderr
