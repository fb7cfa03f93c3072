#!/usr/bin/env bash
# .ci/repl-bench.sh 'SERVER_CMD' BASEPORT -- what replicas cost a master (issue 11's benchmark):
#   1. SET and INCR throughput on the master with 0, 1 and 4 replicas (of the same server)
#      attached, c50/P1 and c50/P32;
#   2. a full sync of 1,000,000 keys: seconds until the replica's link is up, and the master's
#      resident memory at its peak during the sync beside before it;
#   3. the replication lag under a steady write load: master_repl_offset minus the replica's
#      acknowledged offset, sampled 20 times a second for 5 seconds (p50, p99, in bytes).
# Not part of CI: the README's Performance section quotes it. Run it for thredis and for
# redis-server on the same machine, one after the other:
#   cargo build --release && .ci/repl-bench.sh target/release/thredis 7900
#   .ci/repl-bench.sh redis-server 7950
# The master is pinned to CPU 0; its replicas and redis-benchmark share CPU 1 (on a 2-CPU machine,
# as a replica on another host would not take the master's CPU). Needs redis-cli, redis-benchmark.
set -euo pipefail
CMD=$1; BASE=$2; N=${N:-200000}
DIR=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"' EXIT

start() { # start CPU PORT [args...]: a server in its own directory, no persistence
  local cpu=$1 port=$2; shift 2
  mkdir -p "$DIR/$port"
  (cd "$DIR/$port" && exec taskset -c "$cpu" $CMD --port "$port" --save '' --appendonly no \
    --enable-debug-command yes --repl-diskless-sync-delay 0 "$@" >/dev/null 2>&1) &
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
}
field() { redis-cli -p "$1" info "$2" | tr -d '\r' | grep "^$3:" | cut -d: -f2; }
stop() { redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true; }
online() { # online MASTER COUNT: wait until COUNT replicas are online
  until [ "$(redis-cli -p "$1" info replication | grep -c 'state=online')" -ge "$2" ]; do sleep 0.05; done
}
rps() { taskset -c 1 redis-benchmark -p "$1" -c 50 -P "$2" -n "$N" -r 100000 --csv "${@:3}" | tail -1 | cut -d, -f2 | tr -d '"'; }

echo "== throughput (requests/s), master on :$BASE"
for replicas in 0 1 4; do
  start 0 "$BASE"
  for i in $(seq 1 "$replicas"); do
    start 1 $((BASE + i)) --replicaof 127.0.0.1 "$BASE"
  done
  online "$BASE" "$replicas"
  line="replicas=$replicas"
  for p in 1 32; do
    line="$line set_P$p=$(rps "$BASE" "$p" SET key:__rand_int__ xxxxxxxxxx) incr_P$p=$(rps "$BASE" "$p" INCR counter:__rand_int__)"
  done
  echo "$line"
  for i in $(seq 0 "$replicas"); do stop $((BASE + i)); done
  sleep 0.5
done

echo "== full sync of 1,000,000 keys"
start 0 "$BASE"
redis-cli -p "$BASE" debug populate 1000000 >/dev/null
rss0=$(field "$BASE" memory used_memory_rss)
start 1 $((BASE + 1))
t0=$(date +%s.%N)
redis-cli -p $((BASE + 1)) replicaof 127.0.0.1 "$BASE" >/dev/null
peak=$rss0
until [ "$(field $((BASE + 1)) replication master_link_status)" = up ]; do
  rss=$(field "$BASE" memory used_memory_rss); [ "$rss" -gt "$peak" ] && peak=$rss
  sleep 0.02
done
t1=$(date +%s.%N)
echo "seconds=$(echo "$t1 - $t0" | bc) master_rss_before=$rss0 master_rss_peak=$peak extra=$((peak - rss0))"

echo "== lag under a steady write load (one replica)"
taskset -c 1 redis-benchmark -p "$BASE" -c 10 -n 100000000 -r 100000 SET key:__rand_int__ v >/dev/null 2>&1 &
LOAD=$!
sleep 1
for _ in $(seq 1 100); do
  master=$(field "$BASE" replication master_repl_offset)
  acked=$(redis-cli -p "$BASE" info replication | tr -d '\r' | grep '^slave0:' | sed 's/.*offset=\([0-9]*\).*/\1/')
  echo $((master - acked))
  sleep 0.05
done | sort -n | awk '{a[NR]=$1} END {print "lag_bytes p50=" a[int(NR*0.5)] " p99=" a[int(NR*0.99)]}'
kill $LOAD 2>/dev/null || true
stop "$BASE"; stop $((BASE + 1))
