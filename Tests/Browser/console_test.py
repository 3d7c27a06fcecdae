"""The console in a real browser: headless Chromium (Debian's) driven by Selenium, against a running
`mpesa-recon serve` (scripts/console-test.sh starts it with the simulator and a fresh database).

Scenarios: a learner is refused at login; finance generates a report and downloads the XLSX, which
opens with openpyxl with the database's totals; admin A proposes a refund and sees no approve button, admin B
approves, `run` pays it, the refund page shows succeeded; a POST without csrf_token gets 403 and changes nothing;
an expired session goes back to the login page; an exception resolved with a note leaves the open list and
appears in the audit page. Every page is photographed at 1280x800.
"""

import io
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import openpyxl
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["CONSOLE_BASE"]
BIN = os.environ["CONSOLE_BIN"]
DB = os.environ["CONSOLE_DB"]
SHOTS = os.environ["CONSOLE_SHOTS"]
PASSWORD = "console-test-password-42"
failures = []


def check(condition, what):
    print(("  ok   " if condition else "  FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def sql(query):
    return subprocess.run(
        ["psql", "-qtAX", "-v", "ON_ERROR_STOP=1", DB, "-c", query], check=True, capture_output=True, text=True
    ).stdout.strip()


def cli(*args, stdin=None):
    result = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"mpesa-recon {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def account(email, name, role=None):
    args = ["users", "add", email, "--name", name] + (["--role", role] if role else [])
    user_id = int(cli(*args).split()[0])
    cli("users", "set-password", email, stdin=PASSWORD + "\n")
    return user_id


def wait_for(predicate, what, seconds=45):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    check(False, f"{what} within {seconds} s")
    return False


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--disable-gpu"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # The page itself at 1280x800, whatever the headless window keeps for its own frame.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


def submit(driver, element):
    """Clicks a button that submits a form and waits for the next page (every POST answers with a redirect)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(page))


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def login(driver, email):
    driver.delete_all_cookies()
    driver.get(BASE + "/console/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "section.login button[type=submit]"))


def logout(driver):
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.logout button"))


def session_cookie(driver):
    cookie = driver.get_cookie("recon_session")
    return cookie["value"] if cookie else ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(path, cookie, data=None):
    """One request as a script would send it, redirects not followed: (status, body, Location)."""
    request = urllib.request.Request(BASE + path, data=data)
    request.add_header("Cookie", f"recon_session={cookie}")
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with OPENER.open(request) as answer:
            return answer.status, answer.read(), answer.headers.get("Location") or ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Location") or ""


def main():
    print("seeding: accounts, a paid payment through the simulator, a finding from reconcile", flush=True)
    account("alice@example.com", "Alice Admin", "admin")
    account("bob@example.com", "Bob Admin", "admin")
    account("fiona@example.com", "Fiona Finance", "finance")
    learner = account("wanjiku@example.com", "Wanjiku Kamau")
    other = int(cli("users", "add", "otieno@example.com", "--name", "Otieno Ouma").split()[0])
    cli("pay", "--user", str(learner), "--course", "1", "--phone", "0708374149")
    paid = sql("SELECT id FROM payments WHERE user_id = %d ORDER BY id DESC LIMIT 1" % learner)
    wait_for(lambda: sql(f"SELECT status FROM payments WHERE id = {paid}") == "completed", "the STK payment completes")
    sql(
        f"""INSERT INTO payments (user_id, course_id, amount, phone, status, settled_via, mpesa_receipt, paid_amount,
                                  paid_at, checkout_request_id)
            VALUES ({other}, 2, 3000, '254712345678', 'completed', 'callback', 'TKR1CON001', 3000, now(),
                    'ws_CO_CONSOLE_0001')"""
    )
    cli("reconcile")
    finding = sql("SELECT id FROM reconciliation_exceptions WHERE status = 'open' ORDER BY id LIMIT 1")
    check(finding != "", "reconcile recorded a finding to work")

    driver = browser()
    try:
        print("a learner is refused at login", flush=True)
        login(driver, "wanjiku@example.com")
        check("/console/login" in driver.current_url, "the learner stays on the login page")
        check("may not use the console" in driver.page_source, "the login page says why")
        check(driver.get_cookie("recon_session") is None, "no session cookie for the learner")
        shot(driver, "01-login-refused")

        print("finance: overview, a report in the background, the XLSX with the right totals", flush=True)
        login(driver, "fiona@example.com")
        check(driver.current_url.rstrip("/").endswith("/console"), "finance lands on the overview")
        check("Collected" in driver.page_source and "KES" in driver.page_source, "the overview shows money")
        shot(driver, "02-overview")
        driver.get(BASE + "/console/reports")
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]"))
        check("is being written" in driver.page_source, "the report request is acknowledged at once")
        shot(driver, "03-reports-requested")

        def report_listed():
            driver.get(BASE + "/console/reports")
            return len(driver.find_elements(By.CSS_SELECTOR, "div.report a[href$='.xlsx']")) > 0

        if wait_for(report_listed, "the report appears on the reports page"):
            shot(driver, "04-reports")
            link = driver.find_element(By.CSS_SELECTOR, "div.report a[href$='.xlsx']").get_attribute("href")
            check("/unmasked/" not in link, "finance gets the masked report")
            status, body, _ = fetch(link.replace(BASE, ""), session_cookie(driver))
            check(status == 200, "the XLSX downloads")
            workbook = openpyxl.load_workbook(io.BytesIO(body))
            summary = workbook["Summary"]
            collected = next(row for row in summary.iter_rows(values_only=True)
                             if isinstance(row[0], str) and row[0].strip().startswith("collected"))
            expected = sql("SELECT count(*) || ' ' || sum(coalesce(paid_amount, amount)) FROM payments "
                           "WHERE status = 'completed'").split()
            check(collected[1] == int(expected[0]) and float(collected[2]) == float(expected[1]),
                  f"the workbook's collected total {collected[1:3]} equals the database's {expected}")
            phones = [cell for row in workbook["Settled"].iter_rows(values_only=True) for cell in row
                      if isinstance(cell, str) and re.fullmatch(r"2547\d{8}", cell)]
            check(phones == [], "no full phone number in finance's workbook")
            status, _, _ = fetch("/console/reports/unmasked/x/y.csv", session_cookie(driver))
            check(status == 403, "finance may not download unmasked reports")
        logout(driver)

        print("admin A proposes, sees no approve button; admin B approves; run pays it", flush=True)
        login(driver, "alice@example.com")
        driver.get(BASE + "/console/payments?q=4149")
        check(f"/console/payments/{paid}" in driver.page_source, "search by the phone's last digits finds it")
        shot(driver, "05-payment-search")
        driver.get(BASE + f"/console/payments/{paid}")
        shot(driver, "06-payment")
        amount = driver.find_element(By.NAME, "amount")
        amount.clear()
        amount.send_keys("1500")
        driver.find_element(By.NAME, "reason").send_keys("course started late")
        submit(driver, driver.find_element(By.XPATH, "//button[text()='Propose refund']"))
        match = re.search(r"/console/refunds/(\d+)", driver.current_url)
        check(match is not None, "proposing lands on the refund's page")
        refund = match.group(1) if match else "0"
        check(len(driver.find_elements(By.ID, "approve")) == 0, "the proposer sees no approve button")
        shot(driver, "07-refund-proposed")
        # The server refuses anyway: the proposer posting the approve form with a valid token.
        token = driver.find_element(By.CSS_SELECTOR, "form.logout input[name=csrf_token]").get_attribute("value")
        status, _, location = fetch(f"/console/refunds/{refund}/approve", session_cookie(driver),
                                    data=f"csrf_token={token}".encode())
        check(status == 303 and "error=" not in location, f"the refusal redirects without a banner in the URL ({location})")
        status, body, _ = fetch(location.replace(BASE, ""), session_cookie(driver))
        check(status == 200 and b"cannot approve" in body,
              "the server refuses the proposer's approval with its own message on the next page")
        check(sql(f"SELECT status FROM refunds WHERE id = {refund}") == "proposed", "the refund stays proposed")

        print("a POST without csrf_token gets 403 and changes nothing", flush=True)
        status, _, _ = fetch(f"/console/refunds/{refund}/reject", session_cookie(driver), data=b"reason=sneaky")
        check(status == 403, "403 without csrf_token")
        check(sql(f"SELECT status FROM refunds WHERE id = {refund}") == "proposed", "nothing changed")
        logout(driver)

        login(driver, "bob@example.com")
        driver.get(BASE + f"/console/refunds/{refund}")
        submit(driver, driver.find_element(By.ID, "approve"))
        check(driver.find_element(By.ID, "refund-status").text == "approved", "admin B's approval approves it")
        cli("run", "--no-reports")

        def refund_succeeded():
            driver.get(BASE + f"/console/refunds/{refund}")
            return driver.find_element(By.ID, "refund-status").text == "succeeded"

        wait_for(refund_succeeded, "the refund page shows succeeded after run")
        shot(driver, "08-refund-succeeded")
        driver.get(BASE + "/console/refunds")
        shot(driver, "09-refunds")

        print("an exception resolved with a note leaves the open list and appears in the audit", flush=True)
        driver.get(BASE + "/console/exceptions")
        check(f"/console/exceptions/{finding}" in driver.page_source, "the finding is in the open list")
        shot(driver, "10-exceptions")
        driver.get(BASE + f"/console/exceptions/{finding}")
        shot(driver, "11-exception")
        driver.find_element(By.NAME, "note").send_keys("learner moved to the new cohort by hand")
        submit(driver, driver.find_element(By.XPATH, "//button[text()='Resolve']"))
        check(f"/console/exceptions/{finding}\"" not in driver.page_source, "the finding left the open list")
        driver.get(BASE + "/console/audit")
        audit = driver.find_element(By.ID, "audit").text
        check("exception.resolve" in audit and "learner moved to the new cohort by hand" in audit,
              "the resolution is in the audit log with its note")
        check("refund.approve" in audit and "proposed → approved" in audit, "the approval is audited before → after")
        shot(driver, "12-audit")
        callback = sql("SELECT id FROM callback_inbox ORDER BY id LIMIT 1")
        driver.get(BASE + f"/console/callbacks/{callback}")
        check("stkCallback" in driver.page_source, "a callback's raw body is viewable")
        shot(driver, "13-callback")

        print("an expired session goes back to the login page", flush=True)
        sql("UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'")
        driver.get(BASE + "/console/refunds")
        check("/console/login" in driver.current_url, "an idle session expires after 30 minutes")
        shot(driver, "14-login")
        headers = urllib.request.urlopen(BASE + "/console/login").headers
        check("default-src 'self'" in (headers.get("Content-Security-Policy") or ""), "a CSP is sent")
        check(headers.get("X-Frame-Options") == "DENY", "framing is refused")
    finally:
        driver.quit()

    if failures:
        print(f"{len(failures)} check(s) failed:", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print("every console scenario passed", flush=True)


if __name__ == "__main__":
    main()
