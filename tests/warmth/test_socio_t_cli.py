"""``inspect-warmth warmth``: CSV and JSONL in and out, and bad input named by row and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_warmth.cli import main
from inspect_warmth.warmth.socio_t import score_texts

TEXTS = ["I'm so glad you asked! Here's the answer.", "No.", "Water boils at 100 degrees Celsius at sea level."]


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["warmth", *args])
    return result.exit_code, result.output


def _expected(lm: Path) -> list[float]:
    return [s.score for s in score_texts(TEXTS, lm=str(lm), samples=1, dropout=False, device="cpu")]


def test_csv_to_csv_keeps_rows_and_adds_scores(tmp_path: Path, char_gpt2_dir: Path) -> None:
    source = tmp_path / "replies.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "reply"])
        writer.writerows([[i, t] for i, t in enumerate(TEXTS)])
    out = tmp_path / "scored.csv"
    code, output = _run([str(source), "--column", "reply", "--lm", str(char_gpt2_dir), "--samples", "1",
                         "--no-dropout", "--device", "cpu", "--out", str(out)])
    assert code == 0, output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["reply"] for r in rows] == TEXTS
    assert [r["id"] for r in rows] == ["0", "1", "2"]
    assert [float(r["socio_t"]) for r in rows] == pytest.approx(_expected(char_gpt2_dir), abs=1e-9)
    assert all(r["socio_t_se"] == "nan" for r in rows)  # one repeat: SEM undefined
    assert "scored 3 texts" in output


def test_jsonl_to_jsonl_with_repeats(tmp_path: Path, char_gpt2_dir: Path) -> None:
    source = tmp_path / "replies.jsonl"
    source.write_text("".join(json.dumps({"text": t, "n": i}) + "\n" for i, t in enumerate(TEXTS)) + "\n")
    out = tmp_path / "scored.jsonl"
    code, output = _run([str(source), "--lm", str(char_gpt2_dir), "--samples", "3", "--seed", "5",
                         "--device", "cpu", "--out", str(out)])
    assert code == 0, output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["n"] for r in rows] == [0, 1, 2]
    expected = score_texts(TEXTS, lm=str(char_gpt2_dir), samples=3, seed=5, device="cpu", rng="global")
    assert [r["socio_t"] for r in rows] == pytest.approx([s.score for s in expected], abs=1e-12)
    assert all(r["socio_t_se"] > 0 for r in rows)
    # --rng private: the Inspect scorer's masks (SocioT's own generator)
    code, output = _run([str(source), "--lm", str(char_gpt2_dir), "--samples", "3", "--seed", "5",
                         "--device", "cpu", "--rng", "private", "--out", str(out)])
    assert code == 0, output
    private = score_texts(TEXTS, lm=str(char_gpt2_dir), samples=3, seed=5, device="cpu", rng="private")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["socio_t"] for r in rows] == pytest.approx([s.score for s in private], abs=1e-12)


def test_dtype_reaches_the_model(tmp_path: Path, char_gpt2_dir: Path) -> None:
    """--dtype bfloat16 scores with bfloat16 weights: the library's bfloat16 numbers."""
    source = tmp_path / "replies.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    out = tmp_path / "scored.jsonl"
    code, output = _run([str(source), "--lm", str(char_gpt2_dir), "--samples", "1", "--no-dropout", "--device", "cpu",
                         "--dtype", "bfloat16", "--out", str(out)])
    assert code == 0, output
    got = [json.loads(line)["socio_t"] for line in out.read_text().splitlines()]
    bf16 = score_texts(TEXTS, lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu", dtype="bfloat16")
    assert got == pytest.approx([s.score for s in bf16], abs=1e-12)
    assert got != pytest.approx(_expected(char_gpt2_dir), abs=1e-9)  # not the float32 numbers


def test_csv_in_jsonl_out(tmp_path: Path, char_gpt2_dir: Path) -> None:
    source = tmp_path / "replies.csv"
    source.write_text("text\nHello there\n")
    out = tmp_path / "scored.jsonl"
    code, output = _run([str(source), "--lm", str(char_gpt2_dir), "--samples", "2", "--no-dropout",
                         "--device", "cpu", "--out", str(out)])
    assert code == 0, output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["text"] == "Hello there" and row["socio_t_se"] == 0.0


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("a.csv", "reply\nhi\n", [], "has no column 'text'; its columns are: 'reply'"),
        ("b.csv", "text\nhi\n\"\"\n", [], "row 2, column 'text' is empty"),
        ("c.jsonl", '{"text": "hi"}\n{"text": 7}\n', [], "row 2, column 'text': expected text, got int 7"),
        ("d.jsonl", '{"text": "hi"}\n{"other": "x"}\n', [], "row 2 has no 'text' field"),
        ("e.jsonl", '{"text": "hi"}\nnot json\n', [], "e.jsonl, row 2: invalid JSON"),
        ("i.jsonl", '{"text": "hi"}\n[1]\n', [], "i.jsonl, row 2: expected a JSON object"),
        ("j.csv", "text,n\nhi,1\nho\n", [], "j.csv, row 2: expected 2 columns (text, n), found 1"),
        ("f.txt", "hi\n", [], "expected a .csv or .jsonl file"),
        ("g.csv", "text\nhi\n", ["--samples", "0"], "0 is not in the range x>=1"),
        ("h.jsonl", '{"text": null}\n', [], "got NoneType None"),
    ],
)
def test_bad_input_names_row_and_column(tmp_path: Path, name: str, content: str, args: list[str],
                                         message: str) -> None:
    source = tmp_path / name
    source.write_text(content)
    code, output = _run([str(source), "--lm", "never-loaded", *args, "--out", str(tmp_path / "out.csv")])
    assert code != 0
    assert message in " ".join(output.split())


def test_bad_out_extension(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("text\nhi\n")
    code, output = _run([str(source), "--out", str(tmp_path / "out.parquet")])
    assert code != 0 and "expected a .csv or .jsonl file" in output


@pytest.mark.slow
def test_killed_at_random_moments_the_out_file_is_old_or_whole_and_the_rerun_scores_every_row_once(
        tmp_path: Path, char_gpt2_dir: Path) -> None:
    """SIGKILL at seeded random moments of a run (loading, scoring, writing), then the same command again. Unit: one
    command run on one file; the uninterrupted run is the reference."""
    import random
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "replies.jsonl"
    texts = [f"{TEXTS[i % 3]} ({i})" for i in range(600)]
    source.write_text("".join(json.dumps({"text": t, "n": i}) + "\n" for i, t in enumerate(texts)))
    out = tmp_path / "scored.jsonl"
    old = '{"text": "an older run", "socio_t": 0.5}\n'
    out.write_text(old)
    command = [sys.executable, "-c", "from inspect_warmth.cli import main; main()", "warmth", str(source), "--lm",
               str(char_gpt2_dir), "--samples", "1", "--no-dropout", "--device", "cpu", "--batch-size", "8",
               "--out", str(out)]
    rng = random.Random(27)
    for _ in range(2):  # the command imports for about 5 s, then scores for a few
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 8.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        content = out.read_text()
        assert content == old or len(content.splitlines()) == len(texts), "a killed run left a torn --out file"
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["n"] for r in rows] == list(range(len(texts)))
    expected = score_texts(texts, lm=str(char_gpt2_dir), samples=1, dropout=False, device="cpu", batch_size=8)
    # the command runs on two threads, this process on one: sums in another order (differences ~1e-8)
    assert [r["socio_t"] for r in rows] == pytest.approx([s.score for s in expected], abs=1e-7)
