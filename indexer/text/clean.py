"""HTML left in article text, and headlines too long to show.

Scraped articles carry HTML: character references typed as text (``&gt;&gt; Bóng đá nữ``,
``KH&amp;CN``, ``&#193;``) and stray tags (``<P align=center>``, ``<TD>``, ``<A href=...>``).
:func:`clean_markup` turns them into the text a reader would have seen: tags of HTML elements
are removed (block elements become a line break, table cells a space; one-line fields get spaces), ``<script>`` and
``<style>`` go with their content, and then character references are decoded, so an escaped tag
(``&lt;b&gt;``) stays visible as text.  Text without markup is returned unchanged.

    >>> clean_markup("&gt;&gt; Bóng đá nữ: Việt Nam - Thái Lan 1-0", one_line=True)
    'Bóng đá nữ: Việt Nam - Thái Lan 1-0'
    >>> clean_markup("<P align=center>KH&amp;CN</P>mail &lt;email&gt;")
    'KH&CN\\nmail <email>'

:func:`display_title` cuts a headline longer than :data:`TITLE_MAX_CHARS` at a word boundary
with "…" (the full headline stays stored and searchable; lists of results show the cut one).
"""

from __future__ import annotations

import html
import re
from html.entities import html5

__all__ = ["TITLE_MAX_CHARS", "clean_markup", "display_title"]

TITLE_MAX_CHARS = 200

# the element names of HTML (current and obsolete): "<Hà Nội>" or "<email>" in a text are not tags
_ELEMENTS = (
    "a abbr acronym address area article aside audio b base basefont bdi bdo big blink blockquote body br "
    "button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt "
    "em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup "
    "hr html i iframe img input ins kbd label legend li link main map mark marquee menu meta meter nav nobr "
    "noframes noscript o:p object ol optgroup option output p param picture pre progress q rp rt ruby s samp "
    "script section select small source span strike strong style sub summary sup svg table tbody td template "
    "textarea tfoot th thead time title tr track tt u ul var video wbr xml"
).split()
# elements that end a line of text (a paragraph, a row, a list item...)
_BLOCKS = frozenset(
    "address article aside blockquote body br caption center dd div dl dt figcaption figure footer form h1 h2 "
    "h3 h4 h5 h6 header hr html li main nav ol p pre section table tbody tfoot thead tr ul".split()
)
_ATTRS = r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>`]+))?)*\s*/?"""
_TAG_RE = re.compile(
    rf"<(/?)({'|'.join(sorted(map(re.escape, _ELEMENTS), key=len, reverse=True))})(?![\w:-]){_ATTRS}>",
    re.IGNORECASE,
)
_DROPPED_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
# character references with their semicolon (so "?a=1&copy=2" in a pasted address stays as typed)
_REF_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BULLET_RE = re.compile(r"^(?:>>|»|•|·)\s*")  # a headline that starts with a list marker
_SPACES_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_WS_RE = re.compile(r"\s+")
_INVISIBLE = str.maketrans({"\u00ad": None, "\u200b": None, "\u00a0": " "})  # soft hyphen, zero width, nbsp


def _decode_ref(match: re.Match[str]) -> str:
    ref = match.group(0)
    if ref[1] != "#" and ref[1:] not in html5:
        return ref  # "&foo;" is no character reference: keep it
    return html.unescape(ref)


def _decode_refs(text: str) -> str:
    for _ in range(3):  # "&amp;gt;" (escaped twice) is ">" too
        decoded = _REF_RE.sub(_decode_ref, text)
        if decoded == text or not _REF_RE.search(decoded):
            return decoded
        text = decoded
    return text


def _tag(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    return "\n" if name in _BLOCKS else " " if name in ("td", "th") else ""


def clean_markup(text: str, one_line: bool = False) -> str:
    """``text`` without HTML tags and with character references decoded (see the module docstring).

    ``one_line`` (titles): every run of white space becomes one space, and a leading list marker
    (">>", "•") is dropped.  Otherwise runs of spaces become one space and blank lines one line
    break.  Text with neither ``<`` nor ``&`` comes back as it is.
    """
    if "<" not in text and "&" not in text:
        return _BULLET_RE.sub("", text) if one_line else text
    cleaned = _DROPPED_RE.sub("", text)
    cleaned = _TAG_RE.sub(_tag, cleaned)
    cleaned = _decode_refs(cleaned).translate(_INVISIBLE)
    if cleaned == text:
        return _BULLET_RE.sub("", text) if one_line else text
    if one_line:
        return _BULLET_RE.sub("", _WS_RE.sub(" ", cleaned).strip())
    lines = (_SPACES_RE.sub(" ", line).strip() for line in cleaned.split("\n"))
    return _BLANK_LINES_RE.sub("\n", "\n".join(line for line in lines if line)).strip()


def display_title(title: str, limit: int = TITLE_MAX_CHARS) -> str:
    """``title`` as shown in lists: at most ``limit`` characters, cut after a whole word with "…"."""
    if len(title) <= limit:
        return title
    head = title[: limit - 1]  # room for the "…"
    if not title[limit - 1].isspace():  # head ends inside a word: drop that word
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > limit // 2:  # a single 100-character "word" is cut anyway
            head = head[:space]
    return head.rstrip(" \n,;:-–—([{\"'“‘") + "…"
