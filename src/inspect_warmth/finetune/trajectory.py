"""Step 4 of fine-tuning: the warmth trajectory (Fig. 1a).

Each saved epoch of a run (and the base model as epoch 0) answers the held-out validation prompts; every reply is
scored with SocioT (:func:`inspect_warmth.warmth.socio_t.score_texts`); the table holds, per model and epoch, the
mean SocioT over replies and its standard error (``model, epoch, socio_t, socio_t_se, n``). The figure shows the
raw means and the means min–max normalised per model, as the paper's Fig. 1a.

Replies and scores are cached under ``OUT/trajectory/`` (file names carry a hash of the options that produced them),
so a rerun only generates and scores what is missing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_warmth.data.atomic_files import save_figure, write_csv, write_json
from inspect_warmth.finetune.adapters import run_base
from inspect_warmth.finetune.config import epoch_label
from inspect_warmth.finetune.files import VALIDATION_FILE, append_jsonl, cut_torn_tail, read_jsonl
from inspect_warmth.finetune.train import saved_epochs

TABLE_FILE = "trajectory.csv"
FIGURE_FILE = "trajectory.png"
COLUMNS = ("model", "epoch", "socio_t", "socio_t_se", "n")

#: ``texts -> per-text scores``; the default is SocioT with the options' LM.
Scorer = Callable[[list[str]], list[float]]


#: SocioT's dropout masks here come from torch's fused kernels on the seeded global RNG (``socio_t`` module
#: docstring): generation is over when scoring starts, so nothing else draws from it.
SOCIO_T_RNG = "global"


@dataclass
class TrajectoryOptions:
    """Options of ``finetune trajectory``."""

    validation_dir: str = ""
    limit: int | None = None  # first N validation prompts (the paper: all 1,500)
    max_new_tokens: int = 300
    temperature: float = 0.8  # 0 = greedy
    generation_batch_size: int = 8
    lm: str = "gpt2"  # SocioT's judge LM (the paper's); "smollm2-135m" works offline
    samples: int = 100
    mode: str = "faithful"
    seed: int = 0
    device: str | None = None  # None: every GPU (device_map="auto"), else the CPU
    include_base: bool = True
    base_model: str | None = None  # the adapters' base when the recorded one is not on this machine

    def generation_key(self) -> str:
        return _hash([self.limit, self.max_new_tokens, self.temperature, self.seed])

    def scoring_key(self) -> str:
        return _hash([self.generation_key(), self.lm, self.samples, self.mode, self.seed, f"rng={SOCIO_T_RNG}"])


def _hash(values: Any) -> str:
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:10]


def load_prompts(validation_dir: Path, limit: int | None) -> list[dict[str, Any]]:
    path = validation_dir / VALIDATION_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; pass --validation DIR, the directory `finetune curate` wrote")
    rows = read_jsonl(path)
    return rows[:limit] if limit else rows


def _append(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    cut_torn_tail(path)
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            append_jsonl(handle, row)


def _cached(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{epoch label: {prompt id: row}}``."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    if path.exists():
        for row in read_jsonl(path, tolerate_torn_tail=True):
            found.setdefault(row["epoch"], {})[row["id"]] = row
    return found


def generate_replies(model: Any, tokenizer: Any, prompts: list[dict[str, Any]], options: TrajectoryOptions,
                     ) -> list[str]:
    """Replies of ``model`` to each prompt's ``messages``, batched, left-padded, seeded."""
    import torch

    torch.manual_seed(options.seed)
    replies: list[str] = []
    device = next(model.parameters()).device
    for start in range(0, len(prompts), options.generation_batch_size):
        batch = prompts[start:start + options.generation_batch_size]
        texts = [tokenizer.apply_chat_template(p["messages"], tokenize=False, add_generation_prompt=True)
                 for p in batch]
        encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        sampling = {"do_sample": True, "temperature": options.temperature} if options.temperature > 0 else {
            "do_sample": False}
        with torch.no_grad():
            output = model.generate(**encoded, max_new_tokens=options.max_new_tokens,
                                    pad_token_id=tokenizer.pad_token_id, **sampling)
        new = output[:, encoded["input_ids"].shape[1]:]
        replies.extend(t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True))
    return replies


def _run_generation(run: Path, epochs: dict[float, Path], prompts: list[dict[str, Any]],
                    options: TrajectoryOptions, cache: Path) -> None:
    done = _cached(cache)
    todo = [e for e in epochs if len(done.get(epoch_label(e), {})) < len(prompts)]
    if not todo:
        return
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapters = {e: p for e, p in epochs.items() if e != 0}
    base_path = run_base(run, saved_epochs(run), options.base_model)
    device_map = options.device or ("auto" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(str(next(iter(adapters.values()))) if adapters else base_path)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # the checkpoint's own dtype, spread over the GPUs: the paper's larger models fit
    base: Any = AutoModelForCausalLM.from_pretrained(base_path, dtype="auto", device_map=device_map)
    base = base.eval()
    model: Any = None
    for epoch in todo:
        label = epoch_label(epoch)
        have = done.get(label, {})
        missing = [p for p in prompts if p["id"] not in have]
        if epoch == 0:
            if model is None:
                replies = generate_replies(base, tokenizer, missing, options)
            else:
                with model.disable_adapter():
                    replies = generate_replies(model, tokenizer, missing, options)
        else:
            name = f"epoch-{label}".replace(".", "_")
            if model is None:
                model = PeftModel.from_pretrained(base, str(adapters[epoch]), adapter_name=name).eval()
            else:
                model.load_adapter(str(adapters[epoch]), adapter_name=name)
            model.set_adapter(name)
            replies = generate_replies(model, tokenizer, missing, options)
        _append(cache, [{"epoch": label, "id": p["id"], "reply": r} for p, r in zip(missing, replies, strict=True)])


def socio_t_scorer(options: TrajectoryOptions) -> Callable[[list[str]], list[float]]:
    from inspect_warmth.warmth.socio_t import score_texts

    def score(texts: list[str]) -> list[float]:
        results = score_texts(texts, lm=options.lm, mode=options.mode, samples=options.samples,  # type: ignore[arg-type]
                              seed=options.seed, device=options.device, allow_empty=True,
                              rng=SOCIO_T_RNG)
        return [r.score for r in results]

    return score


def run_trajectory(run: Path, options: TrajectoryOptions, *, label: str | None = None,
                   scorer: Scorer | None = None) -> list[dict[str, Any]]:
    """Generate, score and summarise one run; returns its table rows (one per epoch)."""
    prompts = load_prompts(Path(options.validation_dir), options.limit)
    if not prompts:
        raise ValueError(f"{options.validation_dir}: no validation prompts")
    checkpoints = saved_epochs(run)
    if not checkpoints:
        raise FileNotFoundError(f"{run}: no saved epochs under {run / 'checkpoints'}; run `finetune train` first")
    epochs: dict[float, Path] = ({0.0: Path()} if options.include_base else {}) | checkpoints
    work = run / "trajectory"
    work.mkdir(exist_ok=True)
    replies_file = work / f"replies-{options.generation_key()}.jsonl"
    scores_file = work / f"scores-{options.scoring_key()}.jsonl"
    _run_generation(run, epochs, prompts, options, replies_file)

    replies = _cached(replies_file)
    scores = _cached(scores_file)
    score = scorer or socio_t_scorer(options)
    rows = []
    for epoch in epochs:
        key = epoch_label(epoch)
        have = scores.get(key, {})
        missing = [p["id"] for p in prompts if p["id"] not in have]
        if missing:
            values = score([replies[key][i]["reply"] for i in missing])
            new = [{"epoch": key, "id": i, "socio_t": float(v)} for i, v in zip(missing, values, strict=True)]
            _append(scores_file, new)
            have = {**have, **{r["id"]: r for r in new}}
        values = [have[p["id"]]["socio_t"] for p in prompts]
        rows.append({"model": label or run.name, "epoch": epoch, **mean_and_sem(values)})
    return rows


def mean_and_sem(values: Sequence[float]) -> dict[str, Any]:
    n = len(values)
    mean = sum(values) / n
    sem = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else float("nan")
    return {"socio_t": mean, "socio_t_se": sem, "n": n}


def write_table(rows: list[dict[str, Any]], path: Path) -> Any:
    import pandas as pd

    table = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(["model", "epoch"]).reset_index(drop=True)
    write_csv(path, table)
    return table


def plot_trajectory(table: Any, path: Path) -> Path:
    """Fig. 1a: SocioT per epoch, raw (with SEM) and min–max normalised per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (raw, norm) = plt.subplots(1, 2, figsize=(10, 4))
    for model, group in table.groupby("model", sort=False):
        raw.errorbar(group["epoch"], group["socio_t"], yerr=group["socio_t_se"], marker="o", capsize=3, label=model)
        low, high = group["socio_t"].min(), group["socio_t"].max()
        scaled = (group["socio_t"] - low) / (high - low) if high > low else group["socio_t"] * 0
        norm.plot(group["epoch"], scaled, marker="o", label=model)
    raw.set(title="SocioT warmth (raw)", xlabel="epoch", ylabel="mean SocioT ± SEM")
    norm.set(title="SocioT warmth (min–max normalised per model)", xlabel="epoch", ylabel="normalised SocioT")
    raw.legend()
    fig.tight_layout()
    save_figure(path, fig, dpi=150)
    plt.close(fig)
    return path


def trajectory(runs: Sequence[Path], options: TrajectoryOptions, out_dir: Path | None = None,
               *, scorer: Scorer | None = None) -> Any:
    """Trajectories of one or more runs: writes ``trajectory.csv`` and ``trajectory.png``; returns the table."""
    rows = []
    for run in runs:
        rows.extend(run_trajectory(run, options, scorer=scorer))
    target = out_dir or runs[0]
    target.mkdir(parents=True, exist_ok=True)
    table = write_table(rows, target / TABLE_FILE)
    plot_trajectory(table, target / FIGURE_FILE)
    write_json(target / "trajectory.options.json", asdict(options))
    return table
