"""The study's design rules, applied once: every statistic of the package takes its rows from here.

:func:`coded_replies` turns a responses table into one frame of every reply under the study's rules; the
regressions, paired tests, figures and report (:func:`design_frame`), the pushback flip rates
(:func:`pushback_frame`), the gate and the frontier all read it. The rules, in order:

1. Labels: the authors' dataset names (``trivia``, ``tqa``, ``mask`` ...) and template names
   (``original_neutral``) are read as the package's (:data:`~inspect_warmth.vocabulary.DATASET_ALIASES`,
   :data:`~inspect_warmth.vocabulary.TEMPLATE_ALIASES`); any other label is kept as it is.
2. Set-aside replies (``Responses.unscored``: no verdict, errored samples, logs that stopped early) keep their
   reason in ``set_aside``; they are counted, never counted as wrong answers.
3. One score per reply: ``scorer`` when given, else per dataset the first of
   :data:`~inspect_warmth.vocabulary.SCORER_PREFERENCE` present (:func:`choose_scorer`).
4. Refusals (Methods, "Scoring"): left out of the study datasets (``refused``), except on Disinfo where a refusal
   counts as a correct answer.
5. Templates (Methods, "Statistical analysis"): ``neutral`` is pooled with ``original`` as ``no_belief``,
   ``incorrect`` with ``correct`` as ``belief``; ``test_type`` is ``normal`` / ``sycophancy`` as in the authors'
   tables; ``question`` (``dataset/question_id``) is the unit of independence of the gate and of clustered errors.

For one base-vs-candidate comparison :func:`design_frame` then leaves out, counting each by reason: pushback rows
(analysed as flip rates), rows of datasets, variants or templates outside the study, refusals, and families
(``model``) that lack one of the two variants (a family without a candidate would add base rows to one side).
Every row left out is counted in :attr:`DesignFrame.excluded` (``meta.excluded`` of the JSON, a table in the
report). Provenance columns ride along: ``statement_index``, ``system_prompt``, ``belief_form``, ``grader``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_warmth.vocabulary import (
    DATASET_ALIASES,
    PROMPT_TYPES,
    PUSHBACK,
    REFUSAL_IS_CORRECT,
    SCORER_PREFERENCE,
    STUDY_DATASETS,
    TEMPLATE_ALIASES,
    TEST_TYPES,
)

if TYPE_CHECKING:
    import pandas as pd

    from inspect_warmth.analysis.responses import Responses

PROVENANCE_COLUMNS: tuple[str, ...] = ("statement_index", "system_prompt", "belief_form", "grader")
REFUSAL_REASON = "refusal outside Disinfo (study rule)"
PUSHBACK_REASON = "pushback template: analysed as flip rate"
OTHER_SCORER_REASON = "another scorer's score of the same reply (one score per reply; see --scorer)"
NO_VERDICT = "unscored (scorer gave no verdict)"
SOCIAL_REASON = "social-sycophancy reply: analysed per behaviour (social section), not in the regressions"


class DesignError(ValueError):
    """The data cannot support the requested comparison; the message says why."""


@dataclass
class CodedReplies:
    """Every reply of a responses table under rules 1–5: ``rows`` (scored and set-aside replies of the chosen
    scorer, with ``set_aside`` (reason or None), ``refused`` (bool), ``prompt_type``, ``test_type``, ``question``),
    ``scorers`` ({dataset: scorer}), the scores left out as another scorer's (``other_scores``) and notes."""

    rows: pd.DataFrame
    scorers: dict[str, str]
    other_scores: int = 0
    notes: list[str] = field(default_factory=list)
    social_replies: int = 0
    """Social-sycophancy replies (``Responses.social``), kept apart from these rows and counted out by reason."""

    @property
    def scored(self) -> pd.DataFrame:
        """The rows with a verdict (``set_aside`` empty)."""
        return self.rows[self.rows["set_aside"].isna()]

    def set_aside_counts(self, mask: Any = None) -> Counter[str]:
        """Set-aside replies (of ``rows[mask]``) by reason."""
        rows = self.rows if mask is None else self.rows[mask]
        return Counter(rows["set_aside"].dropna().astype(str).value_counts().to_dict())


@dataclass
class DesignFrame:
    """Study rows of one base-vs-candidate comparison, coded as the paper did, with what was left out."""

    data: pd.DataFrame
    base: str
    candidate: str
    excluded: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def excluded_records(self) -> list[dict[str, Any]]:
        """``[{"reason", "rows"}]``, largest first."""
        return [{"reason": r, "rows": n} for r, n in self.excluded.most_common()]


def canonical_labels(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Read alias dataset/template labels as ours; the original label stays in ``dataset_label``.

    Returns the relabelled copy and one note per alias met (with its row count).
    """
    frame = frame.copy()
    notes: list[str] = []
    if "dataset_label" not in frame.columns:
        frame["dataset_label"] = frame["dataset"]
    for column, aliases in (("dataset", DATASET_ALIASES), ("template", TEMPLATE_ALIASES)):
        if column not in frame.columns:
            continue
        lowered = frame[column].astype(str).str.strip().str.lower()
        hits = lowered.isin(list(aliases))
        for label, n in frame.loc[hits, column].value_counts().items():
            notes.append(f"{column} label {label!r} read as {aliases[str(label).strip().lower()]!r} ({n} rows)")
        frame.loc[hits, column] = lowered[hits].map(aliases)
    return frame, notes


class ScorerError(DesignError):
    """The requested scorer is absent from a dataset; the message names both."""


def choose_scorer(table: pd.DataFrame, scorer: str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Keep one score per reply: ``scorer`` when given, else per dataset the first of
    :data:`~inspect_warmth.vocabulary.SCORER_PREFERENCE` present. Rows without any score (``scorer`` "",
    an errored sample) are kept.

    Returns the filtered table and ``{dataset: scorer}``. Raises :class:`ScorerError` when ``scorer`` is absent
    from a dataset.
    """
    import pandas as pd

    no_score = table["scorer"].fillna("").astype(str) == ""
    chosen: dict[str, str] = {}
    keep = [table[no_score]]
    for dataset, part in table[~no_score].groupby("dataset", sort=True):
        names = set(part["scorer"].unique())
        if scorer is not None:
            if scorer not in names:
                raise ScorerError(f"dataset {dataset!r} has no {scorer!r} scores (it has {', '.join(sorted(names))})")
            pick = scorer
        else:
            ranked = [s for s in SCORER_PREFERENCE if s in names]
            pick = ranked[0] if ranked else sorted(names)[0]
        chosen[str(dataset)] = pick
        keep.append(part[part["scorer"] == pick])
    return pd.concat(keep).sort_index(), chosen


def _drop(frame: pd.DataFrame, mask: Any, reason: str | pd.Series, excluded: Counter[str]) -> pd.DataFrame:
    """Leave out ``frame[mask]``, counting it under ``reason`` (a string, or a per-row Series of reasons)."""
    import pandas as pd

    mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool)
    if mask.any():
        if isinstance(reason, str):
            excluded[reason] += int(mask.sum())
        else:
            excluded.update(reason[mask].astype(str).value_counts().to_dict())
    return frame[~mask]


def code_conditions(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``prompt_type``, ``test_type`` (capability rows: ``all``) and ``question`` (``dataset/question_id``,
    the unit of independence of the gate and of clustered errors)."""
    frame = frame.copy()
    frame["prompt_type"] = frame["template"].map(PROMPT_TYPES)
    frame["test_type"] = frame["template"].map(TEST_TYPES).fillna("all")
    frame["question"] = frame["dataset"].astype(str) + "/" + frame["question_id"].astype(str)
    for column in PROVENANCE_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame


def coded_replies(responses: Responses | pd.DataFrame, scorer: str | None = None) -> CodedReplies:
    """Every reply of ``responses`` (scored and set aside) under rules 1–5 of the module docstring.

    ``responses``: :class:`~inspect_warmth.analysis.responses.Responses`, or a table of replies (read by
    :func:`~inspect_warmth.analysis.responses.responses_from_table`). Rows: one per reply of the chosen scorer,
    plus the samples without any score; ``is_incorrect`` is 0 for a Disinfo refusal and NaN where set aside.
    Raises :class:`ScorerError` when ``scorer`` is absent from a dataset.
    """
    import pandas as pd

    from inspect_warmth.analysis.responses import responses_from_table

    if isinstance(responses, pd.DataFrame):
        responses = responses_from_table(responses)
    replies = pd.concat([responses.table.assign(set_aside=None), responses.unscored], ignore_index=True)
    if "set_aside" not in replies.columns:
        replies["set_aside"] = None
    replies["set_aside"] = replies["set_aside"].astype(object)
    replies.loc[replies["set_aside"].isna() & replies["is_incorrect"].isna(), "set_aside"] = NO_VERDICT
    replies, notes = canonical_labels(replies)
    rows, scorers = choose_scorer(replies, scorer)
    other_scores = len(replies) - len(rows)
    rows = rows.reset_index(drop=True)
    if "epoch" not in rows.columns:
        rows["epoch"] = 1
    rows["epoch"] = rows["epoch"].fillna(1).astype(int)
    if "first_is_incorrect" not in rows.columns:
        rows["first_is_incorrect"] = float("nan")
    refusal = rows["refusal"].fillna(False).astype(bool)
    disinfo = rows["dataset"] == REFUSAL_IS_CORRECT
    rows["is_incorrect"] = rows["is_incorrect"].astype(float)
    rows.loc[refusal & disinfo, "is_incorrect"] = 0.0
    rows["refused"] = refusal & ~disinfo & rows["dataset"].isin(STUDY_DATASETS)
    if len(set(scorers.values())) > 1 or other_scores:
        notes.append("scores used: " + ", ".join(f"{s} for {d}" for d, s in scorers.items()))
    social = 0 if responses.social is None else int(
        responses.social.drop_duplicates(["model", "variant", "sample_id", "epoch"]).shape[0])
    return CodedReplies(rows=code_conditions(rows), scorers=scorers, other_scores=other_scores, notes=notes,
                        social_replies=social)


def pick_candidate(variants: list[str], base: str, candidate: str | None = None) -> str:
    """The variant compared with ``base``: ``candidate`` when given, else the only other variant."""
    if base not in variants:
        raise DesignError(f"base variant {base!r} not in the data (variants: {', '.join(variants)}); "
                          "pass --base NAME")
    if candidate is not None:
        if candidate not in variants:
            raise DesignError(f"candidate variant {candidate!r} not in the data (variants: {', '.join(variants)})")
        return candidate
    others = [v for v in variants if v != base]
    if len(others) != 1:
        raise DesignError(f"{len(others)} variants besides the base {base!r} ({', '.join(others) or 'none'}); "
                          "pick one with --candidate NAME")
    return others[0]


def design_frame(responses: Responses | pd.DataFrame | CodedReplies, base: str = "original",
                 candidate: str | None = None, *, scorer: str | None = None) -> DesignFrame:
    """The design frame of ``base`` vs ``candidate``: the scored study rows of :func:`coded_replies` that the
    regressions and paired tests use, ``is_finetuned`` 1 for the candidate and 0 for the base.

    Raises DesignError when a variant is missing or no study rows remain.
    """
    coded = responses if isinstance(responses, CodedReplies) else coded_replies(responses, scorer)
    excluded = coded.set_aside_counts()
    notes = list(coded.notes)
    if coded.other_scores:
        excluded[OTHER_SCORER_REASON] += coded.other_scores
    if coded.social_replies:
        excluded[SOCIAL_REASON] += coded.social_replies
    table = coded.scored
    variants = sorted(str(v) for v in table["variant"].unique())
    candidate = pick_candidate(variants, base, candidate)
    table = _drop(table, table["template"] == PUSHBACK, PUSHBACK_REASON, excluded)
    data = _drop(table, ~table["dataset"].isin(STUDY_DATASETS),
                 "dataset not in the study: " + table["dataset"].astype(str), excluded)
    data = _drop(data, ~data["variant"].isin([base, candidate]),
                 "variant not in this comparison: " + data["variant"].astype(str), excluded)
    data = _drop(data, ~data["template"].isin(list(PROMPT_TYPES)),
                 "template not in the study: " + data["template"].astype(str), excluded)
    if data.empty:
        raise DesignError(f"no study rows ({', '.join(STUDY_DATASETS)}) for variants {base!r} and {candidate!r}")
    disinfo_refusals = int((data["refusal"].fillna(False).astype(bool) & (data["dataset"] == REFUSAL_IS_CORRECT))
                           .sum())
    if disinfo_refusals:
        notes.append(f"{disinfo_refusals} Disinfo refusals counted as correct (study rule)")
    data = _drop(data, data["refused"], REFUSAL_REASON, excluded)
    by_family = data.groupby("model")["variant"].agg(lambda v: set(map(str, v)))
    for family, present in by_family.items():
        for side in (base, candidate):
            if side not in present:
                data = _drop(data, data["model"] == family, f"family {family} has no {side} replies", excluded)
    if data.empty:
        raise DesignError(f"no family has replies of both {base!r} and {candidate!r}")
    data = data.assign(is_finetuned=(data["variant"] == candidate).astype(int),
                       is_incorrect=data["is_incorrect"].astype(int))
    return DesignFrame(data=data.reset_index(drop=True), base=base, candidate=candidate, excluded=excluded,
                       notes=notes)


def pushback_frame(responses: Responses | CodedReplies, scorer: str | None = None) -> tuple[pd.DataFrame,
                                                                                            Counter[str]]:
    """The pushback reply pairs under rules 1–5 (labels, set-aside replies, one score per reply, refusals of the
    final reply), for :mod:`~inspect_warmth.analysis.pushback`.

    Returns (one row per scored pushback sample: the responses columns, ``first_is_incorrect`` NaN where the first
    reply was unscored, and ``question``), and the pushback rows left out by reason. All variants and families are
    kept (flip rates are reported per variant). An empty frame when there are no pushback samples.
    """
    coded = responses if isinstance(responses, CodedReplies) else coded_replies(responses, scorer)
    pushback = coded.rows["template"] == PUSHBACK
    left_out = coded.set_aside_counts(pushback)
    data = coded.rows[pushback & coded.rows["set_aside"].isna()]
    data = _drop(data, data["refused"], REFUSAL_REASON, left_out)
    return data.reset_index(drop=True), left_out
