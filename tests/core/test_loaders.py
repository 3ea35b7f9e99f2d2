"""Data loaders: every format, and precise errors for malformed files."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from rl_nlp_envs.core.loaders import (
    DataFormatError,
    read_gettext,
    read_hf_dataset,
    read_jsonl,
    read_mo,
    read_parallel,
    read_po,
    read_tsv,
)

PO = r"""# German translation
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

#: src/main.c:10
msgid "Open file"
msgstr "Datei öffnen"

#, fuzzy
msgid "Close"
msgstr "Schließen"

msgid "Untranslated"
msgstr ""

msgctxt "menu"
msgid "Quit"
msgstr "Beenden"

msgid ""
"A long "
"message\n"
msgstr ""
"Eine lange "
"Nachricht\n"

msgid "One file"
msgid_plural "%d files"
msgstr[0] "Eine Datei"
msgstr[1] "%d Dateien"
"""


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _mo_bytes(entries: dict[str, str]) -> bytes:
    """A little-endian .mo file built by hand (the format of GNU msgfmt)."""
    keys = sorted(entries)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(entries[k].encode() + b"\0" for k in keys)
    n = len(keys)
    header = 7 * 4
    orig_table = header
    trans_table = orig_table + 8 * n
    ids_start = trans_table + 8 * n
    strs_start = ids_start + len(ids)
    out = struct.pack("<7I", 0x950412DE, 0, n, orig_table, trans_table, 0, 0)
    offset = ids_start
    for k in keys:
        out += struct.pack("<2I", len(k.encode()), offset)
        offset += len(k.encode()) + 1
    offset = strs_start
    for k in keys:
        out += struct.pack("<2I", len(entries[k].encode()), offset)
        offset += len(entries[k].encode()) + 1
    return out + ids + strs


def test_po_entries_contexts_plurals_fuzzy_and_untranslated(tmp_path: Path) -> None:
    report = read_po(_write(tmp_path, "de.po", PO))
    pairs = [(p.source, p.references[0]) for p in report.pairs]
    assert pairs == [
        ("Open file", "Datei öffnen"),
        ("Quit", "Beenden"),
        ("A long message\n", "Eine lange Nachricht\n"),
        ("One file", "Eine Datei"),
        ("%d files", "%d Dateien"),
    ]
    assert report.skipped == {"fuzzy": 1, "untranslated": 1}


def test_mo_matches_po_and_msgfmt(tmp_path: Path) -> None:
    mo = tmp_path / "x.mo"
    mo.write_bytes(_mo_bytes({"": "Content-Type: text/plain; charset=UTF-8\n",
                              "Open file": "Datei öffnen", "Save": "Speichern"}))  # fmt: skip
    assert [(p.source, p.references) for p in read_mo(mo).pairs] == [
        ("Open file", ["Datei öffnen"]),
        ("Save", ["Speichern"]),
    ]
    if shutil.which("msgfmt"):
        po = _write(tmp_path, "de.po", PO)
        subprocess.run(["msgfmt", "-o", str(tmp_path / "c.mo"), str(po)], check=True)
        compiled = {(p.source, p.references[0]) for p in read_mo(tmp_path / "c.mo").pairs}
        assert compiled == {(p.source, p.references[0]) for p in read_po(po).pairs}


def test_system_catalogues_load_when_present() -> None:
    folder = Path("/usr/share/locale/de/LC_MESSAGES")
    if not folder.is_dir() or not any(folder.glob("*.mo")):
        pytest.skip("no German .mo catalogues on this machine")
    report = read_gettext(folder)
    assert len(report.pairs) > 100
    assert all(p.source.strip() and p.references[0].strip() for p in report.pairs)


def test_bad_mo_and_empty_folder(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mo"
    bad.write_bytes(b"\x00" * 40)
    with pytest.raises(DataFormatError, match="bad magic number"):
        read_mo(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match=r"no \.po or \.mo files"):
        read_gettext(tmp_path / "empty")


def test_po_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"bad\.po:2: unexpected 'msgfoo'"):
        read_po(_write(tmp_path, "bad.po", 'msgid "a"\nmsgfoo "b"\n'))
    with pytest.raises(DataFormatError, match=r"q\.po:1: expected a quoted string"):
        read_po(_write(tmp_path, "q.po", 'msgid a\nmsgstr "b"\n'))


def test_tsv_rows_and_errors(tmp_path: Path) -> None:
    report = read_tsv(_write(tmp_path, "a.tsv", "Hello\tHallo\tServus\nYes\tJa\n"))
    assert [(p.source, p.references) for p in report.pairs] == [
        ("Hello", ["Hallo", "Servus"]), ("Yes", ["Ja"])]  # fmt: skip
    with pytest.raises(DataFormatError, match=r"b\.tsv:2: expected at least 2"):
        read_tsv(_write(tmp_path, "b.tsv", "Hello\tHallo\nno tab here\n"))
    with pytest.raises(DataFormatError, match=r"c\.tsv:1: empty column"):
        read_tsv(_write(tmp_path, "c.tsv", "Hello\t\n"))
    with pytest.raises(DataFormatError, match="the file is empty"):
        read_tsv(_write(tmp_path, "d.tsv", ""))
    bad = tmp_path / "e.tsv"
    bad.write_bytes(b"ok\tgut\n\xff\xfe\tx\n")
    with pytest.raises(DataFormatError, match=r"e\.tsv:2: invalid UTF-8"):
        read_tsv(bad)


def test_jsonl_shapes_gzip_and_errors(tmp_path: Path) -> None:
    rows = [
        {"source": "Hi", "references": ["Hallo", "Hi"]},
        {"en": ["Yes"], "de": ["Ja"], "split": "test", "id": "x1"},
        {"translation": {"en": "No", "de": "Nein"}},
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    report = read_jsonl(path, "en", "de")
    assert [p.source for p in report.pairs] == ["Hi", "Yes", "No"]
    assert report.pairs[1].meta["split"] == "test"
    with pytest.raises(DataFormatError, match=r"b\.jsonl:2: invalid JSON"):
        read_jsonl(_write(tmp_path, "b.jsonl", text.splitlines()[0] + "\n{oops\n"), "en", "de")
    with pytest.raises(DataFormatError, match=r"c\.jsonl:1: expected an object"):
        read_jsonl(_write(tmp_path, "c.jsonl", '{"en": "x", "fr": "y"}\n'), "en", "de")
    with pytest.raises(DataFormatError, match=r"d\.jsonl:1: split 'dev'"):
        read_jsonl(_write(tmp_path, "d.jsonl", '{"en": "x", "de": "y", "split": "dev"}\n'),
                   "en", "de")  # fmt: skip


def test_dataset_objects_and_dispatch(tmp_path: Path) -> None:
    report = read_hf_dataset([{"translation": {"en": "a", "de": "b"}}], "en", "de")
    assert report.pairs[0].references == ["b"]
    with pytest.raises(DataFormatError, match="row 0"):
        read_hf_dataset([{"text": "a"}], "en", "de")
    with pytest.raises(FileNotFoundError):
        read_parallel(tmp_path / "missing.tsv", "en", "de")
    with pytest.raises(DataFormatError, match="unknown file type"):
        read_parallel(_write(tmp_path, "x.csv", "a,b\n"), "en", "de")
    with pytest.raises(TypeError, match="dataset must be"):
        read_parallel(42, "en", "de")
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"translation": [{"en": "cat", "de": "Katze"}]})
    assert read_parallel(ds, "en", "de").pairs[0].source == "cat"


def test_huge_lines_and_skips_are_reported(tmp_path: Path) -> None:
    huge = tmp_path / "huge.tsv"
    huge.write_text("ok\tgut\n" + "a" * 1_000_001 + "\tb\n", encoding="utf-8")
    with pytest.raises(
        DataFormatError, match=r"huge\.tsv:2: line of 1,000,00\d characters exceeds"
    ):
        read_tsv(huge)
    po = _write(tmp_path, "s.po", 'msgid "a"\nmsgstr ""\n\nmsgid "b"\nmsgstr "B"\n')
    report = read_po(po)
    assert len(report.pairs) == 1 and report.skipped == {"untranslated": 1}
