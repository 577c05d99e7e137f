"""The owner model's background worker: one daemon thread per app process that retrains when it is needed.

The thread only looks (two small queries every few seconds for a retrain someone asked for; the fingerprint
of the confirmed routes every few minutes). Training itself runs in a child process, `python -m cxos train
--if-stale`, at a lower priority: its memory is given back when it ends and it never holds the server's GIL.
The Google Sheets backend trains in the thread instead, since its database is this process's working copy.
Several processes or replicas may each run a worker; claiming a training in the database lets one train.
The same job trains the placement model (cxos/routing/placement_model.py) when its placed signals changed.
Off with CXOS_MODEL_WORKER=off (then run `python -m cxos train` from cron).
"""

import logging
import os
import subprocess
import sys
import threading
import time

from cxos.config import PROJECT_ROOT
from cxos.routing import placement_model
from cxos.routing.model_records import ABANDONED_AFTER, pending
from cxos.routing.model_training import needs_training, train_and_store
from cxos.store.store import Store
from cxos.vocabulary import ModelState

POLL_S = 5.0  # between looks for a retrain someone asked for ("Retrain now")
CHECK_EVERY_S = 300.0  # between looks at whether the confirmed routes changed
NICENESS = 10

log = logging.getLogger(__name__)
_started: set[str] = set()
_lock = threading.Lock()


def worker_enabled() -> bool:
    return os.environ.get("CXOS_MODEL_WORKER", "on").strip().lower() not in {"off", "0", "false", "no"}


def start_worker(store: Store) -> bool:
    """Start the worker for this store, once per process: every later call (every rerun) does nothing."""
    if not worker_enabled():
        return False
    with _lock:
        if store.url in _started:
            return False
        _started.add(store.url)
    threading.Thread(target=_watch, args=(store,), name="cxos-model-worker", daemon=True).start()
    return True


def _watch(store: Store) -> None:
    last_check = float("-inf")
    while True:
        try:
            if time.monotonic() - last_check >= CHECK_EVERY_S or _asked_for(store):
                last_check = time.monotonic()
                if needs_training(store) or placement_model.needs_training(store):
                    _train(store)
        except Exception:  # a database hiccup must not end the thread: look again on the next round
            log.exception("owner model worker: could not check or train")
        time.sleep(POLL_S)


def _asked_for(store: Store) -> bool:
    with store.read() as session:
        waiting = pending(session)
    return waiting is not None and waiting.state is ModelState.REQUESTED


def _train(store: Store) -> None:
    if store.backend == "Google Sheets":
        train_and_store(store, if_stale=True)
        placement_model.train_and_store(store, if_stale=True)
        return
    done = subprocess.run(
        [sys.executable, "-m", "cxos", "train", "--if-stale"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CXOS_DATABASE_URL": store.url},  # not on the command line: it may hold a password
        capture_output=True,
        text=True,
        timeout=ABANDONED_AFTER.total_seconds(),
        preexec_fn=lambda: os.nice(NICENESS),  # runs in the child between fork and exec
    )
    if done.returncode != 0:
        log.error("owner model worker: `python -m cxos train` failed: %s", done.stderr[-2000:])
    else:
        log.info("owner model worker: %s", (done.stdout or done.stderr).strip())
