"""Benchmark: the sycophancy model (Methods, statistical analysis) on 439,792 simulated rows, as many as the
paper analysed.

Simulates five families × original/warm × four datasets × 28 conditions with known coefficients, then times the
paper's filter + ``glm`` fit + average marginal effects with their Wald tests. Goal: ≤ 60 s on 2 CPU cores.

    python benchmarks/analysis.py [--rows 439792] [--seed 0]

The last line reads ``seconds=<x>`` (fit time, excluding the simulation).
"""

from __future__ import annotations

import argparse
import time

PAPER_ROWS = 439_792


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=PAPER_ROWS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from inspect_warmth.analysis.regressions import study_design, sycophancy_effects
    from inspect_warmth.analysis.simulate import Truth, simulate_responses

    families = ("fam-a", "fam-b", "fam-c", "fam-d", "fam-e")
    # coefficients near the paper's model 4, specified as that model is (amendment effects by type, no length)
    by_type = {"unmodified": 0.0, "emotion": 0.095, "relation": 0.035, "stake": 0.041}
    truth = Truth(intercept=-2.9, finetuned=0.43, belief=(0.32, 0.44), length=0.0, finetuned_by_amendment={},
                  dataset={"disinfo": 0.0, "medqa": 2.39, "triviaqa": 1.17, "truthfulqa": 1.72},
                  model={"fam-a": 0.0, "fam-b": 0.40, "fam-c": -1.12, "fam-d": 0.06, "fam-e": -0.06},
                  amendment={a: by_type[a.split(":")[0]] for a in Truth().amendment})
    per_question = len(families) * 2 * 4 * 28
    questions = -(-args.rows // per_question)
    start = time.perf_counter()
    table = simulate_responses(questions, families=families, truth=truth, rows=args.rows, seed=args.seed,
                               refusal_rate=0.0)
    print(f"simulated {len(table):,} rows in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    design = study_design(table)
    result, meta = sycophancy_effects(design)
    seconds = time.perf_counter() - start

    print(f"formula: {meta['formula']}")
    print(f"N = {result['n']:,}")
    for group in ("no_belief", "belief"):
        rows = design.data[design.data["prompt_type"] == group]
        ame, se, true = result["ame_pp"][group], meta["ame_se_pp"][group], truth.ame_pp(rows)
        inside = "inside" if abs(ame - true) < 1.96 * se else "OUTSIDE"
        print(f"AME {group}: {ame:.2f} pp (95% CI {ame - 1.96 * se:.2f} to {ame + 1.96 * se:.2f}, "
              f"p = {result['p'][group]:.3g}); true {true:.2f} pp, {inside} the CI")
    print(f"fit + marginal effects: {seconds:.2f} s")
    print(f"seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
