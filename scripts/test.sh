#!/usr/bin/env bash
# npm test: the same installs as npm start, then lint and every test (unit, system and the slow tier
# with the Debian guest), then a one-line summary "tests: N passed, N failed, N skipped".
# VMCTL_SLOW_TESTS=0 npm test leaves the slow tier out (and the Debian guest's build with it).
set -uo pipefail
cd "$(dirname "$0")/.."
export VMCTL_SLOW_TESTS=${VMCTL_SLOW_TESTS:-1}
# The slow tier boots the Debian 12 guest: its set-up installs debootstrap, genisoimage and the ssh
# client and builds the guest (cached; a few minutes the first time).
debian=0
[[ $VMCTL_SLOW_TESTS == 1 ]] && debian=1
VMCTL_SETUP_TESTS=1 VMCTL_SETUP_DEBIAN=$debian bash scripts/setup.sh || exit 1
npx eslint . || exit 1
(cd packages/web && npx tsc -p tsconfig.json --noEmit) || exit 1
mkdir -p test-artifacts
# One run, one report: with VMCTL_SLOW_TESTS=1 the "slow" project runs after unit and system.
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
node scripts/test-summary.mjs test-artifacts/vitest.json || status=1
exit $status
