#!/usr/bin/env bash
# System packages the full suite needs beyond Python: Debian's Chromium for the admin browser tests
# and GNU gettext for the check that `makemessages` finds no untranslated string.
# Idempotent; runs as root in CI (and by `make browser-deps` on a developer's machine).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null 2>&1 && chromium --version
xgettext --version | head -1
