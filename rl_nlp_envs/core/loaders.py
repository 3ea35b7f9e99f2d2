"""Reading user and bundled data into ``Example`` lists, with errors that say where and what.

Formats: TSV and JSONL parallel text, gettext ``.po`` / ``.mo`` catalogues (or a folder of
them), and Hugging Face ``datasets`` objects. Every malformed row fails with the file name,
the line number and what was expected; no valid row is ever dropped silently (rows that are
skipped on purpose, such as untranslated gettext entries, are counted in the loader's report).
"""

from __future__ import annotations

import gzip
import io
import json
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_LINE_CHARS = 1_000_000


class DataFormatError(ValueError):
    """A data file that does not have the expected format."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}" if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")
        self.path, self.line = str(path), line


@dataclass
class Pair:
    """A source text, its reference translations, and where it came from."""

    source: str
    references: list[str]
    origin: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadReport:
    """What a loader read: pairs kept, and entries skipped on purpose with the reason."""

    pairs: list[Pair] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        """Count an entry skipped on purpose."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _open_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without newline), decoding UTF-8 strictly; ``.gz`` is unpacked."""
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
    with raw:
        for number, line in enumerate(raw, start=1):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataFormatError(
                    path, number, f"invalid UTF-8 at byte {exc.start} of the line"
                ) from None
            if len(text) > MAX_LINE_CHARS:
                raise DataFormatError(
                    path, number, f"line of {len(text):,} characters exceeds {MAX_LINE_CHARS:,}"
                )
            yield number, text.rstrip("\r\n")


def _base_name(path: Path) -> str:
    name = path.name
    return name[:-3] if name.endswith(".gz") else name


def read_tsv(path: str | Path) -> LoadReport:
    """``source<TAB>reference[<TAB>reference ...]`` per line; blank lines are not allowed."""
    path = Path(path)
    report = LoadReport()
    for number, line in _open_text_lines(path):
        if not line.strip():
            raise DataFormatError(path, number, "empty line; expected source<TAB>reference")
        cols = line.split("\t")
        if len(cols) < 2:
            raise DataFormatError(
                path, number, "expected at least 2 tab-separated columns: source<TAB>reference"
            )
        if any(not c.strip() for c in cols):
            raise DataFormatError(path, number, "empty column; every column needs text")
        report.pairs.append(Pair(cols[0], cols[1:], f"{path.name}:{number}"))
    if not report.pairs:
        raise DataFormatError(path, None, "the file is empty; expected source<TAB>reference lines")
    return report


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def read_jsonl(path: str | Path, src_lang: str, tgt_lang: str) -> LoadReport:
    """JSON objects, one per line, in one of these shapes:

    - ``{"source": "...", "references": ["...", ...]}`` (or ``"reference": "..."``);
    - ``{"<src_lang>": "..." or [...], "<tgt_lang>": "..." or [...]}`` (the bundled format;
      the first source string is the source, all target strings are references);
    - ``{"translation": {"<src_lang>": "...", "<tgt_lang>": "..."}}`` (Hugging Face style).

    An optional ``"split"`` field is kept in ``meta``; ``"id"`` names the example.
    """
    path = Path(path)
    report = LoadReport()
    expected = (
        f'an object with "source" and "references", with "{src_lang}" and "{tgt_lang}", '
        f'or with "translation": {{"{src_lang}": ..., "{tgt_lang}": ...}}'
    )
    for number, line in _open_text_lines(path):
        if not line.strip():
            raise DataFormatError(path, number, f"empty line; expected {expected}")
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, number, f"invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataFormatError(path, number, f"expected {expected}")
        obj = row.get("translation", row)
        if not isinstance(obj, dict):
            raise DataFormatError(path, number, f'"translation" must be an object; {expected}')
        if "source" in obj:
            source = _str_list(obj["source"])
            refs = _str_list(obj.get("references", obj.get("reference")))
        else:
            source = _str_list(obj.get(src_lang))
            refs = _str_list(obj.get(tgt_lang))
        if source is None or refs is None:
            raise DataFormatError(path, number, f"expected {expected}; got keys {sorted(obj)}")
        if not source[0].strip() or any(not r.strip() for r in refs):
            raise DataFormatError(path, number, "empty source or reference text")
        meta = {k: row[k] for k in ("split", "id", "topic") if k in row}
        if "split" in meta and meta["split"] not in ("train", "validation", "test"):
            raise DataFormatError(
                path, number, f"split {meta['split']!r} must be train, validation or test"
            )
        meta["sources"] = source
        report.pairs.append(Pair(source[0], refs, f"{_base_name(path)}:{number}", meta))
    if not report.pairs:
        raise DataFormatError(path, None, f"the file is empty; expected lines of {expected}")
    return report


# -- gettext -----------------------------------------------------------------------------------


def read_mo(path: str | Path) -> LoadReport:
    """A compiled gettext catalogue: (msgid, msgstr) pairs; plural forms give both forms."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < 28:
        raise DataFormatError(path, None, "too short for a .mo file (needs a 28-byte header)")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0x950412DE:
        order = "<"
    elif magic == 0xDE120495:
        order = ">"
    else:
        raise DataFormatError(path, None, f"bad magic number {magic:#x}; not a gettext .mo file")
    _, count, orig_offset, trans_offset = struct.unpack(order + "4I", data[4:20])
    charset = "utf-8"
    entries: list[tuple[bytes, bytes]] = []
    for i in range(count):
        try:
            olen, ooff = struct.unpack(
                order + "2I", data[orig_offset + 8 * i : orig_offset + 8 * i + 8]
            )
            tlen, toff = struct.unpack(
                order + "2I", data[trans_offset + 8 * i : trans_offset + 8 * i + 8]
            )
        except struct.error:
            raise DataFormatError(path, None, f"entry {i}: table runs past the end") from None
        if ooff + olen > len(data) or toff + tlen > len(data):
            raise DataFormatError(path, None, f"entry {i}: string runs past the end of the file")
        entries.append((data[ooff : ooff + olen], data[toff : toff + tlen]))
    for msgid, msgstr in entries:
        if msgid == b"":
            header = msgstr.decode("ascii", errors="replace")
            for line in header.splitlines():
                if line.lower().startswith("content-type:") and "charset=" in line:
                    charset = line.split("charset=")[1].strip() or "utf-8"
    report = LoadReport()
    for i, (msgid, msgstr) in enumerate(entries):
        if msgid == b"":
            continue
        try:
            ids = msgid.decode(charset).split("\x00")
            strs = msgstr.decode(charset).split("\x00")
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataFormatError(
                path, None, f"entry {i}: cannot decode as {charset}: {exc}"
            ) from None
        _add_gettext(report, ids, strs, f"{path.name}#{i}")
    return report


def _add_gettext(report: LoadReport, ids: list[str], strs: list[str], origin: str) -> None:
    """Add one catalogue entry (context stripped, plural forms paired)."""
    ids = [s.split("\x04", 1)[-1] for s in ids]
    if not any(s.strip() for s in strs):
        report.skip("untranslated")
        return
    forms = [(ids[0], strs[0])]
    if len(ids) > 1 and len(strs) > 1:
        forms.append((ids[1], strs[1]))
    for source, target in forms:
        if source.strip() and target.strip():
            report.pairs.append(Pair(source, [target], origin))
        else:
            report.skip("empty form")


def _po_string(path: Path, number: int, text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise DataFormatError(path, number, f"expected a quoted string, got {text[:40]!r}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, str):
        body = text[1:-1]
        value = (
            body.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
        )
    return value


def read_po(path: str | Path) -> LoadReport:
    """A gettext ``.po`` file: translated, non-fuzzy entries become pairs."""
    path = Path(path)
    report = LoadReport()
    entry: dict[str, Any] = {}
    current: str | None = None
    fuzzy = False
    start = 0

    def flush() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry:
            if fuzzy:
                report.skip("fuzzy")
            elif entry["msgid"] == "" and "msgctxt" not in entry:
                pass  # the header
            else:
                ids = [entry["msgid"]] + (
                    [entry["msgid_plural"]] if "msgid_plural" in entry else []
                )
                strs = [entry[k] for k in sorted(k for k in entry if k.startswith("msgstr"))]
                if not strs:
                    raise DataFormatError(path, start, "entry has msgid but no msgstr")
                _add_gettext(report, ids, strs, f"{path.name}:{start}")
        elif entry:
            raise DataFormatError(path, start, "entry without msgid")
        entry, fuzzy = {}, False

    def complete() -> bool:
        return any(k.startswith("msgstr") for k in entry)

    for number, line in _open_text_lines(path):
        stripped = line.strip()
        if not stripped:
            flush()
            current = None
            continue
        if stripped.startswith("#"):
            if complete():
                flush()
            if stripped.startswith("#,") and "fuzzy" in stripped:
                fuzzy = True
            continue
        keyword, _, rest = stripped.partition(" ")
        if keyword in ("msgctxt", "msgid", "msgid_plural") or keyword.startswith("msgstr"):
            if keyword in ("msgctxt", "msgid") and complete():
                flush()
            if not entry:
                start = number
            key = keyword.replace("[", "").replace("]", "")
            entry[key] = _po_string(path, number, rest)
            current = key
        elif stripped.startswith('"'):
            if current is None:
                raise DataFormatError(path, number, "continuation string without a keyword")
            entry[current] += _po_string(path, number, stripped)
        else:
            raise DataFormatError(
                path, number, f"unexpected {keyword!r}; expected msgctxt, msgid, msgstr or a string"
            )
    flush()
    return report


def read_gettext(path: str | Path) -> LoadReport:
    """A ``.po`` / ``.mo`` file, or every such file below a folder (sorted by path)."""
    path = Path(path)
    if path.is_dir():
        report = LoadReport()
        files = sorted(p for p in path.rglob("*") if p.suffix in (".po", ".mo"))
        if not files:
            raise DataFormatError(path, None, "no .po or .mo files in this folder")
        for file in files:
            part = read_mo(file) if file.suffix == ".mo" else read_po(file)
            report.pairs.extend(part.pairs)
            for reason, n in part.skipped.items():
                report.skipped[reason] = report.skipped.get(reason, 0) + n
        return report
    return read_mo(path) if path.suffix == ".mo" else read_po(path)


def read_hf_dataset(dataset: Any, src_lang: str, tgt_lang: str) -> LoadReport:
    """A Hugging Face ``datasets.Dataset`` (or any sequence of dict rows) of translations."""
    report = LoadReport()
    for i, row in enumerate(dataset):
        if not isinstance(row, Mapping):
            raise DataFormatError(
                "<dataset>", None, f"row {i} is a {type(row).__name__}, not a dict"
            )
        obj = row.get("translation", row)
        if "source" in obj:
            source, refs = _str_list(obj.get("source")), _str_list(obj.get("references"))
        else:
            source, refs = _str_list(obj.get(src_lang)), _str_list(obj.get(tgt_lang))
        if source is None or refs is None:
            raise DataFormatError(
                "<dataset>",
                None,
                f'row {i}: expected "{src_lang}" and "{tgt_lang}" (or "translation" / "source" '
                f'+ "references") string fields; got {sorted(obj)}',
            )
        report.pairs.append(Pair(source[0], refs, f"row {i}"))
    if not report.pairs:
        raise DataFormatError("<dataset>", None, "the dataset has no rows")
    return report


def read_parallel(source: Any, src_lang: str, tgt_lang: str) -> LoadReport:
    """Dispatch on what ``source`` is: a path by its suffix, a folder, or a dataset object."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"dataset path {path} does not exist")
        if path.is_dir():
            return read_gettext(path)
        suffixes = [s for s in path.suffixes if s != ".gz"]
        kind = suffixes[-1] if suffixes else ""
        if kind in (".tsv", ".txt"):
            return read_tsv(path)
        if kind in (".jsonl", ".json"):
            return read_jsonl(path, src_lang, tgt_lang)
        if kind in (".po", ".mo"):
            return read_gettext(path)
        raise DataFormatError(
            path, None, "unknown file type; use .tsv, .jsonl, .po, .mo (optionally .gz) or a folder"
        )
    if isinstance(source, Iterable) and not isinstance(source, (bytes, str, io.IOBase)):
        return read_hf_dataset(source, src_lang, tgt_lang)
    raise TypeError(
        f"dataset must be a path, a folder or a datasets.Dataset, got {type(source).__name__}"
    )
