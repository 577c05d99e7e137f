"""The app as `make run` serves it (`streamlit run serve.py`: the pages and the intake API on one port), started
on a free port for a test and stopped after it."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = "serve.py"
HEALTH_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_demo(env: dict[str, str], *, signals: int = 300) -> None:
    """A demo friction log in the store env names."""
    subprocess.run(
        [sys.executable, "-m", "cxos", "demo", "--signals", str(signals), "--seed", "1"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def start_app(env: dict[str, str], log: Path, *, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run serve.py` on a free port (or `port`), healthy; the process and its base URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                LAUNCHER,
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(url, server, log)
    except BaseException:
        stop_app(server)
        raise
    return server, url


def stop_app(server: subprocess.Popen, *, kill: bool = False) -> None:
    """Stop the app: politely, or with SIGKILL (`kill`), as a crash or an OOM killer would."""
    if kill:
        server.kill()
    else:
        server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise RuntimeError(f"streamlit did not become healthy at {url} within {HEALTH_TIMEOUT_S} s:\n{tail}")


@contextmanager
def seeded_app(env: dict[str, str], workdir: Path, *, signals: int = 300) -> Iterator[str]:
    """A demo in the store env names, then the app on a free port until the block ends (workdir removed)."""
    seed_demo(env, signals=signals)
    server, url = start_app(env, workdir / "streamlit.log")
    try:
        yield url
    finally:
        stop_app(server)
        shutil.rmtree(workdir, ignore_errors=True)
