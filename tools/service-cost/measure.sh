#!/usr/bin/env bash
# tools/service-cost/measure.sh: what the service costs on this host (README.md,
# "Performance"). Builds the agent and the fake SMS, then runs `sms-agent service run`
# (root: discovery as the service does it) against the fake on 127.0.0.1:
#   1. idle: the default interval (1 h); after the first cycle, VmRSS and CPU are read
#      from /proc every 10 s for IDLE seconds (default 120);
#   2. cycles: interval 2s for CYCLES_FOR seconds (default 60): CPU per cycle, children
#      (blkid, lvm, the statfs helpers) included once reaped;
#   3. the baseline: `sms-agent discover --json` CPU, the same host, RUNS times.
# CPU per hour at the default interval = idle CPU per hour + one cycle.
set -euo pipefail
cd "$(dirname "$0")/../.."
IDLE=${IDLE:-120} CYCLES_FOR=${CYCLES_FOR:-60} RUNS=${RUNS:-20} PORT=${PORT:-18190}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)
go build -o "$tmp/sms-agent" ./cmd/sms-agent
go build -o "$tmp/sms-fake" ./cmd/sms-fake
SMS_FAKE_AK=measureak SMS_FAKE_SK=measuresecret "$tmp/sms-fake" --port "$PORT" >/dev/null &
pids+=($!)
sleep 0.5
conf() { # conf INTERVAL
	printf 'endpoint = http://127.0.0.1:%s\nregion = ap-southeast-3\nproject_id = 0123456789abcdef0123456789abcdef\nak = measureak\nsk = measuresecret\nstate_dir = %s/state-%s\ninterval = %s\n' \
		"$PORT" "$tmp" "$1" "$1" >"$tmp/$1.conf"
	chmod 600 "$tmp/$1.conf"
	echo "$tmp/$1.conf"
}
# cpu PID: utime+stime+cutime+cstime in clock ticks
cpu() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cycles() {
	local c
	c=$(grep -c '"cycle done"' "$1" 2>/dev/null || true)
	echo "${c:-0}"
}
# sched_ns PID: CPU time of all the process's threads in ns (/proc/PID/task/*/schedstat)
sched_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s}'; }

# 1. idle
log=$tmp/idle.log
"$tmp/sms-agent" service run --config "$(conf 1h)" 2>"$log" &
pid=$!
pids+=($pid)
until [ "$(cycles "$log")" -ge 1 ]; do sleep 0.2; done
sleep 2
c0=$(sched_ns $pid) r_max=0 r_sum=0 n=0
for ((s = 0; s < IDLE; s += 10)); do
	sleep 10
	r=$(rss $pid)
	r_sum=$((r_sum + r)) n=$((n + 1))
	((r > r_max)) && r_max=$r
done
c1=$(sched_ns $pid)
first=$(grep '"cycle done"' "$log" | head -1 | sed 's/.*"took":\([0-9]*\).*/\1/')
kill $pid
echo "idle: VmRSS mean $((r_sum / n)) KiB, max $r_max KiB over ${IDLE}s after the first cycle (which took ${first} ms)"
echo "idle: CPU $(((c1 - c0) / 1000)) µs in ${IDLE}s (schedstat)"
idle_ms_h=$(((c1 - c0) / 1000000 * 3600 / IDLE))

# 2. cycles
log=$tmp/cycles.log
"$tmp/sms-agent" service run --config "$(conf 2s)" 2>"$log" &
pid=$!
pids+=($pid)
until [ "$(cycles "$log")" -ge 1 ]; do sleep 0.2; done
k0=$(cycles "$log") c0=$(cpu $pid)
sleep "$CYCLES_FOR"
k1=$(cycles "$log") c1=$(cpu $pid) r=$(rss $pid)
kill $pid
per=$(((c1 - c0) * 1000 / hz / (k1 - k0)))
echo "cycles: $((k1 - k0)) cycles in ${CYCLES_FOR}s, CPU $(((c1 - c0) * 1000 / hz)) ms: ${per} ms per cycle; VmRSS at the end $r KiB"

# 3. baseline: discover --json, as a whole process
b0=$(awk '{print $16+$17}' /proc/$$/stat)
for ((i = 0; i < RUNS; i++)); do "$tmp/sms-agent" discover --json >/dev/null 2>&1 || true; done
b1=$(awk '{print $16+$17}' /proc/$$/stat)
base=$(((b1 - b0) * 1000 / hz / RUNS))
echo "baseline: sms-agent discover --json: ${base} ms CPU per run (${RUNS} runs)"
echo "CPU per hour at the default interval: ${idle_ms_h} ms idle + ${per} ms for the cycle = $((idle_ms_h + per)) ms"
