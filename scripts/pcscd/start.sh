#!/bin/sh
# Start pcscd in the foreground as a background job, for tests with a virtual card.
#
# pcscd runs with its own reader.conf.d ($dir/reader.conf.d, via pcscd -c), holding only
# the vpcd reader: FRIENDLYNAME "Virtual PCD", DEVICENAME /dev/null:<port>, CHANNELID
# <port>, so pcscd shows "Virtual PCD 00 00" and "Virtual PCD 00 01" and vpcd listens on
# <port> and <port>+1 (on all interfaces; countertop's card dials 127.0.0.1 only).
# <port> is $COUNTERTOP_VPCD_PORT, default 31963. Debian's own entry
# (/etc/reader.conf.d/vpcd) uses 35963 (0x8C7B), which lies inside Linux's ephemeral port
# range (32768-60999): any outgoing connection on a busy machine may hold that port and
# pcscd then fails to bind it ("Address already in use"), so the tests use a port below
# the range.
#
# The pid is recorded in $COUNTERTOP_PCSCD_DIR (default /tmp/countertop-pcscd) for stop.sh,
# and the log goes to pcscd.log there (PCSCD_DEBUG=1 adds --debug --apdu). A pcscd that is
# already running with vpcd on <port> is reused and left alone (no pid file is written, so
# stop.sh does not stop it). Exits non-zero with the reason when pcscd cannot be started.
#
# Packages: apt-get install -y pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools pkg-config gcc
set -eu

dir=${COUNTERTOP_PCSCD_DIR:-/tmp/countertop-pcscd}
port=${COUNTERTOP_VPCD_PORT:-31963}
port_hex=$(printf '%04X' "$port")
driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

die() { echo "scripts/pcscd/start.sh: $*" >&2; exit 1; }

# vpcd_listening: is some process listening on vpcd's port? (Checked in /proc, not by
# connecting: a connection to vpcd is a card insertion.)
vpcd_listening() {
	grep -qi ":$port_hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null
}

command -v pcscd >/dev/null 2>&1 || die "pcscd is not installed: run 'make test' (or apt-get install -y pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools pkg-config gcc)"
[ -e "$driver" ] || die "vsmartcard-vpcd is not installed ($driver missing): run 'make test' (or apt-get install -y vsmartcard-vpcd)"

mkdir -p "$dir/reader.conf.d"
cat >"$dir/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x$port_hex
LIBPATH      $driver
CHANNELID    0x$port_hex
CONF
if [ -f "$dir/pcscd.pid" ] && kill -0 "$(cat "$dir/pcscd.pid")" 2>/dev/null; then
	echo "pcscd already started by start.sh (pid $(cat "$dir/pcscd.pid"))"
	exit 0
fi
rm -f "$dir/pcscd.pid"
if [ -f /run/pcscd/pcscd.pid ] && kill -0 "$(cat /run/pcscd/pcscd.pid)" 2>/dev/null; then
	vpcd_listening || die "a pcscd (pid $(cat /run/pcscd/pcscd.pid)) runs without vpcd on port $port; stop it first"
	echo "reusing the running pcscd (pid $(cat /run/pcscd/pcscd.pid)); stop.sh will leave it alone"
	exit 0
fi

pcscd --foreground --config "$dir/reader.conf.d" ${PCSCD_DEBUG:+--debug --apdu} >"$dir/pcscd.log" 2>&1 &
pid=$!
echo "$pid" >"$dir/pcscd.pid"

# Ready when vpcd listens and the client socket exists; give up after 10 s.
i=0
while :; do
	if vpcd_listening && [ -S /run/pcscd/pcscd.comm ]; then
		echo "pcscd started (pid $pid, vpcd on port $port, log $dir/pcscd.log)"
		exit 0
	fi
	if grep -qs "Open Port .* Failed" "$dir/pcscd.log"; then
		kill "$pid" 2>/dev/null || true
		rm -f "$dir/pcscd.pid"
		die "vpcd could not listen on port $port; log: $(cat "$dir/pcscd.log")"
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$dir/pcscd.pid"
		die "pcscd exited at start; log: $(cat "$dir/pcscd.log")"
	fi
	i=$((i + 1))
	if [ "$i" -ge 100 ]; then
		kill "$pid" 2>/dev/null || true
		rm -f "$dir/pcscd.pid"
		die "pcscd did not become ready in 10 s; log: $(cat "$dir/pcscd.log")"
	fi
	sleep 0.1
done
