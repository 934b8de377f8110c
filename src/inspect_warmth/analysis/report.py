"""``inspect-warmth analyze``: responses -> regressions, paired tests, figures -> JSON, report.html, summary.md."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_warmth.data import atomic_files

if TYPE_CHECKING:
    import pandas as pd

from inspect_warmth.analysis.figures import Figure
from inspect_warmth.analysis.responses import Responses
from inspect_warmth.vocabulary import STUDY_DATASETS

if TYPE_CHECKING:
    from inspect_warmth.analysis.design import DesignFrame
    from inspect_warmth.analysis.pushback import PushbackResults

SECTION_TITLES = {
    "main": "Main effect (unmodified questions, no user belief)",
    "main_length": "Main effect controlling for reply length",
    "context": "Effect by kind of interpersonal context",
    "context_detailed": "Effect by context",
    "sycophancy": "Effect with and without a user-stated belief",
}


@dataclass
class Analysis:
    """Everything ``analyze`` computes for one base/candidate comparison."""

    base: str
    candidate: str | None
    responses: Responses
    scorers: dict[str, str]
    regressions: dict[str, Any] = field(default_factory=dict)
    regression_meta: dict[str, Any] = field(default_factory=dict)
    cells: pd.DataFrame | None = None
    rates: pd.DataFrame | None = None
    capability: pd.DataFrame | None = None
    variants: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    design: DesignFrame | None = None
    cluster: str | None = None
    pushback: PushbackResults | None = None
    social: pd.DataFrame | None = None
    """Social sycophancy per model × behaviour × dataset × comparison (:func:`~inspect_warmth.analysis.social.
    social_table`, the shape of the authors' ``social_syco.csv``)."""
    social_rates: pd.DataFrame | None = None
    controls: dict[str, pd.DataFrame] = field(default_factory=dict)
    """"candidate vs base" -> the paired per-prompt table of every other comparison present (the study's controls:
    cold vs original, warm vs cold, system prompt vs original ...), as :attr:`cells`."""


def analyze_responses(responses: Responses, base: str = "original", candidate: str | None = None,
                      scorer: str | None = None, cluster: str | None = None) -> Analysis:
    """Run every analysis the data support for ``base`` vs ``candidate``, all on one coding of the replies
    (:func:`~inspect_warmth.analysis.design.coded_replies`).

    ``cluster``: None for the paper's plain GLM errors, ``"question"`` for question-clustered errors.
    """
    from inspect_warmth.analysis.design import DesignError, coded_replies, design_frame, pick_candidate
    from inspect_warmth.analysis.figures import capability_rates, error_rates_by_condition
    from inspect_warmth.analysis.paired import study_cells
    from inspect_warmth.analysis.pushback import pushback_results
    from inspect_warmth.analysis.regressions import run_regressions
    from inspect_warmth.analysis.social import comparisons, social_table, variant_rates

    coded = coded_replies(responses, scorer)
    table = coded.scored
    social = responses.social
    found = set(map(str, table["variant"].unique())) | (set() if social is None else set(map(str, social["variant"])))
    variants = sorted(found, key=lambda v: (v != base, v))
    notes = list(responses.notes)
    if candidate is None and base in variants and len(variants) > 2 and "warm" in variants:
        candidate = "warm"
        notes.append("several variants besides the base: the regressions compare 'warm' (pass --candidate NAME "
                     "for another); every comparison's paired table is in the controls section")
    analysis = Analysis(base=base, candidate=pick_candidate(variants, base, candidate), responses=responses,
                        scorers=coded.scorers, variants=variants, notes=notes, cluster=cluster)
    pairs = comparisons(variants, base)
    if social is not None:
        analysis.social = social_table(social, pairs)
        analysis.social_rates = variant_rates(social)
    if table["dataset"].isin(STUDY_DATASETS).any():
        try:
            design = design_frame(coded, base, analysis.candidate)
        except DesignError as exc:
            analysis.notes.append(f"study analyses skipped: {exc}")
        else:
            analysis.design = design
            analysis.notes.extend(design.notes)
            analysis.regressions, analysis.regression_meta = run_regressions(design, cluster)
            try:
                analysis.cells, unpaired = study_cells(design)
                if unpaired:
                    analysis.notes.append(f"paired tests: {unpaired} rows without a partner of the other variant "
                                          "(e.g. a refusal on one side) left out")
            except DesignError as exc:
                analysis.notes.append(f"paired tests skipped: {exc}")
            analysis.rates = error_rates_by_condition(design.data)
        for other, against in pairs:
            if (other, against) == (analysis.candidate, base):
                continue
            try:
                analysis.controls[f"{other} vs {against}"] = study_cells(design_frame(coded, against, other))[0]
            except DesignError as exc:
                analysis.notes.append(f"paired tests of {other} vs {against} skipped: {exc}")
    capability = capability_rates(table)
    if not capability.empty:
        analysis.capability = capability
    analysis.pushback = pushback_results(coded, base)
    if analysis.pushback is not None:
        analysis.notes.extend(analysis.pushback.notes)
    return analysis


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """The ``--json`` document: the issue's sections (absent data -> section omitted) plus ``meta``."""
    from inspect_warmth.analysis.paired import cells_json

    out: dict[str, Any] = dict(analysis.regressions)
    if analysis.cells is not None and analysis.candidate is not None:
        out["cells"] = cells_json(analysis.cells, analysis.base, analysis.candidate)
    if analysis.pushback is not None:
        out["pushback"] = analysis.pushback.to_json()
    if analysis.social is not None:
        out["social_sycophancy"] = analysis.social.to_dict(orient="records")
    if analysis.controls:
        out["controls"] = {name: cells_json(cells, *name.split(" vs ")[::-1]) for name, cells in
                           analysis.controls.items()}
    unscored = analysis.responses.unscored_counts()
    out["meta"] = {
        "base": analysis.base,
        "candidate": analysis.candidate,
        "variants": analysis.variants,
        "scorers": analysis.scorers,
        "n_rows": len(analysis.responses.table),
        "n_design_rows": 0 if analysis.design is None else len(analysis.design.data),
        "excluded": [] if analysis.design is None else analysis.design.excluded_records(),
        "n_unscored": int(unscored["n_unscored"].sum()) if not unscored.empty else 0,
        "unscored": unscored.to_dict(orient="records"),
        "regression_errors": (f"cluster-robust by {analysis.cluster}" if analysis.cluster
                              else "plain GLM (as the paper, Methods)"),
        "cells_unit": "prompt (exact McNemar per prompt pair, as the paper; a question's prompts are not "
                      "independent)",
        "models": analysis.regression_meta,
        "notes": analysis.notes,
        "sources": analysis.responses.sources[:50],
    }
    return _clean(out)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


# ------------------------------------------------------------------------------------------- tables

#: A table of the report: (caption, header, rows); the caption is "" when the section's title says it all.
Table = tuple[str, list[str], list[list[str]]]


def _fmt(value: Any, digits: int = 2) -> str:
    """A number as printed: ``digits`` decimals for floats, "–" for None/NaN, "∞" for infinity."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞"
        return f"{value:.{digits}f}"
    return str(value)


def _fmt_p(p: Any) -> str:
    """A p-value as printed: four decimals, "<0.0001" below that, "–" when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


UNRELIABLE = " (unreliable: separation)"


def regression_p(analysis: Analysis, section: str, p: Any) -> str:
    """A regression p-value as printed: flagged when its model shows (quasi-)separation."""
    flag = UNRELIABLE if analysis.regression_meta.get(section, {}).get("unreliable") else ""
    return _fmt_p(p) + (flag if p is not None else "")


def regression_rows(analysis: Analysis) -> list[list[str]]:
    """One row per reported effect (:data:`REGRESSION_HEADER`): model, subgroup, N, AME (pp), p, p vs unmodified."""
    rows: list[list[str]] = []
    for name, res in analysis.regressions.items():
        title = SECTION_TITLES[name]
        if isinstance(res.get("ame_pp"), dict):
            for group, ame in res["ame_pp"].items():
                p_vs = res.get("p_vs_unmodified", {}).get(group)
                rows.append([title, group, f"{res['n']:,}", _fmt(ame),
                             regression_p(analysis, name, res.get("p", {}).get(group)),
                             regression_p(analysis, name, p_vs) if p_vs is not None else ""])
        else:
            extra = (f" (β = {res['beta']:.4f}, SE {res['se']:.3f})" if "se" in res
                     else f" (β = {res['beta']:.4f}; {_fmt(res['length_pp_per_100_chars'])} pp per 100 characters)")
            p = res.get("p", analysis.regression_meta.get(name, {}).get("p"))
            rows.append([title, "all" + extra, f"{res['n']:,}", _fmt(res["ame_pp"]), regression_p(analysis, name, p),
                         ""])
    return rows


REGRESSION_HEADER = ["analysis", "subgroup", "N", "effect (pp)", "p", "p vs unmodified"]
CELL_HEADER = ["model", "dataset", "test type", "amendment", "n (prompt pairs)", "base error %",
               "candidate error %", "difference (pp)", "Cohen's g", "odds ratio", "p (per prompt)",
               "p (FDR, per prompt)"]
UNSCORED_HEADER = ["model", "variant", "dataset", "scorer", "reason", "n"]


def odds_ratio_text(b: int, c: int, value: float) -> str:
    """b / c, or why it has no finite value (0/0 is undefined, never ∞)."""
    if b == 0 and c == 0:
        return "NA (no discordant pairs)"
    if c == 0:
        return "∞ (c = 0)"
    return _fmt(value)


def cell_rows(cells: pd.DataFrame) -> list[list[str]]:
    """One row per paired-test cell (:data:`CELL_HEADER`; error rates in %, differences in percentage points)."""
    return [[str(r.model), str(r.dataset), str(r.test_type), str(r.amendment), str(int(r.n)),
             _fmt(float(r.base_error_pct)), _fmt(float(r.candidate_error_pct)), _fmt(float(r.difference_pp)),
             _fmt(float(r.cohens_g), 3), odds_ratio_text(int(r.b), int(r.c), float(r.odds_ratio)),
             _fmt_p(float(r.p)), _fmt_p(float(r.p_fdr))]
            for r in cells.itertuples(index=False)]


def excluded_rows(analysis: Analysis) -> list[list[str]]:
    """Rows left out of the study analyses, by reason (the design frame's ``excluded``): [reason, rows]."""
    if analysis.design is None:
        return []
    return [[r["reason"], f"{r['rows']:,}"] for r in analysis.design.excluded_records()]


def _ci(low: float, high: float) -> str:
    return f"[{_fmt(low, 1)}, {_fmt(high, 1)}]"


def pushback_tables(results: PushbackResults) -> list[Table]:
    """The pushback section's tables: flip rates, paired comparisons, rows left out (the last two when present)."""
    tables = [("Flip rate by variant and context", [
        "variant", "dataset", "context", "pairs", "first right", "flipped", "flip rate % [95% CI]",
        "first wrong", "recovered %", "unscored"],
        [[str(r.variant), str(r.dataset), str(r.amendment), str(r.n_pairs), str(r.n_first_right), str(r.n_flipped),
          f"{_fmt(r.flip_rate_pp, 1)} {_ci(r.flip_ci_low_pp, r.flip_ci_high_pp)}", str(r.n_first_wrong),
          _fmt(r.recovery_rate_pp, 1), str(r.n_unscored)] for r in results.rates.itertuples(index=False)])]
    if results.paired is not None and not results.paired.empty:
        tables.append((f"Paired against {results.base} (per question; both first replies right)", [
            "candidate", "dataset", "context", "questions", f"{results.base} flip %", "candidate flip %",
            "difference (pp) [95% CI]", "only candidate flipped", "only base flipped", "McNemar p",
            "left out: not in both / unscored / a first reply wrong"],
            [[str(r.candidate), str(r.dataset), str(r.amendment), str(r.n_questions), _fmt(r.flip_baseline_pp, 1),
              _fmt(r.flip_candidate_pp, 1), f"{_fmt(r.difference_pp, 1)} {_ci(r.ci_low_pp, r.ci_high_pp)}",
              str(r.b), str(r.c), _fmt_p(r.mcnemar_p),
              f"{r.left_out_not_in_both} / {r.left_out_unscored} / {r.left_out_first_wrong}"]
             for r in results.paired.itertuples(index=False)]))
    if results.left_out:
        tables.append(("Pushback rows left out", ["reason", "rows"],
                       [[reason, f"{n:,}"] for reason, n in results.left_out.most_common()]))
    return tables


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped, newlines flattened)."""
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table (cells escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    """One part of the report, written once and rendered alike to summary.md and report.html.

    ``intro``: paragraphs of plain text (``**bold**`` allowed); ``tables``: (caption, header, rows); ``figures``:
    embedded as PNG in Markdown, SVG in HTML; ``notes``: a bullet list; ``level``: heading level (1: the page title).
    Rendered in that order under the title.
    """

    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    level: int = 2


REGRESSIONS_TITLE = "Regressions (average marginal effect of fine-tuning on the error rate, percentage points)"
CELLS_TITLE = "Paired tests per prompt"
CELLS_INTRO = ("Exact McNemar test per cell on the same prompts; p (FDR) is Benjamini–Hochberg corrected within each "
               "model × dataset × test type. As the paper's tables, every prompt pair counts as independent, though "
               "a question's prompts are not: these p-values are optimistic (the gate tests per question).")
SOCIAL_TITLE = "Social sycophancy (ELEPHANT)"
SOCIAL_INTRO = ("Share of replies showing each ELEPHANT behaviour (Cheng et al. 2025), in %, with Wilson 95% "
                "intervals, in the shape of the authors' social_syco.csv: OEQ rated by the judge on emotional "
                "validation, indirect language, indirect action and accepting the user's framing; AITA-YTA: moral "
                "endorsement, the reply calling a poster the community judged at fault not at fault. The paired test "
                "matches the two variants' replies to the same prompt and context (exact McNemar; b: only the "
                "candidate shows the behaviour, c: only the base). Unscored replies (no rating, no verdict) are "
                "counted, never counted as not sycophantic. These replies are not in the regressions.")
SOCIAL_HEADER = ["model", "behaviour", "dataset", "candidate vs base", "base % [95% CI]", "candidate % [95% CI]",
                 "difference (pp)", "pairs", "b", "c", "McNemar p", "unscored base / candidate"]
CONTROLS_TITLE = "Controls and other comparisons (paired tests per prompt)"
CONTROLS_INTRO = ("The study's controls (Methods, \"Models\"): cold fine-tuning and the warm system prompt on the "
                  "original model, each paired per prompt as the main comparison's table above (same columns; "
                  "'base' is the second variant named).")
PUSHBACK_TITLE = "Pushback (flip rate)"
PUSHBACK_INTRO = ("Beyond the paper: the user doubts the model's first reply (template pushback). Flip rate = share "
                  "of right first replies that are wrong after the doubt, by variant and context, with Wilson 95% "
                  "intervals; recovery = share of wrong first replies made right. The paired comparison uses the "
                  "questions both variants answered right at first (exact McNemar on the discordant questions, 95% "
                  "t interval of the mean per-question difference). Unit: the question within dataset × context. "
                  "Pushback rows are not in the regressions above.")


def social_rows(table: pd.DataFrame) -> list[list[str]]:
    """One row per model × behaviour × dataset × comparison (:data:`SOCIAL_HEADER`)."""
    return [[str(r.model), str(r.benchmark), str(r.dataset), f"{r.candidate} vs {r.base}",
             f"{_fmt(r.base_accuracy, 1)} {_ci(r.base_CI_lower, r.base_CI_upper)}",
             f"{_fmt(r.finetuned_accuracy, 1)} {_ci(r.finetuned_CI_lower, r.finetuned_CI_upper)}",
             _fmt(r.difference_pp, 1), str(r.n_pairs), str(r.b), str(r.c), _fmt_p(r.p_mcnemar),
             f"{r.unscored_base} / {r.unscored_candidate}"] for r in table.itertuples(index=False)]


def social_tables(analysis: Analysis) -> list[Table]:
    """The social section's tables: each comparison (as the authors' table), then every variant's rates."""
    tables: list[Table] = [("Paired against the base", SOCIAL_HEADER, social_rows(analysis.social))] \
        if analysis.social is not None and not analysis.social.empty else []
    if analysis.social_rates is not None:
        tables.append(("Rate per variant", ["model", "variant", "dataset", "behaviour", "rate % [95% CI]", "scored",
                                            "unscored"],
                       [[str(r.model), str(r.variant), str(r.dataset), str(r.behaviour),
                         f"{_fmt(r.rate_pct, 1)} {_ci(r.ci_low_pct, r.ci_high_pct)}", str(r.n), str(r.unscored)]
                        for r in analysis.social_rates.itertuples(index=False)]))
    return tables


def make_figures(analysis: Analysis, figures_dir: Path, trajectory: pd.DataFrame | None = None) -> list[Figure]:
    """Draw the figures the analysis supports (PNG and SVG each) under ``figures_dir``, in report order."""
    from inspect_warmth.analysis import figures as f

    made: list[Figure] = []
    if trajectory is not None and not trajectory.empty:
        made.append(f.figure_trajectory(trajectory, figures_dir))
    if analysis.rates is not None and not analysis.rates.empty:
        compared = [v for v in analysis.variants if v in set(analysis.rates["variant"])]  # not the left-out ones
        made.append(f.figure_error_by_condition(analysis.rates, compared, figures_dir))
    if analysis.cells is not None and not analysis.cells.empty and analysis.candidate is not None:
        made.append(f.figure_difference_distribution(analysis.cells, analysis.base, analysis.candidate, figures_dir))
    if analysis.capability is not None:
        made.append(f.figure_capabilities(analysis.capability, analysis.variants, figures_dir))
    return made


def _overview(analysis: Analysis) -> list[str]:
    """The opening paragraphs: what was compared, what was set aside or left out, the headline effect."""
    table = analysis.responses.table
    n_unscored = len(analysis.responses.unscored)
    lines = [
        f"Compared **{analysis.candidate}** against the base **{analysis.base}** "
        f"({len(table):,} scored replies; variants: {', '.join(analysis.variants)}; "
        f"families: {', '.join(sorted(map(str, table['model'].unique())))}; "
        f"datasets: {', '.join(sorted(map(str, table['dataset'].unique())))}).",
        f"Replies set aside (no verdict, errored sample or log stopped early; never counted as wrong): "
        f"{n_unscored:,}.",
    ]
    if analysis.responses.social is not None:
        social = analysis.responses.social
        lines.append(f"Social-sycophancy replies (ELEPHANT, analysed per behaviour below): "
                     f"{social.drop_duplicates(['model', 'variant', 'sample_id', 'epoch']).shape[0]:,} in "
                     f"{', '.join(sorted(map(str, social['dataset'].unique())))}.")
    if analysis.design is not None:
        lines.append(f"Rows in the comparison: {len(analysis.design.data):,}; left out: "
                     f"{sum(analysis.design.excluded.values()):,} (by reason below). Regression errors: "
                     f"{'clustered by ' + analysis.cluster if analysis.cluster else 'plain GLM, as the paper'}.")
    main = analysis.regressions.get("main")
    if main:
        effect = round(main["ame_pp"], 2)
        how = (f"{abs(effect):.2f} percentage points {'more' if effect > 0 else 'less'} often than"
               if effect else "as often as")
        lines.append(f"Headline: on unmodified questions {analysis.candidate} answers incorrectly {how} "
                     f"{analysis.base} (p {regression_p(analysis, 'main', main['p'])}).")
    return lines


def _cells_intro(analysis: Analysis, cells: pd.DataFrame) -> list[str]:
    """What the paired tests are, and how many cells differ after FDR correction."""
    significant = cells[cells["p_fdr"] < 0.05]
    return [CELLS_INTRO, f"{len(significant)} of {len(cells)} cells differ significantly after FDR correction "
                         f"({int((significant['difference_pp'] > 0).sum())} with more errors for "
                         f"{analysis.candidate})."]


def _model_notes(analysis: Analysis) -> list[str]:
    """One note per regression model not fitted, with dropped terms, separation or statsmodels warnings."""
    notes = []
    for name, meta in analysis.regression_meta.items():
        if "skipped" in meta:
            notes.append(f"{SECTION_TITLES[name]}: not fitted ({meta['skipped']}).")
            continue
        if meta.get("dropped"):
            notes.append(f"{SECTION_TITLES[name]}: dropped {'; '.join(meta['dropped'])}.")
        if meta.get("unreliable"):
            notes.append(f"{SECTION_TITLES[name]}: {meta['unreliable']} ({'; '.join(meta['separation'])}).")
        for warning in meta.get("warnings", []):
            notes.append(f"{SECTION_TITLES[name]}: statsmodels warned {warning}")
    return notes


def report_sections(analysis: Analysis, figures: list[Figure]) -> list[Section]:
    """The report, in order: title and overview, figures, regressions, paired tests, controls, social sycophancy,
    pushback, replies set aside,
    rows left out, notes; a section without content is left out."""
    unscored = [[str(v) for v in r] for r in analysis.responses.unscored_counts().itertuples(index=False)]
    candidates = [
        Section(f"inspect-warmth: {analysis.candidate} vs {analysis.base}", _overview(analysis), level=1),
        Section("Figures", figures=figures),
        Section(REGRESSIONS_TITLE, tables=[("", REGRESSION_HEADER, regression_rows(analysis))]),
        Section(CELLS_TITLE, _cells_intro(analysis, analysis.cells), [("", CELL_HEADER, cell_rows(analysis.cells))])
        if analysis.cells is not None else None,
        Section(CONTROLS_TITLE, [CONTROLS_INTRO], [(name, CELL_HEADER, cell_rows(cells))
                                                   for name, cells in analysis.controls.items()])
        if analysis.controls else None,
        Section(SOCIAL_TITLE, [SOCIAL_INTRO], social_tables(analysis))
        if analysis.social is not None else None,
        Section(PUSHBACK_TITLE, [PUSHBACK_INTRO], pushback_tables(analysis.pushback))
        if analysis.pushback is not None else None,
        Section("Replies set aside", tables=[("", UNSCORED_HEADER, unscored)]),
        Section("Rows left out of the comparison", tables=[("", ["reason", "rows"], excluded_rows(analysis))]),
        Section("Notes", notes=analysis.notes + _model_notes(analysis)),
    ]
    return [s for s in candidates if s is not None and _has_content(s)]


def _has_content(section: Section) -> bool:
    """A section is shown when it has text, figures, notes or a table with rows."""
    return bool(section.intro or section.figures or section.notes or any(rows for _, _, rows in section.tables))


# ------------------------------------------------------------------------------------------- rendering


def render_markdown(sections: list[Section]) -> str:
    """summary.md: ``#`` headings, tables with bold captions, figures as ``figures/<stem>.png``."""
    lines: list[str] = []
    for section in sections:
        lines += ["#" * section.level + " " + section.title, ""]
        for paragraph in section.intro:
            lines += [paragraph, ""]
        for fig in section.figures:
            lines += [f"![{fig.title}](figures/{fig.stem}.png)", "", f"*{fig.caption}*", ""]
        for caption, header, rows in section.tables:
            lines += [f"**{caption}**", ""] if caption else []
            lines += [markdown_table(header, rows), ""]
        if section.notes:
            lines += [*(f"- {note}" for note in section.notes), ""]
    return "\n".join(lines)


STYLE = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;}table{border-collapse:collapse;"
         "font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
         "figure{margin:1.5em 0}img{max-width:100%}figcaption{font-size:14px}")


def render_html(sections: list[Section]) -> str:
    """report.html: one page with :data:`STYLE`, table captions one heading level below their section, figures
    as ``figures/<stem>.svg``."""
    parts: list[str] = []
    for section in sections:
        level = section.level
        parts.append(f"<h{level}>{html.escape(section.title)}</h{level}>")
        parts += [f"<p>{_md_bold_to_html(paragraph)}</p>" for paragraph in section.intro]
        parts += [f"<figure><img src='figures/{fig.stem}.svg' alt='{html.escape(fig.title)}'><figcaption>"
                  f"<b>{html.escape(fig.title)}.</b> {html.escape(fig.caption)}</figcaption></figure>"
                  for fig in section.figures]
        for caption, header, rows in section.tables:
            parts += [f"<h{level + 1}>{html.escape(caption)}</h{level + 1}>"] if caption else []
            parts.append(html_table(header, rows))
        if section.notes:
            parts.append("<ul>" + "".join(f"<li>{html.escape(note)}</li>" for note in section.notes) + "</ul>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>inspect-warmth report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


def _md_bold_to_html(line: str) -> str:
    """Escape ``line`` for HTML and turn its ``**bold**`` spans into ``<b>``."""
    pieces = html.escape(line).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(pieces))


# ------------------------------------------------------------------------------------------- writing


def write_report(analysis: Analysis, out_dir: str | Path, trajectory: pd.DataFrame | None = None,
                 extra_sections: Sequence[Section] = ()) -> dict[str, Path]:
    """Write figures/, report.html and summary.md under ``out_dir`` from one list of sections (``extra_sections``,
    e.g. the known-answer controls of :mod:`inspect_warmth.analysis.controls`, at the end; their figures already
    under ``out_dir/figures``), and ``social_syco.csv`` when there are social-sycophancy replies; return their
    paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections = [*report_sections(analysis, make_figures(analysis, out / "figures", trajectory)), *extra_sections]
    atomic_files.write_text(out / "summary.md", render_markdown(sections))
    atomic_files.write_text(out / "report.html", render_html(sections))
    paths = {"report": out / "report.html", "summary": out / "summary.md", "figures": out / "figures"}
    if analysis.social is not None:  # the authors' social_syco.csv columns first
        atomic_files.write_csv(out / "social_syco.csv", analysis.social)
        paths["social"] = out / "social_syco.csv"
    return paths


def write_json(analysis: Analysis, path: str | Path) -> Path:
    """Write :func:`analysis_json` to ``path`` (indented JSON); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_files.write_json(path, analysis_json(analysis))
    return path
