#!/usr/bin/env python3
"""The public stock pages against nginx serving the same bytes (a benchmark, not a test).

    python3 scripts/bench-vehicles.py [path/to/daytona] [seconds]

1. Starts daytona (pinned to core 0 with taskset) on a fresh data dir and
   stocks it with 500 vehicles through the admin API; the newest 40 (the
   first two pages) get a photo.
2. Saves the exact bodies of GET /vehicles and GET /v1/vehicles and serves
   them as static files from nginx (Debian package, one worker, also pinned
   to core 0, access log off, sendfile on).
3. Runs wrk on core 1 (127.0.0.1 only, keep-alive) against each of the four
   URLs, one at a time, and compares requests per second.
Target: daytona >= 50 % of nginx for both pages.

Needs wrk and nginx (installed with apt-get if missing).
"""
import os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stock import add_vehicles, login  # noqa: E402

STATIC = "target/x86_64-unknown-linux-musl/release/daytona"
BIN = sys.argv[1] if len(sys.argv) > 1 else (STATIC if os.path.exists(STATIC) else "target/release/daytona")
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CONNECTIONS = int(os.environ.get("CONNECTIONS", "32"))
VEHICLES = 500
WITH_PHOTOS = 40
PASSWORD = "bench password 123"



def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close(); return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ text/html html; application/json json; }}
    client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
    server {{ listen 127.0.0.1:{port}; root {dir}/www; }}
}}
"""


def wrk(url):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", url],
                         capture_output=True, text=True, check=True).stdout
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    if non2xx:
        raise SystemExit(f"{url}: {non2xx} non-2xx responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    for tool, pkg in [("wrk", "wrk"), ("nginx", "nginx-light")]:
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            subprocess.run(["apt-get", "install", "-y", "-qq", pkg], check=True)
    work = tempfile.mkdtemp(prefix="daytona-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    data = os.path.join(work, "data")
    port, nginx_port = free_port(), free_port()
    env = dict(os.environ, DAYTONA_STORAGE__DATA_DIR=data, DAYTONA_SERVER__LISTEN=f"127.0.0.1:{port}",
               RUST_LOG="warn")
    subprocess.run([BIN, "admin", "create", "--email", "bench@daytona.mw", "--name", "Bench", "--role", "admin",
                    "--password-stdin"], input=PASSWORD, text=True, env=env, check=True, capture_output=True)
    server = subprocess.Popen(["taskset", "-c", "0", BIN, "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = None
    try:
        wait_for(port)
        base = f"http://127.0.0.1:{port}"
        token = login(base, "bench@daytona.mw", PASSWORD)
        t0 = time.time()
        photos = add_vehicles(base, token, VEHICLES, WITH_PHOTOS)
        print(f"stocked {VEHICLES} vehicles ({photos} with a photo) in {time.time() - t0:.0f} s")

        www = os.path.join(work, "www")
        os.makedirs(www); os.makedirs(os.path.join(work, "tmp"))
        os.chmod(work, 0o755)  # nginx workers drop to an unprivileged user
        pages = {"/vehicles": "vehicles.html", "/v1/vehicles": "vehicles.json"}
        for path, name in pages.items():
            with open(os.path.join(www, name), "wb") as f:
                f.write(urllib.request.urlopen(base + path).read())
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=work, port=nginx_port))
        nginx = subprocess.Popen(["taskset", "-c", "0", "/usr/sbin/nginx", "-c", conf, "-p", work],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(nginx_port)

        ok = True
        for path, name in pages.items():
            ours_url, theirs_url = base + path, f"http://127.0.0.1:{nginx_port}/{name}"
            ours_body = urllib.request.urlopen(ours_url).read()
            theirs_body = urllib.request.urlopen(theirs_url).read()
            assert ours_body == theirs_body, f"{path}: bodies differ"
            ours, theirs = wrk(ours_url), wrk(theirs_url)
            share = ours / theirs * 100
            ok &= share >= 50
            print(f"{path:14} {len(ours_body):7} bytes  daytona {ours:9.0f} req/s  nginx {theirs:9.0f} req/s  "
                  f"= {share:5.1f} % (target >= 50 %)")
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)
    finally:
        server.terminate(); server.wait()
        if nginx:
            nginx.terminate(); nginx.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
