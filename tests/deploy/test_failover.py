"""Several SkillCert processes on one PostgreSQL database, as docs/deploy.md recommends (issue #11, item 6).

A candidate's exam must survive the loss of the process serving it: every answer the server acknowledged is in the
database, so another process behind the same proxy carries on with the same exam token. The test kills one process
with SIGKILL (no shutdown, no flush) in the middle of an exam and finishes the exam on the other.

Run with `make test-deploy` (a private PostgreSQL from scripts/with-postgres.sh); SKILLCERT_BIN picks the binary.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BINARY = Path(os.environ.get("SKILLCERT_BIN", "/work/main/.build/debug/skillcert"))
DATABASE_URL = os.environ.get("SKILLCERT_TEST_DATABASE_URL", "")
ADMIN_PASSWORD = "Deploy-Test-2026"
# Never through a proxy from the environment: the servers are local.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.skipif(not DATABASE_URL.startswith("postgres"),
                                reason="needs PostgreSQL: run through scripts/with-postgres.sh (make test-deploy)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, method: str, path: str, body=None, token: str | None = None):
    """One JSON request; returns (status, decoded body). HTTP errors are answers too, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with OPENER.open(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, (json.loads(raw) if raw else None)


class Server:
    """One `skillcert serve` process with its own port and log, sharing the database and the file store."""

    def __init__(self, name: str, env: dict, folder: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, f"server-{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BINARY), "serve", "--port", str(self.port), "--log-level", "notice"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while True:
            try:
                OPENER.open(self.base + "/readyz", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"{self.base} did not start:\n" + self.output())
                time.sleep(0.3)

    def output(self) -> str:
        self.log.flush()
        return open(self.log_path, encoding="utf-8", errors="replace").read()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def cluster():
    """Demo data with an open computer-based session, then two processes on the same database and file store."""
    folder = tempfile.mkdtemp(prefix="skillcert-deploy-")
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, SKILLCERT_BCRYPT_COST="4",
               SKILLCERT_CONTENT_KEY_FILE=os.path.join(folder, "content.key"),
               SKILLCERT_FILES_DIR=os.path.join(folder, "files"))
    env.pop("DATABASE_READ_URL", None)
    # As in production: the key once, the schema once, then the processes (whose own migration is a no-op).
    subprocess.run([str(BINARY), "keys", "generate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(BINARY), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    demo = subprocess.run([str(BINARY), "demo", "--admin-password", ADMIN_PASSWORD, "--open-session", "--candidates", "3",
                           "--json"], env=env, check=True, capture_output=True, text=True)
    session = json.loads(demo.stdout)
    servers = [Server("a", env, folder), Server("b", env, folder)]
    try:
        for server in servers:
            server.wait_ready()
        yield session, servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def choice(item: dict, which: int) -> list[str]:
    """A response for the item: one of its options by original index (the API stores what it is given)."""
    options = item["options"]
    return [str(options[which % len(options)]["index"])] if options else [f"作答{which}"]


def save(server: Server, token: str, item_id: str, response: list[str], seq: int) -> str:
    status, body = call(server.base, "PUT", f"/api/v1/exam/attempt/answers/{item_id}", {"response": response, "seq": seq}, token)
    assert status == 200, f"save on {server.base}: {status} {body}\n{server.output()}"
    return body["result"]


def test_exam_continues_on_another_process_after_sigkill(cluster):
    session, a, b = cluster
    login = session["logins"][0]

    # setup: the candidate signs in and opens the paper on process A
    status, token_body = call(a.base, "POST", "/api/v1/exam/login",
                              {"ticketNumber": login["ticketNumber"], "idNumber": login["idNumber"]})
    assert status == 200, f"exam sign-in: {status} {token_body}\n{a.output()}"
    token, attempt_id = token_body["token"], token_body["attemptId"]
    status, paper = call(a.base, "GET", "/api/v1/exam/attempt", token=token)
    assert status == 200 and paper["status"] == "in-progress", f"{status} {paper}"
    items = paper["items"]
    assert len(items) >= 6, f"the demo paper has {len(items)} items"

    # Answers on A: three items, the first changed once more (a later seq replaces the earlier answer).
    expected: dict[str, tuple[list[str], int]] = {}
    for item in items[:3]:
        assert save(a, token, item["itemId"], choice(item, 0), 1) == "stored"
        expected[item["itemId"]] = (choice(item, 0), 1)
    first = items[0]
    assert save(a, token, first["itemId"], choice(first, 1), 2) == "stored"
    expected[first["itemId"]] = (choice(first, 1), 2)

    # MUT: process A dies without any chance to flush or shut down
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=10)
    with pytest.raises(OSError):
        OPENER.open(a.base + "/healthz", timeout=2)

    # The same token on process B: the paper shows every answer A acknowledged.
    status, resumed = call(b.base, "GET", "/api/v1/exam/attempt", token=token)
    assert status == 200, f"resume on B: {status} {resumed}\n{b.output()}"
    assert resumed["attemptId"].lower() == attempt_id.lower()
    assert resumed["status"] == "in-progress"
    shown = {item_id.lower(): (saved["response"], saved["seq"]) for item_id, saved in resumed["answers"].items()}
    assert shown == {item_id.lower(): value for item_id, value in expected.items()}

    # A late copy of A's first save (seq 1) must not undo the later answer; a replay of seq 2 is a duplicate.
    assert save(b, token, first["itemId"], choice(first, 0), 1) == "stale"
    assert save(b, token, first["itemId"], choice(first, 1), 2) == "duplicate"
    # More answers on B: three new items and a change to one A answered.
    for item in items[3:6]:
        assert save(b, token, item["itemId"], choice(item, 2), 1) == "stored"
        expected[item["itemId"]] = (choice(item, 2), 1)
    second = items[1]
    assert save(b, token, second["itemId"], choice(second, 3), 2) == "stored"
    expected[second["itemId"]] = (choice(second, 3), 2)

    # The paper view on B shows the answers saved on A and on B together.
    status, view = call(b.base, "GET", "/api/v1/exam/attempt", token=token)
    assert status == 200
    shown = {item_id.lower(): (saved["response"], saved["seq"]) for item_id, saved in view["answers"].items()}
    assert shown == {item_id.lower(): value for item_id, value in expected.items()}

    status, submitted = call(b.base, "POST", "/api/v1/exam/attempt/submit", token=token)
    assert status == 200 and submitted["status"] == "submitted", f"submit: {status} {submitted}"
    # After the submission nothing more is saved, whichever process is asked.
    status, closed = call(b.base, "PUT", f"/api/v1/exam/attempt/answers/{items[6 % len(items)]['itemId']}",
                          {"response": choice(items[6 % len(items)], 0), "seq": 9}, token)
    assert status == 409 and closed["error"]["code"] == "attempt_closed", f"{status} {closed}"

    # validate: the stored, graded answers as exam affairs read them are exactly those acknowledged on A and B
    status, admin = call(b.base, "POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert status == 200, f"admin sign-in: {status} {admin}"
    status, stored = call(b.base, "GET", f"/api/v1/attempts/{attempt_id}", token=admin["token"])
    assert status == 200, f"stored answers: {status} {stored}"
    assert stored["status"] == "submitted"
    assert {answer["itemId"].lower(): (answer["response"], answer["seq"]) for answer in stored["answers"]} == \
        {item_id.lower(): value for item_id, value in expected.items()}
