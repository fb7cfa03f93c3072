#!/usr/bin/env bash
# .ci/zset-scale.sh 'SERVER_CMD' PORT -- ZADD and ZRANK throughput on one sorted set of 1k to 10M
# members, and the memory each member costs (used_memory before and after filling it; thredis's
# used_memory is its resident set). Not part of CI: the README's Performance section quotes it.
#   e.g.  cargo build --release && .ci/zset-scale.sh target/release/thredis 7840
#         .ci/zset-scale.sh redis-server 7841
# The server is pinned to CPU 0 and redis-benchmark to CPU 1. Needs redis-cli, redis-benchmark.
set -euo pipefail
CMD=$1; PORT=$2; SIZES=${SIZES:-"1000 10000 100000 1000000 10000000"}
for N in $SIZES; do
  taskset -c 0 $CMD --port $PORT --save '' --appendonly no >/dev/null 2>&1 &
  PID=$!
  until redis-cli -p $PORT ping >/dev/null 2>&1; do sleep 0.1; done
  mem0=$(redis-cli -p $PORT info memory | grep '^used_memory:' | tr -d '\r' | cut -d: -f2)
  python3 - "$N" <<'PY' | redis-cli -p $PORT --pipe >/dev/null
import sys
n=int(sys.argv[1]); out=sys.stdout.buffer; step=1000
for start in range(0,n,step):
    end=min(n,start+step); parts=[b"ZADD", b"big"]
    for i in range(start,end):
        parts.append(str(i).encode()); parts.append(b"m:%012d" % i)
    out.write(b"*%d\r\n" % len(parts))
    for p in parts: out.write(b"$%d\r\n%s\r\n" % (len(p), p))
PY
  card=$(redis-cli -p $PORT zcard big)
  mem=$(redis-cli -p $PORT info memory | grep '^used_memory:' | tr -d '\r' | cut -d: -f2)
  zadd=$(taskset -c 1 redis-benchmark -p $PORT -c 50 -P 32 -n 500000 -r $N --csv ZADD big __rand_int__ m:__rand_int__ | tail -1 | cut -d, -f2 | tr -d '"')
  zrank=$(taskset -c 1 redis-benchmark -p $PORT -c 50 -P 32 -n 500000 -r $N --csv ZRANK big m:__rand_int__ | tail -1 | cut -d, -f2 | tr -d '"')
  echo "$N card=$card used_memory=$mem bytes/member=$(( (mem - mem0) / N )) zadd=$zadd zrank=$zrank"
  kill $PID; wait $PID 2>/dev/null || true
done
