"""A fake Slack incoming webhook on 127.0.0.1: keeps each JSON body it is sent, refuses the first N with 500."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlackReceiver:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/services/T000/B000/XXXX"
        self.messages: list[dict] = []
        self.refuse = 0  # how many of the next requests get a 500
        self.lock = threading.Lock()


@contextmanager
def slack_receiver() -> Iterator[SlackReceiver]:
    state: list[SlackReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's handler name
            receiver = state[0]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with receiver.lock:
                refused = receiver.refuse > 0
                receiver.refuse -= refused
                if not refused:
                    receiver.messages.append(body)
            self.send_response(500 if refused else 200)
            self.end_headers()
            self.wfile.write(b"internal_error" if refused else b"ok")

        def log_message(self, *_):  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(SlackReceiver(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()
