"""The compact posting codec: bit-packed frames, chunks, and phrases checked on its positions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.models import Article
from indexer.schema import FOLDED
from indexer.search.phrase import phrase_docs
from indexer.search.service import SearchRequest, search
from indexer.store import codec, compact
from indexer.store.engine import Engine
from indexer.store.index import open_index, write_articles


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 100, 128, 129, 256, 300, 1000])
@pytest.mark.parametrize("high", [1, 2, 5, 255, 256, 70_000, 2**32])
def test_pack_round_trips(n: int, high: int) -> None:
    rng = np.random.default_rng(n * 7 + high)
    values = rng.integers(0, high, n, dtype=np.int64)
    packed = codec.pack(values)
    got, end = codec.unpack(b"xyz" + packed, 3, n)
    assert end == 3 + len(packed) and got.tolist() == values.tolist()
    assert codec.skip_packed(b"xyz" + packed, 3, n) == end
    assert codec.pack(values.tolist()) == packed  # the plain-Python path writes the same bytes


def test_frames_take_the_width_of_their_values() -> None:
    small = codec.pack(np.ones(1024, dtype=np.int64))  # 8 frames of 1-bit values
    mixed = codec.pack(np.r_[np.ones(896, dtype=np.int64), np.full(128, 1000)])  # one 10-bit frame
    assert len(small) == 8 + 1024 // 8
    assert len(mixed) == 8 + 896 // 8 + 128 * 10 // 8


def _random_postings(rng: np.random.Generator, n: int, docs: int = 30_000):
    ids = np.sort(rng.choice(docs, n, replace=False))
    tfs = rng.integers(1, 6, n)
    positions = np.concatenate([np.sort(rng.choice(3000, t, replace=False)) for t in tfs])
    return ids, tfs, positions


@pytest.mark.parametrize("n", [1, 3, 8, 9, 500])
def test_chunks_round_trip_and_shift(n: int) -> None:
    rng = np.random.default_rng(n)
    ids, tfs, positions = _random_postings(rng, n)
    record = codec.encode_chunk(ids, tfs, positions) + codec.encode_chunk(ids + 40_000, tfs, positions)
    got_ids, got_tfs, got_pos = codec.decode_positions(record)
    assert got_ids.tolist() == np.r_[ids, ids + 40_000].tolist()
    assert got_tfs.tolist() == np.r_[tfs, tfs].tolist() and got_pos.tolist() == np.r_[positions, positions].tolist()
    moved_ids, moved_tfs = codec.decode(codec.shift_chunks(record, True, 5), True)
    assert moved_ids.tolist() == (got_ids + 5).tolist() and moved_tfs.tolist() == got_tfs.tolist()
    assert codec.encode_chunk(ids.tolist(), tfs.tolist(), positions.tolist()) == codec.encode_chunk(ids, tfs, positions)
    without = codec.encode_chunk(ids, tfs, None)
    assert codec.decode(without, False)[0].tolist() == ids.tolist()
    assert len(without) < len(record) // 2


def _corpus() -> list[Article]:
    return [
        Article(id="a", title="Giá lúa gạo tăng mạnh ở miền Tây", body="Nông dân bán lúa gạo được giá."),
        Article(id="b", title="Gạo lúa và giá cả", body="Giá gạo lúa tăng nhẹ. Lúa gạo tăng mạnh ở đồng bằng."),
        Article(id="c", title="Thời tiết", body="Mưa lớn. Giá lúa gạo tăng mạnh sau bão, lúa gạo tăng."),
        Article(id="d", title="Tin khác", body="Lúa tăng gạo mạnh, không liền nhau."),
    ]


def test_phrase_docs_finds_consecutive_positions(tmp_path: Path) -> None:
    write_articles(tmp_path, _corpus())
    snap = Engine(tmp_path).snapshot()
    ids = {snap.searcher.stored_fields(d)["id"]: d for d in range(snap.size)}
    everyone = np.arange(snap.size)
    words = ["lua", "gao", "tang", "manh"]
    assert {int(d) for d in phrase_docs(snap, FOLDED["body"], words, everyone)} == {ids["b"], ids["c"]}
    assert {int(d) for d in phrase_docs(snap, FOLDED["title"], words, everyone)} == {ids["a"]}
    assert len(phrase_docs(snap, FOLDED["body"], words, np.array([ids["a"], ids["d"]]))) == 0
    assert len(phrase_docs(snap, FOLDED["body"], ["gao", "lua", "khong"], everyone)) == 0
    got = search(SearchRequest(q='"lúa gạo tăng mạnh"', facets=False, highlight=False), tmp_path)
    assert {h.id for h in got.hits} == {"a", "b", "c"}


def test_old_format_index_is_refused_with_the_rebuild_command(tmp_path: Path) -> None:
    import json

    write_articles(tmp_path, _corpus()[:1])
    meta = tmp_path / "timtin.json"
    meta.write_text(json.dumps({"schema_version": 1}))  # what format 1 wrote
    with pytest.raises(RuntimeError) as err:
        open_index(tmp_path, create=False)
    assert "format version 1" in str(err.value) and f"timtin index PATH --index {tmp_path}" in str(err.value)


def test_term_infos_are_compact(tmp_path: Path) -> None:
    write_articles(tmp_path, _corpus())
    with open_index(tmp_path, create=False).reader() as reader:
        segment = next(r for r, _ in reader.leaf_readers())
        raw = segment._terms._tindex[segment._terms._keycoder("pairs", b"lua gao")]
        stats = compact.TermStats.from_bytes(raw)
        assert stats is not None and stats.df == 3 == reader.doc_frequency("pairs", "lua gao")
        assert len(raw) < 20


def test_positions_repeated_or_out_of_order_are_kept_sorted() -> None:
    tfs = np.array([3, 2, 1])
    positions = np.array([7, 2, 7, 0, 0, 5])  # analysis can give a term one position twice
    got = codec.decode_positions(codec.encode_chunk(np.array([1, 4, 9]), tfs, positions))[2]
    assert got.tolist() == [2, 7, 7, 0, 0, 5]
    small = codec.encode_chunk([1, 4, 9], tfs.tolist(), positions.tolist())
    assert small == codec.encode_chunk(np.array([1, 4, 9]), tfs, positions)
    many = np.tile(positions, 100)
    ids = np.arange(300) * 3
    big = codec.decode_positions(codec.encode_chunk(ids, np.tile(tfs, 100), many))[2]
    assert big.tolist() == [2, 7, 7, 0, 0, 5] * 100


def test_converting_the_committed_format_1_index_gives_what_a_build_writes(tmp_path: Path) -> None:
    """benchmarks/convert_v1.py (used to measure format 2 at 100k) reads Whoosh's blocks right."""
    from benchmarks.convert_v1 import convert
    from tests.data.make_ondisk_index import build

    data = Path(__file__).resolve().parent / "data"
    convert(data / "ondisk-v1", tmp_path / "converted")
    build(tmp_path / "built")

    def postings(index_dir: Path) -> list[tuple]:
        out = []
        with open_index(index_dir, create=False).reader() as reader:
            for segment, _ in reader.leaf_readers():
                # region tags follow the tagging rules of the code that built the index (provinces as of
                # publication since issue 15): the committed index keeps the tags it was built with
                for fieldname in sorted(set(segment.indexed_field_names()) - {"region"}):
                    for term in segment.lexicon(fieldname):
                        out.append((fieldname, term, compact.read_term(segment, fieldname, term)))
        return out

    converted = postings(tmp_path / "converted")
    built = postings(tmp_path / "built")
    # a build now also indexes acronym concepts as one token ("hn" for "Hà Nội"), which the
    # committed format-1 index predates: every other term must be the same, posting for posting
    from indexer.text.acronyms import concept_token, load_synonyms

    tokens = {concept_token(c) for c in load_synonyms().concepts}
    known = {(f, t) for f, t, _ in converted}
    extra = [(f, t) for f, t, _ in built if (f, t) not in known]
    assert all(any(w in tokens for w in t.decode().split(" ")) for _, t in extra), extra
    assert len(converted) > 200 and converted == [p for p in built if (p[0], p[1]) in known]
    got = search(SearchRequest(q='"chè búp"', facets=False, highlight=False), tmp_path / "converted")
    assert [h.id for h in got.hits] == ["che-thai"]
