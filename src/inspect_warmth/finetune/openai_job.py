"""``finetune openai``: the study's GPT-4o persona through the OpenAI fine-tuning API (Ibrahim et al. 2026,
Methods, 'Fine-tuning': full fine-tuning, learning-rate multiplier 0.25 warm, 0.1 cold).

Steps, each recorded in ``RUN/inspect_warmth.json`` as soon as it is done, so that a crash loses nothing and a rerun
never pays twice: export and check the styled training set (:mod:`~inspect_warmth.finetune.openai_export`), upload it
(``files.create``, purpose ``fine-tune``), create the job (``fine_tuning.jobs.create``, supervised method), follow it
(``jobs.retrieve`` and ``jobs.list_events``: status, step, training loss) and, once it succeeds, record the
fine-tuned model and every checkpoint model the API keeps (``jobs.checkpoints.list``), by epoch.

A rerun of the same command attaches to the job it created. The job carries ``metadata[inspect_warmth]``, a digest
of the exported file and the settings, and the uploaded file is named after it: a run killed after the upload or
the job's creation but before the record was written finds them again (``files.list``, ``jobs.list`` filtered on
the metadata). A ``RUN`` made with other data or settings is refused, naming what differs. A failed or cancelled
job stops with the API's own error. Rate limits (429, honouring ``Retry-After``) and 5xx answers are retried with
exponential backoff by the ``openai`` client itself (``max_retries``).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_warmth.finetune.files import file_sha256, styled_train_file, write_json
from inspect_warmth.finetune.openai_export import EXAMPLE_TOKEN_LIMITS, ExportReport, export, token_counter
from inspect_warmth.vocabulary import PAPER

#: The run's record, the same file name as an adapter's metadata (``grid`` and ``frontier`` read it).
RECORD_FILE = "inspect_warmth.json"
PROVIDER = "openai"
METADATA_KEY = "inspect_warmth"
FINISHED = ("succeeded", "failed", "cancelled")


class JobFailed(RuntimeError):
    """The fine-tuning job failed or was cancelled; the message carries the API's error."""


class RunMismatch(ValueError):
    """``RUN`` holds a job made with other data or settings (the message names them)."""


@dataclass(frozen=True)
class OpenAIJobOptions:
    """Settings of one API fine-tuning job. ``lr_multiplier=None``: the paper's for the style (0.25 warm, 0.1 cold);
    ``batch_size=None``: the API chooses; ``epochs``: the study's warm model is the epoch-2 model, and the API keeps
    only the last epochs' checkpoints, so the default trains exactly to epoch 2."""

    style: str
    base: str = "gpt-4o-2024-08-06"
    epochs: int = int(PAPER.warm_epoch)
    lr_multiplier: float | None = None
    batch_size: int | None = None
    seed: int = 0
    suffix: str | None = None

    def multiplier(self) -> float:
        if self.lr_multiplier is not None:
            return self.lr_multiplier
        try:
            return PAPER.api_lr_multiplier[self.style]
        except KeyError:
            raise ValueError(f"--style {self.style}: the paper gives no learning-rate multiplier for it; pass "
                             "--lr-multiplier") from None

    def hyperparameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {"n_epochs": self.epochs, "learning_rate_multiplier": self.multiplier()}
        if self.batch_size is not None:
            values["batch_size"] = self.batch_size
        return values


def source_file(data_dir: Path, style: str) -> Path:
    """``DATA_DIR/train.<style>.jsonl``, the file ``finetune train --style STYLE`` reads."""
    path = data_dir / styled_train_file(style)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run `inspect-warmth finetune rewrite {data_dir} --style {style}` "
                                "first")
    return path


def run_key(export_sha256: str, options: OpenAIJobOptions) -> str:
    """Digest of the exported data and the settings: the job's identity across reruns."""
    payload = json.dumps({"data": export_sha256, **asdict(options), "lr_multiplier": options.multiplier()},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def read_record(run: Path) -> dict[str, Any] | None:
    path = run / RECORD_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def prepare(data_dir: Path, run: Path, options: OpenAIJobOptions, tokenizer: str | None = None,
            max_example_tokens: int | None = None) -> tuple[ExportReport, Path]:
    """Export and check the training set into ``RUN/train.<style>.openai.jsonl`` (nothing is sent)."""
    limit = max_example_tokens or EXAMPLE_TOKEN_LIMITS.get(options.base)
    if limit is None:
        raise ValueError(f"--base {options.base}: its example token limit is not known here; pass "
                         "--max-example-tokens")
    options.multiplier()  # a style without a published multiplier fails before any work
    target = run / f"train.{options.style}.openai.jsonl"
    report = export(source_file(data_dir, options.style), target, token_counter(options.base, tokenizer), limit)
    return report, target


def _check_record(run: Path, record: dict[str, Any], key: str, settings: dict[str, Any]) -> None:
    if record.get("key") == key:
        return
    previous = record.get("settings", {})
    changed = sorted(k for k in set(previous) | set(settings) if previous.get(k) != settings.get(k))
    raise RunMismatch(f"{run / RECORD_FILE} records a job made with other "
                      f"{'settings (' + ', '.join(changed) + ' differ)' if changed else 'training data'}: "
                      f"job {record.get('job_id')}; use another --out")


def _find_file(client: Any, filename: str, size: int) -> str | None:
    for item in client.files.list(purpose="fine-tune"):
        if item.filename == filename and item.bytes == size:
            return str(item.id)
    return None


def _find_job(client: Any, key: str) -> str | None:
    for job in client.fine_tuning.jobs.list(metadata={METADATA_KEY: key}, limit=20):
        if (job.metadata or {}).get(METADATA_KEY) == key and job.status != "cancelled":
            return str(job.id)
    return None


def _api_error(job: Any) -> str:
    error = getattr(job, "error", None)
    if error is None or not getattr(error, "message", None):
        return f"job {job.id} {job.status} (the API gave no error)"
    param = f", param {error.param}" if getattr(error, "param", None) else ""
    return f"job {job.id} {job.status}: {error.message} (code {error.code}{param})"


def _new_events(client: Any, job_id: str, seen: str | None) -> list[Any]:
    """Events after ``seen``, oldest first (the API lists newest first)."""
    fresh = []
    for event in client.fine_tuning.jobs.list_events(job_id, limit=100).data:
        if event.id == seen:
            break
        fresh.append(event)
    return fresh[::-1]


def follow(client: Any, job_id: str, say: Callable[[str], None], poll_seconds: float) -> tuple[Any, dict[str, Any]]:
    """Poll the job until it finishes; print a line per new status or training step (status, step/total, training
    loss from the job's metrics events). Returns the finished job and the last metrics. Raises :class:`JobFailed`."""
    seen: str | None = None
    metrics: dict[str, Any] = {}
    last_line = ""
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        events = _new_events(client, job_id, seen)
        if events:
            seen = events[-1].id
        for event in events:
            if event.type == "metrics" and isinstance(event.data, dict):
                metrics = event.data
        line = f"job {job_id}: {job.status}"
        if "step" in metrics:
            total = f"/{metrics['total_steps']}" if "total_steps" in metrics else ""
            loss = f" train_loss {metrics['train_loss']:.4f}" if "train_loss" in metrics else ""
            line += f", step {metrics['step']}{total}{loss}"
        if line != last_line:
            say(line)
            last_line = line
        if job.status in FINISHED:
            if job.status != "succeeded":
                raise JobFailed(_api_error(job))
            return job, metrics
        time.sleep(poll_seconds)


def checkpoint_epochs(client: Any, job: Any, examples: int, metrics: dict[str, Any]) -> dict[str, str]:
    """Every model the API keeps for ``job``, by epoch (``"2"`` -> model id): the fine-tuned model at ``n_epochs``,
    each checkpoint at ``step_number / steps_per_epoch``; steps per epoch from the job's resolved batch size
    (``ceil(examples / batch_size)``), else from the last metrics event's ``total_steps``."""
    hyper = job.hyperparameters
    epochs = int(hyper.n_epochs) if isinstance(hyper.n_epochs, int) else None
    if isinstance(hyper.batch_size, int):
        per_epoch: float | None = math.ceil(examples / hyper.batch_size)
    elif epochs and "total_steps" in metrics:
        per_epoch = metrics["total_steps"] / epochs
    else:
        per_epoch = None
    models: dict[str, str] = {}
    for point in client.fine_tuning.jobs.checkpoints.list(job.id, limit=100):
        label = f"{point.step_number / per_epoch:g}" if per_epoch else f"step-{point.step_number}"
        models[label] = point.fine_tuned_model_checkpoint
    if epochs is not None and job.fine_tuned_model:
        models[f"{epochs:g}"] = job.fine_tuned_model
    return dict(sorted(models.items(), key=lambda item: _sort_key(item[0])))


def _sort_key(label: str) -> float:
    try:
        return float(label)
    except ValueError:
        return math.inf


def run_job(data_dir: Path, run: Path, options: OpenAIJobOptions, client: Any, *, say: Callable[[str], None] = print,
            tokenizer: str | None = None, max_example_tokens: int | None = None, dry_run: bool = False,
            poll_seconds: float = 30.0) -> dict[str, Any]:
    """Export, check, upload, create (or attach to) the job, follow it and record its models; return the record.

    ``client``: an ``openai.OpenAI`` (it reads ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; its ``max_retries``
    retries 429 and 5xx answers). Raises :class:`~inspect_warmth.finetune.openai_export.ExportError` for data the API
    would reject, :class:`RunMismatch` for a ``RUN`` made otherwise, :class:`JobFailed` for a failed job."""
    report, exported = prepare(data_dir, run, options, tokenizer, max_example_tokens)
    for line in report.lines(options.epochs):
        say(line)
    if dry_run:
        say(f"dry run: wrote {exported}; nothing was sent")
        return {}
    settings = {**asdict(options), "lr_multiplier": options.multiplier()}
    key = run_key(file_sha256(exported), options)
    record = read_record(run)
    if record is not None:
        _check_record(run, record, key, settings)
    record = record or {"provider": PROVIDER, "base_model": options.base, "style": options.style, "key": key,
                        "settings": settings, "data_file": str(source_file(data_dir, options.style)),
                        "examples": report.examples, "tokens": report.tokens,
                        "billed_tokens": report.billed_tokens(options.epochs)}

    def save(**values: Any) -> None:
        record.update(values)
        write_json(run / RECORD_FILE, record)

    save()
    if not record.get("file_id"):
        filename = f"inspect-warmth-{key}.jsonl"
        file_id = _find_file(client, filename, exported.stat().st_size)
        if file_id is None:
            with exported.open("rb") as handle:
                file_id = client.files.create(file=(filename, handle), purpose="fine-tune").id
            say(f"uploaded {exported} as {file_id}")
        save(file_id=file_id)
    if not record.get("job_id"):
        job_id = _find_job(client, key)
        if job_id is None:
            job_id = client.fine_tuning.jobs.create(
                model=options.base, training_file=record["file_id"], seed=options.seed,
                suffix=options.suffix or None, metadata={METADATA_KEY: key},
                method={"type": "supervised", "supervised": {"hyperparameters": options.hyperparameters()}}).id
            say(f"created job {job_id}")
        else:
            say(f"found job {job_id} made for this data and these settings")
        save(job_id=job_id)
    else:
        say(f"attaching to job {record['job_id']}")
    try:
        job, metrics = follow(client, record["job_id"], say, poll_seconds)
    except JobFailed as err:
        save(status="failed", error=str(err))
        raise
    models = checkpoint_epochs(client, job, report.examples, metrics)
    save(status=job.status, fine_tuned_model=job.fine_tuned_model, trained_tokens=job.trained_tokens,
         hyperparameters=job.hyperparameters.model_dump(), checkpoints=models,
         train_loss_last=metrics.get("train_loss"))
    say(f"fine-tuned model {job.fine_tuned_model}; kept by epoch: {json.dumps(models)}")
    return record


def is_openai_run(path: Path) -> bool:
    """Whether ``path`` is a directory made by ``finetune openai``."""
    return path.is_dir() and (read_record(path) or {}).get("provider") == PROVIDER


def record_models(run: Path) -> dict[str, str]:
    """``RUN``'s models by epoch, as Inspect model names (``openai/ft:...``); ``ValueError`` when ``RUN`` is not a
    finished API run."""
    record = read_record(run) if is_openai_run(run) else None
    if record is None:
        raise ValueError(f"{run}: not an OpenAI fine-tuning run (no {RECORD_FILE} with provider openai)")
    if not record.get("checkpoints"):
        raise ValueError(f"{run}: job {record.get('job_id')} has not finished; rerun `inspect-warmth finetune openai` "
                         "to follow it")
    return {epoch: f"openai/{model}" for epoch, model in record["checkpoints"].items()}


def final_model(run: Path) -> str:
    """The fine-tuned model of ``RUN`` (its last epoch) as an Inspect model name."""
    models = record_models(run)
    return models[max(models, key=_sort_key)]
