"""The stopword list: what it drops, what it must keep, and what dropping buys a search."""

import pytest

from analyzers.analysis import analyze, index_term
from indexer.readers import Article
from indexer.search import SearchService
from indexer.writer import index_articles

DROPPED = [
    ("متى", "interrogative, ى folded"),
    ("لماذا", "interrogative the stemmer would leave as ماذا"),
    ("وكيف", "interrogative with و"),
    ("عليها", "preposition + pronoun, otherwise indexed as عل"),
    ("إليه", "preposition + pronoun, otherwise indexed as يه"),
    ("ولهم", "و + preposition + pronoun"),
    ("بأنه", "ب + أن + pronoun"),
    ("يتم", "auxiliary of the passive"),
]

KEPT = [
    ("منى", "من", "the name Mona, spelled like مني, is indexed"),
    ("علي", "علي", "the name Ali, spelled like على"),
    ("بي", "بي", "بي بي سي"),
    ("بناء", "بناء", "a noun, not بنا"),
    ("معنى", "معن", "a noun, not معنا"),
    ("عدد", "عدد", "a question's noun is a word"),
]


@pytest.mark.parametrize("word, note", DROPPED, ids=[n for _, n in DROPPED])
def test_dropped(word, note):
    assert index_term(word) is None


@pytest.mark.parametrize("word, term, note", KEPT, ids=[n for *_, n in KEPT])
def test_kept(word, term, note):
    assert index_term(word) == term


def test_a_question_is_its_topic_words():
    assert analyze("متى أعلنت الوزارة عن خطتها ولماذا تأخرت؟") == ["اعلنت", "وزار", "خطت", "تاخرت"]


def test_a_question_word_no_longer_ranks_an_article(tmp_path):
    # The second article says "كيف" and "عليها" as often as it can; with
    # them as stopwords only the topic word decides, and the article that
    # says it more ranks first.
    articles = [
        Article("a", "الميزانية", "أقرت الحكومة الميزانية. الميزانية الجديدة أكبر.", None, "s", "", "", ""),
        Article("b", "سؤال", "كيف كيف عليها عليها كيف، والميزانية لاحقا.", None, "s", "", "", ""),
    ]
    index_articles(tmp_path, articles, entities=False)
    with SearchService(tmp_path) as service:
        hits = service.search("كيف أقرت عليها الميزانية", facets=False, snippets=False).hits
    assert [h.id for h in hits] == ["a", "b"]
