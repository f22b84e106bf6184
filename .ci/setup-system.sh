#!/usr/bin/env bash
# System packages the full suite needs beyond Python: Debian's Chromium for the admin browser tests.
# Idempotent; runs as root in CI (and by `make browser-deps` on a developer's machine).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
