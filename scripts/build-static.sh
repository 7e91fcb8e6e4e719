#!/usr/bin/env bash
# Builds the fully static release binary (musl, no OpenSSL, bundled SQLite)
# and proves it is static. Output: target/x86_64-unknown-linux-musl/release/daytona
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl

rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v musl-gcc >/dev/null; then
  # The C parts (SQLite, ring) need a musl C compiler.
  apt-get update -qq && apt-get install -y -qq musl-tools
fi
if cargo tree -e normal --target "$target" 2>/dev/null | grep -Eq '(^| )(openssl|openssl-sys|native-tls) '; then
  echo "OpenSSL found in the dependency tree; refusing to build" >&2
  exit 1
fi

start=$(date +%s)
CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked --target "$target"
end=$(date +%s)

bin="target/$target/release/daytona"
file "$bin"
if ldd "$bin" 2>&1 | grep -Eq 'not a dynamic executable|statically linked'; then
  echo "static: yes (ldd: $(ldd "$bin" 2>&1 | head -n1 | sed 's/^[[:space:]]*//'))"
else
  echo "binary is dynamically linked:" >&2
  ldd "$bin" >&2
  exit 1
fi
size=$(stat -c %s "$bin")
echo "size: $size bytes ($((size / 1024 / 1024)) MiB); build time: $((end - start)) s"
if [ "$size" -gt $((30 * 1024 * 1024)) ]; then
  echo "over the 30 MB budget" >&2
  exit 1
fi
