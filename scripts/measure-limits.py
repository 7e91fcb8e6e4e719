#!/usr/bin/env python3
"""The write-ahead log and the upload memory, measured on the release binary
(a measurement, not a timed test).

    python3 scripts/measure-limits.py [path/to/daytona] [burst seconds]

1. Write-ahead log, after a burst of bookings (32 clients on 127.0.0.1):
   - the size of daytona.db-wal at the end of the burst, the largest it gets
     while the outbox worker drains the burst's messages, and how long until
     it is under 1 MiB again;
   - start to the first /healthz 200 after a clean stop (SIGTERM);
   - the log that `kill -9` in the middle of a burst leaves, and start to
     the first /healthz 200 after it (3 runs; the median is held to the budget).
2. Uploads: the server's peak RSS (VmHWM) while it processes each of the
   heaviest images it accepts, sent as a booking attachment, and that an
   8000 x 8000 PNG (about 250 KB) is refused without using the memory.
Budgets: start <= 30 ms in both cases; peak RSS <= 150 MiB.
Makes the images with vips (Debian libvips-tools, installed if missing).
"""
import http.client, json, os, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, uuid

STATIC = "target/x86_64-unknown-linux-musl/release/daytona"
BIN = sys.argv[1] if len(sys.argv) > 1 else (STATIC if os.path.exists(STATIC) else "target/release/daytona")
BURST_S = float(sys.argv[2]) if len(sys.argv) > 2 else 8
BUDGET = {"start_ms": 30, "rss_mib": 150}
MIB = 1024 * 1024
ENV = {
    "DAYTONA_BOOKING__CAPACITY_PER_SLOT": "100000000",
    "DAYTONA_BOOKING__HOURS__SAT": "07:30-17:00",
    "DAYTONA_BOOKING__HOURS__SUN": "07:30-17:00",
    "DAYTONA_SECURITY__BOOKINGS_PER_HOUR": "1000000000",
    "RUST_LOG": "warn",
}
# Three days ahead is always bookable (every day is open, see ENV).
DATE = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400))
FIELDS = {"name": "Measure", "phone": "0991234567", "service_type": "oil_change",
          "preferred_date": DATE, "preferred_time": "09:30", "consent": True}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def healthz_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as c:
            c.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
            return c.recv(64).split(b"\r\n")[0].endswith(b" 200 OK")
    except OSError:
        return False


class Server:
    """`daytona serve` on `data`; `start_ms` is start to the first /healthz 200."""

    def __init__(self, data):
        self.port = free_port()
        env = dict(os.environ, DAYTONA_STORAGE__DATA_DIR=data,
                   DAYTONA_SERVER__LISTEN=f"127.0.0.1:{self.port}", **ENV)
        t0 = time.perf_counter()
        self.p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not healthz_ok(self.port):
            if time.perf_counter() - t0 > 10:
                self.p.kill()
                sys.exit("server did not answer /healthz within 10 s")
        self.start_ms = (time.perf_counter() - t0) * 1000

    def status_kib(self, key):
        with open(f"/proc/{self.p.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith(key))

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        self.p.wait()


def wal_bytes(data):
    try:
        return os.path.getsize(os.path.join(data, "daytona.db-wal"))
    except OSError:
        return 0


def open_ms(data):
    """Opening a copy of the database and reading one row: SQLite's recovery
    of what the -wal file holds, without the rest of a server start."""
    copy = tempfile.mkdtemp(prefix="daytona-copy-")
    for name in ("daytona.db", "daytona.db-wal"):
        if os.path.exists(os.path.join(data, name)):
            shutil.copy(os.path.join(data, name), copy)
    t0 = time.perf_counter()
    db = sqlite3.connect(os.path.join(copy, "daytona.db"))
    db.execute("SELECT COUNT(*) FROM bookings").fetchone()
    ms = (time.perf_counter() - t0) * 1000
    db.close()
    shutil.rmtree(copy, ignore_errors=True)
    return ms


def burst(port, stop):
    """32 clients posting JSON bookings until `stop` is set; returns the acknowledged count."""
    body = json.dumps(FIELDS).encode()
    acked = [0] * 32

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stop.is_set():
            try:
                conn.request("POST", "/v1/bookings", body, {"Content-Type": "application/json"})
                res = conn.getresponse(); res.read()
                acked[i] += res.status == 201
            except OSError:
                return  # the server was killed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    return threads, acked


def wal_section():
    data = tempfile.mkdtemp(prefix="daytona-limits-")
    subprocess.run([BIN, "migrate"], env=dict(os.environ, DAYTONA_STORAGE__DATA_DIR=data), check=True, capture_output=True)

    # A burst, then the drain, then a clean stop and a start.
    s = Server(data)
    stop = threading.Event()
    threads, acked = burst(s.port, stop)
    time.sleep(BURST_S)
    stop.set()
    for t in threads:
        t.join()
    at_end = wal_bytes(data)
    t0, largest, back_in = time.perf_counter(), at_end, None
    while time.perf_counter() - t0 < 120:
        size = wal_bytes(data)
        largest = max(largest, size)
        if size <= MIB:
            back_in = time.perf_counter() - t0
            break
        time.sleep(0.05)
    s.stop()
    clean = []
    for _ in range(5):
        s = Server(data); clean.append(s.start_ms); s.stop()
    clean_ms = sorted(clean)[2]
    clean_open = open_ms(data)
    print(f"burst: {sum(acked)} bookings in {BURST_S:.0f} s")
    print(f"WAL at the end of the burst:   {at_end / MIB:6.1f} MiB")
    print(f"WAL largest during the drain:  {largest / MIB:6.1f} MiB")
    print(f"WAL under 1 MiB again after:   " + (f"{back_in:.1f} s" if back_in is not None else "more than 120 s"))
    print(f"start -> /healthz after a clean stop:   {clean_ms:5.1f} ms median of 5 ({', '.join(f'{ms:.1f}' for ms in clean)})")

    # kill -9 in the middle of a burst, three times.
    killed = []
    for _ in range(3):
        s = Server(data)
        stop = threading.Event()
        threads, acked = burst(s.port, stop)
        time.sleep(BURST_S / 2)
        s.stop(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        left = wal_bytes(data)
        opened = open_ms(data)
        s = Server(data)
        killed.append((left, s.start_ms, opened))
        s.stop()
    print(f"opening the database after a clean stop: {clean_open:5.1f} ms")
    for left, ms, opened in killed:
        print(f"kill -9 mid-burst left {left / MIB:5.1f} MiB of WAL; opening the database {opened:5.1f} ms;"
              f" start -> /healthz {ms:5.1f} ms")
    shutil.rmtree(data, ignore_errors=True)
    killed_ms = sorted(ms for _, ms, _ in killed)[1]
    return max(clean_ms, killed_ms) <= BUDGET["start_ms"]


def make_images(work):
    """The heaviest images the server accepts (each at a limit), and a bomb."""
    if not shutil.which("vips"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "libvips-tools"], check=True)

    def vips(*args):
        subprocess.run(["vips", *args], check=True, cwd=work)

    vips("gaussnoise", "n.v", "6000", "4000", "--sigma", "30", "--mean", "128")
    vips("gaussblur", "n.v", "b.v", "1.5")
    vips("bandjoin", "b.v b.v b.v", "noisy.v")
    vips("cast", "noisy.v", "noisy8.v", "uchar")
    vips("xyz", "xy.v", "6000", "4000")
    vips("extract_band", "xy.v", "x.v", "0")
    vips("linear", "x.v", "xl.v", "0.04", "0")
    vips("bandjoin", "xl.v xl.v xl.v", "smooth.v")
    vips("cast", "smooth.v", "smooth8.v", "uchar")
    vips("crop", "smooth8.v", "s18.v", "0", "0", "6000", "3000")
    vips("extract_band", "s18.v", "a.v", "0")
    vips("bandjoin", "s18.v a.v", "rgba18.v")
    vips("crop", "noisy8.v", "n12.v", "0", "0", "4000", "3000")
    vips("crop", "smooth.v", "s12.v", "0", "0", "4000", "3000")
    vips("linear", "s12.v", "s12l.v", "256", "0")
    vips("cast", "s12l.v", "s12c.v", "ushort")
    vips("copy", "s12c.v", "s16.v", "--interpretation", "rgb16")
    vips("black", "bomb.v", "8000", "8000", "--bands", "3")
    images = [
        ("JPEG 24 MP baseline", "jpeg24.jpg", "noisy8.v", "jpeg24.jpg[Q=92]"),
        ("JPEG 12 MP progressive 4:4:4", "prog12.jpg", "n12.v", "prog12.jpg[Q=85,interlace,no_subsample]"),
        ("PNG 24 MP RGB", "png24.png", "smooth8.v", "png24.png"),
        ("PNG 18 MP RGBA", "rgba18.png", "rgba18.v", "rgba18.png"),
        ("PNG 12 MP 16-bit RGB", "png16.png", "s16.v", "png16.png"),
        ("WebP 24 MP lossy", "webp24.webp", "noisy8.v", "webp24.webp[Q=60]"),
        ("WebP 18 MP lossless RGBA", "rgba18.webp", "rgba18.v", "rgba18.webp[lossless]"),
        ("PNG 8000 x 8000 (refused)", "bomb.png", "bomb.v", "bomb.png"),
    ]
    out = []
    for label, name, src, target in images:
        vips("copy", src, target)
        out.append((label, os.path.join(work, name)))
    return out


def multipart(path):
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{'on' if v is True else v}\r\n".encode()
             for k, v in FIELDS.items()]
    with open(path, "rb") as f:
        payload = f.read()
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{os.path.basename(path)}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + payload + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}", len(payload)


def upload_section():
    work = tempfile.mkdtemp(prefix="daytona-images-")
    worst = 0
    for label, path in make_images(work):
        data = tempfile.mkdtemp(prefix="daytona-limits-")
        s = Server(data)
        before = s.status_kib("VmHWM:")
        body, ctype, size = multipart(path)
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        t0 = time.perf_counter()
        conn.request("POST", "/v1/bookings", body, {"Content-Type": ctype})
        res = conn.getresponse(); answer = res.read()
        took = time.perf_counter() - t0
        peak = s.status_kib("VmHWM:")
        s.stop()
        shutil.rmtree(data, ignore_errors=True)
        note = "" if res.status == 201 else " " + json.loads(answer)["error"].get("fields", {}).get("attachment", "")
        print(f"{label:<30} {size / 1e6:5.2f} MB  {res.status}  {took:5.2f} s  peak RSS {peak / 1024:6.1f} MiB"
              f" (before {before / 1024:.1f}){note}")
        worst = max(worst, peak / 1024)
    shutil.rmtree(work, ignore_errors=True)
    return worst <= BUDGET["rss_mib"]


def main():
    wal_ok = wal_section()
    print()
    rss_ok = upload_section()
    ok = wal_ok and rss_ok
    print("within budget" if ok else "OVER BUDGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
