#!/usr/bin/env bash
# Set up on a fresh machine and serve the product on its embedded default:
# SQLite under ./var, in-memory stores, tasks in process, sandbox gateways mounted at /sandbox.
# Extra arguments go to `zhushida serve` (e.g. --port 8080).
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
.venv/bin/zhushida db upgrade
.venv/bin/zhushida seed demo
exec .venv/bin/zhushida serve "$@"
