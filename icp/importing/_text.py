"""Bytes to text: encoding detection, and the cleaning every imported string goes through.

Detection order: a byte-order mark (UTF-32, UTF-8, UTF-16 — Excel's "Unicode Text" is UTF-16 LE with
a BOM); UTF-16/32 without a BOM (recognised by their NUL bytes); UTF-8; then, line by line, Windows-1252
(cp1252, what Excel writes for "CSV" in Western Europe and the Americas) for the lines that are not
UTF-8, with a warning that names the guess. Undecodable bytes become U+FFFD with a warning, never
silently garbled text.
"""

from __future__ import annotations

import re

from icp.errors import InputError
from icp.importing._limits import MAX_FIELD_CHARS
from icp.importing._models import RowWarning

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
)

# UTF-8 text read as cp1252/latin-1 ("MÃ¼nchen", "donâ€™t"), already-replaced characters, and double-byte
# text (Shift-JIS, GBK, Big5) read as cp1252: runs of symbols that no Western text strings together.
_RARE = "\u0192\u201e\u2020\u2021\u02c6\u2030\u2039\u203a\u201a"
_GARBLED = re.compile(
    "[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
    f"|â€|\ufffd|[{_RARE}]\\S{{0,3}}[{_RARE}]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
# C0/C1 control characters except tab, newline and carriage return: NUL cannot be stored in PostgreSQL
# text, and the others are terminal escape material.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _sniff_wide(sample: bytes) -> str | None:
    """UTF-16/32 without a BOM: ASCII text in them has NUL bytes at regular positions."""
    if len(sample) < 4:
        return None
    quarter = [sample[i::4].count(0) / max(1, len(sample[i::4])) for i in range(4)]
    if quarter[1] > 0.9 and quarter[2] > 0.9 and quarter[3] > 0.9:
        return "utf-32-le"
    if quarter[0] > 0.9 and quarter[1] > 0.9 and quarter[2] > 0.9:
        return "utf-32-be"
    even = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd > 0.6 and even < 0.2:
        return "utf-16-le"
    if even > 0.6 and odd < 0.2:
        return "utf-16-be"
    return None


def decode_text(data: bytes, source: str) -> tuple[str, list[RowWarning]]:
    """The file's text and warnings about how it was decoded. Raises InputError for a binary file."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), []
            except UnicodeDecodeError as exc:
                if name == "UTF-32":  # FF FE 00 00 may also be UTF-16 LE text starting with a NUL
                    continue
                raise InputError(
                    f"{source} starts with a {name} byte-order mark but is not valid {name} "
                    f"(byte {exc.start + len(bom):,}). Save it again as 'CSV UTF-8'. Nothing was imported."
                ) from exc
    if b"\x00" in data[:8192]:
        wide = _sniff_wide(data[:8192])
        if wide is not None:
            try:
                return data.decode(wide), [RowWarning(message=f"{source} has no byte-order mark; read it as {wide}.")]
            except UnicodeDecodeError:
                pass
        raise InputError(
            f"{source} is not a text file (it holds NUL bytes, as binary files do). "
            "Export a CSV, JSON or JSONL file. Nothing was imported."
        )
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    guessed = 0
    out: list[str] = []
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            guessed += 1
            out.append(line.decode("cp1252", errors="replace"))
    text = "\n".join(out)
    total = sum(1 for line in lines if line.strip())
    share = "all of its lines" if guessed == total else f"{guessed:,} of its {total:,} lines (mixed encodings)"
    warnings = [
        RowWarning(
            message=f"{source} is not UTF-8: read {share} as Windows-1252 (cp1252), a guess. "
            "Check accented characters, or save the file as 'CSV UTF-8' and import it again."
        )
    ]
    garbled = sum(1 for line in out if _GARBLED.search(line))
    if garbled:
        warnings.append(
            RowWarning(
                message=f"{source}: {garbled:,} lines still look garbled as Windows-1252 — the file is probably in "
                "another encoding (e.g. Shift-JIS or GB18030). Save it as UTF-8 and import it again."
            )
        )
    return text, warnings


def clean_text(value: str, field: str, notes: list[str], *, keep_controls: bool = False) -> str:
    """Make one imported string storable and safe: bounded, no lone surrogates, no control characters.

    Raises ValueError (a row error) for a string over the size limit; appends to ``notes`` what it changed.
    ``keep_controls`` leaves control characters for the caller to refuse (a domain with a NUL is not a domain).
    """
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"{field} is {len(value):,} characters long; the limit is {MAX_FIELD_CHARS:,}")
    if value.isascii() and value.isprintable():
        return value  # the common case: nothing to clean or flag
    match = _GARBLED.search(value)
    if match:
        start = max(0, match.start() - 12)
        notes.append(
            f"{field} looks garbled ({value[start : match.end() + 12]!r}): the file may have been saved in "
            "another encoding; check it"
        )
    if _SURROGATES.search(value):
        value = _SURROGATES.sub("\ufffd", value)
        notes.append(f"{field}: replaced an invalid character (a lone UTF-16 surrogate) with '\ufffd'")
    if not keep_controls and _CONTROLS.search(value):
        value = _CONTROLS.sub("", value)
        notes.append(f"{field}: removed control characters")
    return value
