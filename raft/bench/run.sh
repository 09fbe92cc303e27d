#!/bin/sh
# run.sh: benchmark raftsim's Raft core against etcd's raft v3.6.0 and
# v3.7.0 in one invocation and print the comparison table.
#
# Environment (all optional):
#   BENCHTIME  commits per benchmark run, the same for every implementation
#              so that all grow logs of equal length (default 100000x);
#              a duration (1s) lets faster ones run longer logs instead
#   COUNT      runs of every benchmark, interleaved across the
#              implementations so that a load spike hits all (default 3)
#   BENCH      -bench pattern (default .; e.g. /nodes=3/ or /sequential)
#   OUT        also keep the raw `go test` output there, for benchstat
#
# Exit status: 0 with a table; 1 when a benchmark failed (the table then
# lacks its figures); other non-zero when a build fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
benchtime=${BENCHTIME:-100000x}
count=${COUNT:-3}
pattern=${BENCH:-.}
go=${GO:-go}

case $count in
'' | *[!0-9]* | 0) echo "run.sh: COUNT must be a positive integer, got '$count'" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "building..." >&2
(cd "$here" && "$go" test -c -o "$tmp/main.test" .)
(cd "$here/etcd36" && "$go" test -c -o "$tmp/etcd36.test" .)
(cd "$here/driver" && "$go" build -o "$tmp/benchtable" ./benchtable)

# A result line: name, iterations, then measurements.
result='^Benchmark[^[:space:]]+[[:space:]]+[0-9]+[[:space:]]'
raw="$tmp/raw.txt"
: >"$raw"
: >"$tmp/failures.txt"
i=1
while [ "$i" -le "$count" ]; do
	for bin in main etcd36; do
		echo "run $i/$count: $bin (benchtime $benchtime)" >&2
		# A failed benchmark (a check, or its time budget) does not stop
		# the others; its messages are reported after the table.
		if ! "$tmp/$bin.test" -test.run '^$' -test.bench "$pattern" \
			-test.benchtime "$benchtime" -test.benchmem >"$tmp/run.txt" 2>&1; then
			grep -Ev "$result|^(goos|goarch|pkg|cpu|PASS|FAIL$|ok )" "$tmp/run.txt" |
				sed "s|^|run $i, $bin: |" | tee -a "$tmp/failures.txt" >&2
		fi
		grep '^cpu:' "$tmp/run.txt" >"$tmp/cpu.txt" || true
		grep -E "$result" "$tmp/run.txt" | tee -a "$raw" >&2 || true
	done
	i=$((i + 1))
done
if [ -n "${OUT:-}" ]; then
	cp "$raw" "$OUT"
fi

echo
echo "raftsim vs etcd raft: $("$go" env GOVERSION) $("$go" env GOOS)/$("$go" env GOARCH)," \
	"$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs ($(sed 's/^cpu: *//; s/ *$//' "$tmp/cpu.txt" 2>/dev/null))," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')," \
	"benchtime $benchtime, count $count"
"$tmp/benchtable" <"$raw"
if [ -s "$tmp/failures.txt" ]; then
	echo
	echo "FAILED (no figures for these):"
	cat "$tmp/failures.txt"
	exit 1
fi
