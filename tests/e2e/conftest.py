"""Fixtures for the end-to-end round: a SkillCert server on a fresh database (SQLite, or PostgreSQL when
SKILLCERT_TEST_DATABASE_URL is a postgres:// URL) with only the plain demo data, and headless Chromium. The helpers
come from tests/browser/conftest.py."""
import importlib.util
import os
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

# The browser tests' conftest, loaded under a name of its own (this file is also imported as `conftest`).
_spec = importlib.util.spec_from_file_location("browser_conftest", Path(__file__).parents[1] / "browser" / "conftest.py")
browser_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_conftest)
BINARY, STAFF_PASSWORD, free_port = browser_conftest.BINARY, browser_conftest.STAFF_PASSWORD, browser_conftest.free_port
screenshot, set_value, sign_in = browser_conftest.screenshot, browser_conftest.set_value, browser_conftest.sign_in
wait_for_text, wait_gone = browser_conftest.wait_for_text, browser_conftest.wait_gone
browser = browser_conftest.browser  # the headless Chromium fixture

ADMIN_PASSWORD = "E2E-Round-2026"


class Server:
    """`skillcert serve` on one database; `restart(days_ahead)` serves the same database on the same port with the
    clock moved forward (libfaketime), for the steps the calendar decides."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="skillcert-e2e-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        url = os.environ.get("SKILLCERT_TEST_DATABASE_URL", "")
        database = url if url.startswith("postgres") else os.path.join(self.folder, "e2e.sqlite")
        self.env = dict(os.environ, DATABASE_URL=database, SKILLCERT_BCRYPT_COST="4", SKILLCERT_PUBLIC_URL=self.base,
                        SKILLCERT_CONTENT_KEY_FILE=os.path.join(self.folder, "content.key"),
                        SKILLCERT_FILES_DIR=os.path.join(self.folder, "files"))
        self.log_path = os.path.join(self.folder, "server.log")
        self.proc = None
        self.days_ahead = 0

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(BINARY), *args], env=self.env, capture_output=True, text=True, check=check)

    def start(self, days_ahead: int = 0) -> None:
        self.days_ahead = days_ahead
        env = dict(self.env)
        prefix = []
        if days_ahead:
            # Only the wall clock moves: NIO's timers keep the real monotonic clock.
            prefix = ["faketime", "-f", f"+{days_ahead}d"]
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        log = open(self.log_path, "a")
        # Its own process group: `faketime` runs the server as its child, and stopping must reach both.
        self.proc = subprocess.Popen(prefix + [str(BINARY), "serve", "--port", str(self.port), "--log-level", "notice"],
                                     env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("server did not start: " + open(self.log_path).read()[-3000:])
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        if self.proc:
            # The server under faketime may outlive the wrapper for a moment; the port must be free for a restart.
            deadline = time.time() + 15
            while group_alive(self.proc.pid) and time.time() < deadline:
                time.sleep(0.1)
            if group_alive(self.proc.pid):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def restart(self, days_ahead: int) -> None:
        self.stop()
        self.start(days_ahead)


def group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies waiting for their parent do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.fixture(scope="session")
def server():
    """A fresh database with the plain demo (accounts, body, registry, standards, item bank) — no round of its own."""
    s = Server()
    s.cli("keys", "generate")
    s.cli("demo", "--admin-password", ADMIN_PASSWORD)
    s.start()
    yield s
    s.stop()


def last_code(server: Server, timeout: float = 10) -> str:
    """The last verification code the development sender wrote to the server log."""
    import re
    deadline = time.time() + timeout
    while time.time() < deadline:
        codes = re.findall(r"验证码是 (\d{6})", open(server.log_path, encoding="utf-8").read())
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError("no verification code in the server log")
