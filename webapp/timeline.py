"""The results page's timeline: ``facets.month`` as a small bar chart drawn on the server.

**How many months.**  ``MONTHS`` = 24 bars: two years is enough to see a story start, peak and
fade, and a month stays a visible bar in a 700 px column.  On a phone (under 600 px) the oldest 12
are hidden by CSS, so that each of the 12 left is at least 24 px wide on a 375 px screen (WCAG's
minimum target size for something to tap).
The window ends at the newest month with a match (or at the month of ``to`` when that is before
the window: the reader has moved back in time), runs back at most 24 months (not before the first match), and keeps
months without a match as empty slots so the gaps show.  Matches before the window are counted under the chart,
with a link that moves it back.

Each bar is a link filtering the results to its month (``from``/``to`` = its first and last day);
its height is one of 20 CSS classes (no inline styles: the CSP forbids them), and its text — the
month and the count — is hidden visually but read by screen readers, so the list of links is the
chart's text alternative.  No JavaScript is needed.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from indexer.search import SearchRequest, SearchResult
from indexer.search.filters import MONTH

MONTHS = 24
NARROW_MONTHS = 12  # on screens under 600 px only the newest 12 are shown: bars stay ≥ 24 px wide to tap
LEVELS = 20  # bar heights: h1 … h20 (5 % steps); h0 is an empty month


@dataclass
class Bar:
    value: str  # "YYYY-MM"
    count: int
    level: int  # 0 … LEVELS
    url: str | None  # None for a month without matches
    selected: bool
    label: str  # "3/2024"
    tick: str  # "" or the CSS class of the year label under it: January, the first bar (of each width)
    older: bool  # one of the bars hidden on narrow screens


@dataclass
class Before:
    """Dated matches before the first bar shown, and the link that moves the window back."""

    count: int
    month: str  # the first bar's label
    url: str | None


@dataclass
class Timeline:
    bars: list[Bar]
    earlier: Before  # before the whole window
    earlier_narrow: Before  # before the bars shown on narrow screens


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + (month - 1) + n
    return k // 12, k % 12 + 1


def month_range(value: str) -> tuple[date, date]:
    """First and last day of the month "YYYY-MM"."""
    year, month = int(value[:4]), int(value[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def build_timeline(result: SearchResult, req: SearchRequest, url: Callable[..., str],
                   months: int = MONTHS) -> Timeline | None:
    """The chart's bars; None when no matching article is dated.  ``url(**change)`` links the page."""
    counts = {f["value"]: int(f["count"]) for f in result.facets.get(MONTH, [])}
    if not counts:
        return None
    end_year, end_month = int(max(counts)[:4]), int(max(counts)[5:7])
    if req.date_to is not None:  # moved back in time: end the window at `to` when it is before it
        start = _month_add(end_year, end_month, -(months - 1))
        if (req.date_to.year, req.date_to.month) < start:
            end_year, end_month = req.date_to.year, req.date_to.month
    oldest = min(counts)
    values: list[str] = []
    for back in range(months - 1, -1, -1):  # the window, from its first month with a match
        y, m = _month_add(end_year, end_month, -back)
        value = f"{y:04d}-{m:02d}"
        if y >= 1 and (values or value >= oldest):
            values.append(value)
    if not values:  # `to` is before every match
        return None
    top = max((counts.get(v, 0) for v in values), default=0) or 1
    bars = []
    for i, v in enumerate(values):
        n = counts.get(v, 0)
        first, last = month_range(v)
        selected = req.date_from == first and req.date_to == last
        level = 0 if not n else max(1, round(n / top * LEVELS))
        link = url(**{"from": first.isoformat(), "to": last.isoformat(), "page": None}) if n else None
        older = i < len(values) - NARROW_MONTHS
        tick = "tick" if v.endswith("-01") else ""
        if not tick and int(v[5:7]) <= 9:  # room for the label before the next January
            tick = "tick first-wide" if i == 0 else "tick first-narrow" if i == len(values) - NARROW_MONTHS else ""
        bars.append(Bar(v, n, level, link, selected, f"{int(v[5:7])}/{v[:4]}", tick, older))

    def before(first_shown: int) -> Before:
        start = values[max(0, first_shown)]
        count = sum(n for v, n in counts.items() if v < start)
        day = date.fromordinal(month_range(start)[0].toordinal() - 1) if start > "0001-01" else None
        link = url(**{"from": None, "to": day.isoformat(), "page": None}) if count and day else None
        return Before(count, f"{int(start[5:7])}/{start[:4]}", link)

    return Timeline(bars, before(0), before(len(values) - NARROW_MONTHS))
