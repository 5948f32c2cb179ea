"""Detect and convert Vietnamese text stored in the legacy TCVN3 (ABC) and VNI encodings.

Legacy text reaches us as the Latin-1 / Windows-1252 *view* of its bytes, e.g. TCVN3 ``T«i ®i häc``
or VNI ``Toâi ñi hoïc`` for ``Tôi đi học``.  Both tables only use bytes >= 0x80 (VNI also combines
them with a preceding ASCII vowel), so ASCII structure such as JSON or CSV syntax is never changed.

Detection converts every word that contains a non-ASCII character with each table and checks how
many of them become well-formed Vietnamese syllables, compared with how many already were.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "LEGACY_ENCODINGS",
    "assess_legacy",
    "convert_legacy",
    "detect_legacy",
    "encode_legacy",
]

LEGACY_ENCODINGS = ("tcvn3", "vni")
LEGACY_NAMES = {"tcvn3": "TCVN3", "vni": "VNI"}

# --- TCVN3 (TCVN 5712:1993, "ABC"): one byte per letter; upper-case toned letters do not exist. ---
_TCVN3_BYTES: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
_TCVN3_DECODE = dict(_TCVN3_BYTES)  # str.translate table: code point -> str
_TCVN3_ENCODE = {u: chr(b) for b, u in _TCVN3_BYTES.items()}

# --- VNI (VNI-Windows): ASCII base letter followed by a mark byte; a few letters are single bytes. ---
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, grave, acute, hook, tilde, dot
_VNI_TONE = ("", "ø", "ù", "û", "õ", "ï")
_VNI_CIRCUMFLEX = ("â", "à", "á", "å", "ã", "ä")  # â/ê/ô with each tone
_VNI_BREVE = ("ê", "è", "é", "ú", "ü", "ë")  # ă with each tone
_VNI_I = ("i", "ì", "í", "æ", "ó", "ò")  # i with each tone: single bytes
# Vietnamese base vowel -> (VNI base letter, mark per tone)
_VNI_VOWELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "a": ("a", _VNI_TONE),
    "ă": ("a", _VNI_BREVE),
    "â": ("a", _VNI_CIRCUMFLEX),
    "e": ("e", _VNI_TONE),
    "ê": ("e", _VNI_CIRCUMFLEX),
    "o": ("o", _VNI_TONE),
    "ô": ("o", _VNI_CIRCUMFLEX),
    "ơ": ("ô", _VNI_TONE),
    "u": ("u", _VNI_TONE),
    "ư": ("ö", _VNI_TONE),
    "y": ("y", _VNI_TONE),
}


def _build_vni() -> tuple[dict[str, str], dict[str, str]]:
    encode: dict[str, str] = {"đ": "ñ", "Đ": "Ñ"}
    for vowel, (base, marks) in _VNI_VOWELS.items():
        for tone, mark in zip(_TONES, marks, strict=True):
            encode[unicodedata.normalize("NFC", vowel + tone)] = base + mark
    for tone, single in zip(_TONES, _VNI_I, strict=True):
        encode[unicodedata.normalize("NFC", "i" + tone)] = single
    encode["ỵ"] = "î"  # VNI has a single byte for y with dot below
    for low, vni in list(encode.items()):
        encode[low.upper()] = vni.upper()
    decode = {vni: uni for uni, vni in encode.items() if vni != uni}
    # tolerate lower-case marks after upper-case bases (and vice versa), and "y" + dot-below
    for vni, uni in list(decode.items()):
        if len(vni) == 2:
            for variant in (vni[0] + vni[1].lower(), vni[0] + vni[1].upper()):
                decode.setdefault(variant, uni)
    decode.setdefault("yï", "ỵ")
    decode.setdefault("YÏ", "Ỵ")
    return encode, decode


_VNI_ENCODE, _VNI_DECODE = _build_vni()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_DECODE, key=len, reverse=True)))

# --- Vietnamese syllable check used to score candidate conversions ---
_TONE_MARKS = frozenset(_TONES[1:])
# fmt: off
_NUCLEI = (  # vowel clusters that can form a Vietnamese rhyme
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao",
    "au", "ay", "âu", "ây", "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "ôi",
    "ơi", "oo", "ua", "uâ", "uê", "ui", "uô", "uơ", "uy", "ưa", "ưi", "ươ", "ưu", "yê",
    "iêu", "yêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "uya", "uyê", "uyu", "uay", "ươi", "ươu",
)
# fmt: on
_SYLLABLE_RE = re.compile(
    "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?(?:"
    + "|".join(sorted(_NUCLEI, key=len, reverse=True))
    + ")(?:ch|nh|ng|[cmnpt])?"
)
_WORD_RE = re.compile("[A-Za-z\u00a1-\u00ff\u0100-\u1eff]+")
_VI_SPECIFIC_RE = re.compile("[ăđơưĂĐƠƯ\u1ea0-\u1ef9]")
_HIGH_RE = re.compile("[\u00a1-\u00ff]")
_SAMPLE_CHARS = 200_000
_MIN_WORDS = 3


def is_vietnamese_syllable(word: str) -> bool:
    """True if ``word`` is a well-formed Vietnamese syllable (case-insensitive, at most one tone)."""
    tones = 0
    base: list[str] = []
    prev = ""
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONE_MARKS:
            if prev not in "aeiouy" or tones:
                return False
            tones += 1
            continue
        base.append(ch)
        if not unicodedata.combining(ch):
            prev = ch
    return _SYLLABLE_RE.fullmatch(unicodedata.normalize("NFC", "".join(base))) is not None


def convert_legacy(text: str, encoding: str) -> str:
    """Convert the Latin-1 view of TCVN3 (``"tcvn3"``) or VNI (``"vni"``) text to NFC Unicode."""
    if encoding == "tcvn3":
        out = text.translate(_TCVN3_DECODE)
    elif encoding == "vni":
        out = _VNI_RE.sub(lambda m: _VNI_DECODE[m.group()], text)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    return unicodedata.normalize("NFC", out)


def encode_legacy(text: str, encoding: str) -> str:
    """Encode Unicode Vietnamese as the Latin-1 view of TCVN3 or VNI (the inverse of convert_legacy).

    TCVN3 has no upper-case toned letters: those raise ValueError.
    """
    table = {"tcvn3": _TCVN3_ENCODE, "vni": _VNI_ENCODE}.get(encoding)
    if table is None:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    out = []
    for ch in unicodedata.normalize("NFC", text):
        enc = table.get(ch)
        if enc is None and ord(ch) > 0x7F and (encoding == "tcvn3" or _VI_SPECIFIC_RE.match(ch)):
            raise ValueError(f"{ch!r} cannot be encoded in {LEGACY_NAMES[encoding]}")
        out.append(ch if enc is None else enc)
    return "".join(out)


def assess_legacy(text: str) -> tuple[str | None, bool]:
    """Return ``(encoding, confident)``: the legacy encoding ``text`` most looks like, or ``(None, False)``.

    ``confident`` means the conversion should be applied; ``(enc, False)`` means the text is suspicious
    but a conversion would not be reliable.
    """
    if _VI_SPECIFIC_RE.search(text) or not _HIGH_RE.search(text):
        return None, False
    words = [w for w in _WORD_RE.findall(text[:_SAMPLE_CHARS]) if _HIGH_RE.search(w)]
    best: tuple[float, str, int, float] | None = None
    for enc in LEGACY_ENCODINGS:
        changed = valid = valid_before = 0
        for word in words:
            converted = convert_legacy(word, enc)
            if converted == word:
                continue
            changed += 1
            valid += is_vietnamese_syllable(converted)
            valid_before += is_vietnamese_syllable(word)
        if changed:
            score = valid / changed
            if best is None or score > best[0]:
                best = (score, enc, changed, valid_before / changed)
    if best is None:
        return None, False
    score, enc, changed, before = best
    short_but_clear = changed >= 2 and score == 1.0 and before == 0.0 and changed == len(words)
    if changed < _MIN_WORDS and not short_but_clear:
        return None, False
    if score >= 0.8 and score - before >= 0.4:
        return enc, True
    if score >= 0.5 and score - before >= 0.25:
        return enc, False
    return None, False


def detect_legacy(text: str) -> str | None:
    """Return ``"tcvn3"`` or ``"vni"`` when ``text`` is confidently legacy-encoded Vietnamese, else None."""
    enc, confident = assess_legacy(text)
    return enc if confident else None
