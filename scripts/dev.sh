#!/usr/bin/env bash
# All services in one process with hot reload, on embedded defaults; the
# storefront at http://localhost:3000/ (built first when web/dist is missing
# or older than its sources).
# The REPL only on a terminal: without one, the end of stdin would stop the broker.
set -euo pipefail
cd "$(dirname "$0")/.."

web_sources=(web/src web/public web/index.html web/vite.config.mts clients/typescript contracts/countries.ts)
if [ ! -f web/dist/index.html ] || [ -n "$(find "${web_sources[@]}" -newer web/dist/index.html -type f -print -quit)" ]; then
  echo "Building the storefront (web/ -> web/dist)"
  vite build web --logLevel warn
fi

args=(--config moleculer.config.ts --mask "**/*.service.ts" --hot)
[ -t 0 ] && args+=(--repl)
export SERVICEDIR="${SERVICEDIR:-services}"
exec tsx node_modules/moleculer/bin/moleculer-runner.js "${args[@]}"
