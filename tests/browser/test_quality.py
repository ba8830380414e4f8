"""Supervision & QC looks at the statistics — pass rates drawn as charts — and downloads a plan's batch report
(总结评估) as a PDF after leadership has written its conclusions."""
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BINARY, SERVER_ENV, download, screenshot, sign_in, wait_for_text


def test_statistics_charts_and_batch_report_pdf(server, browser):
    # A finished sample batch: released, final results and issued certificates (idempotent).
    run = subprocess.run([str(BINARY), "demo", "--certificates"], env=SERVER_ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr

    sign_in(browser, server, "quality")
    browser.get(server + "/statistics")
    chart = browser.find_element(By.ID, "chart-by")
    assert chart.tag_name == "svg"
    assert len(chart.find_elements(By.CSS_SELECTOR, "g.bar")) >= 1
    assert int(browser.find_element(By.ID, "total").text) >= 3
    trend = browser.find_element(By.ID, "chart-trend")
    assert len(trend.find_elements(By.CSS_SELECTOR, "g.point")) >= 1

    # Grouped by level instead: the chart is redrawn for 四级.
    Select(browser.find_element(By.ID, "f-by")).select_by_value("level")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for_text(browser, "按等级的合格率")
    assert "四级" in browser.find_element(By.ID, "chart-by").get_attribute("innerHTML")
    screenshot(browser, "statistics")

    # The sample batch's plan: leadership writes the conclusions on its batch report.
    plan_option = next(o for o in Select(browser.find_element(By.ID, "f-plan")).options if "已颁证" in o.text)
    plan_id = plan_option.get_attribute("value")
    sign_in(browser, server, "leader")
    browser.get(f"{server}/plans/{plan_id}/report")
    wait_for_text(browser, "认定工作总结评估报告")
    browser.find_element(By.ID, "f-conclusions").send_keys("本批次组织规范，考务与评分过程未发现违规。")
    browser.find_element(By.ID, "f-improvements").send_keys("下一批次提前两周完成考评员培训。")
    browser.find_element(By.ID, "save-report").click()
    wait_for_text(browser, "已保存")
    assert "本批次组织规范" in browser.find_element(By.CSS_SELECTOR, ".report").text
    screenshot(browser, "batch-report")

    # The PDF really downloads.
    data = download(browser, "report-pdf")
    assert data.startswith(b"%PDF-") and len(data) > 2000
