"""The faster writing path writes exactly what stock Whoosh writes."""

from __future__ import annotations

from array import array
from collections import Counter
from pathlib import Path

import pytest
from whoosh import formats
from whoosh.reading import TermNotFound

from indexer import fastwrite
from indexer.analysis import analyze
from indexer.schema import PAIRS, TermFrequency, TermPositions, build_schema
from indexer.store import compact, patches, termpool
from indexer.store.index import open_index, write_articles
from indexer.store.internals import raw_blocks
from tests.helpers import ARTICLES, art

TEXTS = [
    "Đại hội Đảng bộ tỉnh Thái Nguyên lần thứ XX, nhiệm kỳ 2025-2030: Đại hội thành công.",
    "Thuỷ điện Hoà Bình xả lũ; thủy điện Hòa Bình mở cửa xả đáy.",  # old and new tone styles
    "Nha\u0300 ma\u0301y đo\u0301ng ta\u0300u",  # NFD
    "UBND TP.HCM họp ngày 12/3/2024, giá xăng RON95 là 1.250 đồng, GD&ĐT",
    "",
    "a a a a b a",
]


@pytest.mark.parametrize("name", ["title_exact", "title_folded", "body_exact", "body_folded", PAIRS])
@pytest.mark.parametrize("text", TEXTS)
def test_direct_formats_give_whooshs_values(name: str, text: str) -> None:
    field = build_schema()[name]
    assert isinstance(field.format, TermPositions | TermFrequency)
    stock = formats.Positions if isinstance(field.format, TermPositions) else formats.Frequency
    direct = sorted(field.format.word_values(text, field.analyzer, mode="index"))
    through_tokens = sorted(stock.word_values(field.format, text, field.analyzer, mode="index"))
    # the same postings; the length Whoosh adds up (the second value) leaves acronym concepts out
    assert [(w, wt, v) for w, _, wt, v in direct] == [(w, wt, v) for w, _, wt, v in through_tokens]
    overlaps = Counter(field.analyzer.overlaps(text))
    for word, freq, weight, value in direct:  # positions as native uint32s, which the codec takes
        assert field.format.decode_frequency(value) == weight
        assert freq == weight - overlaps[word]
        if isinstance(field.format, TermPositions):
            assert field.format.decode_positions(value) == sorted(field.format.decode_positions(value))


def test_direct_formats_fall_back_for_other_analyzers() -> None:
    from whoosh.analysis import StandardAnalyzer

    got = sorted(TermPositions().word_values("một hai một", StandardAnalyzer()))
    assert [(w, n) for w, n, _, _ in got] == [("hai", 1), ("một", 2)]


def _dump(index_dir: Path) -> list[tuple]:
    """Every term and posting (field, term, then (doc, frequency, positions)) of an index."""
    ix = open_index(index_dir, create=False)
    out = []
    with ix.reader() as reader:
        for fieldname in sorted(reader.indexed_field_names()):
            for term in reader.lexicon(fieldname):
                out.append((fieldname, term, reader.doc_frequency(fieldname, term)))
                out.extend(compact.read_term(reader, fieldname, term))
    return out


def _first_block(index_dir: Path, fieldname: str, term: str) -> tuple:
    with open_index(index_dir, create=False).reader() as reader:
        return next(raw_blocks(reader.postings(fieldname, term)))


def test_fast_writer_writes_what_stock_whoosh_writes(tmp_path: Path) -> None:
    articles = ARTICLES + [art(f"extra-{i}", f"Tin số {i}: {t[:40]}", t * (i + 1)) for i, t in enumerate(TEXTS)]
    write_articles(tmp_path / "fast", articles)
    with patches.stock_whoosh():
        write_articles(tmp_path / "stock", articles)
        stock_ids = _first_block(tmp_path / "stock", "body_folded", "nha")[0]
    assert patches.is_installed()
    assert not isinstance(stock_ids, array)  # really written by Whoosh's own pool (a tuple/list of ints)
    fast, stock = _dump(tmp_path / "fast"), _dump(tmp_path / "stock")
    assert len(fast) > 500
    assert fast == stock


@pytest.mark.parametrize("procs", [1, 2])
def test_searched_fields_use_the_compact_codec(tmp_path: Path, procs: int) -> None:
    write_articles(tmp_path, ARTICLES, procs=procs)  # --procs writers are forked: they inherit the patches
    expected = {a.id for a in ARTICLES if any(t.folded == "nha" for t in analyze(a.body, False))}
    assert len(expected) >= 3
    found = set()
    with open_index(tmp_path, create=False).reader() as reader:
        for leaf, _offset in reader.leaf_readers():
            if ("body_folded", "nha") not in leaf:
                continue
            stats = compact.term_stats(leaf, "body_folded", "nha")
            assert stats is not None and stats.df == leaf.doc_frequency("body_folded", "nha")
            postings = compact.read_term(leaf, "body_folded", "nha")
            assert all(len(pos) == tf for _, tf, pos in postings)
            found |= {leaf.stored_fields(d)["id"] for d, _, _ in postings}
            some_id = leaf.stored_fields(postings[0][0])["id"]
            with pytest.raises(TermNotFound):  # the id field keeps Whoosh's blocks, for Whoosh's deletions
                compact.term_stats(leaf, "id", some_id)
            ids, weights, values, _ = next(raw_blocks(leaf.postings("id", some_id)))
            assert isinstance(ids, array) and weights is None or isinstance(weights, float | array)
    assert found == expected


def test_packed_values_behave_like_a_tuple() -> None:
    import pickle

    values = [b"\x00\x01", b"", b"abc", b"\xff" * 300]
    packed = fastwrite.PackedValues.pack(values)
    assert list(packed) == values and len(packed) == 4
    assert [packed[i] for i in range(4)] == values and packed[-1] == values[-1] and packed[1:3] == tuple(values[1:3])
    again = pickle.loads(pickle.dumps(packed, 5))
    assert list(again) == values
    assert termpool.pack_ids([70000, 1]).typecode == "I" and termpool.pack_ids([5, 1]).typecode == "H"
    assert termpool.pack_weights([1.0, 1.0]) is None and termpool.pack_weights([2.0, 2.0]) == 2.0


def test_pool_spilling_to_runs_writes_the_same_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.store.index as index_module

    articles = [art(f"{a.id}-{i}", a.title, (a.body + " ") * (i % 7 + 1), a.lead) for i in range(40) for a in ARTICLES]
    write_articles(tmp_path / "memory", articles)
    spills: list[int] = []
    original_spill = termpool.TermPool._spill

    def counting_spill(self) -> None:
        spills.append(len(self.terms))
        original_spill(self)

    def small_writer(ix, timeout, procs=1):
        return ix.writer(limitmb=1, codec=index_module.W3Codec(**index_module.CODEC_OPTIONS))

    monkeypatch.setattr(termpool.TermPool, "_spill", counting_spill)
    monkeypatch.setattr(index_module, "open_writer", small_writer)
    write_articles(tmp_path / "runs", articles)
    assert len(spills) >= 1  # one run on disk plus the rest in memory: merged term by term
    assert _dump(tmp_path / "runs") == _dump(tmp_path / "memory")
