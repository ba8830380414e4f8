"""On a phone-sized window (390×844): three examiners score a candidate, the spread sends a task to arbitration, the
chief examiner decides, exam affairs releases the results, the candidate asks for a review and sees its outcome, and
the publicity page shows the passing list with masked ID numbers."""
import re
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BINARY, SERVER_ENV, network, screenshot, sign_in, wait_for_text


def reviewer_id(driver, username: str) -> str:
    """The value of `username`'s option in the reviewer list (options show display names)."""
    names = {"examiner1": "孙强", "examiner2": "钱磊", "examiner3": "郑涛", "examiner4": "冯雪", "examiner5": "何平"}
    option = driver.find_element(By.XPATH, f"//form[contains(@class, 'assign')]//option[contains(., '{names[username]}')]")
    return option.get_attribute("value")


def accept_confirmation(driver) -> None:
    WebDriverWait(driver, 5).until(EC.alert_is_present()).accept()


def test_panel_scoring_review_and_publicity_on_a_phone(server, browser):
    run = subprocess.run([str(BINARY), "demo", "--scoring-session"], env=SERVER_ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    made = run.stdout
    ticket = re.search(r"skills1 \((\d+)\)", made).group(1)
    # Normally examiner1–3 and examiner4; the demo passes over anyone who must recuse for other sample candidates.
    panel_line = re.search(r"panel: (\S+), (\S+), (\S+); chief examiner: (\S+)", made)
    panel, chief = list(panel_line.groups()[:3]), panel_line.group(4)
    reviewer = next(name for name in ("examiner1", "examiner2", "examiner3", "examiner4", "examiner5") if name not in panel + [chief])
    browser.set_window_size(390, 844)

    # Three examiners score both tasks independently; the first task's sheets are 100, 95 and 80 — a spread of 20.
    first_task = dict(zip(panel, (["20", "40", "30", "10"], ["20", "35", "30", "10"], ["15", "25", "30", "10"])))
    for examiner, entries in first_task.items():
        sign_in(browser, server, examiner)
        browser.get(server + "/scoring")
        browser.find_element(By.LINK_TEXT, "开始评分").click()
        for task, marks in ((1, entries), (2, ["50", "30"])):
            row = browser.find_element(By.CSS_SELECTOR, f"tr[data-ticket='{ticket}'][data-task='{task}']")
            row.find_element(By.LINK_TEXT, "评分").click()
            # Before the whole panel has submitted, nobody else's sheet is on the page.
            assert browser.find_elements(By.ID, "blind")
            for i, value in enumerate(marks):
                browser.find_element(By.ID, f"f-c{i + 1}").send_keys(value)
            # The last sheet goes while the network is down: it waits in the browser and is sent when it returns.
            offline = examiner == panel[-1] and task == 2
            if offline:
                network(browser, online=False)
            browser.find_element(By.ID, "submit-sheet").click()
            accept_confirmation(browser)
            if offline:
                WebDriverWait(browser, 10).until(lambda d: "未送达" in d.find_element(By.ID, "sheet-state").text)
                screenshot(browser, "scoring-offline")
                network(browser, online=True)
            wait_for_text(browser, "评分表已提交", timeout=15)
            browser.find_element(By.LINK_TEXT, "返回评分列表").click()
    # The last examiner now sees the whole panel's sheets of the first task and its state.
    browser.find_element(By.CSS_SELECTOR, f"tr[data-ticket='{ticket}'][data-task='1']").find_element(By.LINK_TEXT, "查看").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.sheet-table")) == 3
    assert "待仲裁" in browser.find_element(By.ID, "task-score").text
    screenshot(browser, "scoring-panel-sheets")

    # The chief examiner decides with a reason.
    sign_in(browser, server, chief)
    browser.get(server + "/scoring/chief")
    card = browser.find_element(By.CSS_SELECTOR, f".arbitration[data-ticket='{ticket}']")
    assert "评分差 20 分" in card.text
    screenshot(browser, "scoring-chief")
    card.find_element(By.NAME, "score").send_keys("90")
    card.find_element(By.NAME, "reason").send_keys("复看作品照片，接线工艺有两处瑕疵")
    card.find_element(By.CSS_SELECTOR, "button.decide").click()
    wait_for_text(browser, "仲裁已记录：90 分")

    # Exam affairs works out the results and releases them today.
    sign_in(browser, server, "exams")
    browser.get(server + "/plans")
    browser.find_element(By.XPATH, "//tr[td[contains(., '示例计划')]]//a").click()
    browser.find_element(By.ID, "results").click()
    browser.find_element(By.ID, "compute").click()
    wait_for_text(browser, "已汇总")
    row = browser.find_element(By.XPATH, f"//table[@id='results']//tr[td[contains(., '{ticket}')]]")
    assert "86" in row.text and "合格" in row.text  # 90 × 60% + 80 × 40%
    browser.find_element(By.ID, "release").click()
    accept_confirmation(browser)
    wait_for_text(browser, "向考生发布")
    screenshot(browser, "plan-results")
    results_url = browser.current_url.split("?")[0]

    # The candidate sees the result and asks for a review of the skills part.
    sign_in(browser, server, "skills1", "Demo-Staff-2026")
    browser.get(server + "/me/results")
    assert "合格" in browser.find_element(By.ID, "verdict").text
    Select(browser.find_element(By.ID, "f-part")).select_by_value("skills")
    browser.find_element(By.ID, "f-text").send_keys("第一项任务的接线工艺扣分较多，申请复核")
    browser.find_element(By.ID, "ask-review").click()
    wait_for_text(browser, "复核申请已提交")

    # Exam affairs assigns someone who did not score the candidate; that reviewer answers.
    sign_in(browser, server, "exams")
    browser.get(server + "/score-reviews")
    form = browser.find_element(By.CSS_SELECTOR, "form.assign")
    Select(form.find_element(By.TAG_NAME, "select")).select_by_value(reviewer_id(browser, reviewer))
    form.find_element(By.TAG_NAME, "button").click()
    wait_for_text(browser, "已指派复核人员")
    screenshot(browser, "score-reviews")
    sign_in(browser, server, reviewer)
    browser.get(server + "/score-reviews")
    answer = browser.find_element(By.CSS_SELECTOR, "form.answer")
    answer.find_element(By.TAG_NAME, "textarea").send_keys("逐项核对评分记录表与仲裁记录，加分无误，成绩维持")
    answer.find_element(By.TAG_NAME, "button").click()
    wait_for_text(browser, "已答复，成绩不变")

    sign_in(browser, server, "skills1", "Demo-Staff-2026")
    browser.get(server + "/me/results")
    outcome = browser.find_element(By.CSS_SELECTOR, "tr.review .outcome").text
    assert "成绩维持" in outcome
    screenshot(browser, "scoring-candidate-review")

    # Publicity: the passing list, public, with masked ID numbers.
    sign_in(browser, server, "exams")
    browser.get(results_url)
    browser.find_element(By.ID, "publish").click()
    accept_confirmation(browser)
    wait_for_text(browser, "已公示")
    public_url = browser.find_element(By.LINK_TEXT, "公示页面").get_attribute("href")
    browser.delete_all_cookies()
    browser.get(public_url)
    listing = browser.find_element(By.ID, "public-list").text
    assert "周示例" in listing and "********" in listing
    assert not re.search(r"\d{17}[\dX]", listing)
    screenshot(browser, "scoring-publicity")
