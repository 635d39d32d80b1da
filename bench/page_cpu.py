"""CPU time of the results page in one process: where bench/load.py's time goes.

The load benchmark measures the server under 20 clients, on a machine
other jobs share; its server CPU per request moves with their load.  This
runs the same requests (bench/load.py's queries, one in five ticking a
source or country of the facets) through the Flask test client, warm,
and reads the process's CPU time per request in rounds:

    python bench/page_cpu.py --index-dir /tmp/ix                      # CPU ms/request
    python bench/page_cpu.py --index-dir /tmp/ix --profile 30         # and cProfile's top 30
    python bench/page_cpu.py --index-dir /tmp/ix --compare /tmp/old   # this tree against another

``--compare DIR`` runs a warm worker process on the code in DIR (a
checkout, or ``git archive REF | tar -x -C DIR``) and one on this tree,
and gives them the same rounds alternately, so that the machine's load
falls on both alike; it prints each side's median and the median of the
rounds' ratios.  Nothing is recorded.
"""

import argparse
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO_ROOT  # noqa: E402
from bench.load import DEFAULT_INDEX, QUERIES, page_path  # noqa: E402

PATHS = 600  # distinct requests, cycled through by the rounds


def request_mix(client, count=PATHS, seed=7):
    """bench/load.py's requests: a query, and one time in five a facet value
    (the top five sources and countries of the queries' facets) ticked."""
    values = {"source": set(), "country": set()}
    for q in QUERIES:
        facets = client.get("/api/search?" + urllib.parse.urlencode({"q": q})).get_json()["facets"]
        for name in values:
            values[name].update(e["value"] for e in facets.get(name, [])[:5])
    choices = [(name, v) for name, vs in sorted(values.items()) for v in sorted(vs)]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        q = rng.choice(QUERIES)
        extra = [rng.choice(choices)] if rng.random() < 0.2 else []
        out.append(page_path(q, extra))
    return out


class Pages:
    """A warm app and the request mix; ``round(n)`` serves the next ``n``
    requests and returns the CPU ms each took."""

    def __init__(self, index_dir):
        import logging

        from search_web import create_app

        logging.disable(logging.CRITICAL)
        # No result cache: the rounds cycle through the same requests, and
        # this measures what computing a page costs.
        self.client = create_app({"INDEX_DIR": str(index_dir), "RESULT_CACHE": 0}).test_client()
        self.paths = request_mix(self.client)
        for path in self.paths:  # warm: arrays, caches, templates
            self.client.get(path)
        self.at = 0

    def round(self, n):
        paths = [self.paths[(self.at + i) % len(self.paths)] for i in range(n)]
        self.at += n
        start = time.process_time()
        for path in paths:
            self.client.get(path)
        return (time.process_time() - start) * 1000 / n


def worker(index_dir, n, source):
    """Serve rounds on request (a line on stdin each), one figure a line,
    with the archive's code from folder ``source``."""
    sys.path.insert(0, str(source))
    pages = Pages(index_dir)
    print("ready", flush=True)
    for _ in sys.stdin:
        print(f"{pages.round(n):.3f}", flush=True)


def compare(index_dir, other, rounds, n):
    sides = {"other": Path(other).resolve(), "this": REPO_ROOT}
    procs = {
        name: subprocess.Popen([sys.executable, __file__, "--index-dir", str(index_dir),
                                "--worker", str(source), "--requests", str(n)],
                               cwd=source, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for name, source in sides.items()
    }
    for proc in procs.values():
        if proc.stdout.readline().strip() != "ready":
            sys.exit("a worker did not start")
    figures = {name: [] for name in procs}
    for r in range(rounds):
        for name in (("other", "this") if r % 2 == 0 else ("this", "other")):
            procs[name].stdin.write("go\n")
            procs[name].stdin.flush()
            figures[name].append(float(procs[name].stdout.readline()))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    for name, values in figures.items():
        print(f"{name} ({sides[name]}): median {statistics.median(values):.2f} CPU ms/request, "
              f"fastest round {min(values):.2f} ({rounds} rounds of {n})")
    ratios = [b / a for a, b in zip(figures["other"], figures["this"])]
    print(f"this / other: median of the rounds' ratios {statistics.median(ratios):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=100, help="requests a round")
    parser.add_argument("--profile", type=int, metavar="N", help="print cProfile's N costliest functions")
    parser.add_argument("--compare", metavar="DIR", help="alternate rounds with the code in DIR")
    parser.add_argument("--worker", metavar="SOURCE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.index_dir, args.requests, args.worker)
    if args.compare:
        return compare(args.index_dir, args.compare, args.rounds, args.requests)
    pages = Pages(args.index_dir)
    figures = [pages.round(args.requests) for _ in range(args.rounds)]
    print(f"median {statistics.median(figures):.2f} CPU ms/request, fastest round {min(figures):.2f} "
          f"({args.rounds} rounds of {args.requests})")
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(pages.round, args.requests * 3)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
