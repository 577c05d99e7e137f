"""The app and its intake API on one server and one port: `streamlit run serve.py` (what `make run` does).

Streamlit finds `app` (an st.App) here and serves the pages (app.py and pages/) and the routes of api/ with
one uvicorn. The inbox sweep runs beside them: at start it processes what a stopped process left pending,
then every SWEEP_EVERY_S whatever a request left behind.
"""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st

from api.all_routes import ROUTES
from api.http import LOG, store
from cxos.intake.inbox import process_left_behind

SWEEP_EVERY_S = 30.0


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


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep, args=(stop,), name="cxos-inbox-sweep", daemon=True)
    sweeper.start()
    yield
    stop.set()


app = st.App("app.py", routes=ROUTES, lifespan=lifespan)
