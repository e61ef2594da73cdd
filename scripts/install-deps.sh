#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages imgbuild needs to build, run and test, if any is
# missing. Uses sudo when not root. Safe to run again: it does nothing when all
# are present. --fuzz: the fuzzing toolchain instead (clang and its libFuzzer).
set -eu

PKGS="build-essential pkg-config libyaml-dev zlib1g-dev libssl-dev ntfs-3g ntfs-3g-dev
 libcmocka-dev dosfstools mtools qemu-utils gdisk fdisk util-linux libhivex-dev libhivex-bin libelf-dev libarchive-dev libnbd-dev libxml2-dev libwim-dev binutils
 fuse3 mount time python3 libxml2-utils skopeo wimtools libarchive-tools libwin-hivex-perl"
if [ "${1:-}" = --fuzz ]; then
	PKGS="clang libclang-rt-14-dev"
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages:$missing (no apt-get here; install them by hand)" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
