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
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def iter_json_objects(path: Path, expected: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSONL file; blank lines, bad JSON and non-objects fail."""
    count = 0
    for number, line in _open_text_lines(path):
        if not line.strip():
            raise DataFormatError(path, number, f"empty line; expected {expected}")
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, number, f"invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataFormatError(path, number, f"expected {expected}")
        count += 1
        yield number, row
    if count == 0:
        raise DataFormatError(path, None, f"the file is empty; expected lines of {expected}")


def row_meta(row: Mapping[str, Any], where: str | Path, line: int | None) -> dict[str, Any]:
    """The optional ``split`` / ``id`` / ``topic`` / ``genre`` fields of a row, checked."""
    meta = {k: row[k] for k in ("split", "id", "topic", "genre") if k in row}
    if "split" in meta and meta["split"] not in ("train", "validation", "test"):
        raise DataFormatError(
            where, line, f"split {meta['split']!r} must be train, validation or test"
        )
    return meta


def read_jsonl(path: str | Path, src_lang: str, tgt_lang: str) -> LoadReport:
    """JSON objects, one per line, in one of these shapes:

    - ``{"source": "...", "references": ["...", ...]}`` (or ``"reference": "..."``);
    - ``{"<src_lang>": "..." or [...], "<tgt_lang>": "..." or [...]}`` (the bundled format;
      the first source string is the source, all target strings are references);
    - ``{"translation": {"<src_lang>": "...", "<tgt_lang>": "..."}}`` (Hugging Face style).

    Optional ``"split"``, ``"id"`` and ``"topic"`` fields are kept in ``meta``.
    """
    path = Path(path)
    report = LoadReport()
    expected = (
        f'an object with "source" and "references", with "{src_lang}" and "{tgt_lang}", '
        f'or with "translation": {{"{src_lang}": ..., "{tgt_lang}": ...}}'
    )
    for number, row in iter_json_objects(path, expected):
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
        meta = row_meta(row, path, number)
        meta["sources"] = source
        report.pairs.append(Pair(source[0], refs, f"{_base_name(path)}:{number}", meta))
    return report


DOCUMENT_KEYS = ("document", "article", "text")
SUMMARY_KEYS = ("summaries", "summary", "highlights")


def _summary_pair(row: Mapping[str, Any], where: str | Path, line: int | None) -> Pair:
    expected = (
        f"an object with a document ({' / '.join(DOCUMENT_KEYS)}) and its summary "
        f"({' / '.join(SUMMARY_KEYS)}: a string or a list of strings)"
    )
    doc_key = next((k for k in DOCUMENT_KEYS if k in row), None)
    sum_key = next((k for k in SUMMARY_KEYS if k in row), None)
    if doc_key is None or sum_key is None:
        raise DataFormatError(where, line, f"expected {expected}; got keys {sorted(row)}")
    document, summaries = row[doc_key], _str_list(row[sum_key])
    if not isinstance(document, str) or not document.strip():
        raise DataFormatError(where, line, f'"{doc_key}" must be a non-empty string')
    if summaries is None or any(not s.strip() for s in summaries):
        raise DataFormatError(where, line, f'"{sum_key}" must be a non-empty string or list')
    origin = f"{Path(str(where)).name}:{line}" if line is not None else str(where)
    return Pair(document, summaries, origin, row_meta(row, where, line))


def read_summaries(source: Any) -> LoadReport:
    """Document/summary pairs from a JSONL file (``.gz`` allowed) or a ``datasets.Dataset``:
    ``{"document": ..., "summary": ...}`` or ``"summaries": [...]`` (also ``article`` /
    ``text`` and ``highlights``, the names of common public corpora)."""
    report = LoadReport()
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"dataset path {path} does not exist")
        if not any(s in (".jsonl", ".json") for s in path.suffixes):
            raise DataFormatError(path, None, "unknown file type; use .jsonl (optionally .gz)")
        for number, row in iter_json_objects(path, "a document/summary object"):
            report.pairs.append(_summary_pair(row, path, number))
        return report
    if isinstance(source, Iterable) and not isinstance(source, (bytes, str)):
        for i, row in enumerate(source):
            if not isinstance(row, Mapping):
                raise DataFormatError("<dataset>", None, f"row {i} is not a dict")
            report.pairs.append(_summary_pair(row, f"<dataset> row {i}", None))
        if not report.pairs:
            raise DataFormatError("<dataset>", None, "the dataset has no rows")
        return report
    raise TypeError(f"dataset must be a path or a datasets.Dataset, got {type(source).__name__}")


def _load_json(path: Path) -> Any:
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
    with raw:
        data = raw.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFormatError(path, line, "invalid UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"invalid JSON ({exc.msg})") from None


def _qa_pair(
    where: str, question: Any, context: Any, answers: list[tuple[str, int | None]],
    qid: str, impossible: bool, meta: dict[str, Any],
) -> Pair:  # fmt: skip
    if not isinstance(question, str) or not question.strip():
        raise DataFormatError(where, None, f"question {qid!r}: expected a non-empty question")
    if not isinstance(context, str) or not context.strip():
        raise DataFormatError(where, None, f"question {qid!r}: expected a non-empty context")
    for text, start in answers:
        if start is not None and context[start : start + len(text)] != text:
            raise DataFormatError(
                where, None,
                f"question {qid!r}: answer {text!r} is not at answer_start {start} of the "
                f"context (found {context[start : start + len(text)]!r})",
            )  # fmt: skip
    if not answers and not impossible:
        raise DataFormatError(where, None, f"question {qid!r} has no answers and is not "
                              "marked is_impossible")  # fmt: skip
    texts = list(dict.fromkeys(t for t, _ in answers)) or [""]
    info = {**meta, "context": context, "id": qid, "is_impossible": impossible,
            "answer_starts": [s for _, s in answers]}  # fmt: skip
    return Pair(question, texts, f"{where}#{qid}", info)


def read_squad(source: Any) -> LoadReport:
    """SQuAD v1.1 / v2.0 JSON (``{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}``,
    ``.gz`` allowed), JSONL rows ``{"question", "context", "answers", "id"}``, or a
    ``datasets.Dataset`` in the Hugging Face ``squad`` layout. Every answer offset is checked
    against its context. Unanswerable questions (v2.0 ``is_impossible``) get the reference
    ``""``. An article-level or row-level ``split`` field is kept."""
    report = LoadReport()
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"dataset path {path} does not exist")
        if ".jsonl" in path.suffixes:
            for number, row in iter_json_objects(path, "a question/context/answers object"):
                report.pairs.append(_qa_row(row, f"{path.name}:{number}", number))
            return report
        data = _load_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise DataFormatError(path, None, 'expected SQuAD JSON: {"data": [articles]}')
        for a, article in enumerate(data["data"]):
            where = f"{path.name} data[{a}]"
            if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
                raise DataFormatError(where, None, 'expected an article with "paragraphs"')
            meta = row_meta(article, where, None)
            meta["title"] = article.get("title", "")
            for p, para in enumerate(article["paragraphs"]):
                pwhere = f"{where}.paragraphs[{p}]"
                if not isinstance(para, dict) or not isinstance(para.get("qas"), list):
                    raise DataFormatError(pwhere, None, 'expected "context" and "qas"')
                for q, qa in enumerate(para["qas"]):
                    qwhere = f"{pwhere}.qas[{q}]"
                    if not isinstance(qa, dict) or not isinstance(qa.get("answers", []), list):
                        raise DataFormatError(qwhere, None, 'expected "question" and "answers"')
                    answers = []
                    for ans in qa.get("answers", []):
                        if (
                            not isinstance(ans, dict)
                            or not isinstance(ans.get("text"), str)
                            or not isinstance(ans.get("answer_start"), int)
                        ):
                            raise DataFormatError(qwhere, None, 'answers need "text" (str) and '
                                                  '"answer_start" (int)')  # fmt: skip
                        answers.append((ans["text"], ans["answer_start"]))
                    report.pairs.append(_qa_pair(
                        qwhere, qa.get("question"), para.get("context"), answers,
                        str(qa.get("id", f"{a}-{p}-{q}")), bool(qa.get("is_impossible", False)),
                        meta,
                    ))  # fmt: skip
        if not report.pairs:
            raise DataFormatError(path, None, "no questions in the file")
        return report
    if isinstance(source, Iterable) and not isinstance(source, (bytes, str)):
        for i, row in enumerate(source):
            if not isinstance(row, Mapping):
                raise DataFormatError("<dataset>", None, f"row {i} is not a dict")
            report.pairs.append(_qa_row(row, f"<dataset> row {i}", None))
        if not report.pairs:
            raise DataFormatError("<dataset>", None, "the dataset has no rows")
        return report
    raise TypeError(f"dataset must be a path or a datasets.Dataset, got {type(source).__name__}")


def _qa_row(row: Mapping[str, Any], where: str, line: int | None) -> Pair:
    """A flat question row: answers as strings, ``{"text", "answer_start"}`` objects, or the
    Hugging Face ``{"text": [...], "answer_start": [...]}`` columns."""
    raw = row.get("answers", [])
    answers: list[tuple[str, int | None]] = []
    if isinstance(raw, Mapping):
        texts, starts = raw.get("text", []), raw.get("answer_start", [])
        if not isinstance(texts, list) or not isinstance(starts, list) or len(texts) != len(starts):
            raise DataFormatError(where, None, '"answers" columns "text" and "answer_start" '
                                  "must be lists of equal length")  # fmt: skip
        answers = [(str(t), int(s)) for t, s in zip(texts, starts, strict=True)]
    elif isinstance(raw, list):
        for ans in raw:
            if isinstance(ans, str):
                answers.append((ans, None))
            elif isinstance(ans, Mapping) and isinstance(ans.get("text"), str):
                start = ans.get("answer_start")
                answers.append((ans["text"], int(start) if isinstance(start, int) else None))
            else:
                raise DataFormatError(where, None, "each answer must be a string or an object "
                                      'with "text"')  # fmt: skip
    else:
        raise DataFormatError(where, None, '"answers" must be a list or a text/answer_start object')
    meta = row_meta(row, where, line)
    meta["title"] = row.get("title", "")
    impossible = bool(row.get("is_impossible", not answers))
    return _qa_pair(where, row.get("question"), row.get("context"), answers,
                    str(row.get("id", where)), impossible, meta)  # fmt: skip


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
    """Dispatch on what ``source`` is: a path by its suffix, a folder, or a dataset object.

    Examples:
        >>> from rl_nlp_envs.core.loaders import read_parallel
        >>> rows = [{"en": "Good morning.", "de": ["Guten Morgen.", "Morgen!"]}]
        >>> read_parallel(rows, "en", "de").pairs[0].references
        ['Guten Morgen.', 'Morgen!']
        >>> read_parallel("missing.tsv", "en", "de")
        Traceback (most recent call last):
        ...
        FileNotFoundError: dataset path missing.tsv does not exist
    """
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


# -- recommendation: item catalogues and interaction logs --------------------------------------

CATALOGUE_FIELDS = ("id", "title", "description", "topics")


@dataclass
class CatalogueRow:
    """One catalogue item as read from a file (optional fields left ``None`` when absent)."""

    id: str
    title: str
    description: str
    topics: list[str]
    kind: str | None = None
    quality: float | None = None
    length_minutes: float | None = None
    clickbait: bool | None = None


@dataclass
class Interaction:
    """One logged interaction: a user, an item id, and a rating or a click (0/1)."""

    user: str
    item: str
    value: float


def _split_labels(value: Any) -> list[str] | None:
    """Topic labels from a JSON list or a CSV cell separated by ``|`` or ``;``."""
    if isinstance(value, list):
        labels = value
    elif isinstance(value, str):
        labels = [t for part in value.replace(";", "|").split("|") if (t := part.strip())]
    else:
        return None
    if not labels or not all(isinstance(t, str) and t.strip() for t in labels):
        return None
    return [t.strip() for t in labels]


def _optional_float(value: Any, key: str, where: Path, line: int, low: float, high: float) -> Any:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataFormatError(where, line, f"{key} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise DataFormatError(where, line, f"{key} must be in [{low:g}, {high:g}], got {number:g}")
    return number


def _csv_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file with a header naming at least ``required``."""
    import csv

    lines = (text for _, text in _open_text_lines(path))
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataFormatError(path, None, "the file is empty; expected a header line") from None
    missing = [k for k in required if k not in header]
    if missing:
        raise DataFormatError(
            path, 1, f"the header lacks {missing}; it needs the columns {list(required)}"
        )
    count = 0
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            raise DataFormatError(path, number, "empty line")
        if len(cells) != len(header):
            raise DataFormatError(
                path, number, f"{len(cells)} columns where the header has {len(header)}"
            )
        count += 1
        yield number, dict(zip(header, cells, strict=True))
    if count == 0:
        raise DataFormatError(path, None, "no rows after the header")


def _rows_of(
    path: Path, required: Sequence[str], what: str
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if not path.exists():
        raise FileNotFoundError(f"{what} path {path} does not exist")
    suffixes = [s for s in path.suffixes if s != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    if kind == ".csv":
        yield from _csv_rows(path, required)
    elif kind in (".jsonl", ".json"):
        yield from iter_json_objects(path, f"an object with {', '.join(required)}")
    else:
        raise DataFormatError(path, None, "unknown file type; use .csv or .jsonl (optionally .gz)")


def read_item_catalogue(path: str | Path) -> list[CatalogueRow]:
    """An item catalogue from CSV (header ``id,title,description,topics``; topics separated by
    ``|`` or ``;``) or JSONL (``{"id", "title", "description", "topics": [...]}``).

    Optional fields: ``kind``, ``quality`` (0..1), ``length_minutes`` (1..240) and
    ``clickbait`` (true/false, or 1/0 in CSV). Ids must be unique.
    """
    path = Path(path)
    items: list[CatalogueRow] = []
    seen: dict[str, int] = {}
    for number, row in _rows_of(path, CATALOGUE_FIELDS, "catalogue"):
        missing = [k for k in CATALOGUE_FIELDS if k not in row]
        if missing:
            raise DataFormatError(path, number, f"missing {missing}; required: {CATALOGUE_FIELDS}")
        item_id = str(row["id"]).strip()
        if not item_id:
            raise DataFormatError(path, number, "empty id")
        if item_id in seen:
            raise DataFormatError(path, number, f"duplicate id {item_id!r} (first on line "
                                  f"{seen[item_id]})")  # fmt: skip
        seen[item_id] = number
        title, description = row["title"], row["description"]
        if not isinstance(title, str) or not title.strip():
            raise DataFormatError(path, number, "title must be non-empty text")
        if not isinstance(description, str):
            raise DataFormatError(path, number, "description must be text")
        topics = _split_labels(row["topics"])
        if topics is None:
            raise DataFormatError(
                path, number, "topics must be a non-empty list of labels (CSV: 'a|b')"
            )
        clickbait = row.get("clickbait")
        if isinstance(clickbait, str):
            flag = clickbait.strip().lower()
            if flag not in ("", "0", "1", "true", "false"):
                raise DataFormatError(
                    path, number, f"clickbait must be true/false, got {clickbait!r}"
                )
            clickbait = None if flag == "" else flag in ("1", "true")
        elif clickbait is not None and not isinstance(clickbait, bool):
            raise DataFormatError(path, number, f"clickbait must be true/false, got {clickbait!r}")
        kind = row.get("kind")
        items.append(CatalogueRow(
            id=item_id, title=title.strip(), description=description.strip(), topics=topics,
            kind=str(kind).strip() or None if kind is not None else None,
            quality=_optional_float(row.get("quality"), "quality", path, number, 0.0, 1.0),
            length_minutes=_optional_float(
                row.get("length_minutes"), "length_minutes", path, number, 1.0, 240.0
            ),
            clickbait=clickbait,
        ))  # fmt: skip
    return items


def read_interactions(path: str | Path) -> list[Interaction]:
    """An interaction log from CSV (header ``user,item`` plus ``rating`` or ``click``) or JSONL
    (``{"user", "item", "rating"}`` or ``{"user", "item", "click"}``). Ratings are any finite
    numbers; clicks are 0 or 1."""
    path = Path(path)
    out: list[Interaction] = []
    column: str | None = None
    for number, row in _rows_of(path, ("user", "item"), "interaction log"):
        if "user" not in row or "item" not in row:
            raise DataFormatError(path, number, "expected fields user, item and rating or click")
        here = "rating" if "rating" in row else "click" if "click" in row else None
        if here is None:
            raise DataFormatError(path, number, "expected a rating or a click field")
        if column is None:
            column = here
        elif here != column:
            raise DataFormatError(path, number, f"mixes {here!r} with {column!r}; use one")
        raw = row[here]
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DataFormatError(path, number, f"{here} must be a number, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise DataFormatError(path, number, f"{here} must be finite")
        if here == "click" and value not in (0.0, 1.0):
            raise DataFormatError(path, number, f"click must be 0 or 1, got {raw!r}")
        user, item = str(row["user"]).strip(), str(row["item"]).strip()
        if not user or not item:
            raise DataFormatError(path, number, "empty user or item")
        out.append(Interaction(user, item, value))
    return out
