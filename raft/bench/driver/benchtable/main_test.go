package main

import (
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want key
		ok   bool
	}{
		{"BenchmarkOurs/nodes=3/sequential-2", key{3, "sequential", "ours"}, true},
		{"BenchmarkOursCompacting/nodes=3/sequential-2", key{3, "sequential", "ours+compaction"}, true},
		{"BenchmarkEtcd37/nodes=5/batched64-16", key{5, "batched64", "etcd-3.7.0"}, true},
		{"BenchmarkEtcd36/nodes=3/batched64", key{3, "batched64", "etcd-3.6.0"}, true},
		{"BenchmarkOther/nodes=3/sequential-2", key{}, false},
		{"BenchmarkOurs/sequential-2", key{}, false},
		{"BenchmarkOurs/nodes=x/sequential-2", key{}, false},
	} {
		got, err := parseName(tc.name)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseName(%q) = %v, %v; want %v, ok=%v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	in := `goos: linux
BenchmarkEtcd37/nodes=3/sequential-2   1000   20000 ns/op   50000 commits/s   19000 cpu-ns/commit   100 allocs/commit   4000 B/commit   4000 B/op   100 allocs/op
BenchmarkOurs/nodes=3/sequential-2     1000    5000 ns/op  200000 commits/s    5000 cpu-ns/commit   0.5 allocs/commit    800 B/commit    800 B/op     0 allocs/op
BenchmarkOursCompacting/nodes=3/sequential-2   1000   1000 ns/op  1000000 commits/s   1000 cpu-ns/commit   0.5 allocs/commit   700 B/commit   700 B/op   0 allocs/op
BenchmarkEtcd36/nodes=5/sequential-2   	--- FAIL: BenchmarkEtcd36/nodes=5/sequential-2
BenchmarkEtcd36/nodes=3/sequential-2   1000   16000 ns/op   62500 commits/s   15000 cpu-ns/commit    90 allocs/commit   3000 B/commit   3000 B/op    90 allocs/op
BenchmarkEtcd37/nodes=3/sequential-onecall-2   1000   1000 ns/op   1000000 commits/s   900 cpu-ns/commit   7 allocs/commit   400 B/commit   400 B/op   7 allocs/op
PASS
`
	r, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	render(&out, r, 2, 3)
	for _, want := range []string{"etcd-3.6.0", "62500", "3.20x", "3.00x", "met", "sequential-onecall", "0.20x", "BELOW"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := parse(strings.NewReader("PASS\n")); err == nil {
		t.Error("parse of input without results succeeded")
	}
	if _, err := parse(strings.NewReader("BenchmarkOurs/nodes=3/sequential-2 10 x ns/op\n")); err == nil {
		t.Error("parse of a bad value succeeded")
	}
}
