"""Fixtures for the browser tests: a SkillCert server with demo data, and headless Chromium."""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SKILLCERT_BIN", ROOT / ".build" / "debug" / "skillcert"))
SCREENSHOTS = Path(os.environ.get("SKILLCERT_SCREENSHOTS", ROOT / ".build" / "screenshots"))
ADMIN_PASSWORD = "Browser-Test-2026"
# The server's log: the development message sender writes verification codes there.
SERVER_LOG = {}
# The server's environment, for tests that run other `skillcert` commands on the same database.
SERVER_ENV = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """Starts `skillcert serve` on a fresh SQLite database loaded with the demo data."""
    folder = tempfile.mkdtemp(prefix="skillcert-browser-")
    env = dict(os.environ, DATABASE_URL=os.path.join(folder, "browser.sqlite"), SKILLCERT_BCRYPT_COST="4",
               SKILLCERT_CONTENT_KEY_FILE=os.path.join(folder, "content.key"))
    subprocess.run([str(BINARY), "keys", "generate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(BINARY), "demo", "--admin-password", ADMIN_PASSWORD], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    SERVER_ENV.update(env)
    port = free_port()
    log = open(os.path.join(folder, "server.log"), "w")
    SERVER_LOG["path"] = os.path.join(folder, "server.log")
    proc = subprocess.Popen([str(BINARY), "serve", "--port", str(port), "--log-level", "notice"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/readyz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start: " + open(os.path.join(folder, "server.log")).read())
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def browser():
    """Headless Chromium at a laptop's screen size."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900",
                "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


STAFF_PASSWORD = "Demo-Staff-2026"


def sign_in(driver, base: str, username: str, password: str = STAFF_PASSWORD) -> None:
    """Signs out whoever is signed in, then signs in on the page."""
    from selenium.webdriver.common.by import By
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "f-username").send_keys(username)
    driver.find_element(By.ID, "f-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/dashboard"), message=driver.current_url)


def wait_for_text(driver, text: str, timeout: float = 30) -> None:
    """Waits until the page (after a form post and its redirect) shows the text (generous: CI machines are busy)."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, timeout).until(lambda d: text in d.page_source,
                                         message=f"page never showed {text!r}")


def wait_gone(driver, element, timeout: float = 30) -> None:
    """Waits until `element` has left the document (the page was replaced after a form post). Chromium may answer a
    check made while the old page is being torn down with a generic inspector error ("Node with given id does not
    belong to the document") instead of a stale-element error: both mean the element is gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    WebDriverWait(driver, timeout).until(gone, message="the page was not replaced")


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def last_code(timeout: float = 10) -> str:
    """The last verification code the development sender wrote to the server log."""
    import re
    deadline = time.time() + timeout
    while time.time() < deadline:
        codes = re.findall(r"验证码是 (\d{6})", open(SERVER_LOG["path"], encoding="utf-8").read())
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError("no verification code in the server log")


def set_value(driver, element_id: str, value: str) -> None:
    """Sets an input's value directly (date inputs take keys in the browser's locale format)."""
    from selenium.webdriver.common.by import By
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def network(driver, online: bool) -> None:
    """Cuts or restores the browser's network (DevTools offline mode)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def download(driver, element_id: str, suffix: str = ".pdf", timeout: float = 30) -> bytes:
    """Clicks the link `element_id` and returns the bytes of the file the browser really downloads (a file still being
    written ends in .crdownload, so only a finished one matches `suffix`)."""
    import os
    import tempfile
    import time
    from selenium.webdriver.common.by import By
    folder = tempfile.mkdtemp(prefix="skillcert-download-")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
    driver.find_element(By.ID, element_id).click()
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [f for f in os.listdir(folder) if f.endswith(suffix)]
        if done:
            with open(os.path.join(folder, done[0]), "rb") as f:
                return f.read()
        time.sleep(0.2)
    raise AssertionError(f"nothing ending in {suffix} was downloaded")
