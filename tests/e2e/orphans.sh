#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No orphans: when imgbuild dies by SIGKILL (no handler runs), the programs
# it started (mkntfs, qemu-img, mtools) die with it instead of writing on.
# A stand-in records its pid and sleeps; imgbuild is killed while it runs,
# ten times for each tool, and the stand-in must be gone within 2 s.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
need_imgbuild
need setpriv
setup_tmp
stage_recipe small
export SLOW_TOOL_SECONDS=60
# Running, and not a zombie (a killed child whose new parent, pid 1 in a
# container, may never reap it still answers kill -0).
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2>/dev/null; }
for tool in mkntfs qemu-img mcopy; do
	log "SIGKILL while $tool runs"
	rm -rf "$T/fakebin"
	fake_tool "$tool" "$E2E/stubs/slow-tool"
	for i in $(seq 10); do
		export SLOW_TOOL_PIDFILE=$T/w/slow-$tool-$i.pid
		PATH=$T/fakebin:$PATH "${UNPRIV[@]}" "$IMGBUILD" build "$R" -o "$T/w/out" >/dev/null 2>&1 &
		ib=$!
		BGPIDS+=("$ib")
		for _ in $(seq 400); do [ -s "$SLOW_TOOL_PIDFILE" ] && break; sleep 0.05; done
		if [ ! -s "$SLOW_TOOL_PIDFILE" ]; then
			fail "$tool run $i: the build never started $tool"
			kill -KILL "$ib" 2>/dev/null
			wait "$ib" 2>/dev/null
			continue
		fi
		child=$(cat "$SLOW_TOOL_PIDFILE")
		kill -KILL "$ib"
		wait "$ib" 2>/dev/null
		for _ in $(seq 40); do alive "$child" || break; sleep 0.05; done
		if alive "$child"; then
			fail "$tool run $i: $tool (pid $child) outlived the killed imgbuild"
			kill -KILL "$child" 2>/dev/null
		fi
	done
done
# No guard or other process of those builds is left either.
left=$(pgrep -u "$NOBODY" -f "$T" || true)
[ -z "$left" ] || fail "processes left: $(ps -o pid,args -p "$(echo $left | tr ' ' ',')" 2>&1)"
finish
