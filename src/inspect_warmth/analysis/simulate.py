"""Simulated responses tables with known coefficients: for tests, the benchmark and trying the report.

Every question is asked under the study's 28 conditions (Methods, evaluation) by each variant; P(incorrect) follows a
logistic model whose coefficients are set here, so a fit can be checked against the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Truth:
    """Log-odds coefficients of the simulation (reference levels, and levels not listed, have 0)."""

    intercept: float = -1.2
    finetuned: float = 0.43
    dataset: dict[str, float] = field(default_factory=lambda: {
        "disinfo": 0.0, "medqa": 1.6, "triviaqa": 0.5, "truthfulqa": 1.0})
    model: dict[str, float] = field(default_factory=lambda: {"fam-a": 0.0, "fam-b": 0.4, "fam-c": -0.6})
    amendment: dict[str, float] = field(default_factory=lambda: {
        "unmodified": 0.0, "emotion:happy": 0.02, "emotion:sad": 0.03, "emotion:anger": 0.07,
        "relation:close": 0.03, "relation:hierarchical_up": 0.05, "relation:hierarchical_down": 0.0,
        "stake:high": 0.15, "stake:low": -0.08})
    #: extra fine-tuning log-odds effect per amendment (interaction)
    finetuned_by_amendment: dict[str, float] = field(default_factory=lambda: {"emotion:sad": 0.25,
                                                                              "relation:hierarchical_up": -0.15})
    #: user-belief log-odds effect for the base and the fine-tuned variant
    belief: tuple[float, float] = (0.32, 0.44)
    #: log-odds per character of reply
    length: float = -0.0002

    def linear_predictor(self, frame: pd.DataFrame, is_finetuned: np.ndarray | int) -> np.ndarray:
        import numpy as np

        ft = np.broadcast_to(np.asarray(is_finetuned), (len(frame),)).astype(float)
        belief = (frame["prompt_type"] == "belief").to_numpy(float) if "prompt_type" in frame else \
            frame["template"].isin(["incorrect", "correct"]).to_numpy(float)
        eta = (self.intercept + ft * self.finetuned
               + frame["dataset"].map(self.dataset).fillna(0.0).to_numpy(float)
               + frame["model"].map(self.model).fillna(0.0).to_numpy(float)
               + frame["amendment"].map(self.amendment).fillna(0.0).to_numpy(float)
               + ft * frame["amendment"].map(self.finetuned_by_amendment).fillna(0.0).to_numpy(float)
               + belief * np.where(ft == 1, self.belief[1], self.belief[0]))
        if self.length:
            eta = eta + self.length * frame["response_length"].to_numpy(float)
        return eta

    def ame_pp(self, frame: pd.DataFrame) -> float:
        """True AME of fine-tuning (pp) over the rows of ``frame``, by counterfactual prediction."""
        from scipy.special import expit

        return float(100 * (expit(self.linear_predictor(frame, 1)) - expit(self.linear_predictor(frame, 0))).mean())


def study_conditions() -> list[tuple[str, str]]:
    """The 28 (template, amendment) pairs of the study."""
    from inspect_warmth.vocabulary import AMENDMENTS

    return ([("original", a) for a in AMENDMENTS] + [("neutral", "unmodified")]
            + [(t, a) for t in ("incorrect", "correct") for a in AMENDMENTS])


def simulate_responses(
    questions: int = 100,
    *,
    datasets: Sequence[str] = ("disinfo", "medqa", "triviaqa", "truthfulqa"),
    families: Sequence[str] = ("fam-a", "fam-b", "fam-c"),
    variants: Sequence[str] = ("original", "warm"),
    truth: Truth | None = None,
    refusal_rate: float = 0.01,
    rows: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A responses table: families × variants × datasets × ``questions`` × 28 conditions.

    The first variant is the base; every other variant is simulated as fine-tuned. With ``rows`` the table is
    cut to that many rows by a seeded random draw (as refusals and failures thin a real grid).
    """
    import numpy as np
    import pandas as pd
    from scipy.special import expit

    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    conditions = study_conditions()
    template = np.array([c[0] for c in conditions])
    amendment = np.array([c[1] for c in conditions])
    n_cond = len(conditions)
    grid = pd.MultiIndex.from_product(
        [list(families), list(variants), list(datasets), range(questions), range(n_cond)],
        names=["model", "variant", "dataset", "q", "c"]).to_frame(index=False)
    frame = pd.DataFrame({
        "model": grid["model"].astype(str),
        "variant": grid["variant"].astype(str),
        "dataset": grid["dataset"].astype(str),
        "question_id": "q" + grid["q"].astype(str),
        "template": template[grid["c"].to_numpy()],
        "amendment": amendment[grid["c"].to_numpy()],
    })
    frame["amendment_type"] = frame["amendment"].str.split(":").str[0]
    ft = (frame["variant"] != variants[0]).to_numpy(int)
    frame["response_length"] = np.maximum(20, rng.normal(np.where(ft == 1, 734, 877), 250)).round().astype(int)
    prob = expit(truth.linear_predictor(frame, ft))
    frame["is_incorrect"] = (rng.random(len(frame)) < prob).astype(int)
    frame["refusal"] = rng.random(len(frame)) < refusal_rate
    frame.loc[frame["refusal"] & (frame["dataset"] == "disinfo"), "is_incorrect"] = 0
    frame["sample_id"] = (frame["dataset"] + "-" + frame["question_id"] + "-" + frame["template"] + "-"
                          + frame["amendment"])
    frame["scorer"] = "judge"
    if rows is not None:
        if rows > len(frame):
            raise ValueError(f"rows={rows} exceeds the {len(frame)} simulated rows; raise questions")
        keep = np.sort(rng.choice(len(frame), size=rows, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame


def simulate_gate_pair(
    questions: int = 100,
    *,
    datasets: Sequence[str] = ("disinfo", "medqa", "triviaqa", "truthfulqa"),
    conditions: Sequence[tuple[str, str]] | None = None,
    base_error: float = 0.3,
    reshuffle: float = 0.2,
    forget: float = 0.0,
    known_error: float = 0.05,
    unknown_error: float = 0.85,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A base run and a candidate run (one table each) for the gate, with question-level knowledge.

    Each question is unknown to the base with the probability that makes its error rate ``base_error``; a prompt
    is answered wrongly with ``known_error`` / ``unknown_error`` by whether the model knows its question, so every
    condition of a question shares that knowledge (their outcomes are correlated, as in real models). The
    candidate redraws the knowledge of a ``reshuffle`` share of the questions from the same distribution (the
    null: same error rate, different questions) and then forgets a ``forget`` share of the questions it knows
    (a real regression). Conditions default to the study's 28 (template, amendment) pairs.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    conditions = list(conditions or study_conditions())
    p_unknown = (base_error - known_error) / (unknown_error - known_error)
    if not 0 <= p_unknown <= 1:
        raise ValueError(f"base_error {base_error} must lie between known_error and unknown_error")
    n_q = questions * len(datasets)
    base_unknown = rng.random(n_q) < p_unknown
    redraw = rng.random(n_q) < reshuffle
    cand_unknown = np.where(redraw, rng.random(n_q) < p_unknown, base_unknown)
    cand_unknown |= (~cand_unknown) & (rng.random(n_q) < forget)
    rows = [(d, f"q{q}", t, a) for d in datasets for q in range(questions) for t, a in conditions]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["dataset", "question_id", "template", "amendment"])
    frame["amendment_type"] = frame["amendment"].str.split(":").str[0]
    frame["sample_id"] = (frame["dataset"] + "-" + frame["question_id"] + "-" + frame["template"] + "-"
                          + frame["amendment"])
    frame["model"] = "fam"
    frame["scorer"] = "judge"
    frame["refusal"] = False
    per_row = np.repeat(np.arange(n_q), len(conditions))

    def outcomes(unknown: np.ndarray) -> np.ndarray:
        prob = np.where(unknown[per_row], unknown_error, known_error)
        return (rng.random(len(frame)) < prob).astype(int)

    base = frame.assign(variant="base", is_incorrect=outcomes(base_unknown))
    candidate = frame.assign(variant="candidate", is_incorrect=outcomes(cand_unknown))
    return base, candidate
