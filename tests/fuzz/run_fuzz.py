"""API fuzzing: schemathesis over every operation of /api/v1/openapi.json, signed in as staff, as an examiner, as a
candidate and with an exam token. Fails on any 5xx, any response that breaks its documented schema and any
undocumented status code.

Starts `skillcert serve` on a fresh SQLite database with the demo data (env SKILLCERT_BIN picks the binary), so that
known identifiers (sessions, items, attempts, certificates, plans) can be offered to the generator next to random ones:
otherwise nearly every request with a path parameter would stop at a 404.

Bounded: SKILLCERT_FUZZ_EXAMPLES examples per operation and phase (default 10), a fixed seed (SKILLCERT_FUZZ_SEED,
default 2026), one worker. Reports (NDJSON, JUnit) go to SKILLCERT_FUZZ_REPORTS (default .build/fuzz).
"""
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SKILLCERT_BIN", ROOT / ".build" / "debug" / "skillcert"))
REPORTS = Path(os.environ.get("SKILLCERT_FUZZ_REPORTS", ROOT / ".build" / "fuzz"))
EXAMPLES = int(os.environ.get("SKILLCERT_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("SKILLCERT_FUZZ_SEED", "2026"))
ADMIN_PASSWORD = "Fuzz-Test-2026"
STAFF_PASSWORD = "Demo-Staff-2026"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"


def schemathesis_command() -> list[str]:
    beside = Path(sys.executable).parent / "schemathesis"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("schemathesis")
    if found:
        return [found]
    return [sys.executable, "-m", "schemathesis.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, method: str, path: str, body=None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None


def sign_in(base: str, username: str, password: str) -> dict:
    return call(base, "POST", "/api/v1/auth/login", {"username": username, "password": password})


class Server:
    """`skillcert serve` on a fresh SQLite database with the demo data: a skills session being scored, issued
    certificates and a computer-based session open now."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="skillcert-fuzz-")
        self.database = os.path.join(self.folder, "fuzz.sqlite")
        self.env = dict(os.environ, DATABASE_URL=self.database, SKILLCERT_BCRYPT_COST="4",
                        SKILLCERT_CONTENT_KEY_FILE=os.path.join(self.folder, "content.key"))
        run = lambda *args: subprocess.run([str(BINARY), *args], env=self.env, check=True, capture_output=True,
                                           text=True).stdout
        run("keys", "generate")
        text = run("demo", "--admin-password", ADMIN_PASSWORD, "--scoring-session", "--certificates")
        self.scoring_session = re.search(r"/scoring/sessions/([0-9A-Fa-f-]{36})", text).group(1)
        self.certificates = re.findall(r"\b[YS]\d{21}\b", text)
        self.open_session = json.loads(run("demo", "--open-session", "--candidates", "3", "--json"))
        self.port = free_port()
        self.log_path = os.path.join(self.folder, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BINARY), "serve", "--port", str(self.port), "--log-level", "notice"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2)
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("server did not start: " + open(self.log_path).read())
                time.sleep(0.2)

    def ids(self, sql: str) -> list[str]:
        with sqlite3.connect(self.database) as db:
            return [str(row[0]) for row in db.execute(sql)]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def toml_string(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def write_config(path: Path, dictionaries: dict[str, list], bindings: dict[str, dict[str, str]]) -> None:
    """A schemathesis.toml offering known values for parameters half of the time (random ones the other half).
    `bindings`: operation path -> {parameter: dictionary}; parameters are `path.x`, `query.x` or `body.x`. Bound by
    path alone: the filters of one `[[operations]]` entry match any of their values, so a method filter would
    widen the entry to every operation with that method."""
    lines = []
    for name, values in dictionaries.items():
        if values:
            lines.append(f"[dictionaries.{name}]")
            lines.append("values = [" + ", ".join(toml_string(v) for v in values) + "]")
    for op_path, parameters in bindings.items():
        used = {k: v for k, v in parameters.items() if dictionaries.get(v)}
        if not used:
            continue
        lines.append("[[operations]]")
        lines.append(f"include-path = {toml_string(op_path)}")
        lines.append("[operations.parameters]")
        for key, dictionary in used.items():
            lines.append(f"{toml_string(key)} = {{ dictionary = {toml_string(dictionary)}, probability = 0.5 }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fuzz(name: str, base: str, config: Path, token: str | None, selection: list[str], examples: int = EXAMPLES) -> bool:
    """One schemathesis run; True when it found nothing."""
    out = REPORTS / name
    out.mkdir(parents=True, exist_ok=True)
    command = [*schemathesis_command(), "--config-file", str(config), "--no-color", "run",
               base + "/api/v1/openapi.json", "--checks", CHECKS, "--max-examples", str(examples),
               "--seed", str(SEED), "--workers", "1", "--continue-on-failure", "--request-timeout", "30",
               "--generation-database", "none", "--report", "ndjson,junit", "--report-dir", str(out),
               *selection]
    if token:
        command += ["--header", "Authorization: Bearer " + token]
    print(f"\n===== fuzz: {name} =====", flush=True)
    started = time.time()
    result = subprocess.run(command)
    print(f"===== {name}: {'passed' if result.returncode == 0 else 'FAILED'} in {time.time() - started:.0f} s",
          flush=True)
    return result.returncode == 0


def main() -> int:
    if not BINARY.exists():
        print(f"no binary at {BINARY}; build first or set SKILLCERT_BIN", file=sys.stderr)
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    server = Server()
    try:
        base = server.base
        # Every token first: fuzzing the sign-in with wrong passwords soon throttles this address.
        admin = sign_in(base, "admin", ADMIN_PASSWORD)
        examiner = sign_in(base, "examiner1", STAFF_PASSWORD)
        candidate = sign_in(base, "skills1", STAFF_PASSWORD)
        throwaway = sign_in(base, "leader", STAFF_PASSWORD)
        login = server.open_session["logins"][0]
        exam = call(base, "POST", "/api/v1/exam/login",
                    {"ticketNumber": login["ticketNumber"], "idNumber": login["idNumber"]})
        staff_token = admin["token"]
        # An account for PUT /users/{id} to change, so that the fuzzer never deactivates the accounts it signs in with.
        target = call(base, "POST", "/api/v1/users", {"username": "fuzz-target", "displayName": "模糊测试账号",
                                                      "password": "Staple-Horse-Battery-2026", "roles": ["coordination"]},
                      token=staff_token)
        paper = call(base, "GET", "/api/v1/exam/attempt", token=exam["token"])
        dictionaries = {
            "scoringSession": [server.scoring_session],
            "candidateUser": [candidate["user"]["id"]],
            "openSession": [server.open_session["sessionId"]],
            "attempt": [exam["attemptId"]],
            "item": [i["id"] for i in call(base, "GET", "/api/v1/items", token=staff_token)[:5]],
            "standard": [s["id"] for s in call(base, "GET", "/api/v1/standards", token=staff_token)],
            "user": [target["id"]],
            "setting": [s["key"] for s in call(base, "GET", "/api/v1/settings", token=staff_token)],
            "certificate": server.certificates,
            "plan": server.ids("SELECT id FROM plans"),
            "paperItem": [i["itemId"] for i in paper["items"][:5]],
            "year": ["2025", "2026"],
        }
        bindings = {
            "/api/v1/scoring/sessions/{id}/sheets": {"path.id": "scoringSession", "query.candidateId": "candidateUser",
                                                     "body.candidateId": "candidateUser"},
            "/api/v1/sessions/{id}/candidates": {"path.id": "openSession"},
            "/api/v1/attempts/{attemptId}": {"path.attemptId": "attempt"},
            "/api/v1/items/{id}": {"path.id": "item"},
            "/api/v1/standards/{id}": {"path.id": "standard"},
            "/api/v1/users/{id}": {"path.id": "user"},
            "/api/v1/settings/{key}": {"path.key": "setting"},
            "/api/v1/public/certificates/{number}": {"path.number": "certificate"},
            "/api/v1/plans/{id}/registrations/import": {"path.id": "plan"},
            "/api/v1/exam/attempt/answers/{itemId}": {"path.itemId": "paperItem"},
            "/api/v1/calendar/{year}": {"path.year": "year"},
        }
        config = REPORTS / "schemathesis.toml"
        write_config(config, dictionaries, bindings)

        not_bearer = ["--exclude-path", "/api/v1/auth/logout", "--exclude-path-regex", "^/api/v1/exam/attempt"]
        results = [
            # Changes to accounts, rules and the body (the PUTs) run last: they may deactivate or demote any account,
            # the signed-in ones included (GET /api/v1/users hands the fuzzer their identifiers).
            fuzz("staff", base, config, staff_token, [*not_bearer, "--exclude-method", "PUT"]),
            fuzz("examiner", base, config, examiner["token"], ["--include-path-regex", "^/api/v1/(scoring/|me$)"],
                 examples=EXAMPLES * 2),
            fuzz("candidate", base, config, candidate["token"],
                 [*not_bearer, "--exclude-tag", "public", "--exclude-path", "/api/v1/auth/login"]),
            # The exam token: the answers first, the submission (which closes the attempt) after them.
            fuzz("exam", base, config, exam["token"],
                 ["--include-path-regex", "^/api/v1/exam/attempt", "--exclude-path", "/api/v1/exam/attempt/submit"],
                 examples=EXAMPLES * 4),
            fuzz("exam-submit", base, config, exam["token"], ["--include-path", "/api/v1/exam/attempt/submit"]),
            # Signing out ends the token: with a token of its own.
            fuzz("logout", base, config, throwaway["token"], ["--include-path", "/api/v1/auth/logout"]),
            fuzz("staff-writes", base, config, staff_token, ["--include-method", "PUT", *not_bearer]),
        ]
        # The server must have stayed up throughout.
        urllib.request.urlopen(base + "/readyz", timeout=5)
        if not all(results):
            print(f"\nfuzz: failures; reports in {REPORTS}, server log {server.log_path}", file=sys.stderr)
            return 1
        print("\nfuzz: no server errors, no schema or status violations")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
