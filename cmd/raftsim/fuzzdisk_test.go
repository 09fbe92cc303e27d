package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/scenarios"
)

// diskRun is a run on the file store with the given faults (kind=count)
// and failures (kind names; "" for a pass).
func diskRun(seed uint64, faults map[string]uint64, crashes uint64, failures ...string) seedResult {
	r := seedResult{Seed: seed, Scenario: fmt.Sprintf("generated-disk-%d", seed), Result: "pass", TraceDigest: fmt.Sprintf("%064d", seed),
		Disk: &diskJSON{Faults: faults, ErrorCrashes: crashes, CorruptNodes: []raft.NodeID{}}}
	for _, k := range failures {
		r.Result = "fail"
		if k == "inconclusive" {
			r.Result = "inconclusive"
		}
		r.Failures = append(r.Failures, failureJSON{Kind: k, Name: k + "-x", Message: "m"})
	}
	if r.Disk.Faults == nil {
		r.Disk.Faults = map[string]uint64{}
	}
	return r
}

// diskRuns9 is a campaign of nine runs: one on MemoryStorage, one on the
// file store with no fault, and seven with faults that end every way.
func diskRuns9() []seedResult {
	mem := seedResult{Seed: 1, Scenario: "generated-1", Result: "fail", TraceDigest: fmt.Sprintf("%064d", 1),
		Failures: []failureJSON{{Kind: "invariant", Name: "election-safety", Message: "m"}}}
	return []seedResult{
		mem,
		diskRun(2, nil, 0),
		diskRun(3, map[string]uint64{"bit_flip": 2, "lost_write": 5}, 0, "invariant"),
		// Liveness and linearizability together: the data loss counts.
		diskRun(4, map[string]uint64{"no_space": 1, "lost_write": 1}, 3, "liveness", "linearizability"),
		diskRun(5, map[string]uint64{"no_space": 1}, 1, "liveness"),
		diskRun(6, map[string]uint64{"torn_write": 1}, 0, "inconclusive"),
		diskRun(7, map[string]uint64{"sync_error": 4}, 4, "limit"),
		diskRun(8, map[string]uint64{"sync_error": 1, "write_error": 2}, 2),
		diskRun(9, map[string]uint64{"zero_sector": 1}, 0, "panic"),
	}
}

// The disk section counts faults per kind and classifies each run once:
// safety before liveness before other; runs on MemoryStorage count
// nowhere; a kind no run met still has its row.
func TestFuzzDiskAggregates(t *testing.T) {
	var s fuzzSummary
	s.add(diskRuns9()...)
	s.finish()
	d := s.Disk
	if want := (diskRuns{Runs: 8, Safety: 3, Liveness: 1, Other: 1, Inconclusive: 1}); d.FileStore != want {
		t.Fatalf("file store %+v, want %+v", d.FileStore, want)
	}
	if want := (diskRuns{Runs: 7, Safety: 3, Liveness: 1, Other: 1, Inconclusive: 1}); d.AnyFault != want {
		t.Fatalf("any fault %+v, want %+v", d.AnyFault, want)
	}
	if d.ErrorCrashes != 10 || d.Refusals != 0 || d.OverBudget != 0 || len(d.Kinds) != len(disk.FaultKinds()) {
		t.Fatalf("totals %+v", d)
	}
	want := map[string]diskKindRuns{
		"write_error": {Injected: 2, diskRuns: diskRuns{Runs: 1}},
		"sync_error":  {Injected: 5, diskRuns: diskRuns{Runs: 2, Other: 1}},
		"no_space":    {Injected: 2, diskRuns: diskRuns{Runs: 2, Safety: 1, Liveness: 1}},
		"bit_flip":    {Injected: 2, diskRuns: diskRuns{Runs: 1, Safety: 1}},
		"zero_sector": {Injected: 1, diskRuns: diskRuns{Runs: 1, Safety: 1}},
		"torn_write":  {Injected: 1, diskRuns: diskRuns{Runs: 1, Inconclusive: 1}},
		"lost_write":  {Injected: 6, diskRuns: diskRuns{Runs: 2, Safety: 2}},
	}
	for i, k := range disk.FaultKinds() {
		w := want[k.String()]
		w.Kind = k.String()
		if d.Kinds[i] != w {
			t.Errorf("row %d: %+v, want %+v", i, d.Kinds[i], w)
		}
	}
	var b bytes.Buffer
	printFuzzDisk(&b, &d)
	for _, line := range []string{
		"disk: 8 runs on the file store, 7 with a disk fault; 10 crashes on disk errors, 0 refused restarts, 0 stores repaired, 0 latent faults past the corruption budget skipped",
		"    no_space             2      2       1         1      0             0\n",
		"    misdirect            0      0       0         0      0             0\n",
		"    any fault                   7       3         1      1             1\n",
		"    file store                  8       3         1      1             1\n",
	} {
		if !strings.Contains(b.String(), line) {
			t.Fatalf("no %q in:\n%s", line, b.String())
		}
	}
	// No run on the file store: no table.
	var mem fuzzSummary
	mem.add(diskRuns9()[0])
	mem.finish()
	b.Reset()
	printFuzzDisk(&b, &mem.Disk)
	if b.Len() != 0 || len(mem.Disk.Kinds) != len(disk.FaultKinds()) {
		t.Fatalf("memory-only campaign: %q, %d rows", b.String(), len(mem.Disk.Kinds))
	}
}

// writeShards writes the shards of a campaign of the runs (seeds from
// 1) and returns their paths and the unsharded summary.
func writeShards(t *testing.T, dir string, runs []seedResult, n uint64, edit func(i uint64, s *fuzzSummary)) ([]string, fuzzSummary) {
	t.Helper()
	base := fuzzSummary{SeedStart: 1, Seeds: uint64(len(runs)), DurationMs: 3000, DiskFaults: "always"}
	whole := base
	whole.add(runs...)
	whole.finish()
	var paths []string
	for i := uint64(1); i <= n; i++ {
		part := base
		part.Shard = fmt.Sprintf("%d/%d", i, n)
		for seed := range shardSeeds(1, uint64(len(runs)), i, n).all() {
			part.add(runs[seed-1])
		}
		part.finish()
		if edit != nil {
			edit(i, &part)
		}
		p := filepath.Join(dir, fmt.Sprintf("shard%d.json", i))
		if err := writeSummaryFile(p, &part); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths, whole
}

// Shards merge to the unsharded campaign's disk section, byte for byte.
func TestFuzzDiskMerges(t *testing.T) {
	paths, whole := writeShards(t, t.TempDir(), diskRuns9(), 3, nil)
	merged, err := mergeSummaries(paths)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	writeJSON(&a, whole)
	writeJSON(&b, merged)
	if a.String() != b.String() || merged.Disk.FileStore.Runs != 8 || kindRow(&merged.Disk, "lost_write").Injected != 6 {
		t.Fatalf("merged:\n%s\nwhole:\n%s", b.String(), a.String())
	}
}

// kindRow returns the row of a kind.
func kindRow(d *fuzzDisk, kind string) diskKindRuns {
	for _, k := range d.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return diskKindRuns{}
}

// threeRuns is a campaign of seeds 1..3 on the file store: a pass, a
// data loss with zero_sector and lost_write, and an unavailability with
// a data loss.
func threeRuns() []seedResult {
	return []seedResult{
		diskRun(1, nil, 0),
		diskRun(2, map[string]uint64{"zero_sector": 1, "lost_write": 5}, 3, "invariant"),
		diskRun(3, map[string]uint64{"no_space": 1, "lost_write": 1}, 3, "liveness", "linearizability"),
	}
}

// Merge refuses a disk section that disagrees with itself or with the
// runs its shard lists, naming the file, line and field.
func TestFuzzDiskMergeRejectsInconsistentCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *fuzzSummary)
		want string
	}{
		{"no disk section", func(s *fuzzSummary) { s.Disk = fuzzDisk{} }, "disk.kinds: 0 rows, want one for each of the 9 fault kinds"},
		{"kinds out of order", func(s *fuzzSummary) { s.Disk.Kinds[0], s.Disk.Kinds[1] = s.Disk.Kinds[1], s.Disk.Kinds[0] }, `disk.kinds[0].kind: "misdirect", want "write_error"`},
		{"mode unknown", func(s *fuzzSummary) { s.DiskFaults = "sometimes" }, `disk_faults: "sometimes" is not one of generated, always`},
		{"more file-store runs than runs", func(s *fuzzSummary) { s.Disk.FileStore.Runs = 99 }, "disk.file_store.runs: 99 runs on the file store, of 1 runs"},
		{"safety against the list", func(s *fuzzSummary) { s.Disk.AnyFault.Safety++ }, "disk.any_fault.safety: 2, but the runs listed give 1"},
		{"a failure hidden", func(s *fuzzSummary) { s.Disk.Kinds[6].Safety = 0 }, "disk.kinds[6].safety: 0, but the runs listed give 1"},
		{"injected below runs", func(s *fuzzSummary) { s.Disk.Kinds[6].Injected = 0 }, "disk.kinds[6].injected: 0 zero_sector faults in 1 run:"},
		{"injected below the list", func(s *fuzzSummary) { s.Disk.Kinds[8].Injected = 1; s.Disk.Kinds[8].Runs = 1 }, "disk.kinds[8].injected: 1, fewer than the 5 of the runs listed"},
		{"crashes below the list", func(s *fuzzSummary) { s.Disk.ErrorCrashes = 0 }, "disk.error_crashes: 0, fewer than the 3 of the runs listed"},
		{"a kind in more runs than faulty ones", func(s *fuzzSummary) { s.Disk.Kinds[0].Runs, s.Disk.Kinds[0].Injected = 9, 9 }, "disk.kinds[0].runs: 9 runs with write_error, of 1 run with a disk fault"},
		{"a listed run's unknown kind", func(s *fuzzSummary) { s.Failures[0].Disk.Faults["rust"] = 1 }, `failures[0].disk.faults.rust: "rust" is not a disk fault kind`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Shard 2/2 is seed 2 alone, a data loss with zero_sector.
			paths, _ := writeShards(t, t.TempDir(), threeRuns(), 2, func(i uint64, s *fuzzSummary) {
				if i == 2 {
					tc.edit(s)
				}
			})
			_, errs, code := cli(t, "fuzz", "merge", paths[0], paths[1])
			if code != exitUsage || !regexp.MustCompile(regexp.QuoteMeta(paths[1])+`:\d+: `).MatchString(errs) || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d: %s\nwant %q", code, errs, tc.want)
			}
		})
	}
	// Shards of campaigns of two modes are two campaigns.
	dir := t.TempDir()
	paths, _ := writeShards(t, dir, threeRuns(), 2, func(i uint64, s *fuzzSummary) {
		if i == 2 {
			s.DiskFaults = "generated"
		}
	})
	if _, errs, code := cli(t, "fuzz", "merge", paths[0], paths[1]); code != exitUsage || !strings.Contains(errs, "disk-faults differ") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if data, err := os.ReadFile(paths[0]); err != nil || !bytes.Contains(data, []byte(`"disk_faults": "always"`)) {
		t.Fatalf("%v\n%s", err, data)
	}
}

// fuzz --disk-faults always runs every seed on the file store and sums up
// its disk faults; its shards merge to the same summary; the scenario
// file of one of its seeds is that seed's forced generation and runs the
// same trace as the campaign did; and a mode it does not know is a usage
// error.
func TestFuzzDiskFaultsAlways(t *testing.T) {
	dir := t.TempDir()
	args := []string{"fuzz", "--json", "--seeds", "4", "--seed-start", "1", "--workers", "2", "--out", dir}
	out, errs, code := cli(t, append(args, "--disk-faults", "always")...)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	sum := decode[fuzzSummary](t, out)
	var injected uint64
	for _, k := range sum.Disk.Kinds {
		injected += k.Injected
	}
	if sum.DiskFaults != "always" || sum.Disk.FileStore.Runs != 4 || sum.Disk.AnyFault.Runs == 0 || injected == 0 {
		t.Fatalf("disk section %+v", sum.Disk)
	}
	def := decode[fuzzSummary](t, first(cli(t, args...)))
	if def.DiskFaults != "generated" || def.Disk.FileStore.Runs >= 4 || def.Fingerprint == sum.Fingerprint {
		t.Fatalf("default campaign: %q, %+v", def.DiskFaults, def.Disk)
	}
	var paths []string
	for _, shard := range []string{"1/2", "2/2"} {
		p := filepath.Join(dir, strings.ReplaceAll(shard, "/", "-")+".json")
		if _, errs, code := cli(t, append(args, "--disk-faults", "always", "--shard", shard, "--summary", p)...); code != exitPass {
			t.Fatalf("shard %s: exit %d\n%s", shard, code, errs)
		}
		paths = append(paths, p)
	}
	merged, _, code := cli(t, append([]string{"fuzz", "merge", "--json"}, paths...)...)
	if code != exitPass || merged != out {
		t.Fatalf("merged (exit %d):\n%s\nunsharded:\n%s", code, merged, out)
	}
	human, _, _ := cli(t, "fuzz", "--seeds", "2", "--disk-faults", "always", "--out", dir)
	if !strings.Contains(human, "disk faults drawn on every seed") || !strings.Contains(human, "disk: 2 runs on the file store") ||
		!strings.Contains(human, "    fault         injected   runs  safety  liveness  other  inconclusive\n") {
		t.Fatalf("human summary:\n%s", human)
	}
	// One seed's scenario file, written by a campaign whose check ran
	// out of bounds, is the forced generation of the seed, and running it
	// makes the trace the campaign's fingerprint stands for.
	one := []string{"fuzz", "--json", "--seeds", "1", "--seed-start", "2", "--disk-faults", "always", "--out", dir}
	tight := decode[fuzzSummary](t, first(cli(t, append(one, "--check-configs", "1", "--check-window", "1")...)))
	if len(tight.InconclusiveRuns) != 1 || !strings.HasSuffix(tight.InconclusiveRuns[0].Reproducer, "generated-disk-2-seed-2-inconclusive.toml") {
		t.Fatalf("tight check: %+v", tight)
	}
	file := tight.InconclusiveRuns[0].Reproducer
	s, err := scenarios.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	want := scenarios.Generate(2, scenarios.GenerateOptions{DiskFaults: scenarios.DiskFaultsAlways}).WithSeed(2)
	if !bytes.Equal(scenarios.Encode(s), scenarios.Encode(want)) {
		t.Fatalf("%s is not seed 2's forced generation:\n%s", file, scenarios.Encode(s))
	}
	run := decode[runSummary](t, first(cli(t, "run", "--json", "--scenario", file, "--out", dir)))
	h := sha256.Sum256(fmt.Appendf(nil, "%d %s", 2, run.TraceDigest))
	if campaign := decode[fuzzSummary](t, first(cli(t, one...))); campaign.Fingerprint != hex.EncodeToString(h[:]) {
		t.Fatalf("the file's run (digest %s) is not the campaign's (fingerprint %s)", run.TraceDigest, campaign.Fingerprint)
	}
	if _, errs, code := cli(t, "fuzz", "--seeds", "1", "--disk-faults", "sometimes", "--out", dir); code != exitUsage ||
		!strings.Contains(errs, `--disk-faults: "sometimes" is not one of generated, always`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// first is the first of a command's results: its standard output.
func first(out, _ string, _ int) string { return out }

// The fuzz schema describes the disk section, and the disk counts of the
// runs listed: a real summary validates, and the schema rejects a missing
// section, an unknown kind, a mode it does not know and a zero count.
func TestFuzzSchemaDisk(t *testing.T) {
	out, _, _ := cli(t, "fuzz", "--json", "--seeds", "1", "--seed-start", "2", "--disk-faults", "always", "--check-configs", "1", "--check-window", "1", "--out", t.TempDir())
	mustValidate(t, "fuzz", out)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	disk := func(m map[string]any) map[string]any { return m["disk"].(map[string]any) }
	listed := func(m map[string]any) map[string]any {
		return m["inconclusive_runs"].([]any)[0].(map[string]any)["disk"].(map[string]any)
	}
	for _, mu := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"no disk section", func(m map[string]any) { delete(m, "disk") }, "disk"},
		{"no mode", func(m map[string]any) { delete(m, "disk_faults") }, "disk_faults"},
		{"unknown mode", func(m map[string]any) { m["disk_faults"] = "sometimes" }, "disk_faults"},
		{"unknown kind", func(m map[string]any) { disk(m)["kinds"].([]any)[0].(map[string]any)["kind"] = "rust" }, "kind"},
		{"a row too few", func(m map[string]any) { disk(m)["kinds"] = disk(m)["kinds"].([]any)[1:] }, "kinds"},
		{"no any_fault", func(m map[string]any) { delete(disk(m), "any_fault") }, "any_fault"},
		{"a listed run's zero count", func(m map[string]any) { listed(m)["faults"] = map[string]any{"bit_flip": 0} }, "bit_flip"},
	} {
		t.Run(mu.name, func(t *testing.T) {
			var m map[string]any
			json.Unmarshal([]byte(out), &m)
			mu.mutate(m)
			b, _ := json.Marshal(m)
			if err := validateJSON(t, "fuzz", string(b)); err == nil || !strings.Contains(err.Error(), mu.want) {
				t.Fatalf("got %v, want a validation error naming %q", err, mu.want)
			}
		})
	}
}
