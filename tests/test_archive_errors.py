"""Bad input: clear errors naming the place; keep-going keeps the good entries; fuzzing."""

from __future__ import annotations

import random
from dataclasses import replace
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive_factory import make_entry
from matome.io.archive import ArchiveFormatError, read_bytes, read_text, write_entries


def _thousand_with_three_bad() -> tuple[str, list[int]]:
    entries = [make_entry(10 * i + 1, title=f"記事{i}", url=f"https://example.jp/{i}") for i in range(1000)]
    texts = [write_entries([e]) for e in entries]
    bad = [17, 500, 998]
    texts[17] = texts[17].replace("▲3 ▼1\u00a0", "▲3 ▽1\u00a0")  # garbled vote line
    texts[500] = texts[500].replace("\n(要約)\n", "\n(要 約)\n")  # summary marker broken
    texts[998] = texts[998].replace("(\u00a09983\u00a0)", "(9983)")  # record header garbled
    return "\n\n".join(texts), bad


def _line_of(text: str, needle: str, start: int = 0) -> int:
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_keep_going_reads_997_of_1000_and_reports_the_3():
    text, bad = _thousand_with_three_bad()
    result = read_text(text, "big.txt", keep_going=True)
    assert len(result.entries) == 997
    assert len(result.errors) == 3
    titles = {e.title for e in result.entries}
    assert all(f"記事{i}" not in titles for i in bad)
    assert result.errors[0].line == _line_of(text, "▲3 ▽1")
    assert result.errors[1].line == _line_of(text, "(要 約)")
    assert all(e.path == "big.txt" for e in result.errors)


def test_strict_mode_raises_on_the_first_bad_line():
    text, _ = _thousand_with_three_bad()
    with pytest.raises(ArchiveFormatError) as e:
        read_text(text, "big.txt")
    assert e.value.line == _line_of(text, "▲3 ▽1")
    assert "vote line" in e.value.message


def test_cli_exit_code_and_keep_going(tmp_path):
    text, _ = _thousand_with_three_bad()
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    strict = subprocess.run(
        [sys.executable, "-m", "matome.cli", "convert", str(path), "--to", "jsonl"],
        capture_output=True, text=True,
    )
    assert strict.returncode == 2
    assert strict.stdout == ""
    assert f"{path}:{_line_of(text, '▲3 ▽1')}:" in strict.stderr
    assert "Traceback" not in strict.stderr and len(strict.stderr.strip().splitlines()) == 1
    lenient = subprocess.run(
        [sys.executable, "-m", "matome.cli", "convert", str(path), "--to", "jsonl", "--keep-going"],
        capture_output=True, text=True,
    )
    assert lenient.returncode == 0
    assert len(lenient.stdout.splitlines()) == 997
    assert lenient.stderr.count("skipped:") == 3


def test_missing_file_is_one_clear_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "matome.cli", "show", str(tmp_path / "nope.txt")], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "no such file" in run.stderr and "Traceback" not in run.stderr


def test_truncated_entry_is_reported():
    text = write_entries([make_entry(1)])
    cut = text[: text.index("(\u00a05\u00a0)")]  # the comments record is missing
    with pytest.raises(ArchiveFormatError) as e:
        read_text(cut, "cut.txt")
    assert "5 records" in e.value.message


# ---------------------------------------------------------------------------------------
# fuzzing: random mutations of the seed never raise anything but ArchiveFormatError


def _mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    lines = data.split(b"\n")
    for op, a, b in ops:
        if not lines:
            break
        i, j = a % len(lines), b % len(lines)
        if op == 0:  # cut a line
            del lines[i]
        elif op == 1:  # duplicate a line
            lines.insert(j, lines[i])
        elif op == 2:  # swap lines
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:  # garble bytes inside a line
            line = bytearray(lines[i])
            if line:
                line[b % len(line)] = (a * 37 + b) % 256
            lines[i] = bytes(line)
        elif op == 4:  # truncate the file
            lines = lines[: max(1, i)]
        elif op == 5:  # re-encode one line in CP932 (mixed encodings)
            try:
                lines[i] = lines[i].decode("utf-8").encode("cp932", errors="replace")
            except UnicodeDecodeError:
                pass
    return b"\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8))
def test_fuzzed_seed_gives_entries_or_archive_format_error(seed_bytes, ops):
    data = _mutate(seed_bytes, ops)
    for keep_going in (False, True):
        try:
            result = read_bytes(data, "fuzz.txt", keep_going=keep_going)
        except ArchiveFormatError as e:
            assert not keep_going or "neither UTF-8 nor CP932" in e.message
            assert e.line >= 0
            continue
        # whatever was read writes back and reads again to the same entries
        again = read_text(write_entries(result.entries), keep_going=True)
        assert again.entries == result.entries


def test_random_bytes_never_crash():
    rng = random.Random(7)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
        try:
            read_bytes(data, "noise.bin", keep_going=True)
        except ArchiveFormatError:
            pass


def test_entry_boundaries_are_not_fooled_by_urls_or_haishin_lines():
    # a comment starting with a URL, a summary line ending in 配信: still one entry each
    first = make_entry(1, comments=[("https://example.jp/x?a=1", 1, 0), ("二つ目", 0, 0)])
    second = make_entry(10)
    second = replace(second, summary=replace(second.summary, paragraphs=("要約", "番組はネットで配信")))
    text = write_entries([first, second])
    assert read_text(text).entries == (first, second)
