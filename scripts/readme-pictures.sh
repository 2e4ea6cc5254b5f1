#!/usr/bin/env bash
# The README's pictures of a report: the HTML page as headless Chromium draws it, and the first
# page of the PDF as pdftoppm draws it. Both tools come from the system's packages (installed
# here when missing); the report is the saas example's October 2026 (examples/).
#
#   scripts/readme-pictures.sh            # writes docs/images/report-page.png, report-pdf.png
set -euo pipefail
cd "$(dirname "$0")/.."
make --quiet .venv/.installed-run
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if ((${#missing[@]})); then
  apt-get update -q && apt-get install -y -q "${missing[@]}"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report=(.venv/bin/accord report examples/agreements/saas.yaml
  --data examples/data/cloudnote-2026-10 --period 2026-10)
"${report[@]}" --format html -o "$work/report.html"
"${report[@]}" --format pdf -o "$work/report.pdf"
mkdir -p docs/images
# --no-sandbox: Chromium refuses to run as root with its sandbox (CI machines run as root)
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1500 \
  --screenshot="$PWD/docs/images/report-page.png" "file://$work/report.html" 2>/dev/null
pdftoppm -png -r 70 -f 1 -l 1 -singlefile "$work/report.pdf" docs/images/report-pdf
ls -l docs/images/report-page.png docs/images/report-pdf.png
