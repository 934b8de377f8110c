"""The tidy responses table: one row per scored reply, built from Inspect logs or read from CSV/Parquet.

Columns: ``model`` (base-model family, eval metadata ``family``), ``variant`` (eval
metadata ``variant``, else the model name), ``dataset``, ``question_id``, ``template``, ``amendment``,
``amendment_type``, ``is_incorrect`` (1 when the score value is "I"), ``refusal``, ``response_length``
(characters of the reply), ``sample_id`` (the Inspect sample id, ``{dataset}-{question_id}-{template}-{amendment}``),
``scorer``; from logs also ``epoch``, ``grader`` (the model that graded the score, from its metadata ``grader``
as the judge records it, so a log graded later with ``inspect score`` names its real grader; else the model bound
to the eval's ``grader`` role; "" when none), ``log``
and the provenance columns ``statement_index`` (sample metadata), ``system_prompt`` and ``belief_form`` (task
arguments); ``first_is_incorrect``: for pushback samples the first reply's 1 / 0 (score metadata ``first_value``;
NaN when unscored and on every other template; optional in tables).

Social-sycophancy replies (the ``elephant`` scorer, ELEPHANT's behaviours) are no correctness scores: they go to
``Responses.social``, one row per reply × behaviour (columns ``model``, ``variant``, ``dataset`` (``oeq`` /
``aita``), ``question_id`` (the prompt), ``amendment``, ``behaviour``, ``value`` (1 shows the behaviour, 0 not,
NaN unscored), ``set_aside`` (the reason a reply has no value), ``sample_id``, ``epoch``, ``log``,
``system_prompt``, ``human_label`` (the OEQ file's label of the human reply, where present) and ``reply_source``
(``model``, or ``human`` under ``-T replies=human``)), never to ``table``.

Replies that cannot count are never silently dropped: they are kept apart in ``Responses.unscored`` with a
``set_aside`` reason and counted in every report: the scorer could not score them (value "N"), the sample errored
(even when ``score_on_error`` gave it a score: an outage is not a wrong answer), or the log stopped early
(status ``error``/``cancelled``; its samples are left out so a partial run never stands for a whole one).

A log that cannot be read (truncated by a kill, corrupt, or in a log format newer than the installed Inspect reads)
stops the reading with a :class:`ResponsesError` that names every such file and why (:func:`check_logs`): it is
never skipped silently. A log written by another version of inspect-warmth is read, and a note names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_warmth.scorers.visible_answer import visible_answer
from inspect_warmth.vocabulary import NON_CORRECTNESS_SCORERS, SOCIAL_SCORER, amendment_type

if TYPE_CHECKING:
    import pandas as pd
    from inspect_ai.log import EvalLog, EvalSample, EvalSampleSummary

__all__ = ["Responses", "ResponsesError", "load_responses", "responses_from_logs", "responses_from_table"]

#: The columns every responses table has.
RESPONSE_COLUMNS: tuple[str, ...] = (
    "model",
    "variant",
    "dataset",
    "question_id",
    "template",
    "amendment",
    "amendment_type",
    "is_incorrect",
    "refusal",
    "response_length",
    "sample_id",
    "scorer",
)
#: Columns a user-supplied table must have (the rest get defaults).
REQUIRED_TABLE_COLUMNS: tuple[str, ...] = ("variant", "dataset", "question_id", "is_incorrect")

TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".pq")
LOG_SUFFIXES: tuple[str, ...] = (".eval", ".json")
#: Score metadata ``first_value`` (pushback samples, :mod:`inspect_warmth.scorers.pushback`) -> first_is_incorrect.
_FIRST_VALUE = {"C": 0.0, "I": 1.0}


@dataclass
class Responses:
    """Scored replies plus what was set aside, with where it came from."""

    table: pd.DataFrame
    unscored: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    social: pd.DataFrame | None = None
    """Social-sycophancy replies, one row per reply × behaviour (see the module docstring); None when none."""

    def unscored_counts(self) -> pd.DataFrame:
        """Set-aside replies per model × variant × dataset × scorer × reason (empty frame when there are none)."""
        import pandas as pd

        keys = ["model", "variant", "dataset", "scorer", "set_aside"]
        if self.unscored.empty:
            return pd.DataFrame(columns=[*keys, "n_unscored"])
        return self.unscored.groupby(keys, dropna=False).size().rename("n_unscored").reset_index()


class ResponsesError(ValueError):
    """Input that cannot become a responses table; the message names the file, row or column."""


# ---------------------------------------------------------------------------------------------- from logs


def _eval_label(log: EvalLog, key: str) -> str | None:
    meta: dict[str, Any] = {**(log.eval.metadata or {}), **(log.metadata or {})}
    value = meta.get(key)
    return None if value in (None, "") else str(value)


def _grader(log: EvalLog) -> str:
    roles = log.eval.model_roles or {}
    role = roles.get("grader")
    if role is None:
        return ""
    configs = role if isinstance(role, list) else [role]
    return ",".join(c.model for c in configs)


def _reply_fields(sample: EvalSample | EvalSampleSummary) -> dict[str, Any]:
    """Per scorer: value, refusal flag, unscored reason; plus the reply's length in characters."""
    out: dict[str, Any] = {}
    reply: str | None = None
    output = getattr(sample, "output", None)
    if output is not None and output.choices:
        reply = visible_answer(output)  # the reply's length excludes its reasoning
    for name, score in (sample.scores or {}).items():
        if name == SOCIAL_SCORER and isinstance(score.value, dict):
            out["social__values"] = dict(score.value)
            out["social__unscored"] = dict((score.metadata or {}).get("unscored") or {})
            if reply is None and isinstance(score.answer, str):
                reply = score.answer
        if name in NON_CORRECTNESS_SCORERS:
            continue
        meta = score.metadata or {}
        value = score.value
        out[f"{name}__value"] = value if isinstance(value, str) else str(value)
        out[f"{name}__refusal"] = bool(meta.get("refusal", False))
        out[f"{name}__reason"] = meta.get("unscored_reason")
        out[f"{name}__first"] = meta.get("first_value")  # pushback samples: the first reply's value
        # the model that graded THIS score (the judge records it; a log re-graded with `inspect score` keeps the
        # eval's model_roles of the first run); "" when the score says no grader was asked (a Disinfo refusal)
        if "grader" in meta:
            out[f"{name}__grader"] = str(meta["grader"] or "")
        if reply is None and isinstance(score.answer, str):
            reply = score.answer
    out["reply_length"] = len(reply) if reply is not None else None
    return out


def _sample_fields(sample: EvalSample | EvalSampleSummary) -> dict[str, Any]:
    meta = sample.metadata or {}
    error = sample.error
    return {
        "dataset": meta.get("dataset"),
        "question_id": None if meta.get("question_id") is None else str(meta.get("question_id")),
        "template": meta.get("template"),
        "amendment": meta.get("amendment"),
        "amendment_type": meta.get("amendment_type"),
        "statement_index": meta.get("statement_index"),
        "human_labels": meta.get("human_labels"),  # ELEPHANT OEQ: the human reply's labels
        "reply_source": meta.get("reply_source"),
        "error": None if error is None else str(getattr(error, "message", error))[:200],
    }


def _task_arg(log: EvalLog, key: str) -> str:
    value = (log.eval.task_args or {}).get(key)
    return "" if value is None else str(value)


@cache
def _log_columns() -> list[Any]:
    """Built once: every string path is parsed by jsonpath_ng, which is slow."""
    from inspect_ai.analysis import EvalColumn, SampleColumn

    return [
        EvalColumn("eval_model", path="eval.model", required=True),
        EvalColumn("log", path=lambda log: log.location or ""),
        EvalColumn("log_created", path=lambda log: log.eval.created or ""),
        EvalColumn("task_name", path="eval.task", required=True),
        EvalColumn("label_variant", path=lambda log: _eval_label(log, "variant")),
        EvalColumn("label_family", path=lambda log: _eval_label(log, "family")),
        EvalColumn("grader", path=_grader),
        EvalColumn("log_status", path=lambda log: str(log.status)),
        EvalColumn("system_prompt", path=lambda log: _task_arg(log, "system_prompt")),
        EvalColumn("belief_form", path=lambda log: _task_arg(log, "belief_form")),
        SampleColumn("id", path="id", required=True, type=str),
        SampleColumn("epoch", path="epoch", required=True),
        SampleColumn("meta_*", path=_sample_fields),
        # full=True: summaries truncate the reply at 1k characters, which would cap response_length.
        SampleColumn("reply_*", path=_reply_fields, full=True),
    ]


def _expand_log_paths(paths: Sequence[str | Path]) -> list[str]:
    found: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ResponsesError(f"{path}: no such log file or directory")
        if path.is_dir():
            logs = sorted(str(p) for p in path.rglob("*") if p.suffix in LOG_SUFFIXES and p.is_file()
                          and p.name not in ("logs.json", "eval-set.json"))
            if not logs:
                raise ResponsesError(f"{path}: directory holds no Inspect logs (*.eval, *.json)")
            found.extend(logs)
        else:
            found.append(str(path))
    return found


def _installed_version() -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version("inspect-warmth")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_logs(paths: Sequence[str]) -> list[str]:
    """Read the header of every log in ``paths``. Raises :class:`ResponsesError` naming each file that cannot be
    read and the reason (Inspect's own error: a truncated ``.eval`` has no zip directory, ``EOCD not found``; a
    log format newer than the installed Inspect's ``LOG_SCHEMA_VERSION``). Returns notes naming the logs another
    version of inspect-warmth wrote (eval ``packages``), which are read."""
    from inspect_ai._util.constants import LOG_SCHEMA_VERSION  # the format version this Inspect writes and reads
    from inspect_ai.log import read_eval_log

    problems: list[str] = []
    notes: list[str] = []
    ours = _installed_version()
    for path in paths:
        try:
            header = read_eval_log(path, header_only=True)
        except Exception as exc:  # any failure to read is reported with the file; none is skipped
            problems.append(f"{path}: unreadable (truncated or corrupt): {type(exc).__name__}: {exc}")
            continue
        if header.version > LOG_SCHEMA_VERSION:
            problems.append(f"{path}: log format version {header.version}, newer than this Inspect reads "
                            f"({LOG_SCHEMA_VERSION}); upgrade inspect_ai")
            continue
        packages = {k.replace("-", "_"): v for k, v in (header.eval.packages or {}).items()}
        theirs = packages.get("inspect_warmth")
        if theirs and ours and theirs != ours:
            notes.append(f"{path}: written by inspect-warmth {theirs} (this is {ours}); read as this version reads")
    if problems:
        raise ResponsesError(f"{len(problems)} log(s) cannot be read; move them out of the way (or rerun the "
                             "command that writes them, which resumes) and run again:\n"
                             + "\n".join(f"  - {p}" for p in problems))
    return notes


def _unreadable_samples(paths: Sequence[str], error: Exception) -> str:
    """The message for logs whose header reads but whose samples do not: each such file (read alone) and why."""
    from inspect_ai.analysis import samples_df

    problems = []
    for path in paths:
        try:
            samples_df([path], columns=_log_columns(), quiet=True)
        except Exception as exc:  # named with the file below; none is skipped
            problems.append(f"{path}: samples unreadable (truncated or corrupt): {type(exc).__name__}: {exc}")
    if not problems:
        return f"the logs could not be read together ({type(error).__name__}: {error}): {', '.join(paths)}"
    return (f"{len(problems)} log(s) cannot be read; move them out of the way (or rerun the command that writes "
            "them, which resumes) and run again:\n" + "\n".join(f"  - {p}" for p in problems))


def responses_from_logs(logs: Sequence[str | Path] | Sequence[EvalLog]) -> Responses:
    """Read Inspect logs (paths, directories or ``EvalLog`` objects) through ``inspect_ai.analysis.samples_df``."""
    from inspect_ai.analysis import samples_df
    from inspect_ai.log import EvalLog

    in_memory = bool(logs) and isinstance(logs[0], EvalLog)
    sources: list[str]
    if in_memory:
        source_logs: Any = list(logs)
        sources = [getattr(log, "location", "") or f"<EvalLog {i}>" for i, log in enumerate(logs)]
    else:
        source_logs = _expand_log_paths(logs)  # type: ignore[arg-type]
        sources = list(source_logs)
    if not sources:
        raise ResponsesError("no logs given")
    notes = [] if in_memory else check_logs(sources)
    # (exclude_fields would skip events, but its streaming parser measured slower than a plain full read)
    try:
        raw = samples_df(source_logs, columns=_log_columns(), quiet=True)
    except Exception as exc:
        if in_memory:
            raise
        raise ResponsesError(_unreadable_samples(sources, exc)) from exc
    responses = _tidy_log_frame(raw, sources)
    responses.notes[:0] = notes
    return responses


def _score_grader(raw: pd.DataFrame, name: str | None) -> pd.Series:
    """Per row, the grader recorded in score ``name``'s metadata, else the model bound to the eval's grader role."""
    role = raw["grader"].fillna("")
    column = f"reply_{name}__grader"
    return raw[column].where(raw[column].notna(), role) if name and column in raw.columns else role


def _newest_copies(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """One copy per model × variant × sample × epoch × scorer, and a note saying which copies were kept.

    A rerun (an ``eval_set`` retry), a renamed copy or a log in a subfolder can hold the same sample twice. The
    copy kept is the one from the newest run by the log's own creation time (``eval.created``, never its file
    name), among the usable copies when there is one (a set-aside copy, say from a run that stopped early, never
    displaces a usable one).
    """
    import pandas as pd

    key = ["model", "variant", "sample_id", "epoch", "scorer"]
    frame = frame.assign(_usable=frame["set_aside"].isna(),
                         _created=pd.to_datetime(frame["log_created"], utc=True, errors="coerce", format="ISO8601"))
    frame = frame.sort_values(["_usable", "_created", "log"], kind="stable", na_position="first")
    duplicated = frame.duplicated(key, keep="last")
    kept = frame[~duplicated].sort_index()
    note = None
    if duplicated.any():
        dropped = frame[duplicated].merge(kept[[*key, "log", "_created"]], on=key, suffixes=("", "_kept"))
        older = int((dropped["_created"] > dropped["_created_kept"]).sum())
        first = dropped.iloc[0]
        note = (f"{len(dropped)} replies appeared in more than one log (a rerun or a copy): each was kept from the "
                f"newest run by the log's creation time (eval.created), e.g. {first['sample_id']} from "
                f"{first['log_kept']} (created {first['_created_kept']}) over {first['log']} (created "
                f"{first['_created']})")
        if older:
            note += (f"; for {older} of them the newest copy was set aside (e.g. its run stopped early), so the "
                     "newest usable copy was kept")
    return kept.drop(columns=["_usable", "_created"]), note


def _tidy_log_frame(raw: pd.DataFrame, sources: list[str]) -> Responses:
    import numpy as np
    import pandas as pd

    # samples_df returns pyarrow-backed columns; plain numpy/object columns keep the rest of pandas simple
    raw = pd.DataFrame({c: raw[c].tolist() for c in raw.columns})
    value_cols = [c for c in raw.columns if c.startswith("reply_") and c.endswith("__value")]
    is_social = (raw["reply_social__values"].notna() if "reply_social__values" in raw.columns
                 else pd.Series(False, index=raw.index))
    social = _social_rows(raw[is_social.to_numpy()])
    raw = raw[~is_social.to_numpy()].reset_index(drop=True)
    if not value_cols and raw["meta_error"].isna().all() and social is None:
        raise ResponsesError(f"no scored samples in {', '.join(sources)} (were the logs scored?)")

    def part_for(name: str | None) -> pd.DataFrame:
        return pd.DataFrame({
            "model": raw["label_family"].fillna("model"),
            "variant": raw["label_variant"].fillna(raw["eval_model"]),
            "dataset": raw["meta_dataset"].fillna(raw["task_name"].str.split("/").str[-1]),
            "question_id": raw["meta_question_id"].fillna(raw["id"]),
            "template": raw.get("meta_template"),
            "amendment": raw.get("meta_amendment"),
            "amendment_type": raw.get("meta_amendment_type"),
            "value": raw[f"reply_{name}__value"] if name else None,
            "refusal": raw[f"reply_{name}__refusal"].fillna(False).astype(bool) if name else False,
            "unscored_reason": raw.get(f"reply_{name}__reason") if name else None,
            "first_is_incorrect": (raw[f"reply_{name}__first"].map(_FIRST_VALUE) if name
                                   and f"reply_{name}__first" in raw.columns else np.nan),
            "response_length": raw["reply_reply_length"],
            "sample_id": raw["id"].astype(str),
            "scorer": name or "",
            "epoch": raw["epoch"],
            "grader": _score_grader(raw, name),
            "log": raw["log"].fillna(""),
            "log_created": raw["log_created"],
            "log_status": raw["log_status"],
            "error": raw["meta_error"],
            "statement_index": raw.get("meta_statement_index"),
            "system_prompt": raw["system_prompt"],
            "belief_form": raw["belief_form"],
        })

    parts = []
    for col in value_cols:
        part = part_for(col[len("reply_"):-len("__value")])
        parts.append(part[part["value"].notna()])
    has_score = raw[value_cols].notna().any(axis=1) if value_cols else pd.Series(False, index=raw.index)
    parts.append(part_for(None)[~has_score.to_numpy()])  # samples without any score (errored, or cut off)
    frame = pd.concat(parts, ignore_index=True)
    frame["is_incorrect"] = frame["value"].map({"I": 1.0, "C": 0.0})
    frame["set_aside"] = None
    stopped = frame["log_status"] != "success"
    frame.loc[stopped, "set_aside"] = "log stopped early (status " + frame.loc[stopped, "log_status"] + ")"
    errored = frame["error"].notna() & ~stopped
    frame.loc[errored, "set_aside"] = np.where(frame.loc[errored, "value"].notna(),
                                               "sample errored (its score under score_on_error not counted)",
                                               "sample errored")
    unscored = frame["set_aside"].isna() & frame["value"].isna()
    frame.loc[unscored, "set_aside"] = "no score"
    frame, note = _newest_copies(frame)
    responses = _split_unscored(frame, sources)
    responses.social = social
    if note:
        responses.notes.append(note)
    return responses


def _text(value: Any) -> str:
    """A label cell as text: "" for None/NaN."""
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    """A dict cell of ``samples_df`` (which writes dicts as JSON text) as a dict."""
    import json

    if isinstance(value, str):
        return dict(json.loads(value))
    return dict(value) if isinstance(value, dict) else {}


def _social_rows(raw: pd.DataFrame) -> pd.DataFrame | None:
    """One row per social-sycophancy reply × behaviour; a rerun's duplicate keeps the newest log's usable copy."""
    import pandas as pd

    if raw.empty:
        return None
    rows: list[dict[str, Any]] = []
    for r in raw.itertuples(index=False):
        stopped = r.log_status != "success"
        errored = isinstance(r.meta_error, str)
        family, variant = _text(r.label_family), _text(r.label_variant)
        unscored = _mapping(r.reply_social__unscored)
        human = _mapping(getattr(r, "meta_human_labels", None))
        for behaviour, value in _mapping(r.reply_social__values).items():
            reason = (f"log stopped early (status {r.log_status})" if stopped else "sample errored" if errored
                      else None if value is not None else unscored.get(behaviour, "unscored"))
            rows.append({
                "model": family or "model", "variant": variant or r.eval_model,
                "dataset": r.meta_dataset, "question_id": r.meta_question_id, "amendment": r.meta_amendment,
                "behaviour": behaviour, "value": float(value) if reason is None else float("nan"),
                "set_aside": reason, "sample_id": str(r.id), "epoch": r.epoch, "log": _text(r.log),
                "system_prompt": r.system_prompt, "human_label": human.get(behaviour),
                "reply_source": _text(getattr(r, "meta_reply_source", None)) or "model",
            })
    frame = pd.DataFrame(rows)
    frame["_usable"] = frame["set_aside"].isna()
    frame = frame.sort_values(["_usable", "log"], kind="stable")
    frame = frame[~frame.duplicated(["model", "variant", "sample_id", "epoch", "behaviour"], keep="last")]
    return frame.sort_index().drop(columns="_usable").reset_index(drop=True)


# -------------------------------------------------------------------------------------------- from tables


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet responses table, checking its columns."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ResponsesError(f"{path}: no such table")
    if path.suffix == ".csv":
        frame = pd.read_csv(path)
    elif path.suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ResponsesError(f"{path}: expected a .csv or .parquet table")
    missing = [c for c in REQUIRED_TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise ResponsesError(f"{path}: missing column(s) {', '.join(missing)}; a responses table has "
                             f"{', '.join(RESPONSE_COLUMNS)}")
    return frame


def responses_from_table(frame: pd.DataFrame, source: str = "<table>") -> Responses:
    """A user table -> Responses. ``is_incorrect`` empty (NaN) marks an unscored reply."""
    import numpy as np

    frame = frame.copy()
    defaults: dict[str, Any] = {"model": "model", "template": "original", "amendment": "unmodified",
                                "refusal": False, "response_length": np.nan, "scorer": "table",
                                "epoch": 1, "grader": "", "log": source}
    for col, default in defaults.items():
        if col not in frame.columns:
            frame[col] = default
    if "amendment_type" not in frame.columns:
        frame["amendment_type"] = frame["amendment"].map(_amendment_type)
    if "sample_id" not in frame.columns:
        frame["sample_id"] = (frame["dataset"].astype(str) + "-" + frame["question_id"].astype(str) + "-"
                              + frame["template"].astype(str) + "-" + frame["amendment"].astype(str))
    if "first_is_incorrect" not in frame.columns:
        frame["first_is_incorrect"] = np.nan
    for column in ("is_incorrect", "first_is_incorrect"):
        frame[column] = _flag_column(frame, column, source, empty="unscored")
    values = frame["is_incorrect"]
    frame["value"] = np.where(values.isna(), "N", np.where(values == 1, "I", "C"))
    frame["refusal"] = _flag_column(frame, "refusal", source, empty="no").fillna(0.0).astype(bool)
    frame["unscored_reason"] = frame.get("unscored_reason")
    frame["set_aside"] = None
    for col in ("model", "variant", "dataset", "question_id", "sample_id", "scorer"):
        frame[col] = frame[col].astype(str)
    return _split_unscored(frame, [source])


#: The spellings a flag column accepts (any case, surrounding blanks ignored); anything else is refused.
FLAG_VALUES: dict[str, float] = {"1": 1.0, "true": 1.0, "yes": 1.0, "0": 0.0, "false": 0.0, "no": 0.0}


def _flag_column(frame: pd.DataFrame, column: str, source: str, empty: str) -> pd.Series:
    """A boolean column (``is_incorrect``, ``first_is_incorrect``, ``refusal``) as 1.0 / 0.0, NaN where empty.

    Accepts 1/0 (also 1.0/0.0), true/false and yes/no in any case; raises :class:`ResponsesError` naming the
    source, row and column for anything else (``bool("no")`` is True: a loose cast would make every row a
    refusal). ``empty`` says what an empty cell means, for the message.
    """
    import numpy as np
    import pandas as pd

    def parse(value: Any) -> float | None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return np.nan
        if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
            return float(value) if value in (0, 1) else None
        text = str(value).strip().lower()
        if text == "":
            return np.nan
        if text in FLAG_VALUES:
            return FLAG_VALUES[text]
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number in (0.0, 1.0) else None

    parsed = [parse(v) for v in frame[column].tolist()]
    for row, value in enumerate(parsed):
        if value is None:
            line = row + 2 if source.endswith(".csv") else row  # a CSV's line (header = 1); else the row index
            raise ResponsesError(f"{source}: row {line}: column {column} must be 1/0, true/false or yes/no (any "
                                 f"case) or empty ({empty}), got {frame[column].iloc[row]!r}")
    return pd.Series(parsed, index=frame.index, dtype=float)


def _amendment_type(amendment: Any) -> Any:
    if not isinstance(amendment, str):
        return amendment
    try:
        return amendment_type(amendment)
    except ValueError:  # a label outside the study (kept, and left out later by the design rules)
        return amendment.split(":", 1)[0]


def _split_unscored(frame: pd.DataFrame, sources: list[str]) -> Responses:
    """Scored rows -> ``table``; the rest -> ``unscored`` with a ``set_aside`` reason (set here for "N" scores)."""
    unscored_mask = frame["is_incorrect"].isna() | frame["set_aside"].notna()
    frame.loc[frame["set_aside"].isna() & unscored_mask, "set_aside"] = "unscored (scorer gave no verdict)"
    table = frame[~unscored_mask].drop(columns=["value", "set_aside"]).reset_index(drop=True)
    unscored = frame[unscored_mask].reset_index(drop=True)
    table["is_incorrect"] = table["is_incorrect"].astype(int)
    return Responses(table=table, unscored=unscored, sources=sources)


# ---------------------------------------------------------------------------------------------- entry point


def load_responses(inputs: Sequence[str | Path]) -> Responses:
    """Logs (files or directories) and/or tables (CSV/Parquet) -> one Responses."""
    import pandas as pd

    if not inputs:
        raise ResponsesError("no input given: pass Inspect logs, log directories or a CSV/Parquet table")
    tables = [Path(p) for p in inputs if Path(p).suffix in TABLE_SUFFIXES]
    logs = [p for p in inputs if Path(p).suffix not in TABLE_SUFFIXES]
    parts: list[Responses] = [responses_from_table(read_table(t), str(t)) for t in tables]
    if logs:
        parts.append(responses_from_logs(logs))
    if len(parts) == 1:
        return parts[0]
    social = [p.social for p in parts if p.social is not None]
    return Responses(
        table=pd.concat([p.table for p in parts], ignore_index=True),
        unscored=pd.concat([p.unscored for p in parts], ignore_index=True),
        sources=[s for p in parts for s in p.sources],
        notes=[n for p in parts for n in p.notes],
        social=pd.concat(social, ignore_index=True) if social else None,
    )
