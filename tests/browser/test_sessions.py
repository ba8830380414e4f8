"""Exam affairs imports a batch, approves it, schedules a session, seats the candidates, staffs it (a blocked examiner
shows why) and prints the tickets; a batch-registered candidate claims the account and downloads the ticket."""
import os
import tempfile
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import last_code, screenshot, set_value, sign_in, wait_for_text, wait_gone

HEADER = "姓名,证件类型,证件号码,手机号码,工作单位,申报等级,本职业工作开始日期"
ROWS = ["吴示例,居民身份证,110101199003070011,13700000001,示例供电公司,四级,2012-07-01",
        "陈示例,居民身份证,110101199205150028,13700000002,示例建设集团,四级,2013-03-01"]


def fetch(driver, url: str) -> tuple[str, bytes]:
    """GETs a URL with the browser's cookies; returns the content type and body."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie})) as r:
        return r.headers.get("Content-Type", ""), r.read()


def test_session_seats_staff_tickets(server, browser):
    folder = tempfile.mkdtemp(prefix="skillcert-sessions-")
    csv = os.path.join(folder, "batch.csv")
    with open(csv, "w", encoding="utf-8") as f:
        f.write("\n".join([HEADER] + ROWS) + "\n")

    # Exam affairs imports the batch into the demo plan and approves both applications.
    sign_in(browser, server, "exams")
    browser.get(server + "/plans")
    browser.find_element(By.XPATH, "//tr[td[contains(., '示例计划')]]//a").click()
    browser.find_element(By.ID, "batch").click()
    browser.find_element(By.ID, "f-file").send_keys(csv)
    browser.find_element(By.ID, "import").click()
    wait_for_text(browser, "已导入 2 份报名")
    screenshot(browser, "batch-import")
    for name in ("吴示例", "陈示例"):
        browser.get(server + "/review")
        if name == "吴示例":
            screenshot(browser, "review-queue")
        browser.find_element(By.LINK_TEXT, name).click()
        browser.find_element(By.ID, "f-reason").send_keys("材料齐全")
        browser.find_element(By.ID, "approve").click()
        wait_for_text(browser, "已处理")

    # A paper-based theory session for 四级 in the first demo room.
    browser.get(server + "/sessions")
    screenshot(browser, "sessions")
    Select(browser.find_element(By.ID, "f-planID")).select_by_index(0)
    Select(browser.find_element(By.ID, "f-level")).select_by_value("4")
    Select(browser.find_element(By.ID, "f-mode")).select_by_value("paper")
    set_value(browser, "f-date", "2027-01-10")
    set_value(browser, "f-start", "09:00")
    browser.find_elements(By.CSS_SELECTOR, "input[name='rooms[]']")[0].click()
    browser.find_element(By.ID, "create-session").click()
    wait_for_text(browser, "场次已保存")
    session_url = browser.current_url.split("?")[0]

    # Seats and tickets.
    browser.find_element(By.ID, "allocate").click()
    wait_for_text(browser, "座位已编排")
    assert "吴示例" in browser.page_source and "陈示例" in browser.page_source
    kind, body = fetch(browser, browser.find_element(By.ID, "tickets").get_attribute("href"))
    assert kind.startswith("application/pdf") and body.startswith(b"%PDF")

    # 郑涛 works at 示例供电公司: the page says he must recuse and why, and assigning him is refused with the reason.
    pool = browser.find_element(By.ID, "pool").text
    assert "郑涛" in pool and "须回避" in pool and "吴示例" in pool
    Select(browser.find_element(By.ID, "f-userID")).select_by_visible_text("郑涛（示例）（考评员）")
    Select(browser.find_element(By.ID, "f-role")).select_by_value("invigilator")
    button = browser.find_element(By.ID, "assign")
    button.click()
    wait_gone(browser, button)
    wait_for_text(browser, "郑涛（示例）须回避")
    assert "同属“示例供电公司”" in browser.page_source
    screenshot(browser, "session-recusal")

    # Two invigilators and the supervisor make the staffing complete.
    browser.get(session_url)
    for person, role in (("孙强（示例）（考评员）", "invigilator"), ("钱磊（示例）（考评员）", "invigilator"),
                         ("周丽（示例）（外部督导员）", "supervisor")):
        Select(browser.find_element(By.ID, "f-userID")).select_by_visible_text(person)
        Select(browser.find_element(By.ID, "f-role")).select_by_value(role)
        button = browser.find_element(By.ID, "assign")
        button.click()
        # The notice is already on the page from the previous assignment: wait for the new page instead.
        wait_gone(browser, button)
        wait_for_text(browser, "已安排")
    assert browser.find_elements(By.ID, "staffing-ok")
    screenshot(browser, "session-staffed")

    # The batch-registered candidate claims the account and downloads the ticket.
    browser.delete_all_cookies()
    browser.get(server + "/register")
    browser.find_element(By.ID, "f-contact").send_keys("13700000001")
    browser.find_element(By.ID, "send-code").click()
    wait_for_text(browser, "验证码已发送")
    browser.find_element(By.ID, "f-code").send_keys(last_code())
    browser.find_element(By.ID, "f-fullName").send_keys("吴示例")
    browser.find_element(By.ID, "f-password").send_keys("Claim-Pass-2026")
    browser.find_element(By.ID, "f-confirmPassword").send_keys("Claim-Pass-2026")
    browser.find_element(By.ID, "f-idNumber").send_keys("110101199003070011")
    browser.find_element(By.ID, "register").click()
    wait_for_text(browser, "注册成功")
    browser.get(server + "/me/tickets")
    link = browser.find_element(By.CSS_SELECTOR, "a[id^='ticket-']")
    kind, body = fetch(browser, link.get_attribute("href"))
    assert kind.startswith("application/pdf") and body.startswith(b"%PDF")
    screenshot(browser, "candidate-tickets")
