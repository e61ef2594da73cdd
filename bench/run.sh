#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmark (issue 7): imgbuild against the manual root pipeline, wimlib,
# libguestfs and the floor, on the same job. `make bench` runs it; it is not
# part of `make check`. Needs root (loop devices and mounts for the manual
# pipeline and for verifying every output): re-runs itself with sudo.
#
#   bench/run.sh            full run: N=5, scaling runs, libguestfs; writes the
#                           table into bench/README.md (about 15-20 minutes)
#   bench/run.sh --quick    N=3, no scaling, no libguestfs, README untouched
#   bench/run.sh --help     every option (bench/bench.py)
#
# Installs the benchmark-only Debian packages it needs (not make check's).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

if [ "$(id -u)" -ne 0 ]; then
	exec sudo -E "$0" "$@"
fi

quick=0
for a in "$@"; do
	case "$a" in --quick|--no-guestfs) quick=1 ;; esac
done

# wimtools: the wimlib peer. libguestfs-tools + a kernel for its appliance
# (supermin needs one in /boot): the libguestfs peer, skipped by --quick.
pkgs="wimtools time util-linux qemu-utils gdisk dosfstools ntfs-3g python3"
[ "$quick" = 1 ] || pkgs="$pkgs libguestfs-tools linux-image-cloud-amd64"
missing=""
for p in $pkgs; do
	case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
# Any installed kernel image will do for supermin.
case "$missing" in
*linux-image-cloud-amd64*)
	if ls /boot/vmlinuz-* >/dev/null 2>&1; then
		missing=$(echo "$missing" | sed 's/ linux-image-cloud-amd64//')
	fi ;;
esac
if [ -n "$missing" ]; then
	echo "bench: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x "$repo/build/rel/imgbuild" ] || make -C "$repo" --no-print-directory build/rel/imgbuild
# /usr/bin/python3: the distribution's, the same on every machine of this kind.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/bench.py" "$@"
