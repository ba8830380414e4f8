"""A candidate signs up, completes the profile, applies with materials; a reviewer asks for more; the candidate adds
it; the reviewer approves; the candidate sees the decision."""
import os
import struct
import tempfile
import zlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import last_code, screenshot, set_value, sign_in, wait_for_text

MOBILE = "13912345678"
PASSWORD = "Candidate-Pass-2026"


def png(width: int, height: int) -> bytes:
    """A white greyscale PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def files():
    folder = tempfile.mkdtemp(prefix="skillcert-journey-")
    paths = {}
    for name, data in [("photo.png", png(295, 413)), ("id-card.png", png(400, 250)), ("diploma.pdf", PDF),
                       ("work-proof.pdf", PDF)]:
        paths[name] = os.path.join(folder, name)
        with open(paths[name], "wb") as f:
            f.write(data)
    return paths


def test_candidate_journey(server, browser):
    paths = files()
    # Sign up with a code from the outbox (the development sender writes it to the log).
    browser.delete_all_cookies()
    browser.get(server + "/register")
    browser.find_element(By.ID, "f-contact").send_keys(MOBILE)
    browser.find_element(By.ID, "send-code").click()
    wait_for_text(browser, "验证码已发送")
    browser.find_element(By.ID, "f-code").send_keys(last_code())
    browser.find_element(By.ID, "f-fullName").send_keys("周示例")
    browser.find_element(By.ID, "f-password").send_keys(PASSWORD)
    browser.find_element(By.ID, "f-confirmPassword").send_keys(PASSWORD)
    browser.find_element(By.ID, "register").click()
    wait_for_text(browser, "注册成功")

    # Complete the profile: ID number (birth date and sex follow), employer, work history, a photo.
    browser.find_element(By.ID, "f-idNumber").send_keys("11010519491231002X")
    browser.find_element(By.ID, "f-employer").send_keys("示例供电公司")
    browser.execute_script("document.getElementsByName('work[0][from]')[0].value = '2012-07-01'")
    browser.find_element(By.ID, "save-profile").click()
    wait_for_text(browser, "已保存")
    assert "110105********002X" in browser.page_source
    assert "1949-12-31" in browser.page_source
    browser.find_element(By.ID, "f-photo").send_keys(paths["photo.png"])
    browser.find_element(By.ID, "upload-photo").click()
    wait_for_text(browser, "照片已上传")
    assert browser.find_elements(By.ID, "photo")
    screenshot(browser, "candidate-profile")

    # Apply to the demo plan at 四级 with the two materials it asks for.
    browser.get(server + "/announcements")
    browser.find_element(By.PARTIAL_LINK_TEXT, "示例计划").click()
    number = browser.current_url.rstrip("/").split("/")[-1]
    browser.get(f"{server}/announcements/{number}/apply?level=4")
    screenshot(browser, "candidate-apply")
    browser.find_element(By.ID, "f-material-0").send_keys(paths["id-card.png"])
    browser.find_element(By.ID, "f-material-1").send_keys(paths["diploma.pdf"])
    browser.find_element(By.ID, "apply").click()
    wait_for_text(browser, "报名已提交")
    assert "待审核" in browser.page_source and "身份证正反面" in browser.page_source
    screenshot(browser, "candidate-applied")

    # Exam affairs asks for more material with a deadline.
    sign_in(browser, server, "exams")
    browser.get(server + "/review")
    browser.find_element(By.LINK_TEXT, "周示例").click()
    review_url = browser.current_url.split("?")[0]
    assert "diploma.pdf" in browser.page_source
    browser.find_element(By.ID, "f-reason").send_keys("请补充单位出具的工作年限证明")
    set_value(browser, "f-deadline", "2099-12-31")
    browser.find_element(By.ID, "request-more").click()
    wait_for_text(browser, "已处理")
    assert "需补充材料" in browser.page_source
    screenshot(browser, "review-decision")

    # The candidate signs in with the mobile number, sees the request, and adds the file.
    sign_in(browser, server, MOBILE, PASSWORD)
    browser.get(server + "/me/applications")
    wait_for_text(browser, "请补充单位出具的工作年限证明")
    browser.find_element(By.CSS_SELECTOR, "input.supplement-file").send_keys(paths["work-proof.pdf"])
    browser.find_element(By.CSS_SELECTOR, "button.add-material").click()
    wait_for_text(browser, "补充材料已提交")
    assert "work-proof.pdf" in browser.page_source
    screenshot(browser, "candidate-supplemented")

    # The reviewer sees the added file and approves.
    sign_in(browser, server, "exams")
    browser.get(review_url)
    assert "work-proof.pdf" in browser.page_source
    browser.find_element(By.ID, "f-reason").send_keys("材料齐全，工作年限证明已核实")
    browser.find_element(By.ID, "approve").click()
    wait_for_text(browser, "已处理")

    # The candidate sees the decision and its reason.
    sign_in(browser, server, MOBILE, PASSWORD)
    browser.get(server + "/me/applications")
    wait_for_text(browser, "审核通过")
    assert "材料齐全，工作年限证明已核实" in browser.page_source
    screenshot(browser, "candidate-approved")
