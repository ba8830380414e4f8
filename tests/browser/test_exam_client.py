"""The computer-based exam client: answers survive a network cut and reach the server in order."""
import json
import subprocess
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BINARY, SERVER_ENV, STAFF_PASSWORD, network, screenshot


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_answers_survive_a_network_cut(server, browser):
    opened = subprocess.run([str(BINARY), "demo", "--open-session", "--candidates", "2", "--json"], env=SERVER_ENV,
                            check=True, capture_output=True, text=True)
    session = json.loads(opened.stdout.strip().splitlines()[-1])
    login = session["logins"][0]
    wait = WebDriverWait(browser, 15)

    browser.get(server + "/exam")
    browser.find_element(By.ID, "ticket").send_keys(login["ticketNumber"])
    browser.find_element(By.ID, "idnumber").send_keys(login["idNumber"])
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(EC.visibility_of_element_located((By.ID, "exam")))
    wait.until(EC.text_to_be_present_in_element((By.ID, "clock"), "剩余"))
    attempt = next(k for k in browser.execute_script("return Object.keys(localStorage)") if k.startswith("exam.seq."))[len("exam.seq."):]

    # Item 1 answered online: saved, acknowledged by the server.
    browser.find_elements(By.CSS_SELECTOR, "#item input")[0].click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "save-state"), "已保存"))

    # The network goes; item 2 is answered; the client says it is pending and keeps it locally.
    network(browser, online=False)
    browser.find_element(By.ID, "next").click()
    second = browser.find_elements(By.CSS_SELECTOR, "#item input")
    second[-1].click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "save-state"), "网络中断"))
    assert "pending" in browser.find_elements(By.CSS_SELECTOR, "#navigator button")[1].get_attribute("class")
    journal = browser.execute_script(f"return JSON.parse(localStorage.getItem('exam.journal.{attempt}'))")
    assert len(journal) == 1 and journal[0]["seq"] == 2
    screenshot(browser, "exam-offline")

    # The network returns: the journal replays, the answer is saved.
    network(browser, online=True)
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    wait.until(EC.text_to_be_present_in_element((By.ID, "save-state"), "已保存"))
    assert "pending" not in browser.find_elements(By.CSS_SELECTOR, "#navigator button")[1].get_attribute("class")
    assert browser.execute_script(f"return JSON.parse(localStorage.getItem('exam.journal.{attempt}'))") == []

    browser.find_element(By.ID, "submit").click()
    wait.until(EC.alert_is_present())
    browser.switch_to.alert.accept()
    wait.until(EC.visibility_of_element_located((By.ID, "done")))
    assert "已交卷" in browser.find_element(By.ID, "done").text

    # Exam affairs sees both answers as stored.
    token = api(server, "POST", "/api/v1/auth/login", {"username": "exams", "password": STAFF_PASSWORD})["token"]
    stored = api(server, "GET", f"/api/v1/attempts/{attempt}", token=token)
    assert stored["status"] == "submitted"
    assert sorted(a["seq"] for a in stored["answers"]) == [1, 2]
    assert all(a["response"] for a in stored["answers"])
