#!/usr/bin/env bash
# npm test: the same installs as npm start, then lint and every test (unit and system), then a
# one-line summary "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
VMCTL_SETUP_TESTS=1 bash scripts/setup.sh || exit 1
npx eslint . || exit 1
(cd packages/web && npx tsc -p tsconfig.json --noEmit) || exit 1
mkdir -p test-artifacts
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit $status
