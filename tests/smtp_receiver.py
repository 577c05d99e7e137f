"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives: for tests that send mail."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@contextmanager
def smtp_receiver() -> Iterator[tuple[Inbox, int]]:
    """(what arrived, the port): the server runs for the block."""
    inbox = Inbox()
    with socket.socket() as probe:  # a free port: the controller itself cannot take port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
