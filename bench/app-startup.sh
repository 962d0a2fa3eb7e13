#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Cold start of the desktop app: the time from exec to the `globichat` window being
# mapped, and its PSS 5 s later (/proc/PID/smaps_rollup), under Xvfb with
# GSK_RENDERER=cairo and a fresh HOME each run. Runs RUNS times (5) and prints each run
# and the medians. Targets (issue 2): mapped within 0.5 s, under 60 MiB PSS.
#
#   bench/app-startup.sh [BUILD_DIR]        (default: _build)
#
# Needs Xvfb, xdotool and dbus-run-session.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/_build}
build=$(cd "$build" && pwd)
app=$build/app/ui/globichat
runs=${RUNS:-5}
settle=${SETTLE_SECONDS:-5}

[ -x "$app" ] || { echo "no $app: build first (ninja -C $build)" >&2; exit 1; }
for tool in Xvfb xdotool dbus-run-session; do
  command -v $tool >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done

# One private session bus for the whole run, as a desktop session would have.
if [ -z "${GLOBI_BENCH_IN_BUS:-}" ]; then
  GLOBI_BENCH_IN_BUS=1 exec dbus-run-session -- "$0" "$build"
fi

display=:$(( $$ % 400 + 100 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
work=$(mktemp -d)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  kill "$xvfb" 2>/dev/null
  wait "$xvfb" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
export DISPLAY=$display

tries=0
until xdotool getdisplaygeometry >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ $tries -lt 100 ] || { echo "Xvfb did not start on $display" >&2; exit 1; }
  sleep 0.05
done

now_ns() {
  date +%s%N
}

: >"$work/results"
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  home=$work/home-$i
  mkdir -p "$home"

  start=$(now_ns)
  env HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
      XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" \
      GSK_RENDERER=cairo GDK_BACKEND=x11 \
      GSETTINGS_SCHEMA_DIR="$build/data" \
      "$app" >"$work/app-$i.log" 2>&1 &
  app_pid=$!

  # Poll as fast as xdotool runs (a few ms) for a viewable window of this process.
  mapped=
  while [ -z "$mapped" ]; do
    if ! kill -0 "$app_pid" 2>/dev/null; then
      echo "globichat exited before mapping a window:" >&2
      cat "$work/app-$i.log" >&2
      exit 1
    fi
    if xdotool search --onlyvisible --pid "$app_pid" >/dev/null 2>&1; then
      mapped=$(now_ns)
    elif [ $(( ($(now_ns) - start) / 1000000000 )) -ge 30 ]; then
      echo "no window after 30 s" >&2
      exit 1
    fi
  done

  sleep "$settle"
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$app_pid/smaps_rollup")
  kill "$app_pid"
  wait "$app_pid" 2>/dev/null || true
  app_pid=

  ms=$(( (mapped - start) / 1000000 ))
  awk -v i="$i" -v ms="$ms" -v pss="$pss" \
      'BEGIN { printf "run %d: mapped after %4d ms, PSS %.1f MiB\n", i, ms, pss / 1024 }'
  echo "$ms $pss" >>"$work/results"
done

sort -n -k1,1 "$work/results" | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "median: mapped after %d ms, ", $1 }'
sort -n -k2,2 "$work/results" | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "PSS %.1f MiB", $2 / 1024 }'
echo " (targets: 500 ms, 60 MiB; $runs runs, PSS $settle s after mapping, GSK_RENDERER=cairo)"
