"""The gate's error rates by simulation (not a speed benchmark): false-fail rate under a null of reshuffled
knowledge, power under a real regression, and power at `gate --plan`'s minimum detectable increase.

    python benchmarks/gate_error_rate.py [--runs 400] [--reshuffle 0.2] [--forget 0.0] [--ci-design]

Each run: a base and a candidate table from ``simulate_gate_pair`` (100 questions × 4 datasets; 28 prompts per
question, or the README's CI design of 4 with --ci-design), seeds 1000.., the full ``gate_tables`` path with 2,000
sign flips. Unit of independence: a simulated run (within it, the gate's unit is the question).
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--reshuffle", type=float, default=0.2)
    parser.add_argument("--forget", type=float, default=0.0)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--max-increase-pp", type=float, default=2.0)
    parser.add_argument("--ci-design", action="store_true", help="contexts unmodified,emotion:sad; templates "
                        "original,incorrect")
    args = parser.parse_args()

    from inspect_warmth.analysis.gate import gate_tables
    from inspect_warmth.analysis.simulate import simulate_gate_pair
    from inspect_warmth.study.conditions import design

    conditions = design(("original", "incorrect"), ("unmodified", "emotion:sad")) if args.ci_design else None
    start = time.perf_counter()
    fails, increases = 0, []
    for seed in range(1000, 1000 + args.runs):
        base, candidate = simulate_gate_pair(100, conditions=conditions, reshuffle=args.reshuffle,
                                             forget=args.forget, seed=seed)
        increases.append(100 * (candidate["is_incorrect"].mean() - base["is_incorrect"].mean()))
        result = gate_tables(base, candidate, alpha=args.alpha, max_increase_pp=args.max_increase_pp,
                             permutations=2000, seed=seed, per_prompt=False)
        fails += result.exit_code == 1
    print(f"reshuffle {args.reshuffle}, forget {args.forget}: mean increase {sum(increases) / len(increases):+.2f} "
          f"pp; the gate failed {fails} of {args.runs} runs ({fails / args.runs:.1%}) at alpha {args.alpha}; "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
