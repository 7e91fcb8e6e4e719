#!/usr/bin/env python3
"""Clicks through the pages in headless Chromium at 360 px and 1280 px.

    python3 scripts/browser-check.py [path/to/daytona]   (default: the static build, else target/release/daytona)

Needs Debian's chromium and chromium-driver (installed if missing). Starts the
binary on a temporary data dir, walks the public pages and the first-run
setup flow as a person would (typing into the real form), downloads the
bookings CSV from the staff page and checks it is whole, fails if any page
scrolls sideways or a form does not lead where it should, and saves
screenshots to target/screenshots/ for a human to look at.
"""
import base64, csv, json, os, re, shutil, socket, sqlite3, subprocess, sys, tempfile, time, urllib.error, urllib.request, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stock import add_vehicles, login, sample_photo_path  # noqa: E402

STATIC = "target/x86_64-unknown-linux-musl/release/daytona"
BIN = sys.argv[1] if len(sys.argv) > 1 else (STATIC if os.path.exists(STATIC) else "target/release/daytona")
OUT = "target/screenshots"
WIDTHS = [360, 1280]
PUBLIC = ["/", "/about", "/services", "/contact", "/privacy", "/book", "/booking-status", "/no-such-page"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def ensure_browser():
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], check=True)


class Driver:
    def __init__(self, port):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.downloads = tempfile.mkdtemp(prefix="daytona-downloads-")
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", f"--user-data-dir={tempfile.mkdtemp()}"],
            "prefs": {"download.default_directory": self.downloads, "download.prompt_for_download": False}}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"webdriver {method} {path}: {e.read().decode()[:300]}") from None

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.sid}{path}", body)

    def size(self, width, height):
        self.s("POST", "/window/rect", {"width": width, "height": height})

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script):
        return self.s("POST", "/execute/sync", {"script": script, "args": []})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def wait(self, condition, timeout=5.0):
        """Polls a JS expression until it is true (after a click that navigates)."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.js("return !!(" + condition + ")"):
                    return True
            except RuntimeError:
                pass  # the page is being replaced
            time.sleep(0.1)
        return False

    def shot(self, name):
        # Grow the window to the page so the screenshot shows all of it.
        height = self.js("return Math.min(document.documentElement.scrollHeight, 4000)")
        width = self.js("return window.innerWidth")
        self.size(width, height)
        with open(os.path.join(OUT, name + ".png"), "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def quit(self):
        self.s("DELETE", "")


def check_page(d, failures, label):
    overflow = d.js("return document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        failures.append(f"{label}: scrolls sideways by {overflow}px")
    unstyled = d.js("return getComputedStyle(document.body).fontFamily.indexOf('system-ui') < 0 && "
                    "getComputedStyle(document.body).fontFamily.indexOf('sans') < 0")
    if unstyled:
        failures.append(f"{label}: stylesheet did not load")


FIRST_VIEW_WEIGHT = """
var seen = {}, total = 0, parts = [];
var nav = performance.getEntriesByType('navigation')[0];
total += nav.transferSize; parts.push(['html', nav.transferSize]);
performance.getEntriesByType('resource').forEach(function (e) {
  if (e.initiatorType !== 'img') { total += e.transferSize; parts.push([e.name.split('/').pop(), e.transferSize]); }
  seen[e.name] = e;
});
document.querySelectorAll('img').forEach(function (img) {
  var r = img.getBoundingClientRect();
  if (r.top < window.innerHeight && r.bottom > 0 && seen[img.currentSrc]) {
    total += seen[img.currentSrc].transferSize; parts.push(['img', seen[img.currentSrc].transferSize]);
  }
});
return {total: total, parts: parts};
"""


def vehicles_flow(d, site, failures):
    """Staff publish a car with ten photos from the pages alone; a visitor on
    a phone finds it with the filters and asks for a test drive; staff see
    and close the lead."""
    d.size(1280, 800)
    d.go(site + "/admin/vehicles/new")
    for css, text in [("#make", "Toyota"), ("#model", "Hilux"), ("#year", "2018"), ("#trim", "2.8 GD-6 Raider"),
                      ("#price", "32,500,000"), ("#mileage", "85000"), ("#location", "Blantyre showroom"),
                      ("#features", "4x4\nTow bar\nLeather seats"),
                      ("#description", "One owner, full service history. Recently serviced.")]:
        d.type(css, text)
    d.click("form.vehicle-form button[type=submit]")
    d.wait("location.search.indexOf('msg=created') >= 0")
    if d.js("return location.search").find("msg=created") < 0:
        failures.append("vehicles: creating a listing did not lead to its page")
        return
    photos = tempfile.mkdtemp()
    paths = []
    for i in range(10):
        path = os.path.join(photos, f"hilux-{i}.jpg")
        shutil.copy(sample_photo_path(), path)
        paths.append(path)
    d.type("#image", "\n".join(paths))
    d.click("form.upload button[type=submit]")
    d.wait("location.search.indexOf('msg=photos') >= 0", timeout=60)
    if d.js("return document.querySelectorAll('.photo-item').length") != 10:
        failures.append("vehicles: ten photos were not all added")
    for width in WIDTHS:
        d.size(width, 800)
        check_page(d, failures, f"vehicle edit @{width}")
        d.shot(f"admin-vehicle-edit-{width}")
        d.go(site + "/admin/vehicles")
        check_page(d, failures, f"/admin/vehicles @{width}")
        d.shot(f"admin-vehicles-{width}")
        d.go(site + "/admin/vehicles")
        d.click(".admin-vehicle a")
        d.wait("document.querySelector('.photo-item')")

    # The first view of /vehicles as a new visitor (empty cache) would see it,
    # with a full first page of cars with photos.
    add_vehicles(site, login(site, "owner@daytona.mw", "a long enough password"), 30, 30)
    for width in WIDTHS:
        fresh = Driver(d.port)
        try:
            fresh.size(width, 800)
            fresh.go(site + "/vehicles")
            fresh.wait("Array.from(document.images).every(function (i) { return i.complete; })")
            weight = fresh.js(FIRST_VIEW_WEIGHT)
            kb = weight["total"] / 1024
            print(f"/vehicles first view @{width}: {kb:.1f} KB on the wire {weight['parts']}")
            if kb > 150:
                failures.append(f"/vehicles first view @{width} weighs {kb:.0f} KB (budget 150 KB)")
        finally:
            fresh.quit()

    # A visitor on a phone: filter, open the car, ask for a test drive.
    d.size(360, 800)
    d.go(site + "/vehicles")
    d.js("document.querySelector('#make').value = 'Toyota'")
    d.click("form.vehicle-filters button[type=submit]")
    d.wait("location.search.indexOf('make=Toyota') >= 0")
    d.js("document.querySelector('#q').value = 'hilux raider'")
    d.click("form.vehicle-filters button[type=submit]")
    d.wait("location.search.indexOf('q=hilux') >= 0")
    if d.js("return document.querySelectorAll('.vehicle-card').length") != 1:
        failures.append("vehicles: the make filter and search did not find the car")
    check_page(d, failures, "/vehicles @360")
    d.shot("vehicles-360")
    d.size(1280, 800)
    d.shot("vehicles-1280")
    d.size(360, 800)
    d.click(".vehicle-card a")
    d.wait("document.querySelector('.carousel')")
    check_page(d, failures, "vehicle detail @360")
    if d.js("return document.querySelectorAll('.carousel-btn').length") != 2:
        failures.append("vehicle detail: the carousel buttons were not added")
    d.shot("vehicle-detail-360")
    d.size(1280, 800)
    check_page(d, failures, "vehicle detail @1280")
    d.shot("vehicle-detail-1280")
    d.size(360, 800)
    d.click("#inquire-test_drive_request summary")
    d.type("#test_drive_request-name", "Chikondi Banda")
    d.type("#test_drive_request-phone", "0991 234 567")
    d.js("var t = new Date(Date.now() + 2 * 86400000); "
         "document.querySelector('#test_drive_request-preferred_date').value = t.toISOString().slice(0, 10)")
    d.click("#inquire-test_drive_request input[name=consent]")
    d.click("#inquire-test_drive_request button[type=submit]")
    d.wait("document.querySelector('.notice-success')")
    if not d.js("return !!document.querySelector('.notice-success')"):
        failures.append("vehicle detail: the test drive request was not thanked")
    d.shot("vehicle-inquiry-sent-360")

    # Staff see the lead, mark it contacted, then close it.
    for width in WIDTHS:
        d.size(width, 800)
        d.go(site + "/admin/leads")
        check_page(d, failures, f"/admin/leads @{width}")
        d.shot(f"admin-leads-{width}")
    d.click("td a[href^='/admin/leads/']")
    d.wait("document.querySelector('.lead-form')")
    d.type("#note", "Test drive Saturday 10:00")
    d.click("button[value=contacted]")
    d.wait("location.search.indexOf('msg=saved') >= 0")
    d.click("button[value=closed]")
    d.wait("document.querySelector('.badge-closed')")
    if not d.js("return !!document.querySelector('.badge-closed')"):
        failures.append("leads: the lead could not be closed")
    for width in WIDTHS:
        d.size(width, 800)
        check_page(d, failures, f"lead detail @{width}")
        d.shot(f"admin-lead-detail-{width}")


def csv_export(d, site, data, failures, count=3000):
    """Staff download the bookings CSV from the bookings page: Chromium asks
    for it compressed (gzip, br) like every browser, and the file must hold
    every booking, more than one page of the export's database reads."""
    db = sqlite3.connect(os.path.join(data, "daytona.db"), timeout=10)
    with db:
        db.executemany(
            "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, service_type,"
            " preferred_date, preferred_time, notes, created_at, updated_at)"
            " VALUES (?, ?, ?, '+265991234567', 'oil_change', ?, ?, ?, ?, ?)",
            [(uuid.uuid4().hex, f"DAY-20200101-{i:04}", f"Customer {i}", f"2020-01-{i % 28 + 1:02}",
              f"{8 + i % 9:02}:00", "=cmd|' /C calc'!A0" if i % 100 == 0 else "Service due", "2020-01-01T00:00:00Z",
              "2020-01-01T00:00:00Z") for i in range(count)])
    total, = db.execute("SELECT COUNT(*) FROM bookings").fetchone()
    last, = db.execute("SELECT booking_ref FROM bookings"
                       " ORDER BY preferred_date DESC, preferred_time DESC, booking_ref DESC LIMIT 1").fetchone()
    db.close()
    d.size(1280, 800)
    d.go(site + "/admin/bookings")
    d.shot("admin-bookings-many-1280")
    d.click("a[href^='/admin/bookings.csv']")
    path = os.path.join(d.downloads, "bookings.csv")
    end = time.time() + 30
    while time.time() < end and (not os.path.exists(path) or os.listdir(d.downloads) != ["bookings.csv"]):
        time.sleep(0.2)
    if not os.path.exists(path):
        failures.append(f"csv: no complete download, only {os.listdir(d.downloads)}")
        return
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    print(f"csv: {len(rows) - 1} bookings, {os.path.getsize(path)} bytes")
    if rows[0][0] != "booking_ref" or len(rows) - 1 != total or rows[-1][0] != last:
        failures.append(f"csv: {len(rows) - 1} of {total} bookings, last {rows[-1][0]} (expected {last})")
    if any(r[9].startswith("=") for r in rows[1:]):
        failures.append("csv: a formula cell was not neutralised")


def main():
    ensure_browser()
    os.makedirs(OUT, exist_ok=True)
    data = tempfile.mkdtemp(prefix="daytona-browser-")
    port = free_port()
    env = dict(os.environ, DAYTONA_STORAGE__DATA_DIR=data, DAYTONA_SERVER__LISTEN=f"127.0.0.1:{port}")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    link = None
    for _ in range(4):
        line = server.stdout.readline()
        m = re.search(r"(http://\S+/admin/setup\?token=\w+)", line)
        if m:
            link = m.group(1)
            break
    if not link:
        server.kill(); sys.exit("no setup link printed")
    site = f"http://127.0.0.1:{port}"

    dport = free_port()
    driver_proc = subprocess.Popen(["chromedriver", f"--port={dport}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", dport), timeout=0.2).close(); break
        except OSError:
            time.sleep(0.1)
    failures = []
    d = Driver(dport)
    try:
        for width in WIDTHS:
            for path in PUBLIC:
                d.size(width, 800)
                d.go(site + path)
                label = f"{path} @{width}"
                check_page(d, failures, label)
                name = (path.strip("/").replace("/", "-") or "home") + f"-{width}"
                d.shot(name)
            d.size(width, 800)
            d.go(site + "/admin/login")
            check_page(d, failures, f"/admin/login @{width}")
            d.shot(f"admin-login-{width}")

        # A customer books on a phone: the slot list follows the day (JS),
        # then Details -> Confirm -> Reference, then the status page.
        d.size(360, 800)
        d.go(site + "/book")
        d.js("""var i = document.querySelector('#preferred_date');
                var t = new Date(Date.now() + 3 * 86400000); while (t.getDay() === 0) t = new Date(t.getTime() + 86400000);
                i.value = t.toISOString().slice(0, 10); i.dispatchEvent(new Event('change'));""")
        time.sleep(1.0)
        if d.js("return document.querySelectorAll('#slots input[name=preferred_time]').length") < 1:
            failures.append("book: changing the day showed no free times")
        if d.js("return getComputedStyle(document.querySelector('.js-hide')).display") != "none":
            failures.append("book: 'Show free times' button still shown with JavaScript on")
        d.click("#slots .slot input")
        d.js("document.querySelector('#service_type').value = 'brake_check'")
        d.type("#name", "Thoko Mvula")
        d.type("#phone", "0999 555 444")
        d.type("#vehicle_reg", "ZA 9876")
        d.shot("book-details-filled-360")
        d.click("button[value=review]")
        d.wait("document.title.indexOf('Confirm') >= 0")
        if d.js("return document.title").find("Confirm") < 0:
            failures.append("book: Continue did not lead to the confirm step")
        check_page(d, failures, "confirm @360")
        d.shot("book-confirm-360")
        d.click("label[for=consent]")
        d.click("form[action='/book/confirm'] button[type=submit]")
        d.wait("document.querySelector('.booking-ref')")
        booking_ref = d.js("var e = document.querySelector('.booking-ref'); return e ? e.textContent : ''")
        if not booking_ref.startswith("DAY-"):
            failures.append("book: no booking reference shown")
        check_page(d, failures, "reference @360")
        d.shot("book-reference-360")
        d.size(1280, 800)
        d.shot("book-reference-1280")
        d.size(360, 800)
        d.go(site + "/booking-status?ref=" + booking_ref)
        d.type("#phone", "+265999555444")
        d.click("form[action='/booking-status'] button")
        d.wait("document.querySelector('ol.history')")
        if d.js("return document.querySelectorAll('ol.history li').length") != 1:
            failures.append("status: the booking's history is not shown")
        check_page(d, failures, "status @360")
        d.shot("booking-status-found-360")

        # First-run setup as the owner would do it: a mistake first, then right.
        d.size(360, 800)
        d.go(link)
        d.type("#name", "Chikondi Banda")
        d.type("#email", "owner@daytona.mw")
        d.type("#password", "short")
        d.type("#password_confirm", "short")
        d.click("button[type=submit]")
        d.wait("document.querySelector('.field-error')")
        if not d.js("return document.querySelectorAll('.field-error').length > 0"):
            failures.append("setup: a short password showed no field error")
        if d.js("return document.querySelector('#name').value") != "Chikondi Banda":
            failures.append("setup: the name was not kept after an error")
        d.shot("admin-setup-errors-360")
        d.type("#password", "a long enough password")
        d.type("#password_confirm", "a long enough password")
        d.click("button[type=submit]")
        d.wait("location.pathname === '/admin'")
        if not d.js("return location.pathname") == "/admin":
            failures.append("setup: did not land on the dashboard")
        for width in WIDTHS:
            d.size(width, 800)
            d.go(site + "/admin")
            check_page(d, failures, f"/admin @{width}")
            d.shot(f"admin-dashboard-{width}")
        # The owner runs the workshop from the pages: add a technician,
        # confirm the customer's booking, look at its detail, 2FA, today.
        d.size(1280, 800)
        d.go(site + "/admin/users")
        d.type("#name", "Tiwonge Phiri")
        d.type("#email", "tiwonge@daytona.mw")
        d.type("#password", "a technician password")
        d.click("form[action='/admin/users'] button[type=submit]")
        d.wait("location.search.indexOf('msg=created') >= 0")
        if d.js("return document.body.textContent.indexOf('tiwonge@daytona.mw')") < 0:
            failures.append("users: the new technician is not listed")
        check_page(d, failures, "/admin/users @1280")
        d.shot("admin-users-1280")
        for width in WIDTHS:
            d.size(width, 800)
            d.go(site + "/admin/bookings")
            check_page(d, failures, f"/admin/bookings @{width}")
            d.shot(f"admin-bookings-{width}")
        d.size(1280, 800)
        d.go(site + "/admin/bookings")
        d.click("td .actions button.btn-primary")
        d.wait("location.search.indexOf('msg=') >= 0")
        if d.js("return (document.querySelector('td .badge') || {}).textContent") != "confirmed":
            failures.append("bookings: Confirm did not confirm the booking")
        d.click("td a[href^='/admin/bookings/']")
        d.wait("document.querySelector('#reschedule')")
        for width in WIDTHS:
            d.size(width, 800)
            check_page(d, failures, f"booking detail @{width}")
            d.shot(f"admin-booking-detail-{width}")
        # A message of the booking: its page in the notifications log.
        d.go(site + "/admin/notifications")
        d.click("table.notifications td a")
        d.wait("document.querySelector('pre.message-text')")
        for width in WIDTHS:
            d.size(width, 800)
            check_page(d, failures, f"notification @{width}")
            d.shot(f"admin-notification-{width}")
        for path, name in [("/admin/today", "admin-today"), ("/admin/account/2fa", "admin-2fa"),
                           ("/admin/audit", "admin-audit"), ("/admin/settings", "admin-settings"),
                           ("/admin/notifications", "admin-notifications")]:
            for width in WIDTHS:
                d.size(width, 800)
                d.go(site + path)
                check_page(d, failures, f"{path} @{width}")
                d.shot(f"{name}-{width}")
        vehicles_flow(d, site, failures)
        csv_export(d, site, data, failures)
        d.click("form[action='/admin/logout'] button")
        d.wait("location.pathname === '/admin/login'")
        if d.js("return location.pathname") != "/admin/login":
            failures.append("sign-out did not return to the sign-in page")
    finally:
        d.quit()
        driver_proc.terminate()
        server.terminate()
        server.wait()
    print(f"screenshots in {OUT}/")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failed" if failures else "browser check passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
