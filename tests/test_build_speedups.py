"""The build's fast paths give what the plain formulations give, and benchmarks/index_identity.py sees it."""

from __future__ import annotations

import importlib.util
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

from indexer.analysis import (
    CLAUSE_BREAK_RE,
    WORD_RE,
    PairTokenizer,
    Term,
    _forms,
    analyze,
    exact_words,
    joined_syllables,
    pair_key,
    syllables,
    word_pairs,
)
from indexer.models import Article
from indexer.store import codec
from indexer.store.index import document_count, write_articles
from indexer.text.fingerprint import _NUMBER, _number, _word_hash, fingerprint, text_hash

ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "", " ", "a", "..a", "a.\nb", "Hà Nội ,  Huế", "TP.HCM, ngày 12/3/2024 giá 1,5 triệu (tăng 5%)… Xong!",
    unicodedata.normalize("NFD", "Thủy điện Hòa Bình xả lũ; người dân Quảng Bình sơ tán.\n\nSáng 19.4, mưa."),
    "GD&ĐT   Thanh Hóa | QL1A - km 12-4 [x] {y} tp hcm",
]


def _reference_syllables(text: str) -> list[Term]:
    """The loop over matches that ``syllables`` replaced."""
    out: list[Term] = []
    pos, prev_end = -1, 0
    for m in WORD_RE.finditer(text):
        start = m.start()
        if out and (start - prev_end != 1 or text[prev_end] != " ") and CLAUSE_BREAK_RE.search(text, prev_end, start):
            pos += 2
        else:
            pos += 1
        exact, folded = _forms(m.group())
        out.append(Term(exact, folded, pos, start, m.end()))
        prev_end = m.end()
    return out


def test_syllables_match_the_loop_over_matches() -> None:
    for text in TEXTS + ["\n".join(TEXTS)]:
        got = syllables(text)
        assert got == _reference_syllables(text)
        assert all(type(t) is Term and t.kind == "word" for t in got)


def test_fingerprint_numbers_and_exact_hash_match_the_word_by_word_formulation() -> None:
    title, lead, body = TEXTS[6], TEXTS[7], "\n".join(TEXTS)
    fp = fingerprint(title, lead, body)
    words = exact_words(f"{lead}\n{body}")
    assert fp.exact == text_hash(" ".join(exact_words(title)) + "\n" + " ".join(words))
    numbers = np.unique(np.array([_word_hash(_number(n)) >> 32 for w in set(words) if not w.isalpha()
                                  for n in _NUMBER.findall(w)], dtype=np.uint32))
    assert len(numbers) >= 5 and np.array_equal(fp.numbers, numbers)


def test_one_posting_chunks_are_the_general_encoding() -> None:
    for ids, tfs, pos in [([0], [1], [0]), ([127], [1], [128]), ([5], [3], [9, 2, 2]), ([2**31 - 1], [1], [70000])]:
        general = [codec.varint(1), codec.varint(ids[0]), codec.pack([]), codec.pack([tfs[0] - 1])]
        prev, gaps = 0, []
        for p in sorted(pos):
            gaps.append(p - prev)
            prev = p
        assert codec.encode_chunk(ids, tfs, pos) == b"".join(general + [codec.pack(gaps)])
        assert codec.encode_chunk(ids, tfs, None) == b"".join(general)
    assert [codec.varint(n) for n in (0, 127, 128, 300)] == [b"\0", b"\x7f", b"\x80\x01", b"\xac\x02"]


def _identity():
    spec = importlib.util.spec_from_file_location("index_identity", ROOT / "benchmarks" / "index_identity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["index_identity"] = module
    spec.loader.exec_module(module)
    return module


def _articles(body_of_b: str) -> list[Article]:
    return [Article(id="a", title="Lũ ở Quảng Bình", lead="Mưa lớn ở Quảng Bình.", body=TEXTS[7]),
            Article(id="b", title="Giá vàng hôm nay", lead="", body=body_of_b),
            Article(id="c", title="TP.HCM khai trương tuyến metro", lead=TEXTS[6], body=TEXTS[8])]


def test_index_identity_sees_same_contents_in_other_segments_and_a_changed_body(tmp_path: Path) -> None:
    identity = _identity()
    write_articles(tmp_path / "one", _articles("Giá vàng tăng mạnh tại Hà Nội."))
    write_articles(tmp_path / "three", _articles("Giá vàng tăng mạnh tại Hà Nội."), commit_every=1)  # 3 segments
    write_articles(tmp_path / "changed", _articles("Giá vàng giảm mạnh tại Hà Nội."))
    one = identity.contents(tmp_path / "one")
    assert one["count"] > 50
    assert identity.differences(one, identity.contents(tmp_path / "three")) == {}
    diff = identity.differences(one, identity.contents(tmp_path / "changed"))
    assert diff["stored"] == ["b"]
    assert "body_exact" in diff["postings"] and "pairs" in diff["postings"]
    assert identity.main([str(tmp_path / "one"), str(tmp_path / "three")]) == 0
    assert identity.main([str(tmp_path / "one"), str(tmp_path / "changed")]) == 1


def test_joined_syllables_are_the_syllables_of_the_whole() -> None:
    """The pairs field takes the words of title, lead and body joined from each part's syllables."""
    parts = ["", " ", "\n", "Hà Nội.", " TP.HCM ", "b\n", "\n\nc d", "UBND tỉnh ", ", ", TEXTS[7], TEXTS[6]]
    rng = random.Random(14)
    for _ in range(3000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 7)))
        for part in text.split("\n", 2):
            if rng.random() < 0.5:
                analyze(part, False)  # some parts just analysed (as indexing does), some not
        assert joined_syllables(text) == syllables(text), repr(text)


def test_pair_counts_are_the_pairs_of_word_pairs() -> None:
    pairs = PairTokenizer()
    for text in TEXTS + ["\n".join(TEXTS), "TP HCM khởi công; TP.HCM và thành phố Hồ Chí Minh, UBND tỉnh"]:
        expected = Counter(pair_key(a.folded, b.folded) for a, b in word_pairs(syllables(text), text))
        assert pairs.term_counts(text) == expected
        assert Counter(pairs.overlaps(text)) == Counter(
            pair_key(a.folded, b.folded) for a, b in word_pairs(syllables(text), text)
            if "concept" in (a.kind, b.kind))
    assert Counter(pairs.overlaps(TEXTS[-1])), "a concept in the fixture"


def test_batched_term_infos_write_what_one_add_per_term_writes(tmp_path: Path) -> None:
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashWriter

    from indexer.store.internals import add_raw_term_infos

    terms = sorted({w.encode() for w in exact_words(" ".join(TEXTS))})
    infos = [bytes(range(i % 7 + 1)) for i in range(len(terms))]
    storage = FileStorage(str(tmp_path))

    class FieldWriter:  # what add_raw_term_infos reads of Whoosh's field writer
        def __init__(self, name: str) -> None:
            self._tindex = OrderedHashWriter(storage.create_file(name))
            self._fieldid = 3

    one, batched = FieldWriter("one"), FieldWriter("batched")
    for tbytes, info in zip(terms, infos):
        one._tindex.add(b"\0\3" + tbytes, info)
    add_raw_term_infos(batched, terms[:5], infos[:5])
    add_raw_term_infos(batched, terms[5:], infos[5:])
    one._tindex.close()
    batched._tindex.close()
    assert len(terms) > 30
    assert (tmp_path / "one").read_bytes() == (tmp_path / "batched").read_bytes()


def test_new_ids_are_added_without_looking_them_up_and_old_ones_are_replaced(tmp_path: Path, monkeypatch) -> None:
    from whoosh.searching import Searcher

    from indexer.search import SearchRequest, search

    def ids(q: str) -> list[str]:
        return [h.id for h in search(SearchRequest(q=q, per_page=10), ix).hits]

    lookups: list[object] = []
    find_unique = Searcher._find_unique
    monkeypatch.setattr(Searcher, "_find_unique", lambda self, u: lookups.append(u) or find_unique(self, u))
    ix = tmp_path / "ix"
    first = write_articles(ix, _articles("Giá vàng tăng mạnh tại Hà Nội."), commit_every=1)  # 3 segments
    assert (first.indexed, first.updated, lookups) == (3, 0, [])

    again = [Article(id="b", title="Giá xăng hôm nay", lead="", body="Giá xăng giảm tại Đà Nẵng."),
             Article(id="d", title="Bão số 3 vào Nghệ An", lead="", body=TEXTS[5]),
             Article(id="b", title="Giá điện hôm nay", lead="", body="Giá điện tăng tại Đà Nẵng.")]
    second = write_articles(ix, again, commit_every=1)
    assert (second.indexed, second.updated) == (1, 2)
    assert len(lookups) == 2  # only "b", both times: "d" is new
    assert document_count(ix) == 4
    assert ids("giá điện") == ["b"]
    assert "b" not in ids("giá vàng") + ids("giá xăng")
