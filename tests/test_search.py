"""The search service on real Whoosh indexes: acceptance queries on the seed
article, query syntax, filters, sorting, paging, snippets and facets."""

import json
from dataclasses import replace

import pytest

from indexer.errors import IndexMissing, NotAnArchiveIndex, QueryError
from indexer.search import Filters, SearchService
from tests.conftest import article

FINDS_SEED = [
    "الاستخبارات", "استخبارات", "الإستخبارات", "بِغْدَادَ", "إرهاب", "الارهابية",
    "معلومات", '"تبادل المعلومات"', "سوريا", "ميليشيات",
]


@pytest.fixture(scope="module")
def seed_service(seed_index):
    with SearchService(seed_index) as service:
        yield service


@pytest.mark.parametrize("query", FINDS_SEED)
def test_seed_article_is_found(seed_service, query):
    results = seed_service.search(query)
    assert results.total == 1
    assert "<mark>" in results.hits[0].snippet


def test_phrase_that_is_not_there(seed_service):
    assert seed_service.search('"تبادل الأسلحة"').hits == []


def test_snippet_marks_the_vowelled_original(make_index):
    index_dir = make_index([article("v", "عنوان", "وصلَ الرّئيسُ إلى بغدادَ أمس.")])
    with SearchService(index_dir) as service:
        (hit,) = service.search("الرئيس").hits
    assert "<mark>الرّئيسُ</mark>" in hit.snippet


NEWS = [
    article("1", "الرئيس الإيراني في موسكو", "زار الرئيس الإيراني موسكو لبحث الاتفاق النووي.",
            date="2015-07-01", source="alriyadh"),
    article("2", "وزير النفط السعودي", "قال وزير النفط إن أسعار النفط ستتحسن.",
            date="2015-07-10", source="sabq"),
    article("3", "النفط والاتفاق", "ارتفعت أسعار النفط بعد الاتفاق النووي مع إيران.",
            date="2015-08-02", source="sabq"),
    article("4", "مباراة كرة القدم", "فاز الهلال على النصر في مباراة كرة القدم.",
            date="2016-01-05", source="okaz"),
    article("5", "<script>alert(1)</script>", "نص عن <b>النفط</b> & الغاز.", date="2015-07-11",
            source="okaz"),
]


@pytest.fixture(scope="module")
def news_service(tmp_path_factory):
    from indexer.writer import index_articles

    index_dir = tmp_path_factory.mktemp("news")
    index_articles(index_dir, NEWS, entities=False)
    with SearchService(index_dir) as service:
        yield service


def ids(results):
    return [h.id for h in results.hits]


def test_ranking_prefers_more_matches(news_service):
    assert ids(news_service.search("أسعار النفط"))[:2] in (["2", "3"], ["3", "2"])


def test_or_and_not_minus_plus(news_service):
    assert set(ids(news_service.search("موسكو OR مباراة"))) == {"1", "4"}
    assert set(ids(news_service.search("النفط AND الاتفاق"))) == {"3"}
    assert set(ids(news_service.search("النفط NOT الاتفاق"))) == {"2", "5"}
    assert set(ids(news_service.search("النفط -الاتفاق"))) == {"2", "5"}
    assert set(ids(news_service.search("+النووي موسكو"))) == {"1", "3"}


def test_prefix_query_ignores_clitics(news_service):
    assert set(ids(news_service.search("والاتف*"))) == {"1", "3"}


def test_filters_source_and_dates(news_service):
    results = news_service.search("النفط", filters=Filters(sources=["sabq"]))
    assert set(ids(results)) == {"2", "3"}
    results = news_service.search(
        "النفط", filters=Filters(date_from=_d("2015-07-10"), date_to=_d("2015-07-11"))
    )
    assert set(ids(results)) == {"2", "5"}
    assert news_service.search("النفط", filters=Filters(sources=["nowhere"])).hits == []


def test_sort_by_date_and_paging(news_service):
    results = news_service.search("النفط", sort="date", per_page=2)
    assert ids(results) == ["3", "5"]
    assert results.total == 3 and results.pages == 2
    assert all(h.score is None for h in results.hits)
    assert ids(news_service.search("النفط", sort="date", per_page=2, page=2)) == ["2"]
    past = news_service.search("النفط", per_page=2, page=3)
    assert past.page == 2 and ids(past) == ["5"]
    assert [n.code for n in past.notices] == ["page_past_end"]


def test_facets_count_the_results(news_service):
    facets = news_service.search("النفط").facets
    assert {f["value"]: f["count"] for f in facets["source"]} == {"sabq": 2, "okaz": 1}
    assert {f["value"]: f["count"] for f in facets["year"]} == {"2015": 3}
    facets = news_service.search("النفط", filters=Filters(sources=["okaz"])).facets
    # The filtered facet is counted without its own filter; the others within it.
    assert {f["value"]: f["count"] for f in facets["source"]} == {"sabq": 2, "okaz": 1}
    assert {f["value"]: f["count"] for f in facets["year"]} == {"2015": 1}


def test_document_text_is_escaped(news_service):
    (hit,) = news_service.search("الغاز").hits
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet
    assert hit.title_html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_document_page_data(news_service):
    doc = news_service.document("3", text="النفط")
    assert doc["title"] == "النفط والاتفاق"
    assert doc["body_html"].count("<mark>") == 1
    assert news_service.document("missing") is None


@pytest.mark.parametrize("query", ["", "   ", "في من", "NOT النفط", "-النفط", "x" * 1001])
def test_unreadable_queries_raise_query_error(news_service, query):
    with pytest.raises(QueryError):
        news_service.search(query)


@pytest.mark.parametrize("query", ['"تبادل المعلومات', "AND", "OR النفط", "(النفط", "النفط)", "*", "النفط^", ":"])
def test_odd_queries_never_crash(news_service, query):
    try:
        news_service.search(query)
    except QueryError as e:
        assert str(e)


def test_suggestions_respell_typos(news_service):
    assert "أسعار النفت" != news_service.suggest("أسعار النفت")
    suggestions = news_service.suggest("النفت")
    assert "النفط" in suggestions
    assert news_service.suggest("النفط") == []


def test_missing_and_foreign_index(tmp_path):
    with pytest.raises(IndexMissing):
        SearchService(tmp_path / "nothing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "_MAIN_1.toc").write_bytes(b"pickle")
    with pytest.raises(NotAnArchiveIndex, match="trusted code"):
        SearchService(tmp_path / "foreign")


def test_reindexing_updates_instead_of_duplicating(make_index, tmp_path):
    from indexer.writer import index_articles

    index_dir = make_index(NEWS[:2])
    changed = replace(NEWS[1], body=NEWS[1].body + " تحديث")
    report = index_articles(index_dir, [changed, NEWS[2]], entities=False)
    assert (report.added, report.updated, report.total_docs) == (1, 1, 3)


def _d(text):
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_timeline_counts_months_in_order(news_service):
    timeline = news_service.search("النفط").timeline
    assert timeline == [{"month": "2015-07", "count": 2}, {"month": "2015-08", "count": 1}]


def test_articles_without_a_date_sort_last_and_fall_outside_date_filters(make_index):
    index_dir = make_index([
        article("dated", "النفط", "النفط اليوم", date="2015-07-01"),
        article("undated", "النفط", "النفط بلا تاريخ"),
        article("later", "النفط", "النفط غدا", date="2015-08-01"),
    ])
    with SearchService(index_dir) as service:
        assert ids(service.search("النفط", sort="date")) == ["later", "dated", "undated"]
        assert ids(service.search("النفط", filters=Filters(date_to=_d("2015-07-15")))) == ["dated"]


def test_a_folder_claimed_but_never_finished_is_created_again(tmp_path):
    from indexer.schema import SCHEMA_VERSION
    from indexer.writer import MARKER, check_index_dir, index_articles

    (tmp_path / "ix").mkdir()
    marker = {"format": "archive-index", "schema_version": SCHEMA_VERSION}
    (tmp_path / "ix" / MARKER).write_text(json.dumps(marker))
    assert check_index_dir(tmp_path / "ix") is False
    index_articles(tmp_path / "ix", NEWS[:1], entities=False)
    assert check_index_dir(tmp_path / "ix") is True


def test_an_index_built_with_other_analysis_rules_is_refused(make_index):
    import json as _json

    from indexer.errors import IndexStale
    from indexer.writer import MARKER

    index_dir = make_index(NEWS[:1])
    info = _json.loads((index_dir / MARKER).read_text())
    info["analysis"] = "0" * 16
    (index_dir / MARKER).write_text(_json.dumps(info))
    with pytest.raises(IndexStale, match="rebuild it"):
        SearchService(index_dir)


def test_question_marks_are_not_wildcards(news_service):
    assert ids(news_service.search("ما أسعار النفط؟")) == ids(news_service.search("ما أسعار النفط"))
    assert news_service.search("النفط?").total == news_service.search("النفط").total


def test_hyphen_inside_a_word_is_not_not(make_index):
    index_dir = make_index([article("score", "النتيجة", "انتهت المباراة 24-10 لصالح الهلال"),
                            article("other", "النتيجة", "انتهت المباراة بالتعادل")])
    with SearchService(index_dir) as service:
        assert ids(service.search("المباراة 24-10"))[0] == "score"
        assert ids(service.search("المباراة -التعادل")) == ["score"]


def test_query_words_close_together_rank_first(make_index, monkeypatch):
    # Same words, same counts, same length: only their distance differs
    # (the lead bonus, which the nearer one would win too, is left out).
    monkeypatch.setattr("indexer.proximity.LEAD_WEIGHT", 0.0)
    near = "قال وزير الخارجية إن المحادثات انتهت اليوم في العاصمة بعد ساعات طويلة من النقاش"
    far = "قال وزير الدفاع إن المحادثات انتهت اليوم في العاصمة بعد ساعات طويلة من الخارجية"
    index_dir = make_index([article("far", "", far), article("near", "", near)])
    with SearchService(index_dir) as service:
        assert ids(service.search("وزير الخارجية")) == ["near", "far"]


def test_query_words_in_the_lead_rank_first(make_index, monkeypatch):
    # The same words, as close together, in articles of the same length:
    # one opens with them, the other ends with them.
    filler = "وفي سياق آخر تحدث المسؤولون عن خطط جديدة للطرق والمدارس والمستشفيات في المنطقة"
    lead = f"أعلنت وزارة الطاقة أسعار النفط اليوم {filler}"
    late = f"{filler} أعلنت وزارة الطاقة أسعار النفط اليوم"
    # Indexed first, the late one wins a tie.
    index_dir = make_index([article("late", "", late), article("lead", "", lead)])
    with SearchService(index_dir) as service:
        assert ids(service.search("وزارة الطاقة النفط")) == ["lead", "late"]
    monkeypatch.setattr("indexer.proximity.LEAD_WEIGHT", 0.0)
    with SearchService(index_dir) as service:
        hits = service.search("وزارة الطاقة النفط").hits
        assert [h.id for h in hits] == ["late", "lead"] and hits[0].score == pytest.approx(hits[1].score)


def test_recent_sort_blends_relevance_with_age(make_index):
    from datetime import datetime, timedelta

    base = datetime(2015, 8, 1)
    strong = "النفط النفط النفط النفط في الأسواق"
    weak = "النفط في الأسواق اليوم مع أخبار أخرى كثيرة عن الطقس والرياضة والسياسة"
    articles = [   # (titles differ: an exact copy would be left out as a duplicate)
        article("old-strong", "خبر قديم", strong, date=base - timedelta(days=90)),
        article("new-weak", "خبر جديد", weak, date=base),
        article("mid-strong", "خبر أمس", strong, date=base - timedelta(days=1)),
        article("undated", "خبر بلا تاريخ", strong),
    ]
    with SearchService(make_index(articles)) as service:
        by = lambda **kw: [h.id for h in service.search("النفط", **kw).hits]
        relevance = by(sort="relevance")
        assert relevance.index("old-strong") < relevance.index("new-weak")
        recent = by(sort="recent")
        # Three half-lives older: the strong old article falls below the weak new one.
        assert recent[0] == "mid-strong" and recent.index("new-weak") < recent.index("old-strong")
        assert recent[-1] == "undated"
        # A very long half-life is relevance again; a short one, nearly date order.
        assert set(by(sort="recent", half_life=1e6)[:3]) == set(relevance[:3])
        assert by(sort="recent", half_life=0.5)[:2] == ["new-weak", "mid-strong"]
        with pytest.raises(QueryError, match="half-life"):
            service.search("النفط", sort="recent", half_life=0)


def test_a_repeated_search_is_answered_from_the_result_cache(make_index):
    index_dir = make_index(NEWS)
    with SearchService(index_dir) as service:
        first = service.search("النفط", filters=Filters(sources=["sabq"]))
        first.hits.clear()   # a caller may change what it got
        first.facets.clear()
        again = service.search("النفط", filters=Filters(sources=["sabq"]))
        other = service.search("النفط", filters=Filters(sources=["okaz"]))
        assert (service._results.hits, service._results.misses) == (1, 2)
    assert sorted(ids(again)) == ["2", "3"] and again.facets["source"]
    assert ids(other) == ["5"]


def test_the_result_cache_never_answers_for_another_commit_or_curation(make_index):
    from indexer import curation
    from indexer.writer import index_articles

    index_dir = make_index(NEWS)
    with SearchService(index_dir) as service:
        assert service.search("النفط").total == 3
        index_articles(index_dir, [article("6", "النفط", "النفط مرة أخرى.", source="alyaum")],
                       entities=False)
        assert service.search("النفط").total == 4
        before = [f["value"] for f in service.search("النفط").facets["source"]]
        assert "alyaum" in before
        # A curation edit applies on the next search, as with no cache.
        curation.append(index_dir, "merge", "actor", ["أ", "ب"])
        service.search("النفط")
        # Misses: the first search, the one after the commit, the one after
        # the edit; the one hit is the same search twice in between.
        assert (service._results.hits, service._results.misses) == (1, 3)


def test_the_latest_commit_is_looked_up_once_the_folder_settled(make_index):
    import os
    import time

    from indexer.writer import index_articles

    index_dir = make_index(NEWS)
    hour_ago = time.time() - 3600
    with SearchService(index_dir, result_cache=0) as service:
        listed = []
        latest = service.ix.latest_generation
        service.ix.latest_generation = lambda: listed.append(1) or latest()
        # Just written: the folder is listed at every look, two a search
        # (a second commit in the same clock tick would not change its time).
        service.search("النفط")
        before = len(listed)
        service.search("النفط")
        assert len(listed) - before == 2
        # Settled: listed once, then known from the folder's time.
        os.utime(index_dir, (hour_ago, hour_ago))
        before = len(listed)
        for _ in range(3):
            assert service.search("النفط").total == 3
        assert len(listed) - before == 1
        # A commit changes the folder's time: the next search sees it.
        index_articles(index_dir, [article("6", "النفط", "النفط مرة أخرى.", source="alyaum")],
                       entities=False)
        assert service.search("النفط").total == 4
        os.utime(index_dir, (hour_ago + 60, hour_ago + 60))
        assert service.search("النفط").total == 4


def test_result_cache_zero_keeps_nothing(make_index):
    index_dir = make_index(NEWS)
    with SearchService(index_dir, result_cache=0) as service:
        service.search("النفط")
        service.search("النفط")
        assert (service._results.hits, service._results.misses) == (0, 0)


def test_threads_share_a_few_searchers_and_all_get_the_right_answers(make_index):
    from concurrent.futures import ThreadPoolExecutor

    from indexer.snapshot import SEARCHERS

    index_dir = make_index(NEWS)
    queries = ["النفط", "الاتفاق", "موسكو OR مباراة", "أسعار النفط", "كرة القدم"] * 12
    with SearchService(index_dir, result_cache=0) as service:
        expected = {q: ids(service.search(q)) for q in set(queries)}
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda q: (q, ids(service.search(q))), queries))
        assert answers == [(q, expected[q]) for q in queries]
        assert service._snapshots._open <= SEARCHERS
        # Re-entered by one thread (a call inside a call), the same searcher.
        with service.reading() as (outer, _), service.reading() as (inner, _):
            assert inner is outer


def test_a_lent_searcher_is_renewed_after_a_commit(make_index):
    from indexer.writer import index_articles

    index_dir = make_index(NEWS)
    with SearchService(index_dir, result_cache=0) as service:
        with service.reading() as (before, _):
            pass
        index_articles(index_dir, [article("7", "النفط", "النفط والغاز.")], entities=False)
        with service.reading() as (after, snapshot):
            assert after is not before and snapshot.size == len(NEWS) + 1
        assert service.search("النفط").total == 4


def test_a_search_waiting_for_a_searcher_keeps_to_its_budget(make_index):
    from concurrent.futures import ThreadPoolExecutor

    from indexer.ranking import Budget

    index_dir = make_index(NEWS)
    with SearchService(index_dir, result_cache=0) as service:
        service._snapshots.searchers = 1
        with service.reading(), ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(service.search, "النفط", budget=Budget(0.2))
            with pytest.raises(QueryError) as e:
                waiting.result(timeout=10)
        assert e.value.kind == "timeout"
        assert service.search("النفط").total == 3   # the searcher went back
