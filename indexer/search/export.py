"""Search results as CSV or JSON Lines rows: the one export format of the web app and the command line.

``EXPORT_COLUMNS`` are the columns, in order.  ``csv_lines`` and ``jsonl_lines`` yield the text a piece
at a time, so a web response or a terminal can stream 10,000 rows without building them all first.

**CSV and spreadsheets.**  A cell that a spreadsheet would read as a formula (text starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return: CSV injection, "formula injection") gets a
leading apostrophe, as OWASP recommends: Excel, LibreOffice and Google Sheets then show the text,
and a title such as ``=HYPERLINK("http://evil", "click")`` cannot become a live link or a command.
The apostrophe is visible in a text editor; the JSON Lines export is left exact for programs.
Numbers (``score``) are never prefixed.  The CSV begins with a UTF-8 byte order mark so that Excel
reads Vietnamese letters as UTF-8 (Python: ``encoding="utf-8-sig"``); lines end in CRLF (RFC 4180).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from indexer.search.service import Hit

EXPORT_COLUMNS = ("id", "title", "url", "source", "category", "author", "published", "region", "score")
REGION_SEPARATOR = "; "  # provinces in one CSV cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def export_row(hit: Hit) -> dict[str, Any]:
    """One result as a row: text fields as strings, ``published`` ISO 8601 or None, ``region`` a list."""
    return {name: getattr(hit, name) for name in EXPORT_COLUMNS}


def spreadsheet_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value: Any) -> str | float:
    if value is None:
        return ""
    if isinstance(value, list):
        value = REGION_SEPARATOR.join(value)
    if isinstance(value, int | float):
        return value
    return spreadsheet_safe(str(value))


def csv_lines(hits: Iterable[Hit], bom: bool = True) -> Iterator[str]:
    """The CSV text: a header row, then one row per hit (each piece a line, CRLF-terminated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield (BOM if bom else "") + take()
    for hit in hits:
        writer.writerow([_csv_cell(v) for v in export_row(hit).values()])
        yield take()


def jsonl_lines(hits: Iterable[Hit]) -> Iterator[str]:
    """One JSON object per line (Vietnamese letters as they are, no ``\\u`` escapes)."""
    for hit in hits:
        yield json.dumps(export_row(hit), ensure_ascii=False) + "\n"
