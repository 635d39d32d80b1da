"""The results' timeline: matching articles per month, as SVG bar geometry.

Drawn on the server as plain SVG markup (no script, so the page's CSP
stays strict); each bar is a link that narrows the date range to its
month.  Months without a match between the first and the last are filled
with zero-height bars, so gaps in coverage show as gaps.  Time runs right
to left, with the page's reading direction.

    >>> bars = timeline_bars([{"month": "2015-07", "count": 4}, {"month": "2015-09", "count": 2}])
    >>> [(b.month, b.count, b.first_day.isoformat(), b.last_day.isoformat()) for b in bars.bars]
    [('2015-07', 4, '2015-07-01', '2015-07-31'), ('2015-08', 0, '2015-08-01', '2015-08-31'), ('2015-09', 2, '2015-09-01', '2015-09-30')]
"""

import calendar
import math
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from search_web.arabic_numbers import ARTICLES, count_phrase

WIDTH = 800
HEIGHT = 90
LABEL_HEIGHT = 16
MAX_MONTHS = 600  # 50 years; beyond that bars are thinner than a pixel anyway

ARABIC_MONTHS = [
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
]


@dataclass
class Bar:
    month: str
    count: int
    first_day: date
    last_day: date
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self):
        year, month = self.month.split("-")
        return f"{ARABIC_MONTHS[int(month) - 1]} {year}"


# One bar: a link to its month over the full height, its title, its fill.
BAR = (
    '\n      <a href="{href}" class="bar{empty}" data-month="{month}" data-count="{count}">'
    "\n        <title>{title}</title>"
    '\n        <rect class="hit-area" x="{x}" y="0" width="{width}" height="{full}"></rect>'
    '\n        <rect class="fill" x="{x}" y="{y}" width="{width}" height="{height}"></rect>'
    "\n      </a>"
)


@dataclass
class Timeline:
    bars: list
    ticks: list  # [(x, text)] year labels
    width: int = WIDTH
    height: int = HEIGHT
    label_height: int = LABEL_HEIGHT
    max_count: int = 0

    def bars_markup(self):
        """The bars as SVG, each a link to ``bar.href``.  Written here, not
        in a template loop: twenty years are 240 bars of a dozen values
        each, and the loop was a fifth of a results page's CPU."""
        return Markup("".join(
            BAR.format(
                href=escape(bar.href), empty="" if bar.count else " bar-empty", month=bar.month,
                count=bar.count, title=escape(f"{bar.label}: {count_phrase(bar.count, ARTICLES)}"),
                x=bar.x, y=bar.y, width=bar.width, height=bar.height, full=self.height,
            )
            for bar in self.bars
        ))


def _months(first, last):
    year, month = first
    while (year, month) <= last:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def timeline_bars(timeline):
    """Return a :class:`Timeline` for the service's ``[{month, count}]``, or None."""
    counts = {}
    for entry in timeline:
        try:
            year, month = (int(p) for p in entry["month"].split("-"))
        except (ValueError, KeyError):
            continue  # a malformed month is not worth breaking the page for
        counts[(year, month)] = entry["count"]
    if not counts:
        return None
    months = list(_months(min(counts), max(counts)))[-MAX_MONTHS:]
    top = max(counts.values()) or 1
    step = WIDTH / len(months)
    gap = min(2.0, step * 0.2)
    bars = []
    ticks = []
    for i, (year, month) in enumerate(months):
        count = counts.get((year, month), 0)
        # Right to left: the first month sits at the right edge.
        x = WIDTH - (i + 1) * step
        height = (HEIGHT - 4) * count / top
        if count and height < 2:
            height = 2  # a month with one article must still be visible
        bars.append(Bar(
            month=f"{year:04d}-{month:02d}",
            count=count,
            first_day=date(year, month, 1),
            last_day=date(year, month, calendar.monthrange(year, month)[1]),
            x=round(x + gap / 2, 2),
            y=round(HEIGHT - height, 2),
            width=round(max(step - gap, 0.5), 2),
            height=round(height, 2),
        ))
        if len(months) <= 12:
            # A year or less: name every month, and the year where it starts
            # (short labels: six of them fit a phone's width).
            name = ARABIC_MONTHS[month - 1]
            ticks.append((round(x + step / 2, 2), f"{name} {year}" if i == 0 or month == 1 else name))
        elif month == 1 or i == 0:
            ticks.append((round(x + step / 2, 2), str(year)))
    # Ticks closer than a label's width would overlap: keep every n-th.
    year_width = step * 12
    if len(months) > 12 and len(ticks) > 1 and year_width < 40:
        ticks = ticks[::math.ceil(40 / year_width)]
    return Timeline(bars=bars, ticks=ticks, max_count=top)
