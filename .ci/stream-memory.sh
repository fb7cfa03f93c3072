#!/usr/bin/env bash
# .ci/stream-memory.sh 'SERVER_CMD' PORT [ENTRIES] -- the memory each entry of one stream costs:
# used_memory before and after ENTRIES (default 1,000,000) `XADD big <i>-1 f <i>` (small fields,
# IDs one millisecond apart). thredis's used_memory is its resident set. Not part of CI: the
# README's Performance section quotes it.
#   e.g.  cargo build --release && .ci/stream-memory.sh target/release/thredis 7850
#         .ci/stream-memory.sh redis-server 7851
set -euo pipefail
CMD=$1; PORT=$2; N=${3:-1000000}
taskset -c 0 $CMD --port $PORT --save '' --appendonly no >/dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until redis-cli -p $PORT ping >/dev/null 2>&1; do sleep 0.1; done
used() { redis-cli -p $PORT info memory | grep '^used_memory:' | tr -d '\r' | cut -d: -f2; }
mem0=$(used)
python3 - "$N" <<'PY' | redis-cli -p $PORT --pipe >/dev/null
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer
for i in range(1, n + 1):
    parts = [b"XADD", b"big", b"%d-1" % i, b"f", b"%d" % i]
    out.write(b"*5\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
PY
len=$(redis-cli -p $PORT xlen big)
mem=$(used)
echo "entries=$len used_memory_delta=$((mem - mem0)) bytes/entry=$(( (mem - mem0) / N ))"
