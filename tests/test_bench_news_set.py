"""The relevance benchmark's news sets (bench/news_set.py) and its metrics
(bench/relevance.py): the committed questions and judgments are well formed
and agree with each other, the article picks are the same on every run, and
MRR, recall and nDCG give the textbook values on hand-made rankings.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_data

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    # Registered under its own name, as the benchmark imports it.
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


news_set = _load("news_set")
relevance = _load("relevance")


@pytest.fixture(scope="module")
def news():
    shared_data("saudinewsnet")
    return news_set.read_news()


# --- The committed files -------------------------------------------------------


def test_questions_are_numbered_once_each_with_one_article():
    queries, sources = news_set.load_questions()
    assert [qid for qid, _ in queries] == [f"N{n:03d}" for n in range(1, 151)]
    assert len(set(sources.values())) == len(queries)
    assert all(len(question.split()) >= 3 for _, question in queries)


def test_every_question_has_its_own_article_judged_relevant():
    queries, sources = news_set.load_questions()
    judged = news_set.load_qrels()
    assert set(judged) == {qid for qid, _ in queries}
    for qid, _ in queries:
        assert judged[qid][sources[qid]] == 1, qid
    assert {g for j in judged.values() for g in j.values()} == {0, 1}


def test_relevant_sets_keep_each_source_and_drop_grade_zero():
    queries, sources = news_set.load_questions()
    qrels = news_set.question_qrels(queries, sources, news_set.load_qrels())
    assert all(sources[q] in qrels[q] for q, _ in queries)
    assert all(grade > 0 for judged in qrels.values() for grade in judged.values())


def test_a_malformed_question_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text("qid\tquestion\turl\nN001\tسؤال بلا رابط\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"questions\.tsv:2: expected qid, question, url"):
        news_set.load_questions(path)


def test_a_malformed_qrels_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "qrels.txt"
    path.write_text("N001 0 http://a 1\nN001 0 http://b relevant\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"qrels\.txt:2: expected 'qid 0 docid grade'"):
        news_set.load_qrels(path)


DOC_IDS = [
    ("http://sabq.org/C8Jfde", "http://sabq.org/C8Jfde", "plain URL unchanged"),
    ("http://a/b\u00a0.html", "http://a/b%C2%A0.html", "no-break space encoded"),
    ("http://a/b c", "http://a/b%20c", "space encoded"),
]


@pytest.mark.parametrize("url, expected, note", DOC_IDS, ids=[row[-1] for row in DOC_IDS])
def test_doc_ids_never_hold_whitespace(url, expected, note):
    assert news_set.doc_id(url) == expected


# --- The article picks (need the corpus) --------------------------------------


def test_the_questions_were_written_for_the_seeded_picks(news):
    _, sources = news_set.load_questions()
    picks = news_set.question_articles(news)
    assert [d["id"] for d in picks] == list(sources.values())
    assert {d["source"] for d in picks} == {d["source"] for d in news}
    assert all(len(d["body"].split()) >= news_set.MIN_BODY_WORDS for d in picks)


def test_no_question_is_its_article_title(news):
    by_id = {d["id"]: d for d in news}
    queries, sources = news_set.load_questions()
    for qid, question in queries:
        assert question.strip() != by_id[sources[qid]]["title"].strip(), qid


def test_title_picks_are_stable_and_avoid_judged_articles(news):
    judged = news_set.judged_ids(news_set.load_qrels())
    picks = news_set.title_articles(news, exclude=judged)
    assert len(picks) == news_set.TITLE_COUNT == len({d["id"] for d in picks})
    assert not judged & {d["id"] for d in picks}
    assert all(d["title"].strip() not in d["body"] for d in picks)
    assert [d["id"] for d in news_set.title_articles(news, exclude=judged)] == \
        [d["id"] for d in picks]
    # One more excluded article replaces that pick only.
    fewer = news_set.title_articles(news, exclude=judged | {picks[0]["id"]})
    assert len({d["id"] for d in picks} ^ {d["id"] for d in fewer}) == 2


def test_the_news_corpus_blanks_exactly_the_title_articles(news):
    corpus, sets = news_set.news_sets(news)
    queries, qrels = sets["news-titles"]
    known = {docid for judged in qrels.values() for docid in judged}
    blank = {d["id"] for d in corpus if not d["title"]}
    assert known <= blank
    assert len(corpus) == len(news)
    assert all(title for _, title in queries)


# --- Metrics ----------------------------------------------------------------------

LOG2_3 = 1.5849625007211562


METRICS = [
    (["a", "x"], {"a": 1}, (1.0, 1.0, 1.0), "one relevant at rank 1"),
    (["x", "y", "a"], {"a": 1}, (1 / 3, 1.0, 1 / 2), "one relevant at rank 3"),
    (["x", "y"], {"a": 1}, (0.0, 0.0, 0.0), "relevant not retrieved"),
    (["x", "a", "b"], {"a": 1, "b": 1},
     (0.5, 1.0, (1 / LOG2_3 + 1 / 2) / (1 + 1 / LOG2_3)), "two relevant at ranks 2 and 3"),
    (["b", "a"], {"a": 2, "b": 1}, (1.0, 1.0, (1 + 2 / LOG2_3) / (2 + 1 / LOG2_3)),
     "graded: the better document second"),
    ([f"x{n}" for n in range(10)] + ["a"], {"a": 1}, (0.0, 0.0, 0.0), "rank 11 is outside K"),
]


@pytest.mark.parametrize("ranked, judged, expected, note", METRICS, ids=[row[-1] for row in METRICS])
def test_query_metrics(ranked, judged, expected, note):
    assert relevance.query_metrics(ranked, judged) == pytest.approx(expected)


def test_recall_is_the_share_of_relevant_documents_found():
    rr, recall, _ = relevance.query_metrics(["a", "x"], {"a": 1, "b": 1, "c": 1, "d": 1})
    assert (rr, recall) == (1.0, 0.25)


def test_score_run_refuses_a_query_without_relevant_documents():
    with pytest.raises(ValueError, match="Q2 has no relevant document"):
        relevance.score_run({"Q1": ["a"]}, [("Q1", "?"), ("Q2", "?")], {"Q1": {"a": 1}})


def test_randomization_test_tells_a_real_difference_from_none():
    better, worse = [1.0] * 30, [0.5] * 30
    assert relevance.randomization_p(better, worse, trials=2000) < 0.01
    assert relevance.randomization_p(better, better, trials=2000) == 1.0


# --- The harness's plan -----------------------------------------------------------


def test_query_time_ablations_share_the_default_index():
    project = relevance.JOBS["project"]
    labels = [a.label for a in project.ablations]
    assert labels[0] == relevance.BASELINE.label
    assert "no proximity rerank" in labels and "BM25 K1=0.9 B=0.4" in labels
    assert all(a.index == "default" and a.title == "news" for a in project.ablations)


def test_every_ablation_runs_in_some_job_on_every_set_it_names():
    for ablation in relevance.ABLATIONS:
        job = relevance.JOBS[ablation.job]
        assert ablation in job.ablations
        assert set(ablation.corpora) <= set(job.corpora)


def test_plan_runs_the_news_corpus_first_and_skips_unrequested_sets():
    tasks = relevance.plan(["project", "project-title-all"], list(relevance.SETS))
    assert tasks[0] == ("project", "news", ["news-questions", "news-titles"])
    assert ("project-title-all", "news", ["news-questions", "news-titles"]) not in tasks
    assert relevance.plan(["project"], ["xquad"]) == [("project", "xquad", ["xquad"])]


# --- Judging a pool ------------------------------------------------------------------


@pytest.fixture
def tiny_set(tmp_path, monkeypatch):
    """One question and an empty qrels file in place of the committed ones."""
    questions = tmp_path / "questions.tsv"
    questions.write_text("qid\tquestion\turl\nN001\tمتى افتتحت القناة الجديدة؟\thttp://src\n",
                         encoding="utf-8")
    monkeypatch.setattr(news_set, "QUESTIONS", questions)
    monkeypatch.setattr(news_set, "QRELS", tmp_path / "qrels.txt")
    return tmp_path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_judging_a_pool_grades_every_pooled_article(tiny_set):
    pool = _write(tiny_set / "pool.json", '{"N001": ["http://a", "http://b", "http://c"]}')
    picks = _write(tiny_set / "judged.txt", "N001 2  # the same story\n")
    news_set.write_judgments(pool, picks)
    assert news_set.load_qrels(news_set.QRELS) == {
        "N001": {"http://src": 1, "http://b": 1, "http://a": 0, "http://c": 0}}


def test_a_later_pool_keeps_the_earlier_judgments(tiny_set):
    news_set.write_judgments(_write(tiny_set / "p1.json", '{"N001": ["http://a"]}'),
                             _write(tiny_set / "j1.txt", "N001 1\n"))
    news_set.write_judgments(_write(tiny_set / "p2.json", '{"N001": ["http://d"]}'),
                             _write(tiny_set / "j2.txt", "N001\n"))
    assert news_set.load_qrels(news_set.QRELS)["N001"] == {
        "http://src": 1, "http://a": 1, "http://d": 0}


def test_a_judgment_outside_the_pool_names_its_line(tiny_set):
    pool = _write(tiny_set / "pool.json", '{"N001": ["http://a"]}')
    with pytest.raises(ValueError, match=r"judged\.txt:2: unknown question or number"):
        news_set.write_judgments(pool, _write(tiny_set / "judged.txt", "N001 1\nN001 4\n"))
    assert not news_set.QRELS.exists()
