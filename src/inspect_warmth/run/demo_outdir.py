"""The ``--out`` directory of ``inspect-warmth demo``: the record of its settings (``demo.json``) and the decision to
resume, refuse or (with ``--overwrite``) start afresh, taken before the demo does any work.

Every step of the demo resumes from what ``--out`` holds (the rewrite cache, the trainer's checkpoint, the SocioT
cache, Inspect's ``eval_set``), but only for the same settings: Inspect's ``eval_set`` identifies a task by its
arguments, model and generate config, so logs written with another question count or reply length cannot be
resumed (``eval_set`` stops with "Existing log file ... not associated with a task passed to eval_set"), and the
trainer refuses a run with other options. So the demo records its settings here when it starts and, on a rerun,
resumes when they are the same and otherwise stops before touching anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from inspect_warmth.data.atomic_files import write_json

MANIFEST_FILE = "demo.json"
#: The key of ``demo.json`` that holds the wall time of each step of the last run (seconds by step, and the total);
#: not a setting: it never decides whether a rerun resumes.
TIMINGS_KEY = "timings"
#: Everything the demo writes into ``--out``: ``--overwrite`` removes these names and nothing else.
DEMO_OUTPUTS = ("corpus.jsonl", "data", "warm-smollm2", "trajectory.csv", "trajectory.options.json",
                "trajectory.png", "logs", "report", MANIFEST_FILE)


class OutDirConflict(click.ClickException):
    """``--out`` holds a demo made with other settings (or of unknown settings); the message says what to do."""


def changed_beyond_settings(out: Path, problem: Exception, what: str) -> OutDirConflict:
    """The error for a step that cannot resume what ``out`` holds although the settings match its ``demo.json``:
    ``problem``'s message, ``what`` changed instead (the code, the engine...), and the two ways on."""
    return OutDirConflict(
        f"{problem}\nThe demo's settings match {out / MANIFEST_FILE}, so what changed is {what}. Give a fresh "
        f"--out DIR, or rerun with --overwrite to delete the demo in {out} and start afresh.")


def setting_differences(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``"questions: 3 there, 12 now"`` for every setting whose value differs, in ``current``'s order."""
    keys = [*current, *(k for k in previous if k not in current)]
    return [f"{key}: {previous.get(key)!r} there, {current.get(key)!r} now" for key in keys
            if previous.get(key) != current.get(key)]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def prepare_out(out: Path, settings: dict[str, Any], overwrite: bool) -> str:
    """Check ``out`` against ``settings`` (JSON values) and write its ``demo.json``; return one line saying what the
    demo will do there.

    Same settings: resume. Other settings, or demo outputs without a ``demo.json`` (an older demo): raise
    :class:`OutDirConflict` naming ``out``, what differs and what to do, having changed nothing; with
    ``overwrite`` remove the demo's outputs (:data:`DEMO_OUTPUTS` only; other files in ``out`` stay) and start
    afresh.
    """
    manifest = out / MANIFEST_FILE
    present = [out / name for name in DEMO_OUTPUTS if (out / name).exists()]
    if manifest.exists():
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            previous = {"unreadable demo.json": str(exc)}
        previous.pop(TIMINGS_KEY, None)
        differences = setting_differences(previous, settings)
        if not differences:
            return f"resuming the demo in {out} (same settings as its {MANIFEST_FILE}): finished steps are reused"
        problem = "holds a demo made with other settings:\n" + "\n".join(f"  - {d}" for d in differences)
    elif present:
        problem = (f"holds an earlier demo's outputs ({', '.join(p.name for p in present)}) without a "
                   f"{MANIFEST_FILE}, so their settings are unknown and they may not resume")
    else:
        problem = ""
    if problem and not overwrite:
        raise OutDirConflict(
            f"{out} {problem}\nNothing was changed. Rerun with the settings in {manifest} to resume that demo, give "
            "a fresh --out DIR, or add --overwrite to delete that demo's outputs "
            f"({', '.join(p.name for p in present)}) and start afresh.")
    line = f"starting a demo in {out}"
    if problem:
        _remove(present)
        line = f"--overwrite: deleted the earlier demo's {', '.join(p.name for p in present)} in {out}; {line}"
    out.mkdir(parents=True, exist_ok=True)
    write_json(manifest, settings)
    return line


def record_timings(out: Path, steps: dict[str, float], total: float) -> None:
    """Record this run's wall time per step and in total (seconds) under :data:`TIMINGS_KEY` of ``out``'s
    ``demo.json``, beside the settings (which stay as they are)."""
    manifest = out / MANIFEST_FILE
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record[TIMINGS_KEY] = {"steps_s": {k: round(v, 2) for k, v in steps.items()}, "total_s": round(total, 2)}
    partial = manifest.with_suffix(".json.partial")
    partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    partial.replace(manifest)
