"""An independent check of the electronic certificates: PyJWT fetches the published keys (JWKS) and verifies a
credential from the public API, rejects one with a flipped byte, and — after the certificate department revokes the
certificate on its page — finds the certificate's bit set in the signed revocation status list."""
import base64
import gzip
import json
import re
import subprocess
import urllib.request

import jwt
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BINARY, SERVER_ENV, screenshot, sign_in, wait_for_text


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def verify(token: str, jwks: jwt.PyJWKSet) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return jwt.decode(token, key=key.key, algorithms=["EdDSA"], options={"verify_aud": False})


def test_credential_verifies_with_the_published_keys_and_revocation_shows(server, browser):
    run = subprocess.run([str(BINARY), "demo", "--certificates"], env=SERVER_ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    number = re.search(r"sample certificates\): (S\d{21})", run.stdout).group(1)

    jwks = jwt.PyJWKSet.from_dict(json.loads(get(server + "/.well-known/jwks.json")))
    public = json.loads(get(f"{server}/api/v1/public/certificates/{number}"))
    assert public["status"] == "valid" and "********" in public["maskedIdNumber"]
    claims = verify(public["credential"], jwks)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["credentialSubject"]["achievement"]["humanCode"] == number
    assert jwt.get_unverified_header(public["credential"])["alg"] == "EdDSA"

    # One flipped byte in the signed part: the signature no longer holds.
    header, payload, signature = public["credential"].split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[10] ^= 0x01
    forged = ".".join([header, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="), signature])
    try:
        verify(forged, jwks)
        raise AssertionError("a credential with a flipped byte verified")
    except jwt.InvalidSignatureError:
        pass

    # The certificate department revokes it on its page.
    sign_in(browser, server, "certs")
    browser.get(f"{server}/certificates/{number}")
    Select(browser.find_element(By.ID, "f-status")).select_by_value("revoked")
    browser.find_element(By.ID, "f-reason").send_keys("示例：证书信息有误，予以撤销")
    browser.find_element(By.ID, "change-status").click()
    WebDriverWait(browser, 5).until(EC.alert_is_present()).accept()
    wait_for_text(browser, "状态已改为：已撤销")
    screenshot(browser, "certificate-detail")

    entry = next(s for s in claims["credentialStatus"] if s["statusPurpose"] == "revocation")
    status_list = verify(get(entry["statusListCredential"].replace("http://127.0.0.1:8080", server)).decode(), jwks)
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    index = int(entry["statusListIndex"])
    assert len(bits) * 8 >= 131072
    assert bits[index // 8] & (0x80 >> (index % 8)), "the revoked certificate's bit is not set"
    assert json.loads(get(f"{server}/api/v1/public/certificates/{number}"))["status"] == "revoked"
    browser.delete_all_cookies()
    browser.get(f"{server}/verify/{number}")
    assert "已撤销" in browser.find_element(By.ID, "status").text
    screenshot(browser, "verify-revoked")
