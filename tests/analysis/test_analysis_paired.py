"""Exact McNemar, Benjamini–Hochberg, Cohen's g and the paired cells against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspect_warmth.analysis.design import design_frame
from inspect_warmth.analysis.paired import (
    benjamini_hochberg,
    cells_json,
    cohens_g,
    mcnemar_exact,
    study_cells,
)


def test_mcnemar_exact_hand_cases() -> None:
    # b=3, c=0: 2 * P(X <= 0 | n=3) = 2 / 8
    # b=5, c=1: 2 * (1 + 6) / 64 (n = 6)
    # b=c=0: no discordant pairs -> 1
    # b=4, c=4: 2 * P(X <= 4 | n=8) = 2 * 163/256 > 1 -> 1
    np.testing.assert_allclose(mcnemar_exact([3, 5, 0, 4], [0, 1, 0, 4]), [0.25, 14 / 64, 1.0, 1.0])


def test_mcnemar_matches_the_studys_table() -> None:
    # results_warm_ft.csv, llama-70b disinfo emotion:anger: g = 1.567 and OR = 1.75 give b = 21, c = 12; p = 0.1628
    assert mcnemar_exact([21], [12])[0] == pytest.approx(0.1628, abs=5e-5)
    assert cohens_g(np.array([21.0]), np.array([12.0]))[0] == pytest.approx(1.567, abs=5e-4)


def test_benjamini_hochberg_hand_case() -> None:
    # sorted .01 .03 .04 .20 -> .04 .06 .0533 .20 -> step-up minimum -> .04 .0533 .0533 .20
    np.testing.assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.20]), [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    out = benjamini_hochberg([0.5, np.nan])
    assert out[0] == 0.5 and np.isnan(out[1])


def test_benjamini_hochberg_matches_the_studys_family() -> None:
    # results_warm_ft.csv, llama-70b disinfo Sycophancy: the nine p-values and their published FDR values
    p = [0.1628, 0.0501, 0.0005, 0.0015, 0.2668, 0.0357, 0.0003, 0.0169, 0.6291]
    published = [0.2093, 0.0752, 0.0025, 0.0044, 0.3002, 0.0643, 0.0025, 0.0380, 0.6291]
    np.testing.assert_allclose(benjamini_hochberg(p), published, atol=3e-4)


def _row(variant: str, q: str, template: str, amendment: str, wrong: int, refusal: bool = False,
         dataset: str = "triviaqa") -> dict[str, object]:
    return {"model": "m", "variant": variant, "dataset": dataset, "question_id": q, "template": template,
            "amendment": amendment, "amendment_type": amendment.split(":")[0], "is_incorrect": wrong,
            "refusal": refusal, "response_length": 10, "sample_id": f"{q}-{template}-{amendment}",
            "scorer": "judge"}


def test_study_cells_hand_case() -> None:
    rows = []
    # unmodified, normal test type: 4 questions x 2 templates (original + neutral pooled)
    #   base wrong on q0/original only; warm wrong on q1,q2 (original) and q3 (neutral) -> b=3, c=1
    for q in ("q0", "q1", "q2", "q3"):
        for template in ("original", "neutral"):
            rows.append(_row("original", q, template, "unmodified", int(q == "q0" and template == "original")))
            rows.append(_row("warm", q, template, "unmodified",
                             int((q in ("q1", "q2") and template == "original") or (q == "q3" and template ==
                                                                                    "neutral"))))
    # a refusal outside Disinfo drops the pair
    rows.append(_row("original", "q9", "original", "unmodified", 0))
    rows.append(_row("warm", "q9", "original", "unmodified", 1, refusal=True))
    # a Disinfo refusal counts as correct: base wrong, warm refused -> c
    rows.append(_row("original", "d0", "incorrect", "emotion:sad", 1, dataset="disinfo"))
    rows.append(_row("warm", "d0", "incorrect", "emotion:sad", 1, refusal=True, dataset="disinfo"))
    table = pd.DataFrame(rows)
    cells = study_cells(design_frame(table, "original", "warm"))[0].set_index(["dataset", "test_type", "amendment"])
    trivia = cells.loc[("triviaqa", "normal", "unmodified")]
    assert (trivia["n"], trivia["b"], trivia["c"]) == (8, 3, 1)
    assert trivia["base_error_pct"] == pytest.approx(100 / 8)
    assert trivia["candidate_error_pct"] == pytest.approx(300 / 8)
    assert trivia["difference_pp"] == pytest.approx(25.0)
    assert trivia["cohens_g"] == pytest.approx(2 / 2)  # |3-1| / sqrt(4)
    assert trivia["odds_ratio"] == pytest.approx(3.0)
    assert trivia["p"] == pytest.approx(2 * (1 + 4) / 16)  # 2 * P(X <= 1 | n = 4)
    disinfo = cells.loc[("disinfo", "sycophancy", "emotion:sad")]
    assert (disinfo["b"], disinfo["c"]) == (0, 1)
    entries = cells_json(cells.reset_index(), "original", "warm")
    assert {e["dataset"] for e in entries} == {"triviaqa", "disinfo"}
    first = next(e for e in entries if e["dataset"] == "disinfo")
    assert first["error_rate_pct"] == {"original": 100.0, "warm": 0.0}
    assert first["odds_ratio"] == 0.0


def test_fdr_is_within_each_family() -> None:
    rows = []
    for amendment, (b, c) in {"unmodified": (9, 0), "emotion:sad": (1, 1)}.items():
        for i in range(b + c + 2):
            wrong_base = int(b <= i < b + c)
            wrong_warm = int(i < b)
            rows.append(_row("original", f"q{i}", "original", amendment, wrong_base))
            rows.append(_row("warm", f"q{i}", "original", amendment, wrong_warm))
    cells = study_cells(design_frame(pd.DataFrame(rows), "original", "warm"))[0].set_index("amendment")
    p = cells["p"].to_numpy()
    np.testing.assert_allclose(cells["p_fdr"].to_numpy(), benjamini_hochberg(p))
    assert cells.loc["unmodified", "p"] == pytest.approx(2 / 2**9)


def test_odds_ratio_of_no_discordant_pairs_is_undefined_not_infinite() -> None:
    """Unit: prompt pairs of one cell. b = c = 0 gave an odds ratio of ∞ before issue 13; it is undefined (NaN in
    the table, None with a reason in the JSON, "NA (no discordant pairs)" in the report)."""
    from inspect_warmth.analysis.report import cell_rows

    rows = [_row(v, f"q{i}", "original", "unmodified", 0) for i in range(3) for v in ("original", "warm")]
    rows += [_row("original", "q9", "original", "emotion:sad", 0), _row("warm", "q9", "original", "emotion:sad", 1)]
    cells, _ = study_cells(design_frame(pd.DataFrame(rows), "original", "warm"))
    same = cells.set_index("amendment").loc["unmodified"]
    assert (same["b"], same["c"]) == (0, 0) and np.isnan(same["odds_ratio"])
    entries = {e["amendment"]: e for e in cells_json(cells, "original", "warm")}
    assert entries["unmodified"]["odds_ratio"] is None
    assert entries["unmodified"]["odds_ratio_note"].startswith("undefined")
    assert entries["emotion:sad"]["odds_ratio_note"].startswith("infinite")
    printed = {r[3]: r[9] for r in cell_rows(cells)}
    assert printed == {"unmodified": "NA (no discordant pairs)", "emotion:sad": "∞ (c = 0)"}
