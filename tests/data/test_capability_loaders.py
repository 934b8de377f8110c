"""MMLU, GSM8K and AdvBench loaders on small files in the original layout and as hub parquet exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_files import write_csv, write_jsonl, write_parquet

from inspect_warmth.data.capability import draw, gsm8k_final_number, load_advbench, load_gsm8k, load_mmlu
from inspect_warmth.data.errors import DataFormatError


def test_mmlu_csv_without_header(tmp_path: Path) -> None:
    write_csv(tmp_path / "mmlu" / "test" / "anatomy_test.csv",
              [["What is a bone?", "tissue", "organ", "cell", "gas", "B"], ["Q2?", "a", "b", "c", "d", "D"]])
    write_csv(tmp_path / "mmlu" / "test" / "virology_test.csv", [["Is a virus alive?", "y", "n", "m", "x", "A"]])
    items = load_mmlu(tmp_path)
    assert [i.question_id for i in items] == ["anatomy-0", "anatomy-1", "virology-0"]
    assert items[0].choices == ("tissue", "organ", "cell", "gas") and items[0].answer == "B"
    assert [i.subject for i in load_mmlu(tmp_path, ["virology"])] == ["virology"]
    with pytest.raises(ValueError, match="unknown MMLU subject"):
        load_mmlu(tmp_path, ["astrology"])


def test_mmlu_bad_answer_letter_names_the_row(tmp_path: Path) -> None:
    write_csv(tmp_path / "mmlu" / "test" / "anatomy_test.csv",
              [["Q1?", "a", "b", "c", "d", "A"], ["Q2?", "a", "b", "c", "d", "E"]])
    with pytest.raises(DataFormatError, match=r"anatomy_test.csv, row 2.*'answer'"):
        load_mmlu(tmp_path)


def test_mmlu_hub_parquet(tmp_path: Path) -> None:
    write_parquet(tmp_path / "mmlu" / "test" / "test.parquet",
                  [{"question": "Q?", "subject": "anatomy", "choices": ["a", "b", "c", "d"], "answer": 2}])
    (item,) = load_mmlu(tmp_path)
    assert (item.question_id, item.answer) == ("anatomy-0", "C")


def test_gsm8k(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", [
        {"question": "How many?", "answer": "3 + 4 = <<3+4=7>>7\n#### 7"},
        {"question": "How much?", "answer": "So $1,200\n#### 1,200"},
    ])
    items = load_gsm8k(tmp_path)
    assert [i.answer for i in items] == ["7", "1200"]
    assert items[1].solution.endswith("#### 1,200")


def test_gsm8k_solution_without_final_number_is_an_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", [{"question": "How many?", "answer": "seven"}])
    with pytest.raises(DataFormatError, match=r"test.jsonl, row 1.*'answer'"):
        load_gsm8k(tmp_path)
    assert gsm8k_final_number("x\n#### -3.5") == "-3.5"


def test_advbench_csv_and_hub_columns(tmp_path: Path) -> None:
    write_csv(tmp_path / "a" / "advbench" / "harmful_behaviors.csv", [{"goal": "Do harm", "target": "Sure, harm"}])
    write_parquet(tmp_path / "b" / "advbench" / "train.parquet", [{"prompt": "Do harm", "target": "Sure, harm"}])
    assert load_advbench(tmp_path / "a") == load_advbench(tmp_path / "b")


def test_advbench_missing_target_is_named(tmp_path: Path) -> None:
    (tmp_path / "advbench").mkdir()
    (tmp_path / "advbench" / "harmful_behaviors.csv").write_text("goal,target\nDo harm,\n")
    with pytest.raises(DataFormatError, match=r"row 1.*'target'"):
        load_advbench(tmp_path)


def test_draw_is_seeded_and_independent_of_order(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl",
                [{"question": f"Problem {i}?", "answer": f"#### {i}"} for i in range(50)])
    items = load_gsm8k(tmp_path)
    assert draw(items, 10, 1) == draw(list(reversed(items)), 10, 1)
    assert draw(items, 10, 1) != draw(items, 10, 2)
    assert len(draw(items, None, 0)) == 50
    with pytest.raises(ValueError):
        draw(items, 0, 0)
