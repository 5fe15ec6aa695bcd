#!/usr/bin/env bash
# The system packages the tests use, installed when this user can (root, or sudo without a password);
# otherwise it stops at once with the one command to run. `make test` runs it first; so does CI.
#   chromium       the browser tests (Playwright drives Debian's Chromium: it cannot download its own)
#   tesseract-ocr  OCR of scanned PDF pages (English data included)
#   npm            fetches axe-core for the accessibility tests
#   util-linux     setpriv: the PostgreSQL tests start postgres as an unprivileged user
#   nginx          the compose postgres profile's proxy (docker/nginx.conf), run in front of two replicas
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
command -v npm >/dev/null || missing+=(npm)
command -v setpriv >/dev/null || missing+=(util-linux)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
  echo "== system packages: chromium, tesseract-ocr, npm, util-linux and nginx are installed"
  exit 0
fi
command="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null; then
  echo "error: the tests need ${missing[*]}, and this is not a Debian-like system (no apt-get):" >&2
  echo "install them with your package manager, then run make test again" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as=(sudo)
else
  echo "error: the tests need system packages this user cannot install: ${missing[*]}" >&2
  echo "run this once, then make test again:" >&2
  echo "  sudo sh -c '$command'" >&2
  exit 1
fi
echo "== system packages: installing ${missing[*]} with apt-get (about a minute)"
export DEBIAN_FRONTEND=noninteractive
"${as[@]}" apt-get update -qq
"${as[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "== system packages: installed ${missing[*]}"
