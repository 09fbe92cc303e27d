package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/scenarios"
)

// A short campaign finds nothing, and its summary does not depend on the
// number of workers.
func TestFuzzFindsNothing(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "fuzz", "--json", "--seeds", "8", "--seed-start", "40", "--workers", "3", "--out", dir)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	sum := decode[fuzzSummary](t, out)
	if sum.Runs != 8 || sum.Failed != 0 || sum.Result != "pass" || len(sum.Failures) != 0 || sum.Ops == 0 || sum.Fingerprint == strings.Repeat("0", 64) {
		t.Fatalf("summary %+v", sum)
	}
	one, _, _ := cli(t, "fuzz", "--json", "--seeds", "8", "--seed-start", "40", "--workers", "1", "--out", dir)
	if one != out {
		t.Fatalf("1 worker and 3 workers disagree:\n%s\n%s", one, out)
	}
	if !strings.Contains(errs, "fuzz: 8/8 seeds") {
		t.Fatalf("no plain progress lines on a non-terminal:\n%s", errs)
	}
	human, _, _ := cli(t, "fuzz", "--seeds", "2", "--out", dir)
	if !strings.Contains(human, "2 runs in") || !strings.Contains(human, "result PASS") {
		t.Fatalf("human summary:\n%s", human)
	}
}

// runSeeds reports in seed order whatever the workers' timing, and with
// stopOnFailure keeps exactly the seeds up to the first failing one.
func TestRunSeedsOrderAndStop(t *testing.T) {
	seeds := seedSeq{first: 10, step: 1, count: 10}
	fake := func(failing ...uint64) func(uint64) (seedResult, error) {
		return func(seed uint64) (seedResult, error) {
			// Later seeds finish first.
			time.Sleep(time.Duration(20-seed) * time.Millisecond)
			r := seedResult{Seed: seed, Result: "pass"}
			if slices.Contains(failing, seed) {
				r.Result = "fail"
			}
			return r, nil
		}
	}
	run := func(stopOnFailure bool, f func(uint64) (seedResult, error)) ([]seedResult, bool, error) {
		var got []seedResult
		stopped, err := runSeeds(seeds, 4, stopOnFailure, f, newProgress(io.Discard, int(seeds.count), false, false),
			func(r seedResult) { got = append(got, r) })
		return got, stopped, err
	}
	got, stopped, err := run(false, fake(13, 17))
	if err != nil || stopped || len(got) != 10 {
		t.Fatalf("got %d results, stopped %v, err %v", len(got), stopped, err)
	}
	for i, r := range got {
		if r.Seed != seeds.at(uint64(i)) {
			t.Fatalf("result %d is seed %d", i, r.Seed)
		}
	}
	for range 3 {
		got, stopped, _ = run(true, fake(13, 17))
		if !stopped || len(got) != 4 || got[3].Seed != 13 || got[3].Result != "fail" {
			t.Fatalf("stop on failure kept %+v (stopped %v)", got, stopped)
		}
	}
	_, _, err = run(false, func(seed uint64) (seedResult, error) {
		if seed == 12 {
			return seedResult{}, fmt.Errorf("broken seed %d", seed)
		}
		return seedResult{Seed: seed, Result: "pass"}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "broken seed 12") {
		t.Fatalf("err %v", err)
	}
}

func TestShardSeeds(t *testing.T) {
	var all []uint64
	for i := uint64(1); i <= 3; i++ {
		all = slices.AppendSeq(all, shardSeeds(5, 10, i, 3).all())
	}
	slices.Sort(all)
	want := []uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	if !slices.Equal(all, want) {
		t.Fatalf("shards cover %v", all)
	}
	if got := slices.Collect(shardSeeds(5, 10, 2, 3).all()); !slices.Equal(got, []uint64{6, 9, 12}) {
		t.Fatalf("shard 2/3 = %v", got)
	}
	if got := shardSeeds(5, 2, 3, 3); got.count != 0 || slices.Collect(got.all()) != nil {
		t.Fatalf("shard 3/3 of 2 seeds = %+v", got)
	}
}

// The seeds of the largest campaign, at the top of the seed range, are
// computed as they are needed: no list of them is made (100 million
// seeds took 800 MB), and no seed wraps around.
func TestSeedsAreLazy(t *testing.T) {
	span, err := parseSeedSpan(fmt.Sprint(maxSeedSpan), math.MaxUint64-maxSeedSpan+1, true)
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	allocs := testing.AllocsPerRun(1, func() {
		s := span.seeds()
		last = s.at(s.count - 1)
	})
	if allocs != 0 || last != math.MaxUint64 {
		t.Fatalf("%v allocations; last seed %d", allocs, last)
	}
	const n = 7
	var total uint64
	for i := uint64(1); i <= n; i++ {
		var sh seedSeq
		if allocs := testing.AllocsPerRun(1, func() { sh = shardSeeds(span.start, span.count, i, n) }); allocs != 0 {
			t.Fatalf("shard %d/%d: %v allocations", i, n, allocs)
		}
		total += sh.count
		first, end := sh.at(0), sh.at(sh.count-1)
		if first != span.start+i-1 || end < math.MaxUint64-n+1 || !sh.contains(first) || !sh.contains(end) {
			t.Fatalf("shard %d/%d: %+v: seeds %d..%d", i, n, sh, first, end)
		}
		if sh.contains(first-1) || sh.contains(first+1) || end <= math.MaxUint64-n && sh.contains(end+n) {
			t.Fatalf("shard %d/%d: %+v holds a seed of another shard", i, n, sh)
		}
	}
	if total != maxSeedSpan {
		t.Fatalf("the shards hold %d seeds, the campaign %d", total, uint64(maxSeedSpan))
	}
}

// Shards run as separate processes of the built binary; their merged
// summary equals the unsharded campaign's, byte for byte.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "raftsim")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	common := []string{"fuzz", "--seeds", "7", "--seed-start", "100", "--duration", "2s", "--workers", "1", "--out", filepath.Join(dir, "failures")}
	var procs []*exec.Cmd
	var stderrs []*bytes.Buffer
	for _, shard := range []string{"1/3", "2/3", "3/3"} {
		args := append(slices.Clone(common), "--shard", shard, "--summary", filepath.Join(dir, "shard"+shard[:1]+".json"))
		c := exec.Command(bin, args...)
		var e bytes.Buffer
		c.Stderr = &e
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs, stderrs = append(procs, c), append(stderrs, &e)
	}
	whole := exec.Command(bin, append(slices.Clone(common), "--summary", filepath.Join(dir, "all.json"))...)
	if out, err := whole.CombinedOutput(); err != nil {
		t.Fatalf("unsharded fuzz: %v\n%s", err, out)
	}
	for i, c := range procs {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i+1, err, stderrs[i])
		}
	}
	merge := exec.Command(bin, "fuzz", "merge", "--summary", filepath.Join(dir, "merged.json"),
		filepath.Join(dir, "shard3.json"), filepath.Join(dir, "shard1.json"), filepath.Join(dir, "shard2.json"))
	if out, err := merge.CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	all, _ := os.ReadFile(filepath.Join(dir, "all.json"))
	merged, _ := os.ReadFile(filepath.Join(dir, "merged.json"))
	if !bytes.Equal(all, merged) || !bytes.Contains(all, []byte(`"runs": 7`)) {
		t.Fatalf("merged shards differ from the unsharded run:\n%s\n---\n%s", merged, all)
	}
	shard1, _ := os.ReadFile(filepath.Join(dir, "shard1.json"))
	if !bytes.Contains(shard1, []byte(`"shard": "1/3"`)) || !bytes.Contains(shard1, []byte(`"runs": 3`)) {
		t.Fatalf("shard 1/3 summary:\n%s", shard1)
	}
	// A missing shard, or one given twice, is refused.
	for _, args := range [][]string{
		{"fuzz", "merge", filepath.Join(dir, "shard1.json"), filepath.Join(dir, "shard2.json")},
		{"fuzz", "merge", filepath.Join(dir, "shard1.json"), filepath.Join(dir, "shard1.json"), filepath.Join(dir, "shard2.json")},
		{"fuzz", "merge", filepath.Join(dir, "all.json")},
	} {
		c := exec.Command(bin, args...)
		out, err := c.CombinedOutput()
		if c.ProcessState.ExitCode() != exitUsage {
			t.Fatalf("%v: exit %d (%v)\n%s", args, c.ProcessState.ExitCode(), err, out)
		}
	}
}

// Merging shard summaries that hold failures gives the whole campaign's
// summary, failures in seed order included; a changed trace changes the
// fingerprint.
func TestMergeKeepsFailuresAndFingerprint(t *testing.T) {
	dir := t.TempDir()
	results := make([]seedResult, 9)
	for k := range results {
		seed := uint64(20 + k)
		results[k] = seedResult{Seed: seed, Scenario: fmt.Sprintf("generated-%d", seed), Result: "pass", TraceDigest: fmt.Sprintf("%064d", seed), Ops: seed}
		if seed%4 == 0 {
			results[k].Result = "fail"
			results[k].Failures = []failureJSON{{Kind: "liveness", Name: "leader-after-heal", Message: "m"}}
		}
		if seed%3 == 0 && seed%4 != 0 {
			results[k].Result = "inconclusive"
			results[k].Failures = []failureJSON{{Kind: "inconclusive", Name: "linearizability-budget", Message: "m"}}
		}
	}
	base := fuzzSummary{SeedStart: 20, Seeds: 9, DurationMs: 3000}
	whole := base
	whole.add(results...)
	whole.finish()
	var paths []string
	for i := uint64(1); i <= 2; i++ {
		part := base
		part.Shard = fmt.Sprintf("%d/2", i)
		var mine []seedResult
		for seed := range shardSeeds(20, 9, i, 2).all() {
			mine = append(mine, results[seed-20])
		}
		part.add(mine...)
		part.finish()
		p := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if err := writeSummaryFile(p, &part); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	merged, err := mergeSummaries(paths)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	writeJSON(&a, whole)
	writeJSON(&b, merged)
	if a.String() != b.String() || whole.Failed != 3 || merged.Failures[1].Seed != 24 || merged.Failures[2].Seed != 28 ||
		merged.Inconclusive != 2 || merged.InconclusiveRuns[0].Seed != 21 || merged.InconclusiveRuns[1].Seed != 27 {
		t.Fatalf("merged:\n%s\nwhole:\n%s", b.String(), a.String())
	}
	results[3].TraceDigest = fmt.Sprintf("%064d", 999)
	other := base
	other.add(results...)
	if other.Fingerprint == whole.Fingerprint {
		t.Fatal("a different trace left the fingerprint unchanged")
	}
}

// A run whose linearizability check runs out of its bounds is
// inconclusive: listed with its scenario file, counted apart, and no
// failure. A campaign of inconclusive runs alone verified nothing: it does
// not pass. (One configuration per key and a window of one event make any
// key with two operations in flight outgrow the check, whatever the seed.)
func TestFuzzInconclusiveIsNoFailure(t *testing.T) {
	dir := t.TempDir()
	tight := []string{"--check-configs", "1", "--check-window", "1", "--out", dir}
	out, errs, code := cli(t, append([]string{"fuzz", "--json", "--seeds", "2", "--seed-start", "40", "--workers", "1"}, tight...)...)
	if code != exitFail || strings.Contains(errs, "FAILED") || !strings.Contains(errs, "seed 41 inconclusive") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	sum := decode[fuzzSummary](t, out)
	if sum.Result != "inconclusive" || sum.Failed != 0 || sum.Inconclusive != 2 || len(sum.InconclusiveRuns) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, r := range sum.InconclusiveRuns {
		s, err := scenarios.Load(r.Reproducer)
		if err != nil || s.Reproducer != nil || s.Seed != r.Seed {
			t.Fatalf("seed %d: scenario file %s: %v, %+v", r.Seed, r.Reproducer, err, s)
		}
	}
	human, _, _ := cli(t, append([]string{"fuzz", "--seeds", "1", "--seed-start", "41"}, tight...)...)
	if !strings.Contains(human, "1 run inconclusive") || !strings.Contains(human, "--budget 10m") || !strings.Contains(human, "result INCONCLUSIVE") {
		t.Fatalf("human summary:\n%s", human)
	}
	// One inconclusive run beside a passing one: the campaign passes.
	mixed := fuzzSummary{Seeds: 2}
	mixed.add(seedResult{Seed: 1, Result: "pass"}, sum.InconclusiveRuns[0])
	if mixed.finish(); mixed.Result != "pass" {
		t.Fatalf("one pass and one inconclusive run: result %q", mixed.Result)
	}
}
