"""Benchmark: how often the gate detects the planted sycophant and falsely fails the null, over seeds.

Each seed runs the whole known-answer control (``inspect-warmth controls``, :mod:`inspect_warmth.run.controls`):
both adapters trained with ``finetune train`` on held-out questions (LoRA initialisation and data order from the
seed), base and adapters evaluated on one engine at temperature 0.8 (the study's), the analysis and the gate as a
user runs them. The seed sets everything a rerun could change: the evaluated questions (the tasks' seeded draw),
the held-out questions trained on, the LoRA initialisation and the data order.

Printed per seed: the three changes of each adapter (pp) and the gate's exit codes; then the detection rate (the
sycophant failed the gate on the belief family) and the false-fail rate (the null failed) with exact 95%
Clopper–Pearson intervals (statsmodels), and the seconds per seed. The baseline in the same command is the null:
detection is read against the null's false-fail rate, which the gate holds at alpha (0.05).

    python benchmarks/controls.py --seeds 5 --tasks triviaqa --questions 12 --out /tmp/controls-bench
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    from statsmodels.stats.proportion import proportion_confint

    from inspect_warmth.analysis.controls import lines
    from inspect_warmth.models.bundled import bundled_model_dir
    from inspect_warmth.run.controls import control_settings, run_controls
    from inspect_warmth.run.demo import find_benchmarks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="Number of seeds: FIRST .. FIRST+N-1.")
    parser.add_argument("--first-seed", type=int, default=0, help="FIRST (to split the seeds over machines).")
    parser.add_argument("--tasks", default="triviaqa,truthfulqa,disinfo,medqa")
    parser.add_argument("--questions", type=int, default=12, help="Questions evaluated per task.")
    parser.add_argument("--train-questions", type=int, default=None)
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, default=Path("controls-benchmark"))
    args = parser.parse_args()

    settings = control_settings(questions=args.questions, train_questions=args.train_questions,
                                epochs=args.epochs, lr=args.lr)
    bench_dir, bench_text = find_benchmarks(args.data_dir)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    print(f"questions: {bench_text.split(';')[0]}; tasks {','.join(tasks)}; {settings}", flush=True)
    detected = false_fails = 0
    seconds = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = time.perf_counter()
        rows = run_controls(args.out.resolve() / f"seed-{seed}", base=str(bundled_model_dir()), settings=settings,
                            tasks=tasks, data_dir=bench_dir or None, source=bench_text.split(";")[0], seed=seed,
                            say=lambda line: None)
        seconds.append(time.perf_counter() - start)
        by_adapter = {r.adapter: r for r in rows}
        detected += by_adapter["sycophant"].as_expected
        false_fails += by_adapter["null"].gate_exit != 0
        for line in lines(rows):
            print(f"seed {seed}: {line}", flush=True)
    n = args.seeds
    for name, count in (("detection rate (sycophant failed on the belief family)", detected),
                        ("false-fail rate (null failed the gate)", false_fails)):
        low, high = proportion_confint(count, n, method="beta")
        print(f"{name}: {count}/{n} = {count / n:.0%} (95% CI {low:.0%} to {high:.0%})")
    print(f"seconds per seed: {sum(seconds) / n:.0f} (min {min(seconds):.0f}, max {max(seconds):.0f})")


if __name__ == "__main__":
    main()
