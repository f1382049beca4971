#!/bin/sh
# Run the PC/SC integration suites — internal/integration (posd, devsim and
# acquirer-sim as real processes on pcscd+vpcd, pseudo-terminals and TCP) and the
# PC/SC half of cmd/posctl (devices, card apdu, card read) — against one pcscd,
# started here when none runs and stopped at the end (scripts/pcscd/start.sh, stop.sh).
#
# The packages run one after the other (go test -p 1): they share vpcd's slot 0
# ("Virtual PCD 00 00", COUNTERTOP_VPCD_PORT) and must not run beside hal/pcsc's tests,
# which also stop and restart pcscd.
#
#   scripts/integration.sh [go test flags, e.g. -v -run Chip]
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}

started=
if ! [ -S /run/pcscd/pcscd.comm ] || ! [ -f /run/pcscd/pcscd.pid ] || ! kill -0 "$(cat /run/pcscd/pcscd.pid)" 2>/dev/null; then
	scripts/pcscd/start.sh
	started=1
fi
status=0
timeout 300 $GO test -count=1 -p 1 -tags pcsc "$@" ./internal/integration/ ./cmd/posctl/ || status=$?
if [ -n "$started" ]; then
	scripts/pcscd/stop.sh
fi
exit $status
