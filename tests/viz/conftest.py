"""Fixtures for the app's browser tests: the real server, headless Chromium and a small sweep.

The server is started the way users start it (``python -m experiments.cli app --port N``) in a
subprocess, with Solara's CDN pointed at an address where nothing listens: any front-end file
missing from the local assets would then fail to load and break the page. The browser also
refuses every request that does not go to the server. Chromium is Debian's
(``/usr/bin/chromium``, installed by ``scripts/install-chromium``); Playwright's own browser
download cannot work on these machines.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("AIMARKET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UNREACHABLE_CDN = "http://127.0.0.1:9/npm/"
SERVER_START_TIMEOUT = 90.0
SWEEP_SPEC = """
name = "app_smoke"
description = "Two interventions, three seeds, to 2030Q4: the app's results page under test."

[base]
scenario = "baseline"
set = { steps = 44 }

[[interventions]]
name = "baseline"

[[interventions]]
name = "no_export_controls"
scenario = "no_export_controls"

[replications]
seeds = 3

[analysis]
baseline = "baseline"
outcomes = ["us_cn_gap_years", "compute_share.CN", "leaked_chips"]
years = ["2025", "end"]
"""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll the page until the server answers; fail with its log if it dies or hangs."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app server did not answer at {url}:\n{log.read_text()}")


@pytest.fixture(scope="session")
def sweep_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding one small finished sweep (``app_smoke``), written by the sweep CLI."""
    root = tmp_path_factory.mktemp("sweeps")
    spec = root / "app_smoke.toml"
    spec.write_text(SWEEP_SPEC)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "sweep",
            str(spec),
            "--out",
            str(root / "app_smoke"),
            "--workers",
            "1",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return root


@pytest.fixture(scope="module")
def app_url(sweep_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real ``aimarket app`` server (stopped when the module's tests are done)."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "AIMARKET_RESULTS_ROOT": str(sweep_root),
        "SOLARA_ASSETS_CDN": UNREACHABLE_CDN,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "experiments.cli", "app", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_until_serving(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian Chromium driven by Playwright's sync API."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install-chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page opened on the app, with what went wrong on the way."""

    page: object
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def quarters(self) -> int:
        """Quarters simulated so far, read from the page ("12 / 64 quarters")."""
        text = self.page.locator(".aimarket-quarter-count").inner_text()
        return int(re.match(r"(\d+) / \d+ quarters", text).group(1))

    def steps(self) -> int:
        """Quarters the run has in all, read from the page ("12 / 64 quarters")."""
        text = self.page.locator(".aimarket-quarter-count").inner_text()
        return int(re.match(r"\d+ / (\d+) quarters", text).group(1))

    def finished(self) -> bool:
        """Whether the run has reached its last quarter (the page says "finished")."""
        return "finished" in self.page.locator(".aimarket-quarter-count").inner_text()

    def wait_for_reset(self, timeout: float = 30.0) -> None:
        """Wait until the page shows a fresh run (0 quarters simulated)."""
        deadline = time.monotonic() + timeout
        while self.quarters() != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"page still at {self.quarters()} quarters after Reset")
            time.sleep(0.1)

    def wait_for_quarters(self, at_least: int, timeout: float = 60.0) -> int:
        """Wait until the page shows at least ``at_least`` quarters simulated."""
        deadline = time.monotonic() + timeout
        while (done := self.quarters()) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"page stuck at {done} quarters (wanted {at_least})")
            time.sleep(0.1)
        return done


def open_app(context, url: str, path: str = "") -> Visit:
    """Open the app in a browser context; record console errors and off-server requests."""
    page = context.new_page()
    visit = Visit(page)
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))

    def route(r) -> None:
        target = r.request.url
        if target.startswith((url, "data:", "blob:")):
            r.continue_()
        else:
            visit.blocked.append(target)
            r.abort()

    page.route("**/*", route)
    page.goto(url + path)
    return visit


@pytest.fixture
def visit(chromium, app_url: str):
    """Open the app in a fresh browser context (one per call: a separate browser session)."""
    contexts = []

    def open_visit(path: str = "", width: int = 1600, height: int = 1100) -> Visit:
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return open_app(context, app_url, path)

    yield open_visit
    for context in contexts:
        context.close()
