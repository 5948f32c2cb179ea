"""Read articles from files and folders: ``.txt`` (seed format), ``.jsonl``, ``.jsonl.gz``, ``.json``, ``.csv``.

The formats are one table, :data:`FORMATS` (suffix, reader, record count for progress bars).
:func:`read_body` reads the write API's request bodies (JSON or NDJSON) with the same readers.

``read_articles`` never raises for bad input: every record or file it cannot ingest becomes a
:class:`~indexer.models.Problem` (``FILE:LINE: reason``, line 0 for the whole file), yielded in file
order between the :class:`~indexer.models.Article` records.

Decisions worth knowing:

* Decoding: a BOM (UTF-8/16/32) wins; otherwise UTF-8, then Windows-1258 (NFC-normalised), else a
  ``FILE:0: not valid UTF-8 ...`` problem.  ``.jsonl`` files are decoded line by line, so a bad line
  costs only that line.  Text that looks like legacy TCVN3/VNI Vietnamese (see :mod:`indexer.text.legacy`)
  is converted when confident, otherwise reported as ``looks like TCVN3/VNI legacy encoding``.
* Every field is NFC-normalised, stripped, has NUL removed and ``\\r\\n`` turned into ``\\n``.
  Title, lead, body and author are cleaned of HTML (:func:`indexer.text.clean.clean_markup`: tags
  removed, character references such as ``&gt;`` decoded), for display and search alike; a required
  field left empty by that is a problem.  Sources and categories get their display names
  (:mod:`indexer.text.names`: "vnexpress.net" → "VnExpress", "ThoiSu" → "Thời sự").
* A record with a missing, empty or non-string ``id``/``title``/``body``, or a non-string optional
  field, is a problem.  Numeric JSON ids are accepted as strings.  An unparseable ``published``
  string is dropped silently (``published=None``).
* Duplicate ids within one ``read_articles`` call: the first wins, later ones are problems.
* ``.json`` line numbers are the real line where each array element starts.
* Records read before a syntax error, a truncated gzip stream or an I/O error are kept.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from indexer.models import Article, Problem
from indexer.text.clean import clean_markup
from indexer.text.legacy import LEGACY_NAMES, assess_legacy, convert_legacy
from indexer.text.names import category_name, source_name

__all__ = [
    "FORMATS",
    "SUPPORTED_SUFFIXES",
    "FileFormat",
    "count_records",
    "format_of",
    "iter_files",
    "parse_published",
    "read_articles",
    "read_body",
    "read_files",
]

MAX_LINE_BYTES = 64 << 20  # one .jsonl record
MAX_FILE_BYTES = 512 << 20  # whole-file formats (.txt, .json, .csv)
_CHUNK = 1 << 20
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

REQUIRED_FIELDS = ("id", "title", "body")
OPTIONAL_FIELDS = ("lead", "url", "source", "category", "author")
_LEGACY_FIELDS = ("title", "lead", "body", "source", "category", "author")
_MARKUP_FIELDS = {"title": True, "lead": False, "body": False, "author": True}  # cleaned of HTML; True: one line

BYLINE_MAX_CHARS = 40
BYLINE_MAX_WORDS = 6
_BYLINE_BAD_ENDINGS = ".!?…:;,"

_Item = Article | Problem
_Location = tuple[str, int]


# --------------------------------------------------------------------------- files


def _walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, Path, str | None]]:
    """Yield ``(file, root, error)``; ``error`` is set for a folder that cannot be listed."""
    if isinstance(paths, str | Path):  # tolerate a single path
        paths = [paths]
    for given in paths:
        path = Path(given)
        try:
            is_folder = path.is_dir()
        except OSError:
            is_folder = False
        if not is_folder:
            yield path, path.parent, None
            continue
        seen: set[str] = set()
        stack = [path]
        while stack:
            folder = stack.pop()
            try:
                real = os.path.realpath(folder)
                if real in seen:  # symlink loop
                    continue
                seen.add(real)
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                yield folder, path, _os_reason(exc)
                continue
            subdirs = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(Path(entry.path))
                elif format_of(Path(entry.name)) is not None:
                    yield Path(entry.path), path, None
            stack.extend(reversed(subdirs))


def iter_files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, Path]]:
    """Yield ``(file, root)`` for each path; folders are expanded recursively in sorted order.

    Hidden files/folders and unsupported suffixes inside folders are skipped; paths given directly
    are always yielded (``read_articles`` reports missing or unsupported ones).  ``root`` is the folder
    given, or the parent of a file given directly.
    """
    for file, root, error in _walk(paths):
        if error is None:
            yield file, root


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return f"cannot read: {exc.strerror or exc}"


# --------------------------------------------------------------------------- text


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _clean(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    value = _SURROGATE_RE.sub("\ufffd", value)  # lone surrogates from JSON escapes cannot be encoded
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", value).strip()


def _decode(data: bytes) -> tuple[str, str | None]:
    """Decode file bytes; return ``(text, problem)``, ``problem`` set when nothing usable came out."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), None
            except UnicodeDecodeError as exc:
                return (
                    "",
                    f"not valid {codec.upper()} despite its byte order mark ({exc.reason} at byte {exc.start})",
                )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        utf8_error = f"invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"
    enc, confident = assess_legacy(data.decode("latin-1"))
    if enc is not None:
        if confident:
            return convert_legacy(data.decode("latin-1"), enc), None
        return "", _legacy_reason(enc)
    try:
        return unicodedata.normalize("NFC", data.decode("cp1258")), None
    except UnicodeDecodeError:
        return "", f"not valid UTF-8 ({utf8_error}) nor Windows-1258"


def _legacy_reason(enc: str) -> str:
    return f"looks like {LEGACY_NAMES[enc]} legacy encoding; convert it to Unicode"


# --------------------------------------------------------------------------- records


def parse_published(value: str) -> datetime | None:
    """Parse ISO 8601 (with or without offset, or a bare ``YYYY-MM-DD``), ``dd/mm/yyyy`` or
    ``dd/mm/yyyy HH:MM[:SS]``; None for an empty string; ValueError for anything else."""
    text = value.strip()
    if not text:
        return None
    m = _DMY_RE.fullmatch(text)
    if m:
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in m.groups())
        return datetime(year, month, day, hour, minute, second)
    if not _ISO_START_RE.match(text):
        raise ValueError(f"unrecognised date {value!r}")
    return datetime.fromisoformat(text)


_DMY_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO_START_RE = re.compile(r"\d{4}-?\d{2}")


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _make_article(obj: dict[str, Any]) -> Article | str:
    """Validate one decoded record; return an Article or the reason it was rejected."""
    fields: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        if name not in obj or obj[name] is None:
            return f"missing required field {name!r}"
        value = obj[name]
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return f"field {name!r} must be a string, not {_type_name(value)}"
        cleaned = _clean(value)
        value = clean_markup(cleaned, one_line=_MARKUP_FIELDS[name]) if name in _MARKUP_FIELDS else cleaned
        if not value:
            return f"empty {name!r}" + (" once HTML markup is removed" if cleaned else "")
        fields[name] = value
    for name in OPTIONAL_FIELDS:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"field {name!r} must be a string, not {_type_name(value)}"
        value = _clean(value)
        if name in _MARKUP_FIELDS:
            value = clean_markup(value, one_line=_MARKUP_FIELDS[name])
        fields[name] = value
    published = None
    raw_date = obj.get("published")
    if raw_date is not None:
        if not isinstance(raw_date, str):
            return f"field 'published' must be a string, not {_type_name(raw_date)}"
        try:
            published = parse_published(raw_date)
        except (ValueError, OverflowError):
            published = None  # documented: a bad date is dropped, the article kept
    enc, confident = assess_legacy("\n".join(fields.get(n, "") for n in ("title", "lead", "body")))
    if enc is not None:
        if not confident:
            return _legacy_reason(enc)
        for name in _LEGACY_FIELDS:
            if name in fields:
                fields[name] = convert_legacy(fields[name], enc)
    if fields.get("source"):
        fields["source"] = source_name(fields["source"])
    if fields.get("category"):
        fields["category"] = category_name(fields["category"])
    return Article(fields["id"], fields["title"], fields["body"], published=published,
                   **{name: fields[name] for name in OPTIONAL_FIELDS if name in fields})  # type: ignore[arg-type]


class _Reader:
    """State for one ``read_articles`` call: duplicate tracking across files."""

    def __init__(self, fill_id: str | None = None) -> None:
        self.first_seen: dict[str, _Location] = {}
        self.fill_id = fill_id  # the id of records that give none (an HTTP PUT names it in its path)

    def emit(self, file: str, line: int, record: Article | str) -> _Item:
        if isinstance(record, str):
            return Problem(file, line, record)
        first = self.first_seen.get(record.id)
        if first is not None:
            return Problem(file, line, f"duplicate id {record.id!r} (first seen at {first[0]}:{first[1]})")
        self.first_seen[record.id] = (file, line)
        return record

    def record(self, file: str, line: int, obj: object) -> _Item:
        if not isinstance(obj, dict):
            return Problem(file, line, f"record is not a JSON object (got {_json_type(obj)})")
        if self.fill_id is not None and "id" not in obj:
            obj = {**obj, "id": self.fill_id}
        return self.emit(file, line, _make_article(obj))

    # ---- formats

    def read_file(self, path: Path, root: Path) -> Iterator[_Item]:
        name = str(path)
        fmt = format_of(path)
        if fmt is None:
            if not path.exists() and not path.is_symlink():
                yield Problem(name, 0, "no such file or directory")
            else:
                yield Problem(
                    name, 0, f"unsupported file type (expected one of {', '.join(SUPPORTED_SUFFIXES)})"
                )
            return
        try:
            if fmt.read_stream is not None:
                yield from fmt.read_stream(self, path, name)
                return
            data = _read_bytes(path)
        except OSError as exc:
            yield Problem(name, 0, _os_reason(exc))
            return
        except _TooLarge as exc:
            yield Problem(name, 0, str(exc))
            return
        text, problem = _decode(data)
        del data
        if problem:
            yield Problem(name, 0, problem)
            return
        if "\x00" in text:
            text = text.replace("\x00", "")
        assert fmt.read_text is not None  # FileFormat guarantees one of the two readers
        yield from fmt.read_text(self, text, name, _relative_id(path, root))

    def read_txt(self, text: str, name: str, article_id: str) -> Iterator[_Item]:
        """One article: the first line is the title, the rest the body (a short last paragraph is the byline)."""
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        lines = [line.strip() for line in text.split("\n")]
        if not any(lines):
            yield Problem(name, 0, "empty file")
            return
        title = lines[0]
        if not title:
            yield Problem(name, 1, "missing title (the first line is blank)")
            return
        paragraphs: list[list[str]] = [[]]
        for line in lines[1:]:
            if line:
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            yield Problem(name, 2, "missing body (only a title line)")
            return
        author = ""
        if len(paragraphs) > 1 and len(paragraphs[-1]) == 1 and _is_byline(paragraphs[-1][0]):
            author = paragraphs.pop()[0]
        body = "\n".join(line for p in paragraphs for line in p)
        yield self.emit(
            name, 1, _make_article({"id": article_id, "title": title, "body": body, "author": author})
        )

    def read_jsonl(self, path: Path, name: str, gz: bool) -> Iterator[_Item]:
        """One JSON object per line, streamed (gzip-compressed when ``gz``)."""
        try:
            with _open_binary(path, gz) as fh:
                yield from self.read_jsonl_stream(fh, name)
        except OSError as exc:  # opening the file
            yield Problem(name, 0, _os_reason(exc))

    def read_jsonl_stream(self, fh: BinaryIO | io.BufferedIOBase, name: str) -> Iterator[_Item]:
        """One JSON object per line from an open binary stream, decoded line by line."""
        lineno = 0
        try:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if raw.startswith(_WIDE_BOMS):  # UTF-16/32: decode the whole file at once
                text, problem = _decode(raw + _read_limited(fh, MAX_FILE_BYTES))
                if problem:
                    yield Problem(name, 0, problem)
                    return
                for lineno, line in enumerate(text.split("\n"), 1):
                    if line.strip():
                        yield self.jsonl_line(name, lineno, line)
                return
            raw = raw.removeprefix(codecs.BOM_UTF8)
            while raw:
                lineno += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while (chunk := fh.readline(_CHUNK)) and not chunk.endswith(b"\n"):
                        pass
                    yield Problem(name, lineno, f"line longer than {MAX_LINE_BYTES >> 20} MiB")
                elif raw.strip():
                    yield self.jsonl_bytes(name, lineno, raw)
                raw = fh.readline(MAX_LINE_BYTES + 1)
        except _TooLarge as exc:
            yield Problem(name, 0, str(exc))
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            if lineno == 0 and isinstance(exc, gzip.BadGzipFile):
                yield Problem(name, 0, f"not a gzip file ({exc})")
            else:
                yield Problem(name, lineno + 1, f"truncated or corrupt gzip stream ({exc})")
        except OSError as exc:
            yield Problem(name, lineno, _os_reason(exc))
        except MemoryError:
            yield Problem(name, lineno + 1, "out of memory reading this line")

    def jsonl_bytes(self, name: str, lineno: int, raw: bytes) -> _Item:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line, problem = _decode(raw)
            if problem:
                return Problem(name, lineno, problem)
        return self.jsonl_line(name, lineno, line)

    def jsonl_line(self, name: str, lineno: int, line: str) -> _Item:
        try:
            obj = json.loads(line.rstrip())
        except json.JSONDecodeError as exc:
            return Problem(name, lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        except RecursionError:
            return Problem(name, lineno, "malformed JSON: nested too deeply")
        except (ValueError, MemoryError) as exc:
            return Problem(name, lineno, f"malformed JSON: {type(exc).__name__}")
        try:
            return self.record(name, lineno, obj)
        except RecursionError:  # pragma: no cover - defensive: deep values are only stored, not walked
            return Problem(name, lineno, "record nested too deeply")

    def read_json(self, text: str, name: str) -> Iterator[_Item]:
        """A JSON array of objects, or an object with an ``"articles"`` array."""
        for _item, record in self.read_json_items(text, name):
            yield record

    def read_json_items(self, text: str, name: str) -> Iterator[tuple[int | None, _Item]]:
        """``read_json`` with each record's 1-based position in the array (None for a syntax problem)."""
        scanner = _JsonArticles(text)
        try:
            for item, (lineno, obj) in enumerate(scanner, 1):
                yield item, self.record(name, lineno, obj)
        except json.JSONDecodeError as exc:
            yield None, Problem(name, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        except RecursionError:
            yield None, Problem(name, scanner.line, "malformed JSON: nested too deeply")
        except _JsonShape as exc:
            yield None, Problem(name, exc.line, str(exc))
        except (ValueError, MemoryError) as exc:
            yield None, Problem(name, scanner.line, f"malformed JSON: {type(exc).__name__}")

    def read_csv(self, text: str, name: str) -> Iterator[_Item]:
        """A header row naming the fields, then one article per row."""
        if not text.strip():
            yield Problem(name, 0, "empty file")
            return
        _raise_csv_limit()
        reader = csv.reader(io.StringIO(text, newline=""))  # splits on \n, \r\n, \r only
        try:
            header = [h.strip().lower() for h in next(reader)]
        except (csv.Error, StopIteration) as exc:
            yield Problem(name, 1, f"malformed CSV header: {exc}")
            return
        missing = [f for f in REQUIRED_FIELDS if f not in header]
        if missing:
            yield Problem(name, 1, f"CSV header lacks required column(s): {', '.join(missing)}")
            return
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield Problem(name, start, f"malformed CSV: {exc}")
                break
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                yield Problem(name, line, f"row has {len(row)} fields, the header has {len(header)}")
                continue
            obj = {key: value for key, value in zip(header, row, strict=True) if key and value.strip()}
            yield self.emit(name, line, _make_article(obj))


# --------------------------------------------------------------------------- helpers


class _TooLarge(Exception):
    pass


class _JsonShape(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _read_limited(fh: BinaryIO | io.BufferedIOBase, limit: int) -> bytes:
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(f"file larger than {MAX_FILE_BYTES >> 20} MiB (use .jsonl for big collections)")
    return data


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return _read_limited(fh, MAX_FILE_BYTES)


def _open_binary(path: Path, gz: bool) -> io.BufferedIOBase:
    return gzip.GzipFile(path, "rb") if gz else open(path, "rb")


def _relative_id(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _is_byline(line: str) -> bool:
    return (
        len(line) <= BYLINE_MAX_CHARS
        and len(line.split()) <= BYLINE_MAX_WORDS
        and line[-1] not in _BYLINE_BAD_ENDINGS
    )


def _raise_csv_limit() -> None:
    limit = 1 << 30
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _json_type(obj: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(obj), "number"
    )


_WS_RE = re.compile(r"[ \t\n\r]*")


class _JsonArticles:
    """Iterate ``(line, element)`` over a JSON array, or the ``"articles"`` array of an object,
    tracking the real line where each element starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.decoder = json.JSONDecoder()

    def _skip(self) -> str:
        end = _WS_RE.match(self.text, self.pos).end()  # type: ignore[union-attr]
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end
        return self.text[end : end + 1]

    def _value(self) -> Any:
        obj, end = self.decoder.raw_decode(self.text, self.pos)
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end
        return obj

    def _expect(self, allowed: str, what: str) -> str:
        ch = self._skip()
        if not ch or ch not in allowed:
            raise json.JSONDecodeError(f"Expecting {what}", self.text, self.pos)
        self.pos += 1
        return ch

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        ch = self._skip()
        if ch == "[":
            yield from self._array()
        elif ch == "{":
            found = False
            self.pos += 1
            if self._skip() == "}":
                self.pos += 1
            else:
                while True:
                    self._skip()
                    key = self._value()
                    self._expect(":", "':' delimiter")
                    if key == "articles" and self._skip() == "[" and not found:
                        found = True
                        yield from self._array()
                    else:
                        self._skip()
                        self._value()
                    if self._expect(",}", "',' delimiter") == "}":
                        break
            if not found:
                raise _JsonShape(0, 'expected a JSON array or an object with an "articles" array')
        elif not ch:
            raise _JsonShape(0, "empty file")
        else:
            self._value()  # raises for garbage; a scalar falls through to the shape error
            raise _JsonShape(0, 'expected a JSON array or an object with an "articles" array')
        if self._skip():
            raise json.JSONDecodeError("Extra data", self.text, self.pos)

    def _array(self) -> Iterator[tuple[int, Any]]:
        self.pos += 1
        if self._skip() == "]":
            self.pos += 1
            return
        while True:
            self._skip()
            line = self.line
            yield line, self._value()
            if self._expect(",]", "',' delimiter") == "]":
                return


# --------------------------------------------------------------------------- formats


StreamReader = Callable[[_Reader, Path, str], Iterator[_Item]]  # (reader, file, name): reads the file itself
TextReader = Callable[[_Reader, str, str, str], Iterator[_Item]]  # (reader, text, name, id of a one-article file)


@dataclass(frozen=True)
class FileFormat:
    """One input format: its file suffix, how to read a file and how to count its records cheaply.

    A format reads either the file itself (``read_stream``: it enforces its own limits and reports
    its own I/O errors) or, for whole-file formats, the decoded text (``read_text``): the file is
    read up to ``MAX_FILE_BYTES``, decoded (BOM, UTF-8, legacy encodings, Windows-1258) and has NUL
    removed first.  ``count`` estimates the records of a file for progress bars; it may raise
    ``OSError``, ``EOFError`` or ``zlib.error`` (counted as 0).
    """

    suffix: str
    count: Callable[[Path], int]
    read_stream: StreamReader | None = None
    read_text: TextReader | None = None

    def __post_init__(self) -> None:
        if (self.read_stream is None) == (self.read_text is None):
            raise ValueError(f"format {self.suffix}: give exactly one of read_stream and read_text")


def _count_newlines(fh: io.BufferedIOBase) -> int:
    """Lines in ``fh`` (a last line without newline counts); a truncated stream counts what was read."""
    count = 0
    last = b"\n"
    try:
        while chunk := fh.read1(_CHUNK):  # read1: a truncated gzip keeps the chunks before the damage
            count += chunk.count(b"\n")
            last = chunk[-1:]
    except (OSError, EOFError, zlib.error):
        pass
    return count + (last != b"\n")


def _count_one(path: Path) -> int:
    return 1 if path.is_file() else 0


def _count_lines(path: Path, gz: bool = False) -> int:
    with _open_binary(path, gz) as fh:
        return _count_newlines(fh)


def _count_json_ids(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b'"id"') for chunk in iter(lambda: fh.read(_CHUNK), b""))


def _count_csv_rows(path: Path) -> int:
    with open(path, "rb") as fh:
        return max(0, _count_newlines(fh) - 1)


# The input formats, in the order error messages list them.  A new format is one entry here.
FORMATS: tuple[FileFormat, ...] = (
    FileFormat(".txt", _count_one, read_text=_Reader.read_txt),
    FileFormat(".jsonl", _count_lines, read_stream=lambda r, path, name: r.read_jsonl(path, name, gz=False)),
    FileFormat(".jsonl.gz", lambda path: _count_lines(path, gz=True),
               read_stream=lambda r, path, name: r.read_jsonl(path, name, gz=True)),
    FileFormat(".json", _count_json_ids, read_text=lambda r, text, name, _id: r.read_json(text, name)),
    FileFormat(".csv", _count_csv_rows, read_text=lambda r, text, name, _id: r.read_csv(text, name)),
)
SUPPORTED_SUFFIXES = tuple(f.suffix for f in FORMATS)
_BY_LENGTH = sorted(FORMATS, key=lambda f: -len(f.suffix))  # longest first: a suffix beats one it ends with


def format_of(path: Path) -> FileFormat | None:
    """The format of ``path`` by its suffix (case-insensitive; the name must be more than the suffix)."""
    name = path.name.lower()
    return next((f for f in _BY_LENGTH if name.endswith(f.suffix) and len(name) > len(f.suffix)), None)


# --------------------------------------------------------------------------- public


def read_articles(paths: list[str | Path]) -> Iterator[Article | Problem]:
    """Yield Articles and Problems from files and folders, in file order; never raises for bad input."""
    reader = _Reader()
    for file, root, error in _walk(paths):
        if error is not None:
            yield Problem(str(file), 0, error)
            continue
        try:
            yield from reader.read_file(file, root)
        except (OSError, MemoryError, RecursionError) as exc:  # defensive: keep going with other files
            yield Problem(str(file), 0, f"cannot read: {type(exc).__name__}: {exc}")


def read_files(files: Iterable[tuple[Path, Path]]) -> Iterator[Article | Problem]:
    """Like :func:`read_articles` for (file, root) pairs from :func:`iter_files` (ids relative to root)."""
    reader = _Reader()
    for file, root in files:
        try:
            yield from reader.read_file(file, root)
        except (OSError, MemoryError, RecursionError) as exc:
            yield Problem(str(file), 0, f"cannot read: {type(exc).__name__}: {exc}")


def count_records(paths: list[str | Path]) -> int:
    """Cheap estimate of how many records ``read_articles(paths)`` will read (for progress bars).

    Lines for ``.jsonl``/``.jsonl.gz`` (streamed), one per ``.txt``, ``"id"`` keys for ``.json``,
    lines minus the header for ``.csv``.  Unreadable files count as 0.
    """
    total = 0
    for file, _root in iter_files(paths):
        fmt = format_of(file)
        if fmt is None:
            continue
        try:
            total += fmt.count(file)
        except (OSError, EOFError, zlib.error):
            continue
    return total


def read_body(data: bytes, *, ndjson: bool, name: str = "body",
              fill_id: str | None = None) -> Iterator[tuple[int | None, Article | Problem]]:
    """Articles and Problems from an HTTP request body, read exactly as the files are.

    ``ndjson``: one JSON object per line, as a ``.jsonl`` file (each line decoded on its own, so a
    legacy-encoded line costs only itself).  Otherwise the body is decoded as a whole file is and
    holds one article object, a JSON array of them, or an object with an ``"articles"`` array (as
    ``.json`` files).  Yields ``(item, record)``: ``item`` is the record's 1-based position in a JSON
    array (1 for a lone object); None for NDJSON (its line says it), for a problem with the whole
    body (``line`` 0) and for a syntax error (which ends the body).
    """
    reader = _Reader(fill_id)
    if ndjson:
        for record in reader.read_jsonl_stream(io.BytesIO(data), name):
            yield None, record
        return
    text, problem = _decode(data)
    if problem:
        yield None, Problem(name, 0, problem)
        return
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.lstrip(" \t\r\n").startswith("{"):  # one article, or {"articles": [...]}
        line = 1 + text[: len(text) - len(text.lstrip())].count("\n")
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError, MemoryError):
            yield None, reader.jsonl_line(name, line, text)  # the syntax error, as a .jsonl line reports it
            return
        if not (isinstance(obj, dict) and "articles" in obj):
            yield 1, reader.record(name, line, obj)
            return
    yield from reader.read_json_items(text, name)
