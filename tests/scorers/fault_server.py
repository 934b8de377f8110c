"""An OpenAI-compatible chat server on 127.0.0.1 that fails on purpose: each request takes the next behaviour of a
script (the last one repeats), so a test says exactly which faults a judge or rewriter meets and in what order.

Behaviours: ``"429"`` (rate limit, ``Retry-After: 0``), ``"500"``, ``"503"``, ``"timeout"`` (answers after
:data:`SLOW_S` seconds, past the client's per-attempt timeout), ``"malformed"`` (a 200 whose body is not JSON),
``"empty"`` (a 200 with ``choices: []``), ``"cut:<text>"`` (``finish_reason: length``) and ``"ok:<text>"``.
Used by tests/scorers, tests/finetune and benchmarks/faults.py; loopback only.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Seconds a ``"timeout"`` answer takes.
SLOW_S = 3.0
FAULTS = ("429", "500", "503", "timeout", "malformed", "empty", "cut")


@dataclass
class FaultServer:
    """The server's script and what it served (``served``: one behaviour per request, in order)."""

    script: list[str]
    port: int = 0
    served: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next(self) -> str:
        with self.lock:
            behaviour = self.script.pop(0) if len(self.script) > 1 else self.script[0]
            self.served.append(behaviour)
            return behaviour


def _completion(text: str, finish: str) -> dict[str, Any]:
    return {"id": "x", "object": "chat.completion", "created": int(time.time()), "model": "fault-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            behaviour = server.next()
            kind, _, text = behaviour.partition(":")
            error = json.dumps({"error": {"message": f"injected {kind}", "type": "server_error"}}).encode()
            if kind == "429":
                self._send(429, error, {"Retry-After": "0"})
            elif kind in ("500", "503"):
                self._send(int(kind), error)
            elif kind == "timeout":
                time.sleep(SLOW_S)
                self._send(200, json.dumps(_completion(text or "late", "stop")).encode())
            elif kind == "malformed":
                self._send(200, b'{"id": "x", "choices": [{"index": 0, "mess')
            elif kind == "empty":
                self._send(200, json.dumps({**_completion("", "stop"), "choices": []}).encode())
            elif kind == "cut":
                self._send(200, json.dumps(_completion(text, "length")).encode())
            else:
                self._send(200, json.dumps(_completion(text, "stop")).encode())

    return Handler


@contextmanager
def fault_server(script: list[str]) -> Iterator[FaultServer]:
    """Serve ``script`` on 127.0.0.1 (a free port) for the block."""
    state = FaultServer(script=list(script))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def fault_model(server: FaultServer, **config: Any) -> Any:
    """An Inspect model on ``server`` (Inspect's ``openai-api`` provider, so its own retry logic runs) with
    ``config`` (``GenerateConfig`` fields: ``max_retries``, ``attempt_timeout``...); it counts every input as one
    token (no tokenizer download)."""
    from inspect_ai.model import GenerateConfig, get_model

    # max_retries=0 is the openai client's own: Inspect's retrier (the one a user configures) does the retrying
    model = get_model("openai-api/fault/fault-model", base_url=server.base_url, api_key="test-key",
                      config=GenerateConfig(**config), memoize=False, max_retries=0)

    async def count_tokens(*args: Any, **kwargs: Any) -> int:  # instead of a tiktoken download (offline)
        return 1

    model.api.count_tokens = count_tokens  # type: ignore[method-assign]
    return model
