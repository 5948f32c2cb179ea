"""The build's fast paths give what the plain formulations give, and benchmarks/index_identity.py sees it."""

from __future__ import annotations

import importlib.util
import sys
import unicodedata
from pathlib import Path

import numpy as np

from indexer.analysis import CLAUSE_BREAK_RE, WORD_RE, Term, _forms, exact_words, syllables
from indexer.models import Article
from indexer.store import codec
from indexer.store.index import write_articles
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
