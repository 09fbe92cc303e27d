#!/bin/sh
# cluster.sh: the real-cluster benchmark. redis-benchmark (SET and GET,
# 50 clients, 100-byte values, pipelining off and 16) against a 3-node
# raftsim cluster (fsync on every Ready) and a single redis-server with
# appendfsync always; etcdload (etcd's client, the same concurrency and
# value size) against a 3-node etcd cluster on loopback. Everything runs on
# 127.0.0.1 and is stopped at the end, also on Ctrl-C.
#
# Environment (all optional):
#   REQUESTS  requests per measurement (default 100000)
#   CLIENTS   concurrent clients (default 50)
#   SIZE      value size in bytes (default 100)
#   ETCD      etcd binary (default: etcd on PATH, Debian's etcd-server)
#   REDIS     redis-server binary (default: redis-server on PATH)
#
# Needs redis-benchmark, redis-server, etcd (apt-get install redis-tools
# redis-server etcd-server) and python3 (to pick free ports).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
go=${GO:-go}
requests=${REQUESTS:-100000}
clients=${CLIENTS:-50}
size=${SIZE:-100}
etcd=${ETCD:-etcd}
redis=${REDIS:-redis-server}

for tool in redis-benchmark redis-cli "$redis" "$etcd" python3 curl; do
	command -v "$tool" >/dev/null || { echo "cluster.sh: $tool is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 1
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# wait_for CMD...: retry a check for up to 30 s.
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "cluster.sh: timed out waiting for: $*" >&2; exit 1; }
		sleep 0.1
	done
}

# bench NAME PORT PIPELINE: one redis-benchmark run of SET and GET.
bench() {
	redis-benchmark -h 127.0.0.1 -p "$2" -t set,get -c "$clients" -d "$size" -r 100000 -n "$requests" -P "$3" --csv 2>/dev/null |
		awk -F, -v name="$1" -v p="$3" 'NR > 1 { gsub(/"/, ""); printf "%-34s %-4s P=%-3s %10.0f requests/s  p50 %7.3f ms  p99 %7.3f ms\n", name, $1, p, $2, $5, $7 }'
}

echo "building..." >&2
(cd "$root" && "$go" build -o "$tmp/raftsim" ./cmd/raftsim)
(cd "$here/etcdload" && "$go" build -o "$tmp/etcdload" .)

echo "machine: $(nproc) cores; $requests requests per measurement, $clients clients, $size-byte values"

# raftsim: 3 serve processes, fsync on every Ready.
"$tmp/raftsim" cluster --nodes 3 --data "$tmp/raftsim-data" --restart-after 0 >"$tmp/cluster.out" 2>&1 &
pids="$pids $!"
wait_for grep -q "leader: node" "$tmp/cluster.out"
lead=$(grep "leader: node" "$tmp/cluster.out" | tail -1 | sed 's/.*leader: node \([0-9]\).*/\1/')
lport=$(grep "^  node $lead " "$tmp/cluster.out" | sed 's/.*clients 127.0.0.1:\([0-9]*\).*/\1/')
fport=$(grep "^  node " "$tmp/cluster.out" | grep -v "^  node $lead " | head -1 | sed 's/.*clients 127.0.0.1:\([0-9]*\).*/\1/')
bench "raftsim 3 nodes (leader)" "$lport" 1
bench "raftsim 3 nodes (leader)" "$lport" 16
bench "raftsim 3 nodes (via a follower)" "$fport" 1
bench "raftsim 3 nodes (via a follower)" "$fport" 16
redis-cli -p "$lport" INFO raft | grep -E "fsyncs|fsynced_entries" | tr -d '\r' | sed 's/^/  leader /'

# etcd: 3 members on loopback, default fsync (a WAL fsync per batch).
cluster=""
for i in 1 2 3; do
	eval "cport$i=$(port)"
	eval "pport$i=$(port)"
	eval "pp=\$pport$i"
	cluster="$cluster${cluster:+,}e$i=http://127.0.0.1:$pp"
done
endpoints=""
for i in 1 2 3; do
	eval "cp=\$cport$i; pp=\$pport$i"
	"$etcd" --name "e$i" --data-dir "$tmp/etcd$i" --listen-client-urls "http://127.0.0.1:$cp" \
		--advertise-client-urls "http://127.0.0.1:$cp" --listen-peer-urls "http://127.0.0.1:$pp" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pp" --initial-cluster "$cluster" \
		--initial-cluster-state new --initial-cluster-token raftsim-bench --log-level error >"$tmp/etcd$i.log" 2>&1 &
	pids="$pids $!"
	endpoints="$endpoints${endpoints:+,}127.0.0.1:$cp"
done
for i in 1 2 3; do
	eval "cp=\$cport$i"
	wait_for sh -c "curl -s http://127.0.0.1:$cp/health | grep -q true"
done
echo "etcd $("$etcd" --version | head -1 | sed 's/etcd Version: //')"
for op in put get; do
	for k in 1 16; do
		"$tmp/etcdload" --endpoints "$endpoints" --op $op --clients "$clients" --inflight $k --requests "$requests" --size "$size" |
			awk -v k=$k '{ printf "%-34s %-4s P=%-3s %10.0f requests/s  p50 %7.3f ms  p99 %7.3f ms\n", "etcd 3 nodes (etcdload)", toupper($2) == "PUT" ? "SET" : "GET", k, $6, $9, $12 }'
	done
done

# redis-server alone, every write fsynced.
rport=$(port)
mkdir -p "$tmp/redis"
"$redis" --port "$rport" --bind 127.0.0.1 --appendonly yes --appendfsync always --save "" --dir "$tmp/redis" >"$tmp/redis.log" 2>&1 &
pids="$pids $!"
wait_for redis-cli -p "$rport" PING
bench "redis-server 1 node (fsync always)" "$rport" 1
bench "redis-server 1 node (fsync always)" "$rport" 16
