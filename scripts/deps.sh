#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test everything:
# C toolchain and libraries for the vendored nginx (ngx crate), openssl for test
# certificates, Go for the cgo tests, valgrind, and the no-OS Rust target.
set -euo pipefail
need=()
for p in build-essential pkg-config clang libclang-dev libssl-dev libpcre2-dev zlib1g-dev \
         openssl golang-go valgrind python3 curl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx thumbv7em-none-eabihf \
    || rustup target add thumbv7em-none-eabihf
fi
