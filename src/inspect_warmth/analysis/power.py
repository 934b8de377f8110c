"""The gate's minimum detectable increase (``gate --plan``, ``grid --dry-run``): what a run of this size can catch.

Model (normal approximation, stated in every plan): a prompt's paired outcome difference D = candidate error −
base error has variance ``2 p (1 − p) (1 − φ)`` with ``p`` the base error rate and ``φ`` the correlation of the two
variants' outcomes on the same prompt; a question's ``m`` prompts in a unit have pairwise correlation ``ρ`` (they
share what the model knows), so the question's mean difference has variance ``Var(D) (1 + (m − 1) ρ) / m``. The
gate's max-T threshold ``c`` over all its units (whole run, families, cells) is simulated under that correlation
(Gaussian per-question differences, the gate's own statistic), and the increase found with probability ``power``
is ``(c + z_power) · sd(question mean) / sqrt(questions in the unit)``.

Unit of independence: the question (as in the gate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inspect_warmth.vocabulary import STUDY_DATASETS, TEST_TYPES


@dataclass(frozen=True)
class PlanAssumptions:
    """What the minimum detectable effect depends on besides the design (defaults: typical, not measured)."""

    baseline_error: float = 0.3
    #: correlation of base and candidate outcomes on the same prompt (a fine-tune keeps most of what it knew)
    pair_correlation: float = 0.5
    #: correlation of the paired differences among one question's prompts (its contexts and templates)
    within_question_correlation: float = 0.5


@dataclass
class PlanUnit:
    level: str  # overall / family / cell
    questions: int
    prompts_per_question: int
    mde_pp: float


@dataclass
class Plan:
    questions: int
    datasets: int
    conditions: int
    alpha: float
    power: float
    assumptions: PlanAssumptions
    critical_value: float
    units_tested: int
    units: list[PlanUnit]


def _units(conditions: Sequence[tuple[str, str]]) -> list[tuple[str, list[int]]]:
    """Per dataset: the condition indices of each family and cell the gate tests (as gate.question_differences)."""
    families: dict[str, list[int]] = {}
    for k, (template, _) in enumerate(conditions):
        families.setdefault(TEST_TYPES.get(template, "all"), []).append(k)
    out: list[tuple[str, list[int]]] = []
    for idx in families.values():
        out.append(("family", idx))
        cells: dict[str, list[int]] = {}
        for k in idx:
            cells.setdefault(conditions[k][1], []).append(k)
        if len(cells) > 1:
            out += [("cell", c) for c in cells.values()]
    return out


def minimum_detectable_increase(questions: int, datasets: int, conditions: Sequence[tuple[str, str]], *,
                                alpha: float = 0.05, power: float = 0.8,
                                assumptions: PlanAssumptions | None = None, simulations: int = 2000,
                                seed: int = 0) -> Plan:
    """The increase (pp) the gate detects with probability ``power`` at family-wise level ``alpha``.

    ``questions`` per dataset; ``conditions`` the (template, amendment) pairs every question is asked in.
    Raises ValueError on an empty design or probabilities outside (0, 1).
    """
    import numpy as np
    from scipy.stats import norm

    a = assumptions or PlanAssumptions()
    if questions < 2 or datasets < 1 or not conditions:
        raise ValueError("a plan needs at least 2 questions, 1 dataset and 1 condition")
    for name, value in (("alpha", alpha), ("power", power), ("baseline error", a.baseline_error)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {value}")
    if not (0 <= a.pair_correlation < 1 and 0 <= a.within_question_correlation <= 1):
        raise ValueError("correlations must lie in [0, 1) (pair) and [0, 1] (within question)")
    rho = a.within_question_correlation
    per_dataset = _units(conditions)
    n_fam = sum(1 for level, _ in per_dataset if level == "family")
    tested = [(lvl, idx) for lvl, idx in per_dataset if lvl == "cell" or datasets * n_fam > 1]
    rng = np.random.default_rng(seed)
    maxima = []
    for start in range(0, simulations, 100):
        b = min(100, simulations - start)
        z = (np.sqrt(rho) * rng.standard_normal((b, datasets, questions, 1))
             + np.sqrt(1 - rho) * rng.standard_normal((b, datasets, questions, len(conditions))))
        stats = [_t(z.mean(axis=3).reshape(b, -1))]
        for _, idx in tested:
            d = z[..., idx].mean(axis=3)  # (b, datasets, questions)
            stats += [_t(d[:, j]) for j in range(datasets)]
        maxima.append(np.max(np.column_stack(stats), axis=1))
    c = float(np.quantile(np.concatenate(maxima), 1 - alpha))
    sd_pair = np.sqrt(2 * a.baseline_error * (1 - a.baseline_error) * (1 - a.pair_correlation))

    def mde(level: str, n_q: int, m: int) -> PlanUnit:
        sd_q = sd_pair * np.sqrt((1 + (m - 1) * rho) / m)
        return PlanUnit(level, n_q, m, float(100 * (c + norm.ppf(power)) * sd_q / np.sqrt(n_q)))

    units = [mde("overall", questions * datasets, len(conditions))]
    for level in ("family", "cell"):
        sizes = sorted({len(idx) for lvl, idx in tested if lvl == level})
        units += [mde(level, questions, m) for m in sizes]
    return Plan(questions=questions, datasets=datasets, conditions=len(conditions), alpha=alpha, power=power,
                assumptions=a, critical_value=c, units_tested=1 + datasets * len(tested), units=units)


def _t(d: object) -> object:
    import numpy as np

    arr = np.asarray(d)
    return arr.sum(axis=1) / np.sqrt((arr ** 2).sum(axis=1))


def plan_lines(questions: int, datasets: int, conditions: Sequence[tuple[str, str]], *, alpha: float = 0.05,
               power: float = 0.8, assumptions: PlanAssumptions | None = None,
               max_increase_pp: float | None = None) -> list[str]:
    """Human-readable plan lines (``gate --plan``; ``grid --dry-run`` prints the same)."""
    p = minimum_detectable_increase(questions, datasets, conditions, alpha=alpha, power=power,
                                    assumptions=assumptions)
    a = p.assumptions
    names = {"overall": "the whole run", "family": "one dataset × condition family", "cell": "one cell"}
    lines = [f"gate plan: {questions} questions × {datasets} datasets × {p.conditions} conditions per question; "
             f"{p.units_tested} units tested at family-wise α = {alpha} (max-T threshold {p.critical_value:.2f})"]
    for u in p.units:
        lines.append(f"  minimum detectable increase ({power:.0%} power), {names[u.level]}: {u.mde_pp:.1f} pp "
                     f"({u.questions} questions, {u.prompts_per_question} prompts each)")
    lines.append(f"  assumptions: base error rate {a.baseline_error:.0%}, base–candidate correlation on a prompt "
                 f"{a.pair_correlation}, within-question correlation {a.within_question_correlation} "
                 "(normal approximation; unit: the question)")
    if max_increase_pp:
        lines.append(f"  the gate also needs the increase to exceed --max-increase-pp {max_increase_pp:g}")
    return lines


def grid_plan_lines(tasks: str, contexts: str, templates: str, samples: int | None) -> list[str]:
    """``grid --dry-run``: the gate plan for the grid's study tasks, contexts, templates and questions per task."""
    from inspect_warmth.study.conditions import design, parse_contexts, parse_templates

    study = [t for t in (n.strip().split("/")[-1] for n in tasks.split(",")) if t in STUDY_DATASETS]
    if not study or not samples or samples < 2:
        return ["gate plan: no study tasks with at least 2 questions in this grid"]
    return plan_lines(samples, len(study), design(parse_templates(templates), parse_contexts(contexts)))
