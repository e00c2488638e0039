#!/usr/bin/env bash
# LibreOffice Calc (headless) from Debian's packages, for the spreadsheet
# round-trip tests (a template saved by LibreOffice must import like one saved
# by openpyxl). Best effort: without root or apt-get those tests are skipped
# and say so.
set -uo pipefail
if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "LibreOffice is not installed (needs root and apt-get): its spreadsheet tests will be skipped" >&2
  exit 0
fi
echo "installing LibreOffice Calc (no GUI) from Debian's packages ..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends libreoffice-calc-nogui >/dev/null 2>&1; then
  apt-get update -q >/dev/null 2>&1
  apt-get install -y -q --no-install-recommends libreoffice-calc-nogui >/dev/null 2>&1 \
    || echo "LibreOffice could not be installed: its spreadsheet tests will be skipped" >&2
fi
exit 0
