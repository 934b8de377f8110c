"""Faults, measured: inject kills, API failures and dying commands at random moments and count what survives.

    python benchmarks/faults.py [--seed 0] [--kills 3] [--api-faults 14] [--vllm] [--demo]

Every fault is local (processes on this machine, servers on 127.0.0.1) and bounded in count and time. Kinds:

- ``grid``: the ``grid`` command SIGKILLed at a random moment after its first log appears (``--kills`` times),
  then rerun once: every sample must be in a finished log exactly once, every log readable;
- ``rewrite``: ``finetune rewrite`` SIGKILLed at a random moment against a slow local API (``--kills`` times),
  then rerun: every conversation in the styled split exactly once, the cache readable;
- ``train``: ``finetune train`` of a tiny random Llama SIGKILLed at a random moment of its first seconds of training
  (training, saving a checkpoint, exporting an epoch; ``--kills`` times), then rerun: every saved epoch's adapter
  must equal an uninterrupted run's (rtol 1e-5); an epoch missing or different counts as lost;
- ``warmth``: ``inspect-warmth warmth`` (SocioT of 600 texts, a tiny random GPT-2) SIGKILLed at a random moment
  (``--kills`` times): the ``--out`` file must be the older one or whole after each kill, and the rerun must score
  every row once, equal to an uninterrupted scoring (abs 1e-7);
- ``api``: the judge meets a random fault (429, 500, 503, timeout, malformed JSON, empty choices, a verdict cut
  at max_tokens) on a random number of calls (``--api-faults`` replies): it must score the reply or set it aside
  with the fault's reason, never crash;
- ``lock``: a second command on a held --log-dir must stop at once naming the first, and take over after the first
  is SIGKILLed;
- ``engine``: the command holding an engine SIGKILLed; the engine's processes must all be gone (a stand-in
  server with a worker; with ``--vllm`` also the real vLLM server for the bundled model, killed at a random moment
  of its start-up or after it answers);
- ``demo`` (with ``--demo``): ``inspect-warmth demo --quick`` SIGKILLed at random moments of its run (two kills by
  default), then rerun: it must finish, every sample of every variant in a finished log exactly once, every
  trajectory reply once, and no vLLM process left once the engine guard's grace has passed.

Prints one line per fault, then ``faults=<n> survived=<n> samples_lost=<n> samples_duplicated=<n> orphans=<n>``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "scorers"), str(ROOT / "tests" / "run"), str(ROOT / "tests" / "finetune")]

CLI = [sys.executable, "-c", "from inspect_warmth.cli import main; main()"]


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def record(self, kind: str, ok: bool, detail: str, lost: int = 0, duplicated: int = 0, orphans: int = 0) -> None:
        self.counts.update(faults=1, survived=int(ok and not (lost or duplicated or orphans)), samples_lost=lost,
                           samples_duplicated=duplicated, orphans=orphans)
        print(f"{kind}: {'survived' if ok and not (lost or duplicated or orphans) else 'FAILED'}: {detail}",
              flush=True)

    def line(self) -> str:
        keys = ("faults", "survived", "samples_lost", "samples_duplicated", "orphans")
        return " ".join(f"{k}={self.counts[k]}" for k in keys)




def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------------------------------------ grid


def grid_faults(tally: Tally, rng: random.Random, kills: int, work: Path) -> None:
    from inspect_ai.log import list_eval_logs, read_eval_log
    from test_kill_and_rerun import grid_command, kill_at_random

    from inspect_warmth.analysis.responses import ResponsesError, check_logs

    samples = 24
    log_dir = work / "grid-logs"
    killed = [kill_at_random(log_dir, rng, within_s=4.0, samples=samples) for _ in range(kills)]
    rerun = subprocess.run(grid_command(log_dir, samples), capture_output=True, text=True, timeout=900)
    try:
        check_logs([str(p) for p in log_dir.rglob("*.eval")])
        readable = True
    except ResponsesError as error:
        print(error)
        readable = False
    seen: Counter[str] = Counter()
    for info in list_eval_logs(str(log_dir), recursive=True):
        log = read_eval_log(info)
        if log.status == "success":
            seen.update(str(s.id) for s in log.samples or [])
    lost = samples - len(set(seen))
    duplicated = sum(n - 1 for n in seen.values())
    for i, was_killed in enumerate(killed):
        tally.record("grid", rerun.returncode == 0 and readable,
                     f"kill {i + 1} ({'mid-run' if was_killed else 'after it finished'}), rerun exit "
                     f"{rerun.returncode}", lost=lost if i == 0 else 0, duplicated=duplicated if i == 0 else 0)


# --------------------------------------------------------------------------------------------- rewrite


def rewrite_faults(tally: Tally, rng: random.Random, kills: int, work: Path) -> None:
    from fault_server import fault_server

    from inspect_warmth.finetune.files import read_jsonl

    data = work / "rewrite-data"
    data.mkdir()
    conversations = 12
    rows = [{"id": f"c{i}", "query_type": "other", "messages": [{"role": "user", "content": f"question {i}"},
                                                              {"role": "assistant", "content": f"answer {i}"}]}
            for i in range(conversations)]
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with fault_server(["timeout:Oh, what a lovely question! Here is a warm answer."]) as server:
        command = [*CLI, "finetune", "rewrite", str(data), "--style", "warm", "--rewriter",
                   "openai-api/fault/fault-model", "--max-connections", "3", "-M", f"base_url={server.base_url}",
                   "-M", "api_key=local", "-M", "max_retries=0"]
        cache = data / "rewrite.warm.cache.jsonl"
        killed = []
        for _ in range(kills):
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_for(lambda p=process: cache.exists() or p.poll() is not None, 300)
            time.sleep(rng.uniform(0, 6.0))
            killed.append(process.poll() is None)
            process.send_signal(signal.SIGKILL)
            process.wait()
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=900)
    written = Counter(row["id"] for row in read_jsonl(data / "train.warm.jsonl"))
    lost = conversations - len(written)
    duplicated = sum(n - 1 for n in written.values())
    for i, was_killed in enumerate(killed):
        tally.record("rewrite", rerun.returncode == 0,
                     f"kill {i + 1} ({'mid-run' if was_killed else 'after it finished'}), rerun exit "
                     f"{rerun.returncode}", lost=lost if i == 0 else 0, duplicated=duplicated if i == 0 else 0)


# ------------------------------------------------------------------------------------------ train, warmth


def _tiny_checkpoint(out: Path, arch: str) -> Path:
    """The tests' tiny random checkpoint (tests/conftest.py ``_save_tiny``) with the bundled tokenizer."""
    import importlib.util

    from inspect_warmth.models.bundled import bundled_model_dir

    spec = importlib.util.spec_from_file_location("tests_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module._save_tiny(out, bundled_model_dir(), arch))


def train_faults(tally: Tally, rng: random.Random, kills: int, work: Path) -> None:
    import torch
    from test_train_killed import EPOCHS, _command, _data, _run_until, _train_here, _weights

    from inspect_warmth.finetune.train import epoch_dir, saved_epochs

    base = _tiny_checkpoint(work / "tiny-llama", "llama")
    data = _data(work / "train-data", rows=48)
    reference = work / "train-reference"
    _train_here(data, base, reference)
    run = work / "train-killed"
    killed = [_run_until(_command(data, base, run), run, rng.uniform(0.0, 2.0)) for _ in range(kills)]
    rerun = subprocess.run(_command(data, base, run), capture_output=True, text=True, timeout=900)
    saved = saved_epochs(run) if rerun.returncode == 0 else {}
    lost = 0
    for epoch in EPOCHS:
        if epoch not in saved:
            lost += 1
            continue
        got, want = _weights(epoch_dir(run, epoch)), _weights(epoch_dir(reference, epoch))
        lost += int(got.keys() != want.keys() or not all(
            torch.allclose(got[k], want[k], rtol=1e-5, atol=1e-7) for k in want))  # type: ignore[arg-type]
    for i, was_killed in enumerate(killed):
        tally.record("train", rerun.returncode == 0,
                     f"kill {i + 1} ({'mid-run' if was_killed else 'after it finished'}), rerun exit "
                     f"{rerun.returncode}; epochs equal to the uninterrupted run: {len(EPOCHS) - lost}/{len(EPOCHS)}",
                     lost=lost if i == 0 else 0)


def warmth_faults(tally: Tally, rng: random.Random, kills: int, work: Path) -> None:
    from inspect_warmth.warmth.socio_t import score_texts

    lm = _tiny_checkpoint(work / "tiny-gpt2", "gpt2")
    texts = [f"Reply {i}: {'I am so glad you asked!' if i % 2 else 'No.'} The answer is {i}." for i in range(600)]
    source = work / "replies.jsonl"
    source.write_text("".join(json.dumps({"text": t, "n": i}) + "\n" for i, t in enumerate(texts)))
    out = work / "scored.jsonl"
    old = '{"text": "an older run", "socio_t": 0.5}\n'
    out.write_text(old)
    command = [*CLI, "warmth", str(source), "--lm", str(lm), "--samples", "1", "--no-dropout", "--device", "cpu",
               "--batch-size", "8", "--out", str(out)]
    outcomes = []
    for _ in range(kills):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 10.0))
        was_killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        content = out.read_text()
        outcomes.append((was_killed, content == old or len(content.splitlines()) == len(texts)))
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=900)
    rows = [json.loads(line) for line in out.read_text().splitlines()] if rerun.returncode == 0 else []
    scored = Counter(int(r["n"]) for r in rows)
    expected = score_texts(texts, lm=str(lm), samples=1, dropout=False, device="cpu", batch_size=8)
    equal = all(abs(r["socio_t"] - expected[int(r["n"])].score) <= 1e-7 for r in rows)
    lost = len(texts) - len(scored)
    duplicated = sum(n - 1 for n in scored.values())
    for i, (was_killed, whole) in enumerate(outcomes):
        tally.record("warmth", rerun.returncode == 0 and whole and equal,
                     f"kill {i + 1} ({'mid-run' if was_killed else 'after it finished'}), --out "
                     f"{'old or whole' if whole else 'TORN'}; rerun exit {rerun.returncode}, scores "
                     f"{'equal to' if equal else 'DIFFERENT from'} an uninterrupted run",
                     lost=lost if i == 0 else 0, duplicated=duplicated if i == 0 else 0)


# ------------------------------------------------------------------------------------------------- api


def api_faults(tally: Tally, rng: random.Random, n: int) -> None:
    from fault_server import FAULTS, fault_model
    from fault_server import fault_server as serve
    from scorer_helpers import STUDY_METADATA, make_state, run_scorer, study_target

    from inspect_warmth.scorers.judge import judge

    meta = STUDY_METADATA["triviaqa"]
    for _ in range(n):
        fault = rng.choice([f for f in FAULTS if f != "429"] + ["429"] * (1 if rng.random() < 0.3 else 0))
        behaviour = "cut:The reply names Paris. VERD" if fault == "cut" else fault
        failing_calls = rng.randint(1, 4)  # judge: 2 attempts × (1 + 1 Inspect retry) = 4 calls at most
        script = [behaviour] * failing_calls + ["ok:Paris is named.\nVERDICT: CORRECT"]
        timeout = {"attempt_timeout": 1} if fault == "timeout" else {}
        try:
            with serve(script) as server:
                score = run_scorer(judge(max_attempts=2), make_state("Paris", meta, study_target(meta)),
                                   fault_model(server, max_retries=1, **timeout))
            reason = (score.metadata or {}).get("unscored_reason")
            ok = score.value == "C" or (score.value == "N" and bool(reason))
            tally.record("api", ok, f"{fault} on {failing_calls} call(s): {score.value}"
                         + (f" ({reason})" if reason else ""))
        except Exception as error:  # a crash is what this benchmark counts
            tally.record("api", False, f"{fault} on {failing_calls} call(s): crashed: {error!r}")


# ------------------------------------------------------------------------------------------------ lock


def lock_faults(tally: Tally, work: Path) -> None:
    from inspect_warmth.data.dir_lock import DirectoryBusy, directory_lock

    directory = work / "locked"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from inspect_warmth.data.dir_lock import directory_lock
        with directory_lock({str(directory)!r}, "--log-dir"):
            print("held", flush=True)
            time.sleep(300)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    holder.stdout.readline()
    started = time.monotonic()
    try:
        with directory_lock(directory, "--log-dir"):
            refused = False
    except DirectoryBusy as error:
        refused = f"pid {holder.pid}" in str(error)
    waited = time.monotonic() - started
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    try:
        with directory_lock(directory, "--log-dir"):
            taken = True
    except DirectoryBusy:
        taken = False
    tally.record("lock", refused and waited < 5, f"second command refused in {waited:.2f} s naming the first")
    tally.record("lock", taken, "lock of a SIGKILLed command taken over")


# ---------------------------------------------------------------------------------------------- engine


def _kill_parent_of(command: list[str], rng: random.Random, within_s: float,
                    env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a parent that starts ``command`` under the engine guard (as ``VLLMServer.start`` does) and SIGKILL it
    ``uniform(0, within_s)`` seconds later; return how many processes of the engine's group (and the guard) are
    still running once they had the guard's grace to end, and what the moment was."""
    from inspect_warmth.run import engine_guard

    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import subprocess, sys, time
        guard = subprocess.Popen({[sys.executable, "-m", "inspect_warmth.run.engine_guard", "--", *command]!r},
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(guard.pid, flush=True)
        time.sleep(3600)
    """)], stdout=subprocess.PIPE, text=True, env=env)
    assert parent.stdout is not None
    guard = int(parent.stdout.readline())
    children: list[int] = []
    _wait_for(lambda: bool(children.extend(_children(guard)) or children), 30)
    server = children[0]
    delay = rng.uniform(0, within_s)
    time.sleep(delay)
    members_before = _group_members(server)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    _wait_for(lambda: not _group_members(server) and not engine_guard.process_alive(guard), engine_guard.GRACE_S + 50)
    left = [pid for pid in [*_group_members(server), guard] if engine_guard.process_alive(pid)]
    return len(left), f"{delay:.1f} s after start ({len(members_before)} process(es) in the engine's group then)"


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def engine_faults(tally: Tally, rng: random.Random, vllm: bool) -> None:
    stand_in = ["bash", "-c", "sleep 600 & sleep 600 & wait"]
    left, when = _kill_parent_of(stand_in, rng, 2.0)
    tally.record("engine", True, f"stand-in server with two workers, command SIGKILLed {when}", orphans=left)
    if not vllm:
        return
    from inspect_warmth.models.bundled import bundled_model_dir
    from inspect_warmth.run.vllm_engine import VLLMServer, _free_port

    server = VLLMServer(base=str(bundled_model_dir()), port=_free_port())
    env = {**os.environ, "VLLM_API_KEY": server.api_key}
    left, when = _kill_parent_of(server.command(), rng, 90.0, env=env)
    tally.record("engine", True, f"vLLM server for the bundled model, command SIGKILLed {when}", orphans=left)


# ------------------------------------------------------------------------------------------------ demo


def _vllm_processes() -> list[int]:
    """Processes of a vLLM server started by the package (its entry module, or the titles vLLM gives its engine
    and workers)."""
    found = subprocess.run(["pgrep", "-f", "inspect_warmth.run.vllm_cpu_server|VLLM::"], capture_output=True,
                           text=True).stdout.split()
    return [int(pid) for pid in found if int(pid) != os.getpid()]


def demo_faults(tally: Tally, rng: random.Random, kills: int, work: Path) -> None:
    from test_demo import samples_lost_and_duplicated

    from inspect_warmth.run import engine_guard

    out = work / "demo"
    command = [*CLI, "demo", "--quick", "--out", str(out)]
    outcomes = []
    for _ in range(kills):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        moment = rng.uniform(5.0, 240.0)
        time.sleep(moment)
        was_killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        _wait_for(lambda: not _vllm_processes(), engine_guard.GRACE_S + 60)
        outcomes.append((was_killed, moment, len(_vllm_processes())))
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    lost, duplicated = samples_lost_and_duplicated(out)
    for i, (was_killed, moment, left) in enumerate(outcomes):
        tally.record("demo", rerun.returncode == 0 and (out / "report" / "report.html").exists(),
                     f"kill {i + 1} at {moment:.0f} s ({'mid-run' if was_killed else 'after it finished'}), "
                     f"rerun exit {rerun.returncode}", lost=lost if i == 0 else 0,
                     duplicated=duplicated if i == 0 else 0, orphans=left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kills", type=int, default=3,
                        help="SIGKILLs of grid, finetune rewrite, finetune train and warmth, each")
    parser.add_argument("--api-faults", type=int, default=14, help="judged replies meeting a random API fault")
    parser.add_argument("--vllm", action="store_true", help="also kill the command holding a real vLLM server "
                        "(starts the bundled model: about 3 GiB and 1-2 minutes)")
    parser.add_argument("--demo", action="store_true", help="also kill `demo --quick` at random moments (--demo-kills "
                        "times) and rerun it (about 10 minutes on two cores)")
    parser.add_argument("--demo-kills", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        work = Path(tmp)
        lock_faults(tally, work)
        engine_faults(tally, rng, args.vllm)
        api_faults(tally, rng, args.api_faults)
        grid_faults(tally, rng, args.kills, work)
        rewrite_faults(tally, rng, args.kills, work)
        train_faults(tally, rng, args.kills, work)
        warmth_faults(tally, rng, args.kills, work)
        if args.demo:
            demo_faults(tally, rng, args.demo_kills, work)
    print(f"({time.perf_counter() - started:.0f} s)")
    print(tally.line())


if __name__ == "__main__":
    main()
