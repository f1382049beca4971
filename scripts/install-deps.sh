#!/bin/sh
# Installs what the full test suite needs and a fresh machine lacks: the PC/SC stack
# (pcscd, libpcsclite-dev and pkg-config for the cgo build of hal/pcsc, and the
# vsmartcard vpcd reader driver for the virtual card), and GNU Unifont, with which the
# printer simulator draws slips as PNG. Does nothing when all are there.
# `make run` needs none of this.
set -eu
pkgs="pcscd libpcsclite-dev pkg-config vsmartcard-vpcd pcsc-tools unifont"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
