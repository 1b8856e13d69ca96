#!/usr/bin/env bash
# Installs every Debian 12 package telle needs to build, test and run its demo.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang
  libclang-rt-14-dev
  libtiff-dev libtiff-tools libpng-dev
  libopencv-core-dev libopencv-imgproc-dev
  libsane-dev sane-utils libsane1
  libzbar-dev zbar-tools
  check libjansson-dev libsqlite3-dev sqlite3
  libmicrohttpd-dev libsodium-dev libssl-dev libcairo2-dev
  fonts-dejavu-core fonts-dejavu-extra
  fonts-kristi fonts-sjfonts fonts-bwht fonts-rufscript
  poppler-utils jq
  libxml2-utils
  chromium
  python3-jsonschema
)

# The browser tests' driver: playwright-core from npm, driving Debian's
# chromium (`npx playwright install` is not used; no browser is downloaded).
# Node.js and npm come with the machine; Debian's are the fallback (they
# conflict with an installed nodesource nodejs, so they are not in the list).
npm_deps() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/verify/browser"
  if ! command -v npm >/dev/null; then
    $([ "$(id -u)" -eq 0 ] || echo sudo) apt-get install -y -q nodejs npm
  fi
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules/playwright-core" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  npm_deps
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
npm_deps
