"""Load benchmark: `archive serve` on the full SaudiNewsNet index under 20
concurrent clients.

Builds the index (or reuses --index-dir), starts the real server command on
a free port, warms every worker up, then runs CLIENTS threads for DURATION
seconds, each on its own keep-alive connection, requesting the HTML results
page (hits, snippets, facet counts, timeline) for one- to three-word
queries typical of Saudi news; one request in five also ticks a facet value
(source or country, from the facets the warm-up saw), which costs a second
service search for the disjunctive counts.  Records requests/s, median, p95
and p99 latency and errors in bench/results/load.md.

    python bench/load.py                               # build the index, measure, record
    python bench/load.py --index-dir /tmp/ix           # reuse an index
    python bench/load.py --index-dir /tmp/ix --workers 1 --workers 2 --no-record
    python bench/load.py --index-dir /tmp/ix --compare main --rounds 3

Several --workers values compare server process counts in one run (each
with --threads threads).  ``--compare REF`` serves the code of git REF
(``git archive REF``, unpacked into a temporary folder) and the working
tree alternately, ROUNDS times each, on the same index and the same
requests, so that the machine's changing load falls on both alike; the
results give each round and each side's pooled figures, and the ratio of
the medians (the results page with the exploring must stay within 1.5x
of the page before it).  Target on the 2-core machine: no errors and at
least 40 requests/s.
"""

import argparse
import http.client
import io
import shutil
import tarfile
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import tempfile
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, REPO_ROOT, RESULTS_DIR, machine_facts, require_data  # noqa: E402

CORPUS = DATA_DIR / "saudinewsnet"
DEFAULT_INDEX = Path("/tmp/archive-load-index")
TARGET_RPS = 40

# What a newsroom researcher types into a 2015 Saudi news archive: places,
# institutions, people, events and topics, one to three words each.
QUERIES = [
    "النفط", "أسعار النفط", "أرامكو", "سابك", "سوق الأسهم", "هيئة السوق المالية", "الميزانية",
    "الاستثمار", "البنوك", "العقار", "الأراضي البيضاء", "الإسكان", "البطالة", "السعودة",
    "وزارة العمل", "التأشيرات", "العمالة المنزلية", "الرواتب", "التضخم", "الذهب", "الدولار",
    "الملك سلمان", "خادم الحرمين الشريفين", "ولي العهد", "ولي ولي العهد", "محمد بن سلمان",
    "مجلس الوزراء", "مجلس الشورى", "وزارة الداخلية", "وزارة الصحة", "وزارة التعليم",
    "أمير منطقة الرياض", "أمير مكة", "الرياض", "جدة", "مكة المكرمة", "المدينة المنورة",
    "الدمام", "القصيم", "أبها", "تبوك", "جازان", "نجران", "المنطقة الشرقية", "الحج", "العمرة",
    "الحرمين", "رمضان", "عيد الفطر", "اليمن", "عاصفة الحزم", "الحوثيين", "إعادة الأمل",
    "داعش", "الإرهاب", "تفجير مسجد", "إيران", "الاتفاق النووي", "سوريا", "بشار الأسد",
    "العراق", "مصر", "الإمارات", "قطر", "البحرين", "الكويت", "الأمم المتحدة", "كورونا",
    "فيروس كورونا", "المستشفى", "الدفاع المدني", "الأمطار", "الطقس", "حوادث المرور",
    "المخدرات", "الشرطة", "الطلاب", "المعلمين", "الابتعاث", "جامعة الملك سعود", "الهلال",
    "النصر", "الاتحاد", "الأهلي", "الدوري السعودي", "المنتخب السعودي", "كرة القدم",
    "المرأة السعودية", "الكهرباء", "المياه", "البلدية", "الأسعار", "التجارة الإلكترونية",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_index(index_dir, corpus):
    from indexer.writer import check_index_dir

    if check_index_dir(index_dir):
        return
    require_data([corpus], "load benchmark")
    print(f"indexing {corpus} into {index_dir} (with entities; several minutes) ...", file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir),
                           "index", str(corpus), "-q"], cwd=REPO_ROOT)
    if done.returncode not in (0, 1):  # 1: some records skipped, still an index
        sys.exit(f"indexing failed with status {done.returncode}")


class Server:
    """`archive serve` in a subprocess, stopped with SIGTERM."""

    def __init__(self, index_dir, workers, threads, source=REPO_ROOT, result_cache=None):
        self.port = free_port()
        # The code served is the one in ``source``: first on the path, and
        # the working directory `python -m` imports from.
        env = {**os.environ, "ARCHIVE_WEB_WORKERS": str(workers), "PYTHONPATH": str(source)}
        # The server's log goes to a file: an unread pipe would fill up and
        # stall the server.
        self.log = tempfile.NamedTemporaryFile("w+", prefix="archive-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "indexer.cli", "--index-dir", str(index_dir), "serve",
             "--port", str(self.port), "--threads", str(threads),
             *(["--result-cache", str(result_cache)] if result_cache is not None else [])],
            cwd=source, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._up():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"archive serve did not start:\n{self.log_text()}")
            time.sleep(0.2)

    def cpu_seconds(self):
        """CPU time (user + system) of the server's processes so far."""
        import psutil

        total = 0.0
        parent = psutil.Process(self.proc.pid)
        for proc in [parent, *parent.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def memory_mb(self):
        """Return ``(rss, private, anonymous)`` MB summed over the server's
        processes: RSS counts pages shared between them (the index's
        mapping) once per process; private memory (USS) what each holds
        alone, the index's mapped pages that only it has read included;
        anonymous memory (:func:`anonymous_mb`) what the processes
        allocated, not the page cache of the index files."""
        import psutil

        rss = private = anonymous = 0
        parent = psutil.Process(self.proc.pid)
        for proc in [parent, *parent.children(recursive=True)]:
            try:
                info = proc.memory_full_info()
                rss += info.rss
                private += info.uss
                found = anonymous_mb(proc.pid)
                anonymous = None if found is None or anonymous is None else anonymous + (found << 20)
            except psutil.NoSuchProcess:
                pass
        return rss >> 20, private >> 20, None if anonymous is None else anonymous >> 20

    def log_text(self):
        return Path(self.log.name).read_text(errors="replace")

    def _up(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def page_path(query, extra=()):
    return "/?" + urllib.parse.urlencode([("q", query), *extra])


def get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, body


def warm_up(port, clients, seconds):
    """Open every server thread's service, and collect facet values to filter on.

    Each server thread opens its service and loads the facet tables on its
    first request (search_web.service), which takes a second or more; as
    many parallel clients as the load has keep every thread of every
    process busy, so all of them are warm before the clock starts.
    """
    values = {"source": set(), "country": set()}
    stop = time.monotonic() + seconds

    def run(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        rng = random.Random(1000 + i)
        while time.monotonic() < stop:
            q = rng.choice(QUERIES)
            status, body = get(conn, "/api/search?" + urllib.parse.urlencode({"q": q}))
            if status == 200:
                facets = json.loads(body)["facets"]
                for name in values:
                    values[name].update(e["value"] for e in facets.get(name, [])[:5])
            # A fresh connection next time: another worker may take it.
            conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {name: sorted(v) for name, v in values.items()}


def load(port, clients, duration, facet_values, seed=7):
    """Run ``clients`` threads for ``duration`` s; return per-request records."""
    records = []  # (latency s, ok, kind, problem, the page showed pairs named together)
    lock = threading.Lock()
    start_at = time.monotonic() + 0.2
    stop_at = start_at + duration
    choices = [(name, v) for name, vs in facet_values.items() for v in vs]

    def client(i):
        rng = random.Random(seed * 100 + i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.monotonic() < start_at:
            time.sleep(0.01)
        while time.monotonic() < stop_at:
            q = rng.choice(QUERIES)
            extra = [rng.choice(choices)] if choices and rng.random() < 0.2 else []
            t0 = time.perf_counter()
            path = page_path(q, extra)
            problem = None
            body = b""
            try:
                status, body = get(conn, path)
                ok = status == 200 and b'class="summary"' in body
                if not ok:
                    problem = f"HTTP {status} for {urllib.parse.unquote(path)}"
            except (OSError, http.client.HTTPException) as e:
                ok = False
                problem = f"{e!r} for {urllib.parse.unquote(path)}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append((time.perf_counter() - t0, ok, "facet" if extra else "plain", problem,
                         b'<section class="pairs"' in body))
        conn.close()
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def summarize(records, duration):
    ok = sorted(r[0] for r in records if r[1])
    plain = sorted(r[0] for r in records if r[1] and r[2] == "plain")
    facet = sorted(r[0] for r in records if r[1] and r[2] == "facet")
    return {
        "requests": len(records),
        "errors": sum(1 for r in records if not r[1]),
        "problems": sorted({r[3] for r in records if r[3]})[:10],
        "rps": round(len(ok) / duration, 1),
        "median_ms": round(statistics.median(ok) * 1000, 1) if ok else None,
        "p95_ms": round(percentile(ok, 95) * 1000, 1),
        "p99_ms": round(percentile(ok, 99) * 1000, 1),
        "max_ms": round(ok[-1] * 1000, 1) if ok else None,
        "median_plain_ms": round(statistics.median(plain) * 1000, 1) if plain else None,
        "median_facet_ms": round(statistics.median(facet) * 1000, 1) if facet else None,
        # Which page was served: the old one never shows the pairs.
        "with_pairs": round(sum(1 for r in records if r[1] and r[4]) / max(1, len(ok)), 3),
    }


def doc_count(index_dir):
    from indexer.search import SearchService

    with SearchService(index_dir) as service:
        return service.doc_count()


def has_entities(index_dir):
    from indexer.search import SearchService

    with SearchService(index_dir) as service:
        facets = service.search("السعودية", per_page=1, snippets=False).facets
    return bool(facets.get("country"))


def _commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "indexer", "search_web"],
                               cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
        return out + (" (indexer/ or search_web/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_load():
    try:
        return os.getloadavg()
    except OSError:
        return None


def checkout(ref, into):
    """Unpack the tree of git ``ref`` into folder ``into``; return its short commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    tree = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(into, filter="data")
    return commit


def measure(index_dir, workers, threads, args, source=REPO_ROOT):
    """One run: start the server from ``source``, warm it up, load it; return its summary."""
    server = Server(index_dir, workers, threads, source, result_cache=args.result_cache)
    try:
        facet_values = warm_up(server.port, args.clients, args.warmup)
        cpu_before = server.cpu_seconds()
        records = load(server.port, args.clients, args.duration, facet_values)
        cpu = server.cpu_seconds() - cpu_before
        rss_mb, private_mb, anonymous_mb = server.memory_mb()
    finally:
        server.stop()
    summary = summarize(records, args.duration)
    # The machine is shared: requests/s depends on what else runs.  The
    # server's own CPU time per request does not, and gives the rate
    # its cores would sustain with nothing else running.
    summary["server_rss_mb"], summary["server_private_mb"] = rss_mb, private_mb
    summary["server_anonymous_mb"] = anonymous_mb
    summary["server_cpu_ms"] = round(cpu * 1000 / max(1, summary["requests"]), 1)
    summary["server_cores_used"] = round(cpu / args.duration, 2)
    cores = min(workers, os.cpu_count() or 1)
    summary["capacity_rps"] = round(cores * 1000 / summary["server_cpu_ms"], 1) if cpu else None
    summary["loadavg"] = " / ".join(f"{x:.1f}" for x in (cpu_load() or ()))
    if summary["errors"]:
        print(f"server log ({server.log.name}):\n{server.log_text()[-5000:]}", file=sys.stderr)
    return summary, records


def anonymous_mb(pid="self"):
    """MB of anonymous memory of process ``pid`` (its heap, Python objects
    and numpy arrays), from /proc/<pid>/smaps_rollup; None where there is
    no such file.

    What the index's memory-mapped files occupy is not in it: those pages
    are the kernel's page cache of the files, shared by every process that
    maps them and dropped under memory pressure (read again when next
    used), as with Lucene's MMapDirectory.  RSS and USS count them.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Anonymous:"):
                    return int(line.split()[1]) >> 10
    except FileNotFoundError:   # not Linux, or a kernel before 4.14
        pass
    return None


def write_markdown(path, runs, facts):
    lines = [
        "# Load benchmark: `archive serve` on the full SaudiNewsNet index",
        "",
        "Written by `python bench/load.py` (see its docstring); do not edit by hand.",
        "",
        f"- index: {facts['docs']:,} articles, entity facets {'on' if facts['entities'] else 'OFF'}",
        f"- load: {facts['clients']} concurrent clients (threads, keep-alive connections) for "
        f"{facts['duration']:.0f} s each run, HTML results pages with facets and timeline for "
        f"{len(QUERIES)} one- to three-word queries; one request in five also ticks a facet value",
        f"- machine: {facts['cpus']} CPUs, Python {facts['python']}, {facts['platform']}; "
        f"load average before the runs {facts['loadavg']} (other jobs on the machine compete "
        "for the same cores)",
        f"- measured {facts['when']} at commit {facts['commit']}",
        "",
        "| server | requests/s | median ms | p95 ms | p99 ms | max ms | errors | requests | "
        "median plain / with facet ms | server CPU ms/request | cores the server got | "
        "requests/s its cores sustain alone | server RSS / private / anonymous MB after the run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        s = run["summary"]
        label = run.get("label") or ""
        lines.append(
            f"| {label}{run['workers']} process{'es' if run['workers'] > 1 else ''} x {run['threads']} threads "
            f"| {s['rps']} | {s['median_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} "
            f"| {s['errors']} | {s['requests']} | {s['median_plain_ms']} / {s['median_facet_ms']} "
            f"| {s['server_cpu_ms']} | {s['server_cores_used']} | {s['capacity_rps']} "
            f"| {s.get('server_rss_mb', '')} / {s.get('server_private_mb', '')} "
            f"/ {s.get('server_anonymous_mb', '')} |"
        )
    best = max(runs, key=lambda r: r["summary"]["rps"])
    met = best["summary"]["rps"] >= TARGET_RPS and best["summary"]["errors"] == 0
    lines += [
        "",
        f"Target: no errors and at least {TARGET_RPS} requests/s: "
        f"**{'met' if met else 'not met'}** (best: {best['summary']['rps']} requests/s).",
        "",
        "The last three columns come from the server processes' CPU time during the run "
        "(psutil): other jobs on the machine take cores from the server, which lowers "
        "requests/s but not the CPU a request costs; cores / (CPU s per request) is the rate "
        "the server's processes would sustain on otherwise idle cores. Memory is summed over "
        "the server's processes once the run ends: RSS counts the index's shared mapping in "
        "each process, private memory (USS) does not.",
        "",
    ]
    if facts.get("compare"):
        lines += compare_lines(facts["compare"])
    if facts.get("notes"):
        lines += [facts["notes"], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def compare_lines(compare):
    """The old page and the new side by side, from every round's requests."""
    old, new = compare["old"], compare["new"]
    lines = [
        f"## The old page ({compare['ref']} at {compare['ref_commit']}) and the new (the working tree), "
        f"{compare['rounds']} alternating rounds each",
        "",
        "Every request of a side's rounds together (the rows above are the rounds, in the order run, "
        "with the load average when each ended):",
        "",
        "| page | requests/s | median ms | p95 ms | p99 ms | errors | requests | server CPU ms/request "
        "| pages showing pairs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, side in (("old", old), ("new", new)):
        lines.append(f"| {name} | {side['rps']} | {side['median_ms']} | {side['p95_ms']} | {side['p99_ms']} "
                     f"| {side['errors']} | {side['requests']} | {side['server_cpu_ms']} "
                     f"| {side['with_pairs']:.0%} |")
    ratio = new["median_ms"] / old["median_ms"]
    lines += [
        "",
        f"New / old median: **{ratio:.2f}x** (target at most 1.5x: **{'met' if ratio <= 1.5 else 'not met'}**); "
        f"p95 {new['p95_ms'] / old['p95_ms']:.2f}x; requests/s {new['rps'] / old['rps']:.2f}x; "
        f"server CPU per request {new['server_cpu_ms'] / old['server_cpu_ms']:.2f}x. "
        "Each round's new / old median, in the order run: "
        + ", ".join(f"{r:.2f}" for r in compare["round_ratios"]) + ".",
        "",
    ]
    return lines


def pooled(summaries_and_records, duration):
    """One side's rounds as one summary: every request, CPU per request averaged."""
    records = [r for _, recs in summaries_and_records for r in recs]
    out = summarize(records, duration * len(summaries_and_records))
    cpu = [s["server_cpu_ms"] * s["requests"] for s, _ in summaries_and_records]
    out["server_cpu_ms"] = round(sum(cpu) / max(1, out["requests"]), 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX,
                        help=f"index to serve (built from the corpus if missing; default {DEFAULT_INDEX})")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, action="append",
                        help="server processes (repeat to compare); default: the CPU count")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    parser.add_argument("--result-cache", type=int, default=None,
                        help="'archive serve --result-cache' (default: the server's; 0: every page computed); "
                             "with --compare, a REF older than the option cannot take it")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of load before measuring")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "load.md")
    parser.add_argument("--notes", default="", help="a paragraph appended to the results")
    parser.add_argument("--no-record", action="store_true", help="print only; leave the results file")
    parser.add_argument("--compare", metavar="REF",
                        help="serve git REF and the working tree alternately (old page vs new)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side with --compare")
    args = parser.parse_args()

    ensure_index(args.index_dir, args.corpus)
    facts = {
        **machine_facts(["whoosh-reloaded", "flask", "waitress"]),
        "docs": doc_count(args.index_dir),
        "entities": has_entities(args.index_dir),
        "clients": args.clients,
        "duration": args.duration,
        "loadavg": " / ".join(f"{x:.1f}" for x in (cpu_load() or ())),
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "notes": args.notes,
    }
    runs = []
    if args.compare:
        workers = (args.workers or [os.cpu_count() or 1])[0]
        tmp = Path(tempfile.mkdtemp(prefix="archive-load-old-"))
        try:
            ref_commit = checkout(args.compare, tmp)
            sides = {"old": [], "new": []}
            for round_no in range(1, args.rounds + 1):
                for side, source in (("old", tmp), ("new", REPO_ROOT)):
                    summary, records = measure(args.index_dir, workers, args.threads, args, source)
                    sides[side].append((summary, records))
                    label = f"{side} ({args.compare} {ref_commit}), round {round_no}: " if side == "old" \
                        else f"new (working tree), round {round_no}: "
                    runs.append({"workers": workers, "threads": args.threads, "summary": summary,
                                 "label": label + f"load {summary['loadavg']}; "})
                    print(json.dumps({"side": side, "round": round_no, **summary}), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        facts["compare"] = {
            "ref": args.compare, "ref_commit": ref_commit, "rounds": args.rounds,
            "old": pooled(sides["old"], args.duration), "new": pooled(sides["new"], args.duration),
            "round_ratios": [n[0]["median_ms"] / o[0]["median_ms"] for o, n in zip(sides["old"], sides["new"])],
        }
        print(json.dumps({k: facts["compare"][k] for k in ("old", "new", "round_ratios")}), flush=True)
    for workers in [] if args.compare else args.workers or [os.cpu_count() or 1]:
        summary, _ = measure(args.index_dir, workers, args.threads, args)
        runs.append({"workers": workers, "threads": args.threads, "summary": summary})
        print(json.dumps({"workers": workers, "threads": args.threads, **summary}), flush=True)
    if not args.no_record:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_markdown(args.out, runs, facts)
        print(f"recorded in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
