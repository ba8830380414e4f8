#!/usr/bin/env bash
# Installs the Debian and PyPI packages SkillCert needs, and only those that are missing.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

DEBS=(
  sqlite3 libsqlite3-dev          # embedded database and the CLI the tamper test uses
  postgresql postgresql-contrib   # production engine; tests start a private server
  libcairo2-dev libpango1.0-dev   # PDF rendering
  fonts-noto-cjk                  # CJK font embedded in PDFs
  libqrencode-dev                 # QR codes
  zlib1g-dev                      # reading uploaded ZIP archives (.xlsx, QTI)
  poppler-utils zbar-tools        # tests: PDF to PNG/text, QR decoding
  faketime                        # end-to-end test: serves the round again after the publicity period
  chromium chromium-driver        # browser tests
)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for the browser tests, in the project's own virtual environment.
VENV="${SKILLCERT_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import selenium, pytest, highspy, numpy, jwt, cryptography, schemathesis' 2>/dev/null; then
  echo "install-deps: installing selenium, pytest, PyJWT (independent credential check), highspy (benchmarks) and schemathesis (API fuzzing)"
  "$VENV/bin/pip" install -q --disable-pip-version-check selenium pytest highspy numpy "pyjwt[crypto]" "schemathesis==4.32.5"
fi
