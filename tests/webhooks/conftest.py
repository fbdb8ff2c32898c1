"""A small webhook receiver: an http.server on 127.0.0.1 in a thread that records each request
and checks its signature the way the README tells integrators to."""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kehu.webhooks import services
from kehu.webhooks.models import Event


def verify(secret: str, headers, body: bytes) -> bool:
    """What a receiver does (README, "Webhooks")."""
    signed = headers["X-Kehu-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Kehu-Signature"])


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    valid: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self):
        self.secret = ""
        self.status = 200  # or a list: one status per request, the last one repeating
        self.reply = b'{"ok": true}'
        self.headers: dict = {}
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                valid = bool(receiver.secret) and verify(receiver.secret, headers, body)
                receiver.requests.append(Received(self.path, headers, body, valid))
                status = receiver.status
                if isinstance(status, list):
                    status = status.pop(0) if len(status) > 1 else status[0]
                self.send_response(status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/kehu"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def subscribe(people, receiver):
    """An endpoint of the receiver for these events, registered by the admin."""

    def _subscribe(*events, url=None, actor=None):
        endpoint = services.create_endpoint(
            actor or people.admin,
            {"url": url or receiver.url, "events": list(events or Event.values)},
        )
        receiver.secret = endpoint.secret
        return endpoint

    return _subscribe


@pytest.fixture
def closed_port_url():
    """A URL on which nothing listens (connection refused at once)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    server.server_close()
    return f"http://{host}:{port}/gone"


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks (the sending jobs) as the test's transaction would."""
    return django_capture_on_commit_callbacks
