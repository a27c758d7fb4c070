#!/usr/bin/env bash
# All services in one process with hot reload, on embedded defaults.
# The REPL only on a terminal: without one, the end of stdin would stop the broker.
set -euo pipefail
args=(--config moleculer.config.ts --mask "**/*.service.ts" --hot)
[ -t 0 ] && args+=(--repl)
export SERVICEDIR="${SERVICEDIR:-services}"
exec tsx node_modules/moleculer/bin/moleculer-runner.js "${args[@]}"
