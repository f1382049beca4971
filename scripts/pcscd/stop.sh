#!/bin/sh
# Stop the pcscd that start.sh started (by the pid it recorded), waiting up to 5 s for
# it to exit before killing it. A pcscd that start.sh did not start is left alone.
set -eu

dir=${COUNTERTOP_PCSCD_DIR:-/tmp/countertop-pcscd}
[ -f "$dir/pcscd.pid" ] || { echo "no pcscd started by start.sh"; exit 0; }
pid=$(cat "$dir/pcscd.pid")
rm -f "$dir/pcscd.pid"
kill -0 "$pid" 2>/dev/null || { echo "pcscd (pid $pid) already gone"; exit 0; }
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -ge 50 ]; then
		echo "pcscd (pid $pid) ignored SIGTERM for 5 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		break
	fi
	sleep 0.1
done
echo "pcscd (pid $pid) stopped"
