"""Plumbing the benchmarks share: where the data is, what to do without it,
timing, and the facts about the machine a result was measured on.

The corpora are never in the repository: they are read from
``../shared/data`` beside the checkout.  A fresh clone elsewhere has no such
folder, so a benchmark says why and exits 0; under ``CI=true`` the data is
always there, so its absence is an error (exit 1), never a silent skip.
"""

import os
import platform
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
RESULTS_DIR = BENCH_DIR / "results"


def in_ci():
    """True when running under CI (``CI=true``), where skipping is failing."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_data(paths, what):
    """Exit unless every path in ``paths`` exists: 0 locally, 1 under CI."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if not missing:
        return
    print(f"{what}: skipped, data not found: {', '.join(missing)}", file=sys.stderr)
    print(f"(the benchmark reads {DATA_DIR}, beside the checkout)", file=sys.stderr)
    sys.exit(1 if in_ci() else 0)


@contextmanager
def timed(into, key):
    """Store the seconds the ``with`` block took in ``into[key]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        into[key] = round(time.perf_counter() - start, 1)


def package_version(name):
    """Return the installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_facts(packages=()):
    """Return what a reader needs to compare a result with their own run."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in packages},
    }
