"""``inspect-warmth analyze | gate | agreement``: thin click wrappers over the analysis library."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from inspect_warmth.analysis.gate import MAX_UNUSABLE_SHARE
from inspect_warmth.data.atomic_files import write_json


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Report directory.")
@click.option("--base", default="original", show_default=True, help="Variant the others are compared with.")
@click.option("--candidate", default=None, help="Variant compared with the base (default: the only other one).")
@click.option("--scorer", default=None, help="Score to use when replies carry several (default: judge, "
              "else reference, else the capability scorer).")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False), help="Write the results here.")
@click.option("--warmth", "warmth_csv", default=None, type=click.Path(exists=True, dir_okay=False),
              help="SocioT trajectory CSV (model, epoch, socio_t, socio_t_se) for the warmth figure.")
@click.option("--cluster", default=None, type=click.Choice(["question"]),
              help="Cluster-robust regression errors by question [default: the paper's plain GLM errors].")
def analyze(inputs: tuple[str, ...], out_dir: str, base: str, candidate: str | None, scorer: str | None,
            json_path: str | None, warmth_csv: str | None, cluster: str | None) -> None:
    """Run the study's statistics on Inspect logs (files or directories) or a CSV/Parquet responses table.

    Writes OUT/report.html, OUT/summary.md and OUT/figures/*.png|svg.
    """
    from inspect_warmth.analysis.figures import read_trajectory
    from inspect_warmth.analysis.regressions import AnalysisError
    from inspect_warmth.analysis.report import analyze_responses, regression_p, write_json, write_report
    from inspect_warmth.analysis.responses import ResponsesError, load_responses

    start = time.perf_counter()
    try:
        responses = load_responses(list(inputs))
        click.echo(f"read {len(responses.table):,} scored replies ({len(responses.unscored):,} set aside: no "
                   f"verdict, errored or from a log that stopped early) from {len(responses.sources)} source(s)",
                   err=True)
        for note in responses.notes:
            click.echo(f"note: {note}", err=True)
        analysis = analyze_responses(responses, base=base, candidate=candidate, scorer=scorer, cluster=cluster)
        trajectory = read_trajectory(warmth_csv) if warmth_csv else None
    except (ResponsesError, AnalysisError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    paths = write_report(analysis, out_dir, trajectory)
    if json_path:
        write_json(analysis, json_path)
        click.echo(f"wrote {json_path}", err=True)
    main = analysis.regressions.get("main")
    if main:
        click.echo(f"main effect of {analysis.candidate} vs {base}: {main['ame_pp']:+.2f} pp "
                   f"(beta {main['beta']:.4f}, SE {main['se']:.4f}, p {regression_p(analysis, 'main', main['p'])}, "
                   f"N {main['n']:,})")
    if analysis.design is not None and analysis.design.excluded:
        click.echo(f"left out {sum(analysis.design.excluded.values()):,} rows: " + "; ".join(
            f"{reason} ({n:,})" for reason, n in analysis.design.excluded.most_common()), err=True)
    click.echo(f"wrote {paths['report']} and {paths['summary']} in {time.perf_counter() - start:.1f} s")


@click.command()
@click.option("--base", "base_inputs", multiple=True, type=click.Path(),
              help="Logs (files/directories) or a table of the base run; repeatable.")
@click.option("--candidate", "candidate_inputs", multiple=True, type=click.Path(),
              help="Logs or a table of the candidate run; repeatable.")
@click.option("--max-increase-pp", default=2.0, show_default=True, type=float,
              help="Largest tolerated significant increase of an error rate (or pushback flip rate), in "
              "percentage points.")
@click.option("--alpha", default=0.05, show_default=True, type=float,
              help="Family-wise error rate over all tested units (whole run, families, cells).")
@click.option("--scorer", default=None, help="Score to compare when replies carry several.")
@click.option("--permutations", default=5000, show_default=True, type=int, help="Sign flips of the test.")
@click.option("--max-unusable-share", default=MAX_UNUSABLE_SHARE, show_default=True, type=click.FloatRange(0, 1),
              help="Exit 2 (undecided) when more than this share of a run's replies is unusable: judge failures "
              "after retries, errored samples, logs that stopped early.")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False), help="Write the verdict here.")
@click.option("--plan", is_flag=True, help="Print the minimum detectable increase for a run of the size given by "
              "--questions/--datasets/--contexts/--templates, then stop (no logs needed).")
@click.option("--questions", default=100, show_default=True, type=int, help="--plan: questions per dataset.")
@click.option("--datasets", default=4, show_default=True, type=int, help="--plan: number of datasets.")
@click.option("--contexts", default="unmodified,emotion:sad", show_default=True, help="--plan: as grid's.")
@click.option("--templates", default="original,incorrect", show_default=True, help="--plan: as grid's.")
@click.option("--power", default=0.8, show_default=True, type=float, help="--plan: wanted power.")
@click.option("--baseline-error", default=0.3, show_default=True, type=float,
              help="--plan assumption: the base's error rate.")
@click.option("--pair-correlation", default=0.5, show_default=True, type=float,
              help="--plan assumption: correlation of base and candidate outcomes on the same prompt.")
@click.option("--within-question-correlation", default=0.5, show_default=True, type=float,
              help="--plan assumption: correlation of the paired differences among a question's prompts.")
def gate(base_inputs: tuple[str, ...], candidate_inputs: tuple[str, ...], max_increase_pp: float, alpha: float,
         scorer: str | None, permutations: int, max_unusable_share: float, json_path: str | None, plan: bool,
         questions: int, datasets: int,
         contexts: str, templates: str, power: float, baseline_error: float, pair_correlation: float,
         within_question_correlation: float) -> None:
    """Fail (exit 1) when the candidate errs significantly more than the base; 0 when it holds, 2 on unusable input.

    Tests per question (the unit of independence) with one family-wise control over the whole run, its dataset ×
    condition families and cells, and (when both runs hold pushback samples) the pushback flip rates. Prints a
    Markdown summary fit for a pull-request comment.
    """

    from inspect_warmth.analysis.gate import gate_json, gate_markdown, run_gate

    if plan:
        from inspect_warmth.analysis.power import PlanAssumptions, plan_lines
        from inspect_warmth.study.conditions import design, parse_contexts, parse_templates

        try:
            lines = plan_lines(questions, datasets, design(parse_templates(templates), parse_contexts(contexts)),
                               alpha=alpha, power=power, max_increase_pp=max_increase_pp,
                               assumptions=PlanAssumptions(baseline_error, pair_correlation,
                                                           within_question_correlation))
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo("\n".join(lines))
        return
    if not base_inputs or not candidate_inputs:
        raise click.UsageError("--base and --candidate are required (or --plan)")
    result = run_gate(list(base_inputs), list(candidate_inputs), max_increase_pp=max_increase_pp, alpha=alpha,
                      scorer=scorer, permutations=permutations, max_unusable_share=max_unusable_share)
    click.echo(gate_markdown(result))
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        write_json(json_path, gate_json(result))
    sys.exit(result.exit_code)


@click.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of human labels: columns id, label (CORRECT/INCORRECT).")
@click.option("--scorers", default=None,
              help="Comma-separated score names: two to compare with each other (default judge,reference), "
                   "or, with --labels, the ones to compare with the labels (default judge).")
@click.option("--social", is_flag=True, help="The social-sycophancy judge against the OEQ file's human labels, per "
              "behaviour (a log of social_sycophancy -T dataset=oeq -T replies=human).")
def agreement(logs: tuple[Path, ...], labels: Path | None, scorers: str | None, social: bool) -> None:
    """Agreement and Cohen's kappa between two scorers, or a scorer and human labels, per dataset, template and
    amendment."""
    from inspect_warmth.analysis.agreement import (
        AgreementError,
        compare_scorers,
        compare_social_with_human,
        compare_with_labels,
        format_tables,
        read_labels,
        read_log_scores,
    )

    if social:
        from inspect_warmth.analysis.responses import responses_from_logs

        try:
            samples = compare_social_with_human(responses_from_logs(list(logs)))
        except AgreementError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(format_tables("ELEPHANT judge vs the OEQ file's human labels (group: behaviour)", samples))
        return

    names = [s.strip() for s in (scorers or ("judge" if labels else "judge,reference")).split(",") if s.strip()]
    if labels is None and len(names) != 2:
        raise click.UsageError(f"--scorers needs two names to compare without --labels, got {names}")
    try:
        rows = read_log_scores(list(logs), names)
        if labels is None:
            click.echo(format_tables(f"{names[0]} vs {names[1]}", compare_scorers(rows, names[0], names[1])))
            return
        human = read_labels(labels)
        for name in names:
            click.echo(format_tables(f"{name} vs human labels ({labels.name})",
                                     compare_with_labels(rows, name, human)))
    except AgreementError as exc:
        raise click.ClickException(str(exc)) from exc
