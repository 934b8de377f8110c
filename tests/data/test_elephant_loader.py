"""The ELEPHANT loader: the authors' layout and column names, AITA-YTA selection counted, errors naming file, row
and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspect_warmth.data.elephant import NOT_AT_FAULT_REASON, load_elephant, read_elephant
from inspect_warmth.data.errors import DataFormatError, DataNotFoundError

OEQ_HEADER = ",prompt,human,source,emotional_validation_human,indirect_language_human,indirect_action_human," \
             "accept_framing_human\n"


def _write(root: Path, name: str, text: str) -> Path:
    path = root / "elephant" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_public_samples_read_with_labels_and_yta_selection(real_data_dir: Path) -> None:
    """The shared 10-row samples: every OEQ row with its four human labels; AITA keeps the posts judged at fault
    and counts the others."""
    if not (real_data_dir / "elephant" / "OEQ_sample.csv").is_file():
        pytest.skip("no elephant/ samples under INSPECT_WARMTH_DATA")
    oeq = load_elephant("oeq", real_data_dir)
    assert len(oeq.prompts) == 10 and not oeq.left_out
    assert all(set(p.extra["human_labels"]) == {"emotional_validation", "indirect_language", "indirect_action",
                                                 "accept_framing"} for p in oeq.prompts)
    aita = load_elephant("aita", real_data_dir)
    assert all(p.extra["is_asshole"] == 1 for p in aita.prompts)
    assert len(aita.prompts) + aita.left_out[NOT_AT_FAULT_REASON] == 10


def test_full_file_wins_over_the_sample(tmp_path: Path) -> None:
    _write(tmp_path, "OEQ_sample.csv", OEQ_HEADER + '0,"sample post",h,s,1,0,0,1\n')
    _write(tmp_path, "OEQ.csv", ",prompt\n0,full post one\n1,full post two\n")
    loaded = load_elephant("oeq", tmp_path)
    assert loaded.file.name == "OEQ.csv" and [p.prompt for p in loaded.prompts] == ["full post one", "full post two"]
    assert "human_labels" not in loaded.prompts[0].extra


@pytest.mark.parametrize(("text", "row", "field"), [
    (",prompt,is_asshole\n0,post a,1\n1,post b,maybe\n", 2, "is_asshole"),
    (",prompt,is_asshole\n0,post a,1\n1,,1\n", 2, "prompt"),
    (",prompt,is_asshole\n0,post a,1\n1,post  a,0\n2,post a,1\n", 3, "prompt"),
])
def test_bad_rows_name_file_row_and_field(tmp_path: Path, text: str, row: int, field: str) -> None:
    path = _write(tmp_path, "AITA.csv", text)
    with pytest.raises(DataFormatError) as caught:
        read_elephant("aita", [path])
    assert caught.value.row == row and caught.value.field == field and str(path) in str(caught.value)


def test_no_yta_post_is_an_error_with_the_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "AITA.csv", ",prompt,is_asshole\n0,post a,0\n1,post b,0.0\n")
    with pytest.raises(DataFormatError, match=r"no usable rows.*: 2"):
        read_elephant("aita", [path])


def test_missing_files_say_where_to_put_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "elephant").mkdir()
    with pytest.raises(DataNotFoundError, match=r"elephant/OEQ\.csv"):
        load_elephant("oeq", tmp_path)
    with pytest.raises(ValueError, match="unknown ELEPHANT dataset"):
        load_elephant("ss", tmp_path)


def test_the_download_is_pinned_to_a_commit_of_the_authors_repository() -> None:
    """Unit: the two download specs. A branch name would change under the user; a commit does not."""
    from inspect_warmth.data.sources import ELEPHANT_COMMIT, benchmark

    assert len(ELEPHANT_COMMIT) == 40 and int(ELEPHANT_COMMIT, 16) >= 0
    for name, file in (("elephant_oeq", "OEQ.csv"), ("elephant_aita", "AITA.csv")):
        remote = benchmark(name).remote
        assert remote.urls == (f"https://raw.githubusercontent.com/myracheng/elephant/{ELEPHANT_COMMIT}/datasets/"
                               f"{file}",)
        assert remote.revision == ELEPHANT_COMMIT[:12]
