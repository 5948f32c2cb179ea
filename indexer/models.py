"""Records that flow between ingestion, the index and search."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Article:
    """One news article in the project's ingestion schema."""

    id: str
    title: str
    body: str
    lead: str = ""
    url: str = ""
    source: str = ""
    category: str = ""
    author: str = ""
    published: datetime | None = None  # timezone-aware when the input gave an offset
    regions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        return d


@dataclass(frozen=True, slots=True)
class Problem:
    """A record or file that could not be ingested: reported as ``FILE:LINE: reason``."""

    file: str
    line: int  # 0 for problems with the whole file
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"
