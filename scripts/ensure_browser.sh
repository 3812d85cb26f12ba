#!/usr/bin/env sh
# The admin browser tests drive Chromium from the distribution (Debian's chromium and
# chromium-driver). Install them when they are missing and this can: as root with apt-get.
# Otherwise say how; the browser tests then fail with the same instruction (never skipped).
set -eu
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium and chromium-driver for the admin browser tests..."
  # Another install may be running (two test runs at once): wait for its lock.
  apt="apt-get -o DPkg::Lock::Timeout=900 -y -q"
  DEBIAN_FRONTEND=noninteractive $apt install chromium chromium-driver >/dev/null \
    || { $apt update >/dev/null && DEBIAN_FRONTEND=noninteractive \
         $apt install chromium chromium-driver >/dev/null; }
  exit 0
fi
echo "The admin browser tests need Chromium and ChromeDriver: install your distribution's" \
  "chromium and chromium-driver packages (they fail until then)." >&2
