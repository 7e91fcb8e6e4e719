#!/usr/bin/env python3
"""Budgets for a cheap VPS, measured on the release binary (not a timed test).

    python3 scripts/measure.py [path/to/daytona]

Reports: binary size, time from process start to the first /healthz 200 on an
existing data dir, idle RSS, and the transferred size of the public pages.
Budgets (issue #2): idle RSS <= 20 MiB, start-to-healthz <= 30 ms, binary <= 30 MB.
"""
import gzip, os, socket, subprocess, sys, tempfile, time, urllib.request

STATIC = "target/x86_64-unknown-linux-musl/release/daytona"
BIN = sys.argv[1] if len(sys.argv) > 1 else (STATIC if os.path.exists(STATIC) else "target/release/daytona")
BUDGET = {"rss_mib": 20, "start_ms": 30, "size_mb": 30}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def healthz_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as c:
            c.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
            return c.recv(64).split(b"\r\n")[0].endswith(b" 200 OK")
    except OSError:
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    size = os.path.getsize(BIN)
    data = tempfile.mkdtemp(prefix="daytona-measure-")
    env = dict(os.environ, DAYTONA_STORAGE__DATA_DIR=data)
    subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)

    starts = []
    for _ in range(5):
        port = free_port()
        env["DAYTONA_SERVER__LISTEN"] = f"127.0.0.1:{port}"
        t0 = time.perf_counter()
        p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not healthz_ok(port):
            if time.perf_counter() - t0 > 5:
                p.kill()
                sys.exit("server did not answer /healthz within 5 s")
        starts.append((time.perf_counter() - t0) * 1000)
        if len(starts) < 5:
            p.terminate()
            p.wait()

    # Warm the server like a visitor would, then let it sit idle.
    pages = {}
    for path in ["/", "/services", "/about", "/contact", "/privacy", "/admin/login"]:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:
            body = r.read()
            pages[path] = (len(body), len(gzip.decompress(body)) if r.headers.get("Content-Encoding") == "gzip" else len(body))
    time.sleep(2)
    rss = rss_kib(p.pid) / 1024
    p.terminate()
    p.wait()

    start_ms = sorted(starts)[len(starts) // 2]
    print(f"binary size:        {size / 1e6:.1f} MB ({size} bytes)            budget <= {BUDGET['size_mb']} MB")
    print(f"start -> /healthz:  {start_ms:.1f} ms median of 5 ({', '.join(f'{s:.1f}' for s in starts)})  budget <= {BUDGET['start_ms']} ms")
    print(f"idle RSS:           {rss:.1f} MiB                       budget <= {BUDGET['rss_mib']} MiB")
    for path, (wire, raw) in pages.items():
        print(f"page {path:<14} {wire:>6} bytes gzip ({raw} bytes HTML)")
    ok = size <= BUDGET["size_mb"] * 1e6 and start_ms <= BUDGET["start_ms"] and rss <= BUDGET["rss_mib"]
    print("within budget" if ok else "OVER BUDGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
