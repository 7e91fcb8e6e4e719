#!/usr/bin/env python3
"""Booking throughput against the disk's raw fsync rate (a benchmark, not a test).

    python3 scripts/bench-bookings.py [path/to/daytona] [seconds]

With synchronous=FULL every acknowledged booking costs at least one fsync of
the WAL, so the ceiling is the disk's fsync rate. This script measures both in
one run, on the same filesystem:
  1. raw rate: a loop of 4 KB write + fsync in the data dir;
  2. POST /v1/bookings with wrk (bounded duration, 127.0.0.1 only), the server
     pinned to core 0 with taskset, wrk on core 1;
then checks that every 201 is a stored booking with a unique ref.
Needs wrk (Debian package, installed if missing). Target: >= 85 % of raw.
"""
import json, os, re, shutil, socket, sqlite3, subprocess, sys, tempfile, time

STATIC = "target/x86_64-unknown-linux-musl/release/daytona"
BIN = sys.argv[1] if len(sys.argv) > 1 else (STATIC if os.path.exists(STATIC) else "target/release/daytona")
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
# Concurrent clients; more of them share each commit (group commit).
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))

# Requests cycle through the weekday slots of the coming weeks, as real
# bookings spread over the calendar (each slot holds a bounded number).
LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local times = {"08:30", "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30"}
local n = 0
request = function()
  n = n + 1
  local date = DATES[(n % #DATES) + 1]
  local time = times[(math.floor(n / #DATES) % #times) + 1]
  local body = string.format('{"name":"Bench %d","phone":"0991234567","service_type":"oil_change","preferred_date":"%s","preferred_time":"%s","consent":true}', n, date, time)
  return wrk.format(nil, "/v1/bookings", nil, body)
end
"""


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def fsync_rate(directory, seconds=3.0):
    path = os.path.join(directory, "fsync-probe")
    block = os.urandom(4096)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        os.write(fd, block)
        os.fsync(fd)
        n += 1
    elapsed = time.perf_counter() - t0
    os.close(fd)
    os.remove(path)
    return n / elapsed


def weekdays(count):
    """Mon-Fri dates from three days on (every listed time is a slot on them)."""
    t, out = time.time() + 3 * 86400, []
    while len(out) < count:
        if time.gmtime(t).tm_wday < 5:
            out.append(time.strftime("%Y-%m-%d", time.gmtime(t)))
        t += 86400
    return out


def main():
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    data = tempfile.mkdtemp(prefix="daytona-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    raw = fsync_rate(data)

    port = free_port()
    env = dict(os.environ,
               DAYTONA_STORAGE__DATA_DIR=data,
               DAYTONA_SERVER__LISTEN=f"127.0.0.1:{port}",
               DAYTONA_BOOKING__CAPACITY_PER_SLOT="1000",
               DAYTONA_SECURITY__BOOKINGS_PER_HOUR="1000000000",
               RUST_LOG="warn")
    server = subprocess.Popen(["taskset", "-c", "0", BIN, "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close(); break
        except OSError:
            time.sleep(0.05)
    script = os.path.join(data, "post.lua")
    with open(script, "w") as f:
        dates = ", ".join(f'"{d}"' for d in weekdays(40))
        f.write(f"DATES = {{{dates}}}\n" + LUA)
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", script,
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    server.terminate(); server.wait()

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    db = sqlite3.connect(os.path.join(data, "daytona.db"))
    stored, refs = db.execute("SELECT COUNT(*), COUNT(DISTINCT booking_ref) FROM bookings").fetchone()
    db.close()
    shutil.rmtree(data, ignore_errors=True)

    acknowledged = requests - non2xx
    print(out.strip())
    print()
    print(f"raw fsync rate (4 KB write + fsync): {raw:8.0f} /s")
    print(f"POST /v1/bookings sustained:         {rps:8.0f} /s  ({rps / raw * 100:.0f} % of raw fsync)")
    print(f"acknowledged {acknowledged}, stored {stored}, distinct refs {refs}, non-2xx {non2xx}")
    # wrk may count a request whose response arrived after its deadline; the
    # server stored it anyway, so stored >= acknowledged is the invariant.
    ok = stored >= acknowledged and stored == refs and non2xx == 0
    print("no lost or duplicated booking" if ok else "MISMATCH: lost or duplicated bookings")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
