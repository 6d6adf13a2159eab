"""A local, scriptable server that speaks the OpenAI chat-completions protocol.

Tests never call a real LLM; they point litellm (or anything OpenAI-compatible) at this::

    with FakeOpenAI(lambda body: "```python\\ndef f(): ...\\n```") as server:
        client = make_client("openai/fake-model", api_base=server.base_url, api_key="sk-test")
        ...
        assert server.requests[0]["model"] == "fake-model"

The behaviour is a handler `(request_json) -> Reply | str`, or a script: a sequence of
replies answered in order, then `then` (a normal "ok" reply by default) for every later
request. `Reply` covers the cases an LLM gateway must survive: normal text, text without
code, HTTP errors (429 with Retry-After, 500, 401), slow replies and invalid JSON bodies.
The server listens on 127.0.0.1 on a free port, in a background thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["FakeOpenAI", "Handler", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    Attributes:
        text: the assistant message content (status 200) or the error message.
        status: HTTP status; anything but 200 sends an OpenAI-style error body.
        delay_s: seconds to wait before answering (a slow model).
        headers: extra response headers, e.g. {"Retry-After": "1"}.
        raw_body: sent verbatim instead of a JSON body (e.g. invalid JSON).
        prompt_tokens / completion_tokens: usage; None estimates ~4 characters a token.
    """

    text: str = "ok"
    status: int = 200
    delay_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_body: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def error(cls, status: int, message: str = "", retry_after: float | None = None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        return cls(text=message or f"fake error {status}", status=status, headers=headers)

    @classmethod
    def rate_limited(cls, retry_after: float = 0) -> Reply:
        return cls.error(429, "Rate limit reached, slow down", retry_after)

    @classmethod
    def slow(cls, delay_s: float, text: str = "ok") -> Reply:
        return cls(text=text, delay_s=delay_s)

    @classmethod
    def invalid_json(cls) -> Reply:
        return cls(raw_body='{"id": "chatcmpl-broken", "choices": [ {')


Handler = Callable[[dict[str, Any]], "Reply | str"]


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def completion_body(request: Mapping[str, Any], reply: Reply, number: int) -> dict[str, Any]:
    """A chat.completion object as OpenAI returns it."""
    prompt = "".join(str(m.get("content", "")) for m in request.get("messages", []))
    prompt_tokens = reply.prompt_tokens
    if prompt_tokens is None:
        prompt_tokens = _estimate_tokens(prompt)
    completion_tokens = reply.completion_tokens
    if completion_tokens is None:
        completion_tokens = _estimate_tokens(reply.text)
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error_body(reply: Reply) -> dict[str, Any]:
    kinds = {401: "invalid_request_error", 429: "rate_limit_exceeded"}
    return {
        "error": {
            "message": reply.text,
            "type": kinds.get(reply.status, "server_error"),
            "param": None,
            "code": kinds.get(reply.status),
        }
    }


class FakeOpenAI:
    """OpenAI-compatible chat-completions server on 127.0.0.1 (see the module docstring).

    Attributes:
        requests: the JSON bodies received, in order (thread-safe to read after the calls).
        base_url: "http://127.0.0.1:PORT/v1", for `api_base`.
    """

    def __init__(
        self,
        handler: Handler | Iterable[Reply | str] | None = None,
        *,
        then: Reply | str = "ok",
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._then = then
        self._handler: Handler | None = None
        self._script: deque[Reply | str] = deque()
        if callable(handler):
            self._handler = handler
        elif handler is not None:
            self._script.extend(handler)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def answer(self, body: dict[str, Any]) -> tuple[Reply, int]:
        """Record a request and pick its reply (called by the HTTP handler thread)."""
        with self._lock:
            self.requests.append(body)
            number = len(self.requests)
            if self._handler is not None:
                reply: Reply | str = self._handler(body)
            else:
                reply = self._script.popleft() if self._script else self._then
        return (Reply(text=reply) if isinstance(reply, str) else reply), number

    def wait(self, seconds: float) -> None:
        """Sleep for a slow reply, waking early when the server stops."""
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow reply never holds up shutdown

    def __init__(self, fake: FakeOpenAI) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.fake = fake


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
            return
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, json.dumps({"error": {"message": "request is not JSON"}}))
            return
        reply, number = self.server.fake.answer(body)
        if reply.delay_s:
            self.server.fake.wait(reply.delay_s)
        if reply.raw_body is not None:
            payload = reply.raw_body
        elif reply.status == 200:
            payload = json.dumps(completion_body(body, reply, number))
        else:
            payload = json.dumps(error_body(reply))
        self._send(reply.status, payload, reply.headers)

    def _send(self, status: int, payload: str, headers: Mapping[str, str] | None = None) -> None:
        data = payload.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout) and closed the connection
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read `server.requests` instead of a log."""
