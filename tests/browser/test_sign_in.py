"""A person signs in, switches the language, and signs out, in a real browser."""
from selenium.webdriver.common.by import By

from conftest import ADMIN_PASSWORD, screenshot, wait_for_text


def h1(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


def test_sign_in_switch_language_sign_out(server, browser):
    browser.get(server + "/")
    assert "/login" in browser.current_url
    assert h1(browser) == "登录"
    screenshot(browser, "login-zh")

    # A wrong password is refused with a Chinese message.
    browser.find_element(By.ID, "f-username").send_keys("admin")
    browser.find_element(By.ID, "f-password").send_keys("not-the-password")
    browser.find_element(By.ID, "login-submit").click()
    wait_for_text(browser, "用户名或密码不正确")

    browser.find_element(By.ID, "f-password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait_for_text(browser, "江苏示例职业技能评价中心")
    assert browser.current_url.endswith("/dashboard")
    assert h1(browser) == "工作台"
    assert "江苏示例职业技能评价中心" in browser.find_element(By.ID, "card-body").text
    nav = browser.find_element(By.CSS_SELECTOR, "nav.side").text
    assert "用户与角色" in nav and "审计日志" in nav
    screenshot(browser, "dashboard-zh")

    browser.find_element(By.ID, "lang-switch").click()
    wait_for_text(browser, "Users &amp; roles")
    assert browser.current_url.endswith("/dashboard")
    assert h1(browser) == "Dashboard"
    assert "Users & roles" in browser.find_element(By.CSS_SELECTOR, "nav.side").text
    screenshot(browser, "dashboard-en")

    browser.find_element(By.ID, "logout").click()
    wait_for_text(browser, "Sign in</h1>")
    assert "/login" in browser.current_url
    assert h1(browser) == "Sign in"
    browser.get(server + "/dashboard")
    assert "/login" in browser.current_url, "after signing out the dashboard asks for a sign-in again"

    # Switch back so the language cookie does not leak into other tests' expectations.
    browser.find_element(By.ID, "lang-switch").click()
    wait_for_text(browser, "登录</h1>")
