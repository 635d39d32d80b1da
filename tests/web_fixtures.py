"""Fixtures shared by the web tests: one real index of a small Arabic news
corpus (the seed article, dated oil stories about several countries,
hostile documents), built once per session with entity facets on.

Import the fixtures into a test module to use them::

    from tests.web_fixtures import web_index  # noqa: F401
"""

import pytest

from indexer.readers import read_sources
from indexer.writer import index_articles
from tests.conftest import SEEDS, article

XSS_TITLE = "<script>alert(1)</script>"
XSS_BODY = "<img src=x onerror=alert(1)>"
XSS_SOURCE = "<b>okaz</b>"

STORIES = [
    article("sa-oil", "وزير النفط السعودي يزور موسكو",
            "زار وزير النفط السعودي موسكو لبحث أسعار النفط مع روسيا. وقالت السعودية إن السوق مستقرة.",
            date="2015-07-05", source="alriyadh", url="https://example.com/sa-oil"),
    article("ir-oil", "أسعار النفط بعد الاتفاق النووي مع إيران",
            "ارتفعت أسعار النفط بعد الاتفاق النووي بين إيران والدول الكبرى، وقالت طهران إن صادراتها ستزيد.",
            date="2015-08-02", source="sabq"),
    article("iq-oil", "العراق يرفع إنتاج النفط",
            "أعلنت وزارة النفط في العراق رفع الإنتاج من حقول البصرة، وقال مسؤول في بغداد إن الصادرات ستزيد.",
            date="2015-09-10", source="okaz"),
    article("iq-ir-oil", "العراق وإيران يبحثان خط النفط",
            "بحث العراق وإيران مد خط لنقل النفط عبر البصرة إلى الموانئ الإيرانية.",
            date="2015-11-20", source="sabq"),
    article("football", "مباراة الهلال والنصر",
            "فاز الهلال على النصر في مباراة كرة القدم مساء أمس في الرياض.",
            date="2016-01-05", source="okaz"),
    article("formula", "=HYPERLINK(\"http://evil\") عن النفط", "خبر قصير عن النفط والغاز.",
            date="2015-07-15", source="okaz", url="javascript:alert(1)"),
    article("xss-title", XSS_TITLE, "خبر عن النفط في الكويت يحمل عنوانا خبيثا.",
            date="2015-07-11", source=XSS_SOURCE),
    article("xss-body", XSS_BODY, f"{XSS_TITLE} نص عن النفط {XSS_BODY} والغاز في الكويت.",
            date="2015-07-12", source=XSS_SOURCE),
] + [
    # Enough oil stories for three pages of ten, spread over months.
    article(f"report-{n:02d}", f"تقرير السوق رقم {n}",
            f"تقرير أسبوعي عن سوق النفط والطاقة رقم {n} في الخليج.",
            date=f"2015-{7 + n % 5:02d}-{1 + n:02d}", source="aleqtisadiya")
    for n in range(24)
]

# What the corpus is built to show; tests assert against these.
OIL_TOTAL = 8 - 1 + 24  # every story but the football one


@pytest.fixture(scope="session")
def web_index(tmp_path_factory):
    """The web test corpus indexed once for the session, entities on."""
    index_dir = tmp_path_factory.mktemp("web_index")
    items = list(read_sources([SEEDS])) + STORIES
    report = index_articles(index_dir, items, entities=True)
    assert report.indexed == len(items) and not report.skipped
    return index_dir
