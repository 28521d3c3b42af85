"""A small JSON-RPC proxy in front of a real anvil, standing in for a load-balanced provider: it
can answer like a replica that is some blocks behind, or refuse with a provider's rate limit."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from app.chain.anvil import free_port


class RpcProxy:
    """Forwards to `upstream`; `lag` hides the newest blocks, `rate_limited_logs` refuses eth_getLogs."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        #: Blocks this "replica" is behind the node it forwards to.
        self.lag = 0
        #: How many eth_getLogs calls to refuse next, and how: "json" (JSON-RPC -32005) or "http" (429).
        self.rate_limited_logs = 0
        self.rate_limit_style = "json"
        self.calls: list[str] = []
        self._client = httpx.Client(timeout=10.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="rpc-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RpcProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    # ---------------------------------------------------------------------------------------------

    def _upstream(self, payload: Any) -> Any:
        return self._client.post(self.upstream, json=payload).json()

    def _replica_head(self) -> int:
        real = int(self._upstream({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)
        return max(0, real - self.lag)

    def _answer(self, call: dict[str, Any]) -> dict[str, Any] | None:
        """A reply of our own for `call`, or None to forward it as it is."""
        method, params = call.get("method"), list(call.get("params") or [])
        self.calls.append(str(method))
        if method == "eth_getLogs" and self.rate_limited_logs > 0:
            self.rate_limited_logs -= 1
            return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32005, "message": "rate limit exceeded, slow down"}}
        if self.lag == 0:
            return None
        head = self._replica_head()
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": call.get("id"), "result": hex(head)}
        if method == "eth_getBlockByNumber":
            number = head if params[0] == "latest" else int(params[0], 16)
            if number > head:
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": None}
            return self._upstream({**call, "params": [hex(number), *params[1:]]})
        if method == "eth_getLogs":
            query = dict(params[0])
            if int(query["fromBlock"], 16) > head:
                return {"jsonrpc": "2.0", "id": call.get("id"), "result": []}
            query["toBlock"] = hex(min(head, int(query["toBlock"], 16)))
            return self._upstream({**call, "params": [query]})
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls = payload if isinstance(payload, list) else [payload]
                if proxy.rate_limit_style == "http" and proxy.rate_limited_logs > 0 and any(call.get("method") == "eth_getLogs" for call in calls):
                    proxy.rate_limited_logs -= 1
                    self._reply(429, b'{"error": "Too Many Requests"}', {"Retry-After": "2"})
                    return
                answers = [proxy._answer(call) for call in calls]
                if all(answer is None for answer in answers):
                    body = proxy._upstream(payload)
                else:
                    body = [answer if answer is not None else proxy._upstream(call) for call, answer in zip(calls, answers)]
                    body = body if isinstance(payload, list) else body[0]
                self._reply(200, json.dumps(body).encode())

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                pass

        return Handler
