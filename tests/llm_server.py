"""A chat-completions server for the LLM tests: replays scripted answers, counts requests.

    python tests/llm_server.py SCRIPT.json PORT_FILE LOG.jsonl

SCRIPT.json maps a task key (the ``TASK: <key>`` line of the request's user message) to a list
of steps, used one per request for that key, in order; ``"*"`` holds the steps for any key
whose list is used up (the last ``"*"`` step repeats). A step is:

* ``{"content": "...", "finish_reason": "stop"}`` — a 200 answer;
* ``{"status": 429 | 500 | ..., "retry_after": "0"}`` — an error response;
* ``{"sleep": SECONDS, ...}`` — wait first (longer than the client's time-out: a time-out);
* ``"reject_format": "json_schema"`` in a step — a 400 while the request asks for that
  response_format, without using the step (the client must fall back to another format).

The server picks a free port on 127.0.0.1 and writes it to PORT_FILE; each request is
appended to LOG.jsonl as ``{"key", "attempt", "response_format", "body"}``. GET /stats
returns ``{"requests": N, "by_key": {...}}``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_TASK_RE = re.compile(r"^TASK: (\S+)", re.M)


class State:
    def __init__(self, script: dict, log_path: str) -> None:
        self.script = script
        self.used: dict[str, int] = {}
        self.requests = 0
        self.by_key: dict[str, int] = {}
        self.lock = threading.Lock()
        self.log_path = log_path

    def next_step(self, key: str, fmt: str | None) -> dict:
        with self.lock:
            self.requests += 1
            self.by_key[key] = self.by_key.get(key, 0) + 1
            steps = self.script.get(key, [])
            i = self.used.get(key, 0)
            if i < len(steps):
                step = steps[i]
            else:
                default = self.script.get("*", [{"status": 500}])
                j = min(i - len(steps), len(default) - 1)
                step = default[j]
            if step.get("reject_format") == fmt:
                return {"status": 400, "message": f"response_format {fmt} is not supported"}
            self.used[key] = i + 1
            return step


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        s = self.state
        with s.lock:
            self._send(200, {"requests": s.requests, "by_key": dict(s.by_key)})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
            return
        body = json.loads(raw)
        messages = body.get("messages", [])
        user = next((m["content"] for m in messages if m.get("role") == "user"), "")
        m = _TASK_RE.search(user)
        key = m.group(1) if m else "?"
        fmt = (body.get("response_format") or {}).get("type")
        attempt = sum(1 for m in messages if m.get("role") == "assistant")
        with self.state.lock, open(self.state.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "attempt": attempt, "response_format": fmt, "body": body},
                               ensure_ascii=False) + "\n")
        step = self.state.next_step(key, fmt)
        if step.get("sleep"):
            time.sleep(float(step["sleep"]))
        status = int(step.get("status", 200))
        if status != 200:
            headers = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else {}
            self._send(status, {"error": {"message": step.get("message", f"scripted {status}"), "type": "scripted"}},
                       headers)
            return
        content = step.get("content", "")
        self._send(200, {
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": step.get("finish_reason", "stop")}],
            "usage": {"prompt_tokens": len(raw) // 3, "completion_tokens": len(content),
                      "total_tokens": len(raw) // 3 + len(content)},
        })


def main() -> None:
    script_path, port_file, log_path = sys.argv[1:4]
    with open(script_path, encoding="utf-8") as f:
        script = json.load(f)
    Handler.state = State(script, log_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os

    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
