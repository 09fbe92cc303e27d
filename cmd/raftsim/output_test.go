package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// An unwritable --trace is an I/O error: exit status 2, and no
// reproducer, since nothing was learnt about Raft. It used to be reported
// as a failing run, with a reproducer to replay.
func TestUnwritableTraceIsAnIOError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	for _, cmd := range [][]string{
		{"run", "--scenario", "happy-path", "--trace", "/dev/full", "--out", dir},
	} {
		out, errs, code := cli(t, cmd...)
		if code != exitUsage || !strings.Contains(errs, "no space left on device") || strings.Contains(out, "FAIL") {
			t.Fatalf("%v: exit %d\n%s%s", cmd, code, out, errs)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.toml")); len(files) > 0 {
		t.Fatalf("reproducers written for an I/O error: %v", files)
	}
	// replay, with a reproducer to replay.
	_, _, code := cli(t, "run", "--scenario", "lease-clock-drift", "--out", dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if code != exitFail || len(files) != 1 {
		t.Fatalf("lease-clock-drift: exit %d, files %v", code, files)
	}
	out, errs, code := cli(t, "replay", files[0], "--trace", "/dev/full")
	if code != exitUsage || !strings.Contains(errs, "no space left on device") {
		t.Fatalf("replay --trace /dev/full: exit %d\n%s%s", code, out, errs)
	}
	// A budget that is not positive is a usage error, not a lost
	// determinism.
	out, errs, code = cli(t, "replay", files[0], "--budget", "-1s")
	if code != exitUsage || !strings.Contains(errs, "--budget") || strings.Contains(out, "NOT reproduced") {
		t.Fatalf("replay --budget -1s: exit %d\n%s%s", code, out, errs)
	}
}

// fuzz merge refuses summaries that contradict themselves, carry data
// after the JSON value, or give a key twice, naming file, line and field.
func TestMergeRejectsInconsistentSummaries(t *testing.T) {
	dir := t.TempDir()
	shard := func(i int) fuzzSummary {
		s := fuzzSummary{SeedStart: 1, Seeds: 4, DurationMs: 3000, Shard: fmt.Sprintf("%d/2", i)}
		var rs []seedResult
		for seed := range shardSeeds(1, 4, uint64(i), 2).all() {
			rs = append(rs, seedResult{Seed: seed, Result: "pass", TraceDigest: fmt.Sprintf("%064d", seed)})
		}
		s.add(rs...)
		s.finish()
		return s
	}
	write := func(name string, s fuzzSummary, edit func(string) string) string {
		p := filepath.Join(dir, name)
		if err := writeSummaryFile(p, &s); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if err := os.WriteFile(p, []byte(edit(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(s string) string { return s }
	good2 := write("good2.json", shard(2), same)
	if _, err := mergeSummaries([]string{write("good1.json", shard(1), same), good2}); err != nil {
		t.Fatalf("consistent shards: %v", err)
	}
	failedNoList := shard(1)
	failedNoList.Failed, failedNoList.Result = 5, "fail"
	wrongResult := shard(1)
	wrongResult.Result = "fail"
	foreignSeed := shard(1)
	foreignSeed.Failed, foreignSeed.Result = 1, "fail"
	foreignSeed.Failures = []seedResult{{Seed: 2, Result: "fail", TraceDigest: fmt.Sprintf("%064d", 2), Failures: []failureJSON{{Kind: "liveness", Name: "x"}}}}
	// A campaign far past maxSeedSpan is checked without a list of its
	// seeds (this one would take 4 PB).
	huge := shard(1)
	huge.Seeds = 1 << 49
	pastMax := shard(1)
	pastMax.SeedStart = math.MaxUint64 - 2
	for _, tc := range []struct {
		name string
		s    fuzzSummary
		edit func(string) string
		want string
	}{
		{"failed with no failures", failedNoList, same, `"failed": 5`},
		{"result against the counts", wrongResult, same, "result"},
		{"a seed of another shard", foreignSeed, same, "seed 2 is not one of shard 1/2's"},
		{"a huge campaign", huge, same, "2 runs, but shard 1/2 has 281474976710656 seeds"},
		{"seeds past the largest", pastMax, same, "4 seeds from 18446744073709551613 run past the largest seed"},
		{"trailing garbage", shard(1), func(s string) string { return s + "\n{}garbage" }, "data after the summary"},
		{"duplicate key", shard(1), func(s string) string { return strings.Replace(s, `"runs": 2,`, `"runs": 2, "runs": 2,`, 1) }, `:10: runs: the key is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write("bad.json", tc.s, tc.edit)
			_, errs, code := cli(t, "fuzz", "merge", p, good2)
			if code != exitUsage || !regexp.MustCompile(regexp.QuoteMeta(p)+`:\d+: `).MatchString(errs) {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if tc.want != `"failed": 5` && !strings.Contains(errs, tc.want) || tc.want == `"failed": 5` && !strings.Contains(errs, "failed: 5, but failures lists 0 seeds") {
				t.Fatalf("error %q, want %q", errs, tc.want)
			}
		})
	}
}
