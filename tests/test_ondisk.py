"""The on-disk contract: an index committed under tests/data/ still opens and searches.

If these tests fail after moving or renaming a module, every user's index would fail the
same way: put the names of ``indexer.store.ondisk.ON_DISK_CONTRACT`` back.  If the format
changed on purpose (a new ``SCHEMA_VERSION``), build a new folder with
``tests/data/make_ondisk_index.py`` and keep the old one as the proof that it is refused
with the command that rebuilds it (``ondisk-v1``: format 1, before the compact codec).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from indexer.schema import FORMAT_VERSION, SCHEMA_VERSION
from indexer.search.service import SearchRequest, search
from indexer.store.index import IndexFormatError, open_index
from indexer.store.ondisk import FORMAT_1_ONLY, ON_DISK_CONTRACT, pickled_names
from tests.data.make_ondisk_index import ARTICLES, build

COMMITTED = Path(__file__).resolve().parent / "data" / f"ondisk-v{SCHEMA_VERSION}"


@pytest.fixture()
def committed(tmp_path: Path) -> Path:
    """A copy of the committed index (searching must never write into the repository)."""
    assert COMMITTED.is_dir(), f"no committed index for schema version {SCHEMA_VERSION}: see make_ondisk_index.py"
    return Path(shutil.copytree(COMMITTED, tmp_path / COMMITTED.name))


def _marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_committed_index_opens_with_every_article(committed: Path) -> None:
    ix = open_index(committed, create=False)
    assert ix.doc_count() == len(ARTICLES)
    with ix.searcher() as s:
        stored = {f["id"]: f for f in s.all_stored_fields()}
    assert set(stored) == {a.id for a in ARTICLES}
    assert stored["thuy-dien"]["title"] == "Thủy điện Hòa Bình mở cửa xả đáy"
    assert stored["thuy-dien"]["published"] == "2024-07-21T09:30:00+07:00"


def test_committed_index_answers_a_query_without_diacritics(committed: Path) -> None:
    result = search(SearchRequest(q="thuy dien hoa binh xa day"), committed)
    assert [h.id for h in result.hits][:1] == ["thuy-dien"]
    top = result.hits[0]
    assert {"Thủy", "điện", "Hòa", "Bình"} <= {w for m in _marked(top.title_html) for w in m.split()}
    assert _marked(top.snippet_html)
    assert top.source == "Báo Hòa Bình"


def test_committed_index_answers_exact_phrases_and_filters(committed: Path) -> None:
    assert [h.id for h in search(SearchRequest(q='"chè búp"'), committed).hits] == ["che-thai"]
    assert [h.id for h in search(SearchRequest(q="ghe ngo"), committed).hits][:1] == ["dua-ghe"]
    filtered = search(SearchRequest(q="cầu sông Hồng", source=["Hà Nội Mới"]), committed)
    assert [h.id for h in filtered.hits] == ["giao-thong"]


def test_an_index_of_the_previous_format_is_refused_with_the_rebuild_command(tmp_path: Path) -> None:
    """Format 1 (Whoosh's pickled blocks everywhere, committed as ondisk-v1) is not read: rebuild it."""
    old = Path(shutil.copytree(COMMITTED.parent / "ondisk-v1", tmp_path / "ondisk-v1"))
    assert SCHEMA_VERSION == FORMAT_VERSION == 2
    with pytest.raises(IndexFormatError) as err:
        open_index(old, create=False)
    message = str(err.value)
    assert "format version 1" in message and "reads format 2" in message
    assert f"timtin index PATH --index {old}" in message
    with pytest.raises(IndexFormatError):  # nor is it written into
        open_index(old)
    with pytest.raises(IndexFormatError):
        search(SearchRequest(q="thuy dien"), old)


def test_committed_index_pickles_exactly_the_contract(committed: Path) -> None:
    ours = {name for name in pickled_names(committed) if name.startswith("indexer.")}
    assert ours == ON_DISK_CONTRACT - FORMAT_1_ONLY


def test_a_fresh_index_pickles_exactly_the_contract(tmp_path: Path, committed: Path) -> None:
    """A class of ours newly pickled into indexes must be added to the contract (and kept in place)."""
    build(tmp_path / "fresh")
    names = pickled_names(tmp_path / "fresh")
    assert {name for name in names if name.startswith("indexer.")} == ON_DISK_CONTRACT - FORMAT_1_ONLY
    assert names == pickled_names(committed)  # Whoosh's and the standard library's names too
