"""Where Chromium is and how to start it here: one place for the browser tests (tests/e2e) and the browser
benchmarks (bench/). Debian's chromium package; these flags are what runs headless in a container with no
GPU, no sandbox and no network beyond the app."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
