"""The numpy ranker must score exactly as Whoosh's own matchers do."""

import pytest

from indexer.ranking import top
from indexer.search import SearchService
from tests.conftest import article

WORDS = "النفط الغاز الرياض جدة الأمطار المدارس الطلاب الوزير الاتفاق إيران".split()


def corpus():
    # Deterministic articles of varied length and term frequency.
    docs = []
    for i in range(60):
        words = [WORDS[(i * k + k * k) % len(WORDS)] for k in range(1, 4 + i % 17)]
        docs.append(article(str(i), f"خبر {i}", " ".join(words) + " وكلمات أخرى للحشو " * (i % 5)))
    return docs


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from indexer.writer import index_articles

    index_dir = tmp_path_factory.mktemp("ranking")
    # Two batches make two segments, so global docnums cross a segment offset.
    index_articles(index_dir, corpus()[:30], entities=False)
    index_articles(index_dir, corpus()[30:] + corpus()[:5], entities=False)
    with SearchService(index_dir) as s:
        yield s


QUERIES = [
    "النفط", "النفط الغاز", "النفط الغاز الرياض الاتفاق", "النفط AND الطلاب",
    "النفط -الغاز", "+النفط الطلاب", "(النفط OR جدة) AND المدارس", "إيران كلمة_غائبة",
    "سوريا النفط",
]


# An OR's parts are summed by sorting their postings or, with many,
# over every docnum (ranking.DENSE_OR): 0 always sorts, 10**9 never does.
@pytest.mark.parametrize("dense_or", [0, 10**9])
@pytest.mark.parametrize("text", QUERIES)
def test_scores_match_whoosh(service, text, dense_or, monkeypatch):
    monkeypatch.setattr("indexer.ranking.DENSE_OR", dense_or)
    q = service.parse(text)
    with service.reading() as (searcher, snapshot):
        ranked = snapshot.ranker.rank(q, searcher)
        live = snapshot.live[ranked.docs]
        fast = dict(zip(ranked.docs[live].tolist(), ranked.scores[live].tolist()))
        slow = {h.docnum: h.score for h in searcher.search(q, limit=None)}
        assert fast.keys() == slow.keys()
        for docnum, score in slow.items():
            assert fast[docnum] == pytest.approx(score, rel=1e-5), docnum


@pytest.mark.parametrize("text", ['"النفط الغاز"', "النف*", '"النفط الغاز" OR جدة'])
def test_phrases_and_prefixes_match_what_whoosh_matches(service, text):
    q = service.parse(text)
    with service.reading() as (searcher, snapshot):
        ranked = snapshot.ranker.rank(q, searcher)
        live = snapshot.live[ranked.docs]
        assert set(ranked.docs[live].tolist()) == set(searcher.docs_for_query(q))
        assert (ranked.scores > 0).all()


def test_a_phrase_scores_as_its_words_where_it_matches(service):
    with service.reading() as (searcher, snapshot):
        phrase = snapshot.ranker.rank(service.parse('"النفط الغاز"'), searcher)
        words = snapshot.ranker.rank(service.parse("النفط AND الغاز"), searcher)
        at = {d: s for d, s in zip(words.docs.tolist(), words.scores.tolist())}
        assert len(phrase.docs) and set(phrase.docs.tolist()) <= set(at)
        for docnum, score in zip(phrase.docs.tolist(), phrase.scores.tolist()):
            assert score == pytest.approx(at[docnum])


def test_top_breaks_ties_by_docnum():
    import numpy as np

    docs = np.array([5, 1, 9, 3])
    keys = np.array([1.0, 2.0, 2.0, 2.0])
    assert docs[top(docs, keys, 2)].tolist() == [1, 3]
    assert docs[top(docs, keys, 10)].tolist() == [1, 3, 9, 5]


def test_deleted_documents_never_match(service, tmp_path):
    # The second batch re-indexed docs 0-4: their first copies are deleted.
    results = service.search("النفط", per_page=100)
    ids = [h.id for h in results.hits]
    assert len(ids) == len(set(ids))


def test_one_service_shared_by_threads_gives_the_same_answers(service):
    from concurrent.futures import ThreadPoolExecutor

    queries = QUERIES * 6
    expected = {q: [(h.id, h.score, h.snippet) for h in service.search(q).hits] for q in QUERIES}

    def run(q):
        return q, [(h.id, h.score, h.snippet) for h in service.search(q).hits]

    with ThreadPoolExecutor(8) as pool:
        for q, got in pool.map(run, queries):
            assert got == expected[q]


def test_prefix_without_a_word(service):
    # Whoosh's own AND NOT over a prefix keeps some documents with the
    # excluded word (a matcher skipping across deleted documents); the
    # sets are checked directly here.
    with service.reading() as (searcher, snapshot):
        def found(text):
            ranked = snapshot.ranker.rank(service.parse(text), searcher)
            return set(ranked.docs[snapshot.live[ranked.docs]].tolist())

        assert found("الغا* -النفط") == found("الغا*") - found("النفط")
        assert found("الغا* -النفط") and found("الغا*") & found("النفط")


@pytest.fixture(scope="module")
def clitic_index(tmp_path_factory):
    from indexer.writer import index_articles

    index_dir = tmp_path_factory.mktemp("clitics")
    docs = [article("own", "خبر", "أجلت المباراة لعدم اكتمال الفريق"),
            article("bare", "خبر", "أجلت المباراة بسبب عدم اكتمال الفريق"),
            article("both", "خبر", "أجلت المباراة لعدم اكتمال الفريق وسط عدم رضا الجمهور")]
    docs += [article(f"other{i}", "خبر", f"عدم وجود اتفاق في الجولة {i}") for i in range(3)]
    # كتاب is not ك + تاب: تاب is rarer than the word itself.
    docs += [article("book", "خبر", "صدر كتاب جديد عن المعرض"),
             article("book2", "خبر", "كتاب آخر عن التاريخ"),
             article("tab", "خبر", "تاب الرجل عن خطئه")]
    # بغداد is a protected name: غداد, however common, is not its bare form.
    docs += [article("baghdad", "خبر", "وصل الوفد إلى بغداد")]
    docs += [article(f"ghdad{i}", "خبر", f"غداد كلمة لا معنى لها {i}") for i in range(3)]
    index_articles(index_dir, docs, entities=False)
    return index_dir


@pytest.mark.parametrize("dense_or", [0, 10**9])
def test_a_word_with_a_preposition_also_finds_the_bare_word(clitic_index, dense_or, monkeypatch):
    # لعدم stays one term (ل comes off only before four letters), but the
    # index holds عدم far more widely: the query finds both, its own
    # spelling first, and the bare word is highlighted.
    monkeypatch.setattr("indexer.ranking.DENSE_OR", dense_or)
    with SearchService(clitic_index, result_cache=0) as service:
        hits = service.search("لعدم اكتمال").hits
        ids = [h.id for h in hits]
        assert set(ids[:3]) == {"own", "both", "bare"} and ids.index("own") < ids.index("bare")
        assert set(ids) == {"own", "both", "bare"} | {f"other{i}" for i in range(3)}
        assert "<mark>عدم</mark>" in hits[ids.index("bare")].snippet
        assert {h.id for h in service.search("كتاب").hits} == {"book", "book2"}
        assert {h.id for h in service.search("بغداد").hits} == {"baghdad"}
        with service.reading() as (searcher, snapshot):
            ranker = snapshot.ranker
            with ranker.using(searcher):
                assert ranker.clitic_forms("text", "لعدم") == ("عدم",)
                assert ranker.clitic_forms("text", "كتاب") == ()
                assert ranker.clitic_forms("text", "عدم") == ()
                assert ranker.clitic_forms("text", "بغداد") == ()


def test_a_bare_form_counts_half_a_word_with_the_wider_spelling_idf(clitic_index):
    # In the article with only عدم, لعدم scores as عدم would with half its
    # term frequency: the idf is عدم's, the more widespread spelling.
    from indexer.ranking import CLITIC_WEIGHT

    assert CLITIC_WEIGHT == 0.5
    with SearchService(clitic_index, result_cache=0) as service:
        with service.reading() as (searcher, snapshot):
            ranker = snapshot.ranker
            bare = next(d for d in range(searcher.doc_count_all()) if searcher.stored_fields(d)["id"] == "bare")

            def score(text):
                ranked = ranker.rank(service.parse(text), searcher)
                return dict(zip(ranked.docs.tolist(), ranked.scores.tolist()))[bare]

            norm = ranker.K1 * ((1 - ranker.B) + ranker.B * ranker.lengths[bare] / ranker.avgfl)
            saturation = lambda tf: tf * (ranker.K1 + 1) / (tf + norm)  # noqa: E731
            assert score("لعدم") / score("عدم") == pytest.approx(saturation(0.5) / saturation(1.0))


def test_clitic_forms_stay_out_of_prefixes_phrases_and_exclusions(clitic_index):
    with SearchService(clitic_index, result_cache=0) as service:
        # A prefix's terms are searched as written.
        assert {h.id for h in service.search("لعد*").hits} == {"own", "both"}
        # A phrase matches its words as written, and marks only them.
        hits = service.search('"لعدم اكتمال"').hits
        assert {h.id for h in hits} == {"own", "both"}
        assert "<mark>عدم</mark>" not in next(h for h in hits if h.id == "both").snippet
        # Excluding لعدم leaves the articles that only say عدم.
        assert {h.id for h in service.search("اكتمال -لعدم").hits} == {"bare"}
        assert {h.id for h in service.search("اكتمال NOT لعدم").hits} == {"bare"}
