"""A stand-in for the OpenAI fine-tuning API on 127.0.0.1: just the endpoints the ``openai`` client calls for
``files.create/list`` and ``fine_tuning.jobs.create/retrieve/list/list_events/checkpoints.list``, and chat
completions (Inspect's ``openai/`` provider) for evaluating the models it made.

A job advances one training step per ``retrieve`` (after one ``validating_files`` answer), emitting a metrics event
per step; it keeps a checkpoint at each epoch's end. Scripted failures: ``fail_next(method, path_prefix, status)``
answers the next matching request with that status (429 with ``Retry-After: 0``); ``fail_jobs = True`` makes new
jobs fail with the API's error shape. ``requests`` records every ``(method, path)`` answered."""

from __future__ import annotations

import json
import math
import threading
import time
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

JOB_ERROR = {"code": "invalid_training_file", "message": "The job failed due to an invalid training file.",
             "param": "training_file"}


class FakeFineTuningAPI:
    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.steps: dict[str, tuple[int, int]] = {}  # job id -> (steps done, total steps)
        self.failures: list[tuple[str, str, int]] = []
        self.fail_jobs = False
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeFineTuningAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, path_prefix: str, status: int) -> None:
        self.failures.append((method, path_prefix, status))

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    # ------------------------------------------------------------------ endpoints

    def upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        message = BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
        file_part = fields["file"]
        data = file_part.get_payload(decode=True)
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                               "filename": file_part.get_filename(), "purpose": fields["purpose"].get_payload(),
                               "status": "processed"}
        self.contents[file_id] = data
        return self.files[file_id]

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["training_file"] not in self.files:
            raise KeyError(body["training_file"])
        hyper = dict(body["method"]["supervised"]["hyperparameters"])
        hyper.setdefault("batch_size", 2)
        job_id = f"ftjob-{len(self.jobs) + 1}"
        examples = len(self.contents[body["training_file"]].decode().splitlines())
        self.steps[job_id] = (0, math.ceil(examples / hyper["batch_size"]) * hyper["n_epochs"])
        self.events[job_id] = [{"id": f"{job_id}-ev0", "object": "fine_tuning.job.event", "created_at": 0,
                                "level": "info", "message": "Created fine-tuning job", "type": "message"}]
        self.jobs[job_id] = {
            "id": job_id, "object": "fine_tuning.job", "created_at": int(time.time()), "error": None,
            "fine_tuned_model": None, "finished_at": None, "hyperparameters": hyper, "model": body["model"],
            "organization_id": "org-test", "result_files": [], "seed": body.get("seed", 0), "status": "queued",
            "trained_tokens": None, "training_file": body["training_file"], "validation_file": None,
            "metadata": body.get("metadata"), "suffix": body.get("suffix"),
            "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
        }
        if self.fail_jobs:
            self.jobs[job_id]["fail"] = True
        return self._public(job_id)

    def _public(self, job_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.jobs[job_id].items() if k not in ("fail", "suffix")}

    def _event(self, job_id: str, message: str, data: dict[str, Any] | None = None) -> None:
        events = self.events[job_id]
        events.append({"id": f"{job_id}-ev{len(events)}", "object": "fine_tuning.job.event", "created_at": 0,
                       "level": "info", "message": message, "type": "metrics" if data else "message", "data": data})

    def advance(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        done, total = self.steps[job_id]
        if job["status"] == "queued":
            job["status"] = "validating_files"
        elif job["status"] in ("validating_files", "running") and job.get("fail"):
            job["status"], job["error"] = "failed", JOB_ERROR
            self._event(job_id, "Fine-tuning job failed")
        elif job["status"] in ("validating_files", "running"):
            done += 1
            self.steps[job_id] = (done, total)
            job["status"] = "running"
            self._event(job_id, f"Step {done}/{total}",
                        {"step": done, "total_steps": total, "train_loss": 2.0 / done})
            if done == total:
                suffix = job["suffix"] or ""
                job["status"], job["fine_tuned_model"] = "succeeded", f"ft:{job['model']}:org-test:{suffix}:{job_id}"
                job["trained_tokens"] = 1000
                self._event(job_id, "The job has successfully completed")
        return self._public(job_id)

    def checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        done, total = self.steps[job_id]
        epochs = self.jobs[job_id]["hyperparameters"]["n_epochs"]
        per_epoch = total // epochs
        return [{"id": f"ftckpt-{job_id}-{step}", "object": "fine_tuning.job.checkpoint", "created_at": 0,
                 "fine_tuned_model_checkpoint": f"ft:{self.jobs[job_id]['model']}:org-test::{job_id}:ckpt-step-{step}",
                 "fine_tuning_job_id": job_id, "step_number": step, "metrics": {"step": step}}
                for step in range(total, 0, -per_epoch) if step <= done][:3]

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """A chat completion: fine-tuned models (``ft:``) answer warmly, others plainly."""
        reply = "Oh my dear friend, I think it is Paris!" if body["model"].startswith("ft:") else "Paris."
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 0,
                "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                     "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(reply.split()), "total_tokens": 20}}

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes,
               ) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, path))
            for failure in self.failures:
                if failure[0] == method and path.startswith(failure[1]):
                    self.failures.remove(failure)
                    return failure[2], {"error": {"message": f"scripted {failure[2]}", "type": "test",
                                                  "code": None, "param": None}}
            parts = path.removeprefix("/v1/").split("/")
            if method == "POST" and parts == ["files"]:
                return 200, self.upload(headers["Content-Type"], body)
            if method == "GET" and parts == ["files"]:
                purpose = query.get("purpose", [None])[0]
                return 200, _page([f for f in self.files.values() if purpose in (None, f["purpose"])])
            if method == "POST" and parts == ["chat", "completions"]:
                return 200, self.complete(json.loads(body))
            if parts[:2] == ["fine_tuning", "jobs"]:
                if method == "POST" and len(parts) == 2:
                    return 200, self.create_job(json.loads(body))
                if method == "GET" and len(parts) == 2:
                    wanted = {k[len("metadata["):-1]: v[0] for k, v in query.items() if k.startswith("metadata[")}
                    jobs = [self._public(j) for j in self.jobs
                            if all((self.jobs[j]["metadata"] or {}).get(k) == v for k, v in wanted.items())]
                    return 200, _page(jobs[::-1])
                if parts[2] not in self.jobs:
                    return 404, {"error": {"message": f"no job {parts[2]}", "type": "invalid_request_error"}}
                if method == "GET" and len(parts) == 3:
                    return 200, self.advance(parts[2])
                if method == "GET" and parts[3:] == ["events"]:
                    return 200, _page(self.events[parts[2]][::-1])
                if method == "GET" and parts[3:] == ["checkpoints"]:
                    return 200, _page(self.checkpoints(parts[2]))
            return 404, {"error": {"message": f"no route {method} {path}", "type": "invalid_request_error"}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                status, payload = api.answer(method, url.path, parse_qs(url.query), self.headers,
                                             self.rfile.read(length))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": False}
