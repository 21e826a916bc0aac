#!/usr/bin/env bash
# Measures the bot's memory as a real process: `bot run` against mastodon-sim, idle for a
# while, then through a flood of DMs from a non-admin. Prints the idle RSS and the peak RSS
# (VmHWM) against the budgets of the Mastodon issue: idle ≤ 30 MiB, flood peak ≤ 64 MiB.
# Usage: bench/rss.sh [FLOOD=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
flood=${1:-10000}
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/bot" ./cmd/bot
go build -o "$work/sim" ./cmd/mastodon-sim
go build -o "$work/flood" ./bench/flood

"$work/sim" --listen "127.0.0.1:$port" --bot tootops --admin alice --admin mallory \
	--bot-follows-admins --token-file "$work/token" --log-requests=false >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/token" ] && break; sleep 0.1; done
cat >"$work/config.toml" <<TOML
[mastodon]
server = "http://127.0.0.1:$port"
access_token_file = "$work/token"
[admins]
accounts = ["alice@127.0.0.1:$port"]
[state]
path = "$work/tootops.db"
[log]
level = "warn"
format = "json"
TOML
"$work/bot" run --config "$work/config.toml" 2>"$work/bot.log" &
bot=$!
pids+=($bot)

# statuses counts the bot's statuses (grep -c exits 1 on none, hence the "|| true").
statuses() { curl -s "http://127.0.0.1:$port/_sim/statuses?by=tootops" | grep -o '"id"' | grep -c . || true; }
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$bot/status"; } # kB
ask() { # sends a DM from alice and waits for the bot's answer to it
	local before after
	before=$(statuses)
	curl -s -d "$1" "http://127.0.0.1:$port/_sim/dm?from=alice" >/dev/null
	for _ in $(seq 600); do
		after=$(statuses)
		[ "$after" -gt "$before" ] && return 0
		sleep 0.1
	done
	echo "rss: no answer to $1" >&2
	return 1
}

ask ping
sleep 5
idle=$(rss VmRSS)
start=$(date +%s.%N)
"$work/flood" -sim "http://127.0.0.1:$port" -from mallory -n "$flood"
ask ping
end=$(date +%s.%N)
peak=$(rss VmHWM)
answers=$(statuses)
awk -v i="$idle" -v p="$peak" -v n="$flood" -v s="$start" -v e="$end" -v a="$answers" 'BEGIN {
	printf "idle RSS      %6.1f MiB  (budget 30 MiB, ratio %.2f)\n", i/1024, i/1024/30
	printf "flood peak    %6.1f MiB  (budget 64 MiB, ratio %.2f) over %d DMs from a non-admin\n", p/1024, p/1024/64, n
	printf "flood wall    %6.1f s    (%.0f DMs/s, sending included)\n", e-s, n/(e-s)
	printf "bot statuses  %6d      (the two answers to alice; strangers get none)\n", a
}'
