"""The app and its intake API on one server and one port: `streamlit run serve.py` (what `make run` does).

Streamlit finds `app` (an st.App) here and serves the pages (app.py and pages/) and the routes of api/ with
one uvicorn. The inbox sweep runs beside them: at start it processes what a stopped process left pending,
then every SWEEP_EVERY_S whatever a request left behind. The notice sender runs beside them too: every
SEND_EVERY_S one pass of the outbox (cxos/notify/sender.py), which tells teams about their work.
"""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st

from api.all_routes import ROUTES
from api.http import LOG, store
from cxos.intake.inbox import process_left_behind
from cxos.notify.sender import send_pass

SWEEP_EVERY_S = 30.0
# Routed signals go out once their minute is over: a pass every 15 s sends each minute's batch soon after it.
SEND_EVERY_S = 15.0


def _sweep(stop: threading.Event) -> None:
    everything = True  # at start: every pending item is one a stopped process left behind
    while not stop.is_set():
        try:
            done = process_left_behind(store(), everything=everything)
            if done:
                LOG.info("the inbox sweep made %d signals", done)
            everything = False
        except Exception:  # a store that cannot be reached now may be reachable at the next turn
            LOG.warning("the inbox sweep failed; it tries again in %.0f s", SWEEP_EVERY_S, exc_info=True)
        stop.wait(SWEEP_EVERY_S)


def _send_notices(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            result = send_pass(store())
            if result.sent or result.failed:
                LOG.info("the notice sender sent %d notices, %d failed", result.sent, result.failed)
        except Exception:  # a store that cannot be reached now may be reachable at the next turn
            LOG.warning("the notice sender failed; it tries again in %.0f s", SEND_EVERY_S, exc_info=True)
        stop.wait(SEND_EVERY_S)


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep, args=(stop,), name="cxos-inbox-sweep", daemon=True)
    sweeper.start()
    sender = threading.Thread(target=_send_notices, args=(stop,), name="cxos-notice-sender", daemon=True)
    sender.start()
    yield
    stop.set()


app = st.App("app.py", routes=ROUTES, lifespan=lifespan)
