#!/usr/bin/env bash
# The README's test command (`npm test`): types, lint, build, jest, then the
# storefront in a real browser (Playwright, playwright.config.ts). Arguments go
# to jest. The browser suite runs even when jest failed, so one run reports both.
# For CI's summary: JEST_JSON and PLAYWRIGHT_JSON_OUTPUT_FILE name files that
# get each runner's JSON report.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run typecheck
npm run lint
npm run build

status=0
jest ${JEST_JSON:+--json --outputFile="$JEST_JSON"} "$@" || status=$?
playwright test || status=$?
exit "$status"
