#!/usr/bin/env python3
"""The office screens in headless Chromium (selenium, chromium-driver), as two care offices use them.

The 居宅介護支援 office takes in a broken 第6表 and sees the finding with its line and column, replaces it,
confirms the recipient in the directory and sends; the 訪問介護 office, whose 受信一覧 is open, sees the unit
arrive without a reload, opens it, downloads a file (bytes compared with what was sent) and opens the print
view; the sender's 送信済 shows the download time. Every page is checked for labelled controls and for being
usable by keyboard alone (every control reached with Tab; the flow itself is driven with Enter), and a
screenshot of every page is saved and checked not to be blank.

Prints one JSON object (the unit id, the pages checked, the screenshots) and exits 0, or exits 1 with a message.
"""
import argparse
import base64
import json
import os
import struct
import sys
import time
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def browser(downloads):
    options = Options()
    options.binary_location = os.environ.get("RENKEI_CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--lang=ja", "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(os.environ.get("RENKEI_CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


# --- Screenshots: a PNG decoded here (8-bit RGB or RGBA, not interlaced, as Chromium writes them) -----------------

def png_pixels(data):
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "a screenshot is not a PNG")
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, color, _, _, interlace = header
    check(depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG form {header}")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def screenshot(driver, folder, name, shots):
    path = os.path.join(folder, f"{len(shots) + 1:02d}-{name}.png")
    data = driver.get_screenshot_as_png()
    with open(path, "wb") as file:
        file.write(data)
    width, height, channels, rows = png_pixels(data)
    background = rows[0][:3]
    differing = 0
    colors = set()
    for row in rows[::4]:
        for x in range(0, width * channels, channels * 4):
            pixel = row[x:x + 3]
            colors.add(pixel)
            if pixel != background:
                differing += 1
    sampled = (height // 4 + 1) * (width // 4 + 1)
    check(len(colors) > 8 and differing > sampled // 100, f"the screenshot {path} is blank ({len(colors)} colours)")
    shots.append({"path": path, "width": width, "height": height, "colours": len(colors)})


# --- Accessibility: labelled controls, one h1, Japanese, every control reachable by Tab --------------------------

LABELS = """
const problems = [];
if (document.documentElement.lang !== 'ja') problems.push('html lang is not ja');
if (!document.title.trim()) problems.push('no title');
if (document.querySelectorAll('h1').length < 1) problems.push('no h1');
for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const named = (control.labels && control.labels.length) || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
  if (!named) problems.push('an unlabelled ' + control.tagName + ' ' + (control.id || control.name));
}
for (const control of document.querySelectorAll('a[href], button')) {
  const name = (control.textContent || '').trim() || control.getAttribute('aria-label');
  if (!name) problems.push('a ' + control.tagName + ' without a name: ' + control.outerHTML.slice(0, 120));
}
for (const table of document.querySelectorAll('table')) {
  if (!table.querySelector('th')) problems.push('a table without headers: ' + (table.id || table.className));
}
return problems;
"""

FOCUSABLE = """
const items = Array.from(document.querySelectorAll('a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, [tabindex]'))
  .filter(e => e.tabIndex >= 0 && e.getClientRects().length > 0);
items.forEach((e, i) => e.setAttribute('data-focus-check', String(i)));
document.activeElement && document.activeElement.blur();
window.scrollTo(0, 0);
return items.length;
"""


def check_page(driver, name, pages):
    problems = driver.execute_script(LABELS)
    check(not problems, f"{name}: {problems}")
    count = driver.execute_script(FOCUSABLE)
    reached = set()
    for _ in range(count + 3):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        index = driver.execute_script("return document.activeElement && document.activeElement.getAttribute('data-focus-check')")
        if index is not None:
            reached.add(int(index))
    missing = sorted(set(range(count)) - reached)
    check(not missing, f"{name}: {len(missing)} of {count} controls are not reached with Tab (indices {missing[:10]})")
    pages.append({"page": name, "url": driver.current_url.split("/", 4)[-1], "controls": count})


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT).until(condition)
    except Exception as error:
        raise Failure(f"waited {WAIT} s for {what}: {type(error).__name__} at {driver.current_url}\n"
                      f"{driver.find_element(By.TAG_NAME, 'body').text[:1500]}")


DROP = """
const [names, contents] = arguments;
const transfer = new DataTransfer();
names.forEach((name, i) => transfer.items.add(new File([Uint8Array.from(atob(contents[i]), c => c.charCodeAt(0))], name)));
document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
"""


def drop(driver, paths):
    """Drops files on 新規作成's drop zone, as a file manager does (a DragEvent carrying them)."""
    contents = []
    for path in paths:
        with open(path, "rb") as file:
            contents.append(base64.b64encode(file.read()).decode())
    driver.execute_script(DROP, [os.path.basename(path) for path in paths], contents)


def press(element):
    """Activates a control from the keyboard, as a user without a mouse does."""
    element.send_keys(Keys.ENTER)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sender", required=True, help="the sending office's screens, e.g. http://127.0.0.1:PORT/TOKEN")
    parser.add_argument("--recipient", required=True)
    parser.add_argument("--recipient-number", required=True)
    parser.add_argument("--files", required=True, help="a folder with the unit's files")
    parser.add_argument("--broken", required=True, help="a broken copy of one of them, under the same name")
    parser.add_argument("--out", required=True, help="where screenshots and downloads go")
    arguments = parser.parse_args()
    shots_folder = os.path.join(arguments.out, "screenshots")
    downloads = os.path.join(arguments.out, "downloads")
    os.makedirs(shots_folder, exist_ok=True)
    os.makedirs(downloads, exist_ok=True)
    pages, shots = [], []
    files = sorted(os.path.join(arguments.files, name) for name in os.listdir(arguments.files))

    recipient = browser(downloads)
    sender = browser(downloads)
    try:
        # The recipient's 受信一覧 is open before anything is sent, and is never reloaded.
        recipient.get(arguments.recipient + "/inbox")
        check("受信一覧" in recipient.title, f"the inbox page's title is {recipient.title!r}")
        check_page(recipient, "受信一覧", pages)
        recipient.execute_script("window.renkeiMarker = 'not reloaded'")
        screenshot(recipient, shots_folder, "inbox-before", shots)

        # 新規作成: a broken 第6表 first; its finding shows line and column.
        sender.get(arguments.sender + "/new")
        check_page(sender, "新規作成", pages)
        sender.find_element(By.ID, "files").send_keys(arguments.broken)
        press(sender.find_element(By.CSS_SELECTOR, "#upload button[type=submit]"))
        wait(sender, lambda d: d.find_elements(By.CSS_SELECTOR, "#findings tbody tr"), "the findings of the broken file")
        findings = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                    for row in sender.find_elements(By.CSS_SELECTOR, "#findings tbody tr")]
        check(any(row[1] == "2" and row[2] == "10" and row[5] == "エラー" for row in findings), f"no error at line 2, column 10: {findings}")
        check(not sender.find_elements(By.CSS_SELECTOR, "form.hint"), "a repair is offered for a file that is in MS932")
        send = sender.find_element(By.XPATH, "//form[contains(@action, '/new/send')]/button")
        check(send.get_attribute("disabled") is not None, "send is possible with an error on the page")
        check_page(sender, "新規作成(確認結果)", pages)
        screenshot(sender, shots_folder, "new-findings", shots)

        # The corrected files, dropped on the page as from a file manager: no finding, and the send button comes alive.
        drop(sender, files)
        wait(sender, lambda d: not d.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
             and len(d.find_elements(By.CSS_SELECTOR, "#staged tbody tr")) == len(files), "the corrected files taken in")
        # The recipient confirmed in the directory, by number.
        box = sender.find_element(By.ID, "q")
        box.send_keys(arguments.recipient_number + Keys.ENTER)
        wait(sender, lambda d: d.find_elements(By.CSS_SELECTOR, "#directory tbody tr"), "the directory's answer")
        directory = sender.find_element(By.ID, "directory").text
        check(arguments.recipient_number in directory, f"the directory does not list {arguments.recipient_number}: {directory}")
        check_page(sender, "新規作成(送信先の確認)", pages)
        screenshot(sender, shots_folder, "new-ready", shots)
        send = sender.find_element(By.XPATH, "//form[contains(@action, '/new/send')]/button")
        check(send.get_attribute("disabled") is None, "the send button stays disabled")
        press(send)
        wait(sender, lambda d: d.find_elements(By.CSS_SELECTOR, "#receipts tbody a"), "the receipt")
        receipt = sender.find_element(By.CSS_SELECTOR, "#receipts tbody a")
        unit = int(receipt.text)
        check_page(sender, "新規作成(受付)", pages)
        screenshot(sender, shots_folder, "new-receipt", shots)

        # It arrives in the open 受信一覧, pushed by the subscription.
        link = wait(recipient, lambda d: d.find_elements(By.CSS_SELECTOR, f"#units a[href$='/inbox/{unit}']"), "the unit in 受信一覧")[0]
        check(recipient.execute_script("return window.renkeiMarker") == "not reloaded", "受信一覧 was reloaded")
        count = recipient.find_element(By.ID, "total").text
        check(count == "1", f"受信一覧 counts {count} units")
        screenshot(recipient, shots_folder, "inbox-live", shots)

        # 受信データ詳細確認, opened from the keyboard.
        press(link)
        wait(recipient, lambda d: d.find_elements(By.CSS_SELECTOR, "#signature.verified"), "the verified signature on the detail page")
        check("被保険者番号" in recipient.page_source, "the CSV tables lack the standard's column names")
        check_page(recipient, "受信データ詳細確認", pages)
        screenshot(recipient, shots_folder, "unit", shots)

        # One file downloaded: the bytes as sent.
        name = os.path.basename(next(path for path in files if os.path.basename(path).startswith("UPPLAN_")))
        press(recipient.find_element(By.CSS_SELECTOR, f"#files a[href$='/files/{name}']"))
        target = os.path.join(downloads, name)
        deadline = time.time() + WAIT
        while not os.path.exists(target) and time.time() < deadline:
            time.sleep(0.1)
        check(os.path.exists(target), f"{name} was not downloaded into {downloads}: {os.listdir(downloads)}")
        with open(target, "rb") as got, open(os.path.join(arguments.files, name), "rb") as sent:
            check(got.read() == sent.read(), f"{name} downloaded differs from the file sent")

        # The print view of the received unit.
        press(recipient.find_element(By.CSS_SELECTOR, f"a[href$='/inbox/{unit}/print']"))
        wait(recipient, lambda d: d.find_elements(By.CSS_SELECTOR, "section.sheet"), "the print view")
        check_page(recipient, "帳票", pages)
        screenshot(recipient, shots_folder, "print", shots)

        # 送信済 shows the download.
        sender.get(arguments.sender + "/sent")
        row = wait(sender, lambda d: d.find_elements(By.XPATH, f"//a[contains(@href, '/sent/{unit}')]/ancestor::tr"), "the unit in 送信済一覧")[0]
        check("ダウンロード済" in row.text, f"送信済一覧 does not show the download: {row.text}")
        check_page(sender, "送信済一覧", pages)
        press(row.find_element(By.TAG_NAME, "a"))
        downloaded = wait(sender, lambda d: d.find_elements(By.ID, "downloaded"), "送信済データ詳細確認")[0].text
        check(downloaded and "まだ" not in downloaded, f"送信済データ詳細確認 shows no download time: {downloaded}")
        check_page(sender, "送信済データ詳細確認", pages)
        screenshot(sender, shots_folder, "sent-unit", shots)
        print(json.dumps({"unit": unit, "downloaded": target, "downloadTime": downloaded, "pages": pages, "screenshots": shots},
                         ensure_ascii=False))
    finally:
        sender.quit()
        recipient.quit()


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"screens.py: {failure}", file=sys.stderr)
        sys.exit(1)
