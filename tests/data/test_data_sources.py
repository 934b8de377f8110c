"""Where benchmark files come from: data_dir, $INSPECT_WARMTH_DATA, the cache, a pinned download; clear errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from benchmark_files import write_jsonl, write_parquet, write_truthfulqa

from inspect_warmth.data import sources
from inspect_warmth.data.errors import DataFormatError, DataNotFoundError
from inspect_warmth.data.loaders import load_records
from inspect_warmth.data.readers import read_rows


@pytest.fixture
def no_data_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $INSPECT_WARMTH_DATA, an empty cache under tmp_path; returns the cache root."""
    monkeypatch.delenv("INSPECT_WARMTH_DATA", raising=False)
    for var in ("INSPECT_WARMTH_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INSPECT_WARMTH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_data_dir_argument_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = write_truthfulqa(tmp_path / "mine")
    monkeypatch.setenv("INSPECT_WARMTH_DATA", str(tmp_path / "elsewhere"))
    assert sources.resolve_files("truthfulqa", tmp_path / "mine") == [mine]


def test_env_dir_is_used_without_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_truthfulqa(tmp_path)
    monkeypatch.setenv("INSPECT_WARMTH_DATA", str(tmp_path))
    assert sources.resolve_files("truthfulqa") == [path]


def test_named_dir_without_the_file_names_the_expected_path(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as err:
        sources.resolve_files("disinfo", tmp_path)
    message = str(err.value)
    assert str(tmp_path / "mask" / "disinformation.csv") in message
    assert "cais/MASK" in message


def test_parquet_export_is_accepted_in_the_same_folder(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "gsm8k" / "test-00000.parquet", [{"question": "q", "answer": "#### 1"}])
    assert sources.resolve_files("gsm8k", tmp_path) == [path]


def test_offline_without_local_copy_says_where_to_put_the_file(no_data_env: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECT_WARMTH_OFFLINE", "1")
    with pytest.raises(DataNotFoundError) as err:
        load_records("truthfulqa")
    message = str(err.value)
    assert "sycophancy_eval/answer.jsonl" in message
    assert "INSPECT_WARMTH_DATA" in message
    assert "offline" in message


def test_offline_message_names_hub_id_and_revision(no_data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataNotFoundError) as err:
        load_records("medqa")
    spec = sources.BENCHMARKS["medqa"].remote
    assert isinstance(spec, sources.HubDataset)
    assert spec.id in str(err.value) and spec.revision in str(err.value)
    assert "medqa/phrases_no_exclude_test.jsonl" in str(err.value)


def test_failed_download_is_reported_with_the_cause(no_data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(remote: object, target: Path) -> None:
        raise ConnectionError("no route to host")

    monkeypatch.setattr(sources, "_fetch_hub", unreachable)
    with pytest.raises(DataNotFoundError, match="no route to host") as err:
        sources.resolve_files("gsm8k")
    assert "gsm8k/test.jsonl" in str(err.value)


def test_download_fills_the_cache_once(no_data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_hub(remote: sources.HubDataset, target: Path) -> None:
        calls.append(remote.revision)
        write_parquet(target / f"{remote.split}.parquet", [{"prompt": "Do a bad thing", "target": "Sure"}])

    monkeypatch.setattr(sources, "_fetch_hub", fake_hub)
    first = sources.resolve_files("advbench")
    second = sources.resolve_files("advbench")
    assert first == second and len(calls) == 1
    assert first[0].is_relative_to(no_data_env / "data")
    assert sources.BENCHMARKS["advbench"].remote.revision in str(first[0])


def test_url_download_checks_the_sha256(tmp_path: Path) -> None:
    content = b'{"x": 1}\n'
    remote = sources.UrlFile(urls=("https://a/1", "https://b/2"), filename="answer.jsonl",
                             sha256=hashlib.sha256(content).hexdigest(), revision="r")
    served = {"https://a/1": b"version https://git-lfs.github.com/spec/v1\n", "https://b/2": content}
    sources._fetch_url(remote, tmp_path, opener=served.__getitem__)
    assert (tmp_path / "answer.jsonl").read_bytes() == content
    with pytest.raises(ConnectionError, match="sha256"):
        sources._fetch_url(remote, tmp_path / "x", opener=lambda url: b"wrong")


def test_unknown_benchmark_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown benchmark"):
        sources.resolve_files("squad")


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"a": 1}])
    path.write_text(path.read_text() + "{not json\n")
    with pytest.raises(DataFormatError) as err:
        read_rows(path)
    assert str(path) in str(err.value) and "row 2" in str(err.value)


def test_csv_with_wrong_column_count_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(DataFormatError, match="row 2"):
        read_rows(path)


def test_empty_file_is_an_error_not_an_empty_dataset(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(DataFormatError, match="no rows"):
        read_rows(path)


def test_hub_download_goes_through_datasets_and_lands_as_parquet(
    no_data_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real download code, with a local folder standing in for the hub id (no network)."""
    import dataclasses

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    hub_copy = write_parquet(tmp_path / "hub" / "train.parquet", [{"prompt": "Do harm", "target": "Sure, harm"}])
    spec = dataclasses.replace(sources.BENCHMARKS["advbench"],
                               remote=sources.HubDataset(str(hub_copy.parent), None, "train", "main"))
    monkeypatch.setitem(sources.BENCHMARKS, "advbench", spec)
    (path,) = sources.resolve_files("advbench")
    assert path.suffix == ".parquet" and path.is_relative_to(no_data_env)
    assert read_rows(path) == [{"prompt": "Do harm", "target": "Sure, harm"}]
