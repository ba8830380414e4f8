"""An author writes an item, a second person approves it, a paper is assembled and its PDF downloads."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import download, screenshot, sign_in, wait_for_text


def test_author_reviewer_assemble_download(server, browser):
    # The author writes a single-choice item for 电工 四级, element C-001.
    sign_in(browser, server, "items")
    browser.get(server + "/items/new")
    target = Select(browser.find_element(By.ID, "f-target"))
    option = next(o for o in target.options if "四级 · 理论知识考试 · C-001" in o.text)
    target.select_by_value(option.get_attribute("value"))
    Select(browser.find_element(By.ID, "f-type")).select_by_value("single-choice")
    browser.find_element(By.ID, "f-stem").send_keys("浏览器测试：接触器互锁的主要作用是（　）。")
    browser.find_element(By.ID, "f-options").send_keys("防止电源短路\n提高转速\n降低电流\n节约电能")
    browser.find_element(By.ID, "f-correct").send_keys("A")
    browser.find_element(By.ID, "save-item").click()
    wait_for_text(browser, "已保存为草稿")
    item_url = browser.current_url.split("?")[0]
    browser.find_element(By.ID, "wf-submit").click()
    wait_for_text(browser, "待审核")
    # The author is not offered approval of their own item.
    assert not browser.find_elements(By.ID, "wf-approve")
    screenshot(browser, "item-in-review")

    # A second person approves it.
    sign_in(browser, server, "reviewer")
    browser.get(item_url)
    assert "浏览器测试：接触器互锁" in browser.page_source
    browser.find_element(By.ID, "wf-approve").click()
    wait_for_text(browser, "已通过")

    # The reviewer assembles a paper from the bank; it is sealed at once.
    browser.get(server + "/papers")
    target = Select(browser.find_element(By.ID, "f-target"))
    option = next(o for o in target.options if "电工 2018 · 四级/中级工" in o.text)
    target.select_by_value(option.get_attribute("value"))
    forms = browser.find_element(By.ID, "f-forms")
    forms.clear()
    forms.send_keys("1")
    browser.find_element(By.ID, "assemble").click()
    wait_for_text(browser, "已生成并密封 1 套平行卷")
    screenshot(browser, "papers-assembled")
    browser.find_element(By.CSS_SELECTOR, "table a[href^='/papers/']").click()
    wait_for_text(browser, "密封状态")
    paper_url = browser.current_url.split("?")[0]

    # Printing for a paper-based session before its start needs two people's consent.
    for person in ("exams", "leader"):
        sign_in(browser, server, person)
        browser.get(paper_url)
        browser.find_element(By.ID, "f-reason").send_keys("纸笔考试印刷")
        browser.execute_script("window.confirm = function () { return true; }")
        browser.find_element(By.ID, "consent").click()
        wait_for_text(browser, "试卷已启封" if person == "leader" else "还需另一名授权人员同意")
    sign_in(browser, server, "exams")
    browser.get(paper_url)
    wait_for_text(browser, "试卷已启封")
    screenshot(browser, "paper-open")

    # The PDF really downloads.
    assert download(browser, "paper-pdf")[:5] == b"%PDF-"
