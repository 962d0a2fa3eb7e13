#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# GET /healthz under load: starts globichat-server on a fresh data directory, runs
# `wrk -c64 -t2 -d10s` against it, and prints requests/s, latency and the server's RSS
# idle and under load (VmRSS from /proc/PID/status). Figures, not pass/fail.
#
#   bench/server-load.sh [BUILD_DIR]        (default: _build)
#
# Environment: CONNECTIONS (64), THREADS (2), DURATION (10s), URL_PATH (/healthz).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/_build}
server=$build/backend/globichat-server
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
duration=${DURATION:-10s}
path=${URL_PATH:-/healthz}

[ -x "$server" ] || { echo "no $server: build first (ninja -C $build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

data=$(mktemp -d)
log=$data.log
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$data" "$log"
}
trap cleanup EXIT INT TERM

# A free port from the kernel, then handed to the server.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

"$server" --listen "127.0.0.1:$port" --data "$data" --log-level warning >"$log" 2>&1 &
pid=$!

tries=0
until curl -fsS "$url/healthz" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ $tries -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "server did not come up:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

sleep 1
idle=$(rss_kib)

# Sample RSS while wrk runs and keep the peak.
peak_file=$data.peak
echo 0 >"$peak_file"
(
  while kill -0 "$pid" 2>/dev/null; do
    now=$(rss_kib 2>/dev/null || echo 0)
    [ "${now:-0}" -gt "$(cat "$peak_file")" ] && echo "$now" >"$peak_file"
    sleep 0.2
  done
) &
sampler=$!

out=$(wrk -c"$connections" -t"$threads" -d"$duration" --latency "$url$path")
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
peak=$(cat "$peak_file")
rm -f "$peak_file"
after=$(rss_kib)

echo "$out"
echo
echo "globichat-server $path, $connections connections, $threads wrk threads, $duration:"
echo "$out" | awk '/^Requests\/sec:/ { printf "  requests/s:       %s\n", $2 }
                   /^    Latency/ && !lat { printf "  latency avg:      %s (stdev %s, max %s)\n", $2, $3, $4; lat = 1 }
                   /^     50%/ { printf "  latency p50:      %s\n", $2 }
                   /^     99%/ { printf "  latency p99:      %s\n", $2 }
                   /Non-2xx/ { printf "  non-2xx replies:  %s\n", $NF }
                   /Socket errors/ { printf "  socket errors:    %s\n", $0 }'
awk -v idle="$idle" -v peak="$peak" -v after="$after" 'BEGIN {
  printf "  RSS idle:         %.1f MiB\n", idle / 1024
  printf "  RSS under load:   %.1f MiB (peak)\n", peak / 1024
  printf "  RSS after load:   %.1f MiB\n", after / 1024
}'
