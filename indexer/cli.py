"""The ``archive`` command line: index sources, query the index, inspect analysis.

Each command imports what it needs when it runs: a query in a fresh process
loads nothing of indexing.
"""

import gc
import html
import json
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from indexer.errors import ArchiveError, IndexBusy, QueryError, SourceError
from indexer.resultcache import RESULT_CACHE

DEFAULT_INDEX_DIR = "index_data"

# Exit statuses of 'archive index', for scripts: everything went in, some
# records were skipped, usage error (click's own), another indexer is
# writing to the index (nothing was done: retry, or pass --wait).
MAX_SHOWN_PER_REASON = 20
EXIT_OK = 0
EXIT_SKIPPED = 1
EXIT_USAGE = 2
EXIT_BUSY = 3


class IndexBusyExit(click.ClickException):
    exit_code = EXIT_BUSY


def _date_option(value, name):
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2015-07-21", param_hint=name)


class _Progress:
    """A one-line progress report on stderr: articles read and articles/s."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last = 0.0
        self.count = 0

    def __call__(self, count):
        self.count = count
        now = time.perf_counter()
        if self.enabled and now - self.last >= 0.5:
            self.last = now
            rate = count / (now - self.start) if now > self.start else 0
            click.echo(f"\rindexing: {count:,} articles read, {rate:,.0f} articles/s ", nl=False, err=True)

    def done(self):
        if self.enabled and self.last:
            click.echo(err=True)


INDEX_DIR_HELP = "Where the index lives (also $ARCHIVE_INDEX)."


def _subcommand_index_dir(ctx, param, value):
    # Users type the option after the subcommand too ('archive query X
    # --index-dir D'); there it wins over the group's (and $ARCHIVE_INDEX).
    if value is not None:
        ctx.ensure_object(dict)["index_dir"] = value
    return value


def index_dir_option(command):
    """The group's --index-dir, accepted on a subcommand as well."""
    return click.option(
        "--index-dir", type=click.Path(file_okay=False), expose_value=False,
        callback=_subcommand_index_dir, is_eager=True, help=INDEX_DIR_HELP,
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--index-dir",
    envvar="ARCHIVE_INDEX",
    default=DEFAULT_INDEX_DIR,
    show_default=True,
    type=click.Path(file_okay=False),
    help=INDEX_DIR_HELP,
)
@click.pass_context
def cli(ctx, index_dir):
    """A searchable archive of Arabic news.

    Index JSON, JSONL, CSV, text files and zips of them with 'archive index',
    then search with 'archive query' or in the browser with 'archive serve'.
    """
    ctx.obj = {"index_dir": index_dir}


@cli.command("index")
@index_dir_option
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@click.option(
    "--map", "mappings", multiple=True, metavar="FIELD=NAME",
    help="Read FIELD (id, title, body, date, source, author, url) from column or key NAME.",
)
@click.option("--no-entities", is_flag=True, help="Skip country and actor recognition (faster).")
@click.option("--batch-size", default=4000, show_default=True, type=click.IntRange(1, 100_000),
              help="Articles per commit; a killed run keeps every committed batch.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes building segments  [default: all cores].")
@click.option("--memory-mb", default=1024, show_default=True, type=click.IntRange(64),
              help="Memory for posting pools, shared among the workers.")
@click.option("--wait", "lock_timeout", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for another indexer to finish with the index.")
@click.option("--cluster", metavar="ADDRESS",
              help="Build segments on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786); its workers must share the index folder. "
                   "Needs: pip install 'archive[cluster]'.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no per-record problems.")
@click.pass_obj
def index_command(obj, sources, mappings, no_entities, batch_size, jobs, memory_mb, lock_timeout, cluster,
                  quiet):
    """Index every article in SOURCES (files, folders, zips).

    Exits 0 when every record went in, 1 when some were skipped (each is
    reported with its file, line and reason), 2 for usage errors, 3 when
    another 'archive index' is writing to the index (nothing was done; see
    --wait).
    """
    from indexer.readers import parse_field_map
    from indexer.writer import index_sources, reason_kind

    try:
        field_map = parse_field_map(mappings)
    except SourceError as e:
        raise click.UsageError(str(e))
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())

    shown = {}

    def on_problem(problem):
        if quiet:
            return
        # Every problem is reported, but a reason that repeats (a million
        # broken lines) is shown a few times, then counted in the summary.
        kind = (problem.severity, reason_kind(problem.reason))
        shown[kind] = shown.get(kind, 0) + 1
        if shown[kind] <= MAX_SHOWN_PER_REASON:
            progress.done()
            progress.last = 0.0
            click.echo(f"{problem.severity}: {problem}", err=True)
        elif shown[kind] == MAX_SHOWN_PER_REASON + 1:
            click.echo(f"{problem.severity}: more like this are counted in the summary", err=True)

    try:
        executor = _cluster_executor(cluster, jobs, obj["index_dir"], not no_entities)
        report = index_sources(
            obj["index_dir"], sources, field_map=field_map, entities=not no_entities,
            batch_size=batch_size, jobs=jobs, memory_mb=memory_mb,
            lock_timeout=lock_timeout, on_progress=progress,
            on_problem=on_problem, on_wait=lambda m: click.echo(m, err=True),
            executor=executor,
        )
    except SourceError as e:
        raise click.UsageError(str(e))
    except IndexBusy as e:
        raise IndexBusyExit(f"{e} (or wait for it: --wait SECONDS)")
    except ArchiveError as e:
        raise click.ClickException(str(e))
    progress.done()
    click.echo(
        f"indexed {report.indexed:,} articles in {report.seconds:.1f}s "
        f"({report.docs_per_second:,.0f} articles/s): {report.added:,} added, "
        f"{report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{report.duplicates:,} exact duplicates left out, {report.skipped_count:,} skipped, "
        f"{report.warning_count:,} warnings; the index in {obj['index_dir']} "
        f"holds {report.total_docs:,} articles"
    )
    for reason, count in sorted(report.skip_reasons.items(), key=lambda kv: -kv[1]):
        click.echo(f"  skipped {count:,}: {reason}")
    if not quiet:
        for origin, doc_id, original in report.duplicate_examples[:MAX_SHOWN_PER_REASON]:
            click.echo(f"  duplicate: {origin} ({doc_id}) has the title and text of {original}")
        if report.duplicates > MAX_SHOWN_PER_REASON:
            click.echo(f"  ... and {report.duplicates - MAX_SHOWN_PER_REASON:,} more duplicates")
    sys.exit(EXIT_SKIPPED if report.skipped_count else EXIT_OK)


def _cluster_executor(address, jobs, index_dir, entities):
    """The Dask executor of --cluster ADDRESS, or None without it."""
    if address is None:
        return None
    if jobs is not None:
        raise click.UsageError("--jobs does not go with --cluster: the cluster's worker threads build the segments")
    from indexer.cluster import ClusterExecutor

    return ClusterExecutor(address, index_dir, entities=entities)


def _one_blas_thread():
    """Keep numpy's OpenBLAS to one thread, if numpy is not loaded yet.

    Reading the index does no linear algebra, and OpenBLAS starts a thread
    per core as numpy loads: 0.03-0.06 s of CPU of a fresh 'archive query' on
    two cores, more on more.  A value the user set is kept.  Call it before
    importing indexer.search.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _open_service(obj):
    _one_blas_thread()
    from indexer.search import SearchService

    try:
        return SearchService(obj["index_dir"])
    except ArchiveError as e:
        raise click.ClickException(str(e))


def _terminal_snippet(snippet_html):
    """Render a <mark>-highlighted snippet for a terminal."""
    parts = re.split(r"(<mark[^>]*>.*?</mark>)", snippet_html)
    out = []
    for part in parts:
        if part.startswith("<mark"):
            word = html.unescape(re.sub(r"<[^>]+>", "", part))
            out.append(click.style(word, fg="yellow", bold=True))
        else:
            out.append(html.unescape(part))
    return "".join(out)


@cli.command("query")
@index_dir_option
@click.argument("text", required=False)
@click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable).")
@click.option("--country", "countries", multiple=True,
              help="Only articles about this country: ISO code, Arabic or English name (repeatable).")
@click.option("--actor", "actors", multiple=True,
              help="Only articles naming this actor: its name, or an alias or English name the gazetteer "
                   "knows (repeatable).")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only articles from this day on.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only articles up to this day.")
@click.option("--sort", type=click.Choice(["relevance", "date", "recent"]), default="relevance", show_default=True,
              help="relevance; date (newest first); recent (relevance halved every --half-life days "
                   "before the newest match).")
@click.option("--half-life", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="DAYS", help="Half-life of --sort recent, in days.")
@click.option("--no-collapse", is_flag=True,
              help="Show every near-copy of a story (the same wire story in several papers) as a hit.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Hits per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print results as one JSON object.")
@click.option("--queries", type=click.File("r", encoding="utf-8"),
              help="Run each 'qid<TAB>query' line of this file; one JSON line per query "
                   "(documents, near-copies not collapsed).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "trec"]), default="jsonl", show_default=True,
              help="Output of --queries: JSON lines or a TREC run.")
@click.option("--run-tag", default="archive", show_default=True, help="Run name in --format trec.")
@click.pass_obj
def query_command(obj, text, sources, countries, actors, date_from, date_to, sort, half_life, no_collapse,
                  limit, page, as_json, queries, fmt, run_tag):
    """Search the index for TEXT, or browse the filters' articles without it.

    \b
    Syntax: words (articles with more of them rank first), "a phrase",
    OR, AND, NOT word or -word, +word (required), prefix* (two letters
    at least after ال, و...), (groups). What the query needed repaired
    (an unclosed quote, a lone operator) is said on stderr.
    A Latin word or name (3 letters or more) that is the English name of
    a country or a well-known actor also finds its Arabic names (Putin:
    بوتين); a country's name also finds its demonyms, ranked lower.
    Examples:
      archive query 'الاستخبارات العراقية'
      archive query '"تبادل المعلومات" -داعش' --sort date
      archive query 'النفط' --country SA --from 2015-07-01 --json
      archive query --country IQ          # newest articles about Iraq
    """
    _one_blas_thread()
    from indexer.search import Filters

    filters = Filters(
        sources=list(sources),
        countries=_resolve_countries(countries),
        actors=list(actors),
        date_from=_date_option(date_from, "--from"),
        date_to=_date_option(date_to, "--to"),
    )
    if text is not None and queries is not None:
        raise click.UsageError("give a query TEXT or --queries FILE, not both")
    if text is None and queries is None:
        if filters.is_empty():
            raise click.UsageError("give a query TEXT, a filter (--country, --actor, --source, "
                                   "--from, --to) to browse, or --queries FILE")
        text = ""
    with _open_service(obj) as service:
        if queries is not None:
            # A run ranks documents, each copy of a story in its own place.
            _run_batch(service, queries, filters, sort, limit, fmt, run_tag, collapse=False)
            return
        try:
            # Facets are printed only in --json: counting them is most of a
            # short query's time in a fresh process.
            results = service.search(text, filters=filters, sort=sort, page=page, per_page=limit,
                                     facets=as_json, half_life=half_life, collapse=not no_collapse)
        except QueryError as e:
            raise click.ClickException(str(e))
        suggestions = service.suggest(text) if text and not results.total else []
    if as_json:
        out = results.to_dict()
        for hit in out["hits"]:
            hit.pop("title_html", None)
        out["suggestions"] = suggestions
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for notice in results.notices:
        click.echo(f"note: {notice.message}", err=True)
    first = (results.page - 1) * limit
    stories = f", {results.stories:,} stories" if results.collapsed and results.stories != results.total else ""
    click.echo(f"{results.total:,} articles match{stories} ({results.took_ms:.0f} ms)")
    if suggestions:
        click.echo("did you mean: " + ", ".join(suggestions) + "?")
    for rank, hit in enumerate(results.hits, first + 1):
        meta = " · ".join(x for x in (hit.date[:10] if hit.date else "", hit.source) if x)
        click.echo(f"\n{rank}. {click.style(hit.title or '(untitled)', bold=True)}")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {_terminal_snippet(hit.snippet)}")
        click.echo(f"   id: {hit.id}" + (f"  {hit.url}" if hit.url else ""))
        copies = [c for c in hit.copies if "id" in c]
        if copies:
            more = sum(c.get("more", 0) for c in hit.copies)
            sources = ", ".join(dict.fromkeys(c["source"] or "?" for c in copies))
            click.echo(f"   and {len(copies) + more} more {'copy' if len(copies) + more == 1 else 'copies'}"
                       f" ({sources}): " + " ".join(c["id"] for c in copies[:3]) + (" ..." if len(copies) > 3 else ""))
    if results.total > first + len(results.hits):
        click.echo(f"\npage {results.page} of {results.pages}; next: --page {results.page + 1}")


def _resolve_countries(values):
    if not values:
        return []
    from analyzers.entities import resolve_country

    codes = []
    for value in values:
        code = resolve_country(value)
        if code is None:
            raise click.BadParameter(f"unknown country {value!r}", param_hint="--country")
        codes.append(code)
    return codes


def _run_batch(service, lines, filters, sort, limit, fmt, run_tag, collapse):
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        qid, sep, text = line.partition("\t")
        if not sep:
            raise click.ClickException(f"--queries line {lineno}: expected 'qid<TAB>query'")
        try:
            results = service.search(text, filters=filters, sort=sort, per_page=limit,
                                     facets=False, snippets=False, collapse=collapse)
            hits = results.hits
        except QueryError as e:
            click.echo(f"--queries line {lineno} ({qid}): {e}", err=True)
            hits = []
        if fmt == "trec":
            for rank, hit in enumerate(hits, 1):
                click.echo(f"{qid} Q0 {hit.id} {rank} {hit.score or 0:.4f} {run_tag}")
        else:
            click.echo(json.dumps(
                {"qid": qid, "hits": [{"id": h.id, "score": h.score} for h in hits]},
                ensure_ascii=False,
            ))


@cli.command("analyze")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
def analyze_command(text, as_json):
    """Show the index terms TEXT becomes, step by step.

    Like Elasticsearch's _analyze: each word's surface form, its normalized
    form, and the term stored in the 'text' field (title and body), or why it
    is dropped. Example: archive analyze 'وبالإستخبارات الأمريكيّة'
    """
    from analyzers.analysis import arabic_analyzer
    from analyzers.normalize import normalize

    rows = []
    for t in arabic_analyzer()(text, chars=True, positions=True, removestops=False):
        surface = text[t.startchar:t.endchar]
        rows.append({
            "surface": surface,
            "normalized": normalize(surface),
            "term": None if t.stopped else t.text,
            "position": None if t.stopped else t.pos,
            "start": t.startchar,
            "end": t.endchar,
        })
    if as_json:
        click.echo(json.dumps({"field": "text", "tokens": rows}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        term = r["term"] if r["term"] is not None else "(stopword: dropped)"
        click.echo(f"{r['surface']}\t{r['normalized'] or ''}\t{term}")


@cli.group("entities", invoke_without_command=True)
@index_dir_option
@click.option("--top", "top", default=20, show_default=True, type=click.IntRange(1, 10_000),
              help="How many actors and countries to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the lists as JSON.")
@click.pass_context
def entities_group(ctx, top, as_json):
    """List the index's most frequent actors and countries, and correct them.

    \b
    Without a subcommand: the TOP actors and countries with their article
    counts, as the facets show them. Corrections go into curation.tsv in
    the index folder and apply at once, without re-indexing (a running
    'archive serve' shows them on the next page):
      archive entities merge 'حزب الله' 'حزب الله اللبناني'
      archive entities rename 'حزب الله' 'حزب الله (لبنان)'
      archive entities hide 'صحيفة الوئام'
      archive entities hide --country IL
    """
    if ctx.invoked_subcommand is not None:
        return
    with _open_service(ctx.obj) as service:
        _check_curation(service)
        found = service.top_entities(top)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for facet, title in (("actor", "actors"), ("country", "countries")):
        click.echo(f"{title} (top {top}):")
        for entry in found[facet]:
            value = "" if entry["label"] == entry["value"] else f"  [{entry['value']}]"
            click.echo(f"  {entry['count']:>7,}  {entry['label']}{value}")


def _check_curation(service):
    error = service.curation.error
    if error is not None:
        click.echo(f"warning: {error}; the last good version applies", err=True)


def _curate(obj, action, facet, values):
    from indexer import curation

    with _open_service(obj) as service:
        known = set(service.entity_values(facet))
    # The first value is the one kept (merge) or changed (rename, hide): it
    # must be in the index, or a typo would silently do nothing.
    checked = values if action == "merge" else values[:1]
    for value in checked:
        if value not in known and not (action == "merge" and value == values[0]):
            import difflib

            close = difflib.get_close_matches(value, list(known), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise click.ClickException(f"no {facet} {value!r} in the index{hint}")
    try:
        curation.append(obj["index_dir"], action, facet, values)
    except curation.CurationError as e:
        raise click.ClickException(str(e))
    click.echo(f"{action}: {' | '.join(values)} ({facet}); see {curation.path_of(obj['index_dir'])}")


def _facet_of(country):
    return "country" if country else "actor"


@entities_group.command("merge")
@index_dir_option
@click.argument("value")
@click.argument("others", nargs=-1, required=True)
@click.option("--country", is_flag=True, help="VALUE and OTHERS are country codes.")
@click.pass_obj
def entities_merge(obj, value, others, country):
    """Make OTHERS one facet value with VALUE (filtering by VALUE finds them all)."""
    _curate(obj, "merge", _facet_of(country), [value, *others])


@entities_group.command("rename")
@index_dir_option
@click.argument("value")
@click.argument("label")
@click.option("--country", is_flag=True, help="VALUE is a country code.")
@click.pass_obj
def entities_rename(obj, value, label, country):
    """Show VALUE as LABEL (links and filters keep VALUE)."""
    _curate(obj, "rename", _facet_of(country), [value, label])


@entities_group.command("hide")
@index_dir_option
@click.argument("value")
@click.option("--country", is_flag=True, help="VALUE is a country code.")
@click.pass_obj
def entities_hide(obj, value, country):
    """Remove VALUE from facets, filters, document pages and the API."""
    _curate(obj, "hide", _facet_of(country), [value])


@entities_group.command("check")
@index_dir_option
@click.pass_obj
def entities_check(obj):
    """Check the index's curation.tsv; exit 1 with the bad line if it has one."""
    from indexer import curation

    try:
        found = curation.load(obj["index_dir"])
    except curation.CurationError as e:
        raise click.ClickException(str(e))
    merged = sum(len(v) for v in found.merged.values())
    renamed = sum(len(v) for v in found.labels.values())
    hidden = sum(len(v) for v in found.hidden.values())
    click.echo(f"{curation.path_of(obj['index_dir'])}: {merged} merged, {renamed} renamed, {hidden} hidden")


@entities_group.command("extract")
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@click.option(
    "--map", "mappings", multiple=True, metavar="FIELD=NAME",
    help="Read FIELD (id, title, body, date, source, author, url) from column or key NAME.",
)
def entities_extract(sources, mappings):
    """Print the countries and actors of every article in SOURCES.

    Reads what 'archive index' reads and prints one JSON object a line:
    {"id", "countries": [{"code", "label_ar", "label_en", "count"}],
    "actors": [{"name", "kind", "aliases", "count"}]}. Problems with the
    sources go to stderr, as with 'archive index'.
    """
    from analyzers.entities import extract_entities_many
    from indexer.readers import Problem, parse_field_map, read_sources
    from indexer.segments import ENTITY_BATCH, article_text

    def flush(batch):
        # The CRF tags a batch of articles in one call (see build_segment).
        texts = [article_text(item) for item in batch]
        for item, found in zip(batch, extract_entities_many(texts)):
            click.echo(json.dumps({"id": item.id, **found.to_dict()}, ensure_ascii=False))
        batch.clear()

    try:
        field_map = parse_field_map(mappings)
        batch = []
        for item in read_sources(sources, field_map):
            if isinstance(item, Problem):
                click.echo(f"{item.severity}: {item}", err=True)
                continue
            batch.append(item)
            if len(batch) >= ENTITY_BATCH:
                flush(batch)
        flush(batch)
    except SourceError as e:
        raise click.UsageError(str(e))


@cli.command("serve")
@index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Threads in each server process.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes sharing the port  [default: all cores, or $ARCHIVE_WEB_WORKERS].")
@click.option("--result-cache", default=RESULT_CACHE, show_default=True, type=click.IntRange(0),
              help="Searches whose results each server process keeps for repeated requests (0: none).")
@click.option("--debug", is_flag=True, help="Flask's debug server with reloader (development only).")
@click.option("--seeds", "seeds_dir", default="seeds", show_default=True, type=click.Path(file_okay=False),
              help="Indexed first when the index is missing or empty.")
@click.pass_obj
def serve_command(obj, host, port, threads, workers, result_cache, debug, seeds_dir):
    """Serve the search page and JSON API in the browser.

    When the index is missing or empty it is first built from SEEDS (the
    embedded demo corpus), so 'archive serve' alone shows a working archive.
    Runs on waitress, a production WSGI server; --debug uses Flask's own.
    """
    from indexer.writer import check_index_dir, index_sources

    try:
        if not check_index_dir(obj["index_dir"]):
            if not Path(seeds_dir).is_dir():
                raise click.ClickException(
                    f"no index in {obj['index_dir']} and no seeds folder {seeds_dir} to build one from"
                )
            click.echo(f"no index in {obj['index_dir']} yet: indexing {seeds_dir} first", err=True)
            report = index_sources(obj["index_dir"], [seeds_dir])
            click.echo(f"indexed {report.indexed:,} articles from {seeds_dir}", err=True)
    except ArchiveError as e:
        raise click.ClickException(str(e))
    from search_web.server import serve

    serve(obj["index_dir"], host=host, port=port, threads=threads, debug=debug, workers=workers,
          result_cache=result_cache)


def main():
    """The ``archive`` script: run the command, then let the process end
    without the interpreter's last garbage collections.

    Python collects garbage over every object as it exits: 0.02-0.03 s of
    CPU after a one-word query, about a tenth of it.  Objects frozen
    (``gc.freeze``) are left to the operating system instead.  Each command
    has closed its files and index by then; only this entry point does it,
    so a program calling ``cli`` (the tests' CliRunner) keeps its collector
    as it was.
    """
    try:
        cli(prog_name="archive")
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
