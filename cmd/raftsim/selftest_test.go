//go:build raftbugs

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// A reproducer names the bug planted by its ID, which is not its place
// in the catalogue: IDs of bugs not in it leave gaps.
func TestPlantedBugNamesEveryCatalogueEntry(t *testing.T) {
	defer bugs.Set(bugs.None)
	if got := plantedBug(); got != "" {
		t.Fatalf("no bug planted: %q", got)
	}
	for _, in := range bugs.Catalog {
		bugs.Set(in.Bug)
		if got := plantedBug(); got != in.Name {
			t.Errorf("bug %d planted: %q, want %q", in.Bug, got, in.Name)
		}
	}
}

// With a planted bug, fuzz finds it, minimizes the failing scenario and
// writes a reproducer that replays the same failure.
func TestFuzzMinimizesAndReplaysAPlantedBug(t *testing.T) {
	bugs.Set(bugs.NoRetryDedup)
	defer bugs.Set(bugs.None)
	dir := t.TempDir()
	out, errs, code := cli(t, "fuzz", "--seeds", "2", "--workers", "1", "--out", dir, "--shrink-runs", "60")
	if code != exitFail {
		t.Fatalf("fuzz with a planted bug: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "minimized:") {
		t.Errorf("no minimization reported:\n%s", errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-min-seed-*.toml"))
	if len(files) == 0 {
		t.Fatalf("no minimized reproducer in %s", dir)
	}
	s, err := scenarios.Load(files[0])
	if err != nil {
		t.Fatal(err)
	}
	orig := scenarios.Generate(1, scenarios.GenerateOptions{})
	if len(s.Config.Timeline) > len(orig.Config.Timeline) {
		t.Errorf("minimized timeline has %d actions, the original %d", len(s.Config.Timeline), len(orig.Config.Timeline))
	}
	out, errs, code = cli(t, "replay", files[0])
	if code != exitPass {
		t.Fatalf("replay of the minimized reproducer: exit %d\n%s%s", code, out, errs)
	}
	_ = os.Remove(files[0])
}

func TestSelftestJSONSchema(t *testing.T) {
	out, errs, code := cli(t, "selftest", "--json", "--bug", "vote-without-log-check", "--control-seeds", "4", "--budget", "30s", "--out", t.TempDir())
	if code != exitPass {
		t.Fatalf("selftest: exit %d\n%s%s", code, out, errs)
	}
	mustValidate(t, "selftest", out)
}

func TestSelftestFindsABug(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "selftest", "--bug", "vote-without-log-check", "--control-seeds", "4", "--budget", "30s", "--out", dir)
	if code != exitPass {
		t.Fatalf("selftest: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "1 of 1 planted bugs found, 0 masked") || !strings.Contains(out, "nothing found") {
		t.Fatalf("selftest output:\n%s", out)
	}
	// The minimized failure is written down, names its planted bug, and
	// replays with the bug switched back on (selftest has switched it off).
	files, _ := filepath.Glob(filepath.Join(dir, "vote-without-log-check-generated-*-min-seed-*.toml"))
	if len(files) != 1 {
		t.Fatalf("reproducers in %s: %v", dir, files)
	}
	s, err := scenarios.Load(files[0])
	if err != nil || s.Reproducer == nil || s.Reproducer.Planted != "vote-without-log-check" {
		t.Fatalf("reproducer %s: %v, %+v", files[0], err, s)
	}
	rout, rerr, code := cli(t, "replay", files[0])
	if code != exitPass || !strings.Contains(rout, "reproduced") || bugs.Active() != bugs.None {
		t.Fatalf("replay: exit %d, bug %v after it\n%s%s", code, bugs.Active(), rout, rerr)
	}
	_, errs, code = cli(t, "selftest", "--bug", "no-such-bug")
	if code != exitUsage || !strings.Contains(errs, "no planted bug") {
		t.Fatalf("unknown bug: exit %d, %q", code, errs)
	}
}

// The reduced selftest (the bugs the catalogue marks fast, a small
// budget) finds every fast bug, each with the check the catalogue
// expects, and its control finds nothing: a check switched off shows here
// as its bug caught by another check, or not at all.
func TestSelftestReducedCatchesEachBugWithItsCheck(t *testing.T) {
	out, errs, code := cli(t, "selftest", "--json", "--fast", "--budget", "60s", "--control-seeds", "8", "--shrink=false")
	if code != exitPass {
		t.Fatalf("selftest --fast: exit %d\n%s%s", code, out, errs)
	}
	sum := decode[selftestSummary](t, out)
	fast := 0
	for _, in := range bugs.Catalog {
		if in.Fast {
			fast++
			if in.CaughtBy == "" {
				t.Errorf("%s is fast but names no check that catches it", in.Name)
			}
		}
	}
	if len(sum.Bugs) != fast || sum.Control.Found {
		t.Fatalf("%d bugs run, %d fast in the catalogue; control %+v", len(sum.Bugs), fast, sum.Control)
	}
	for _, r := range sum.Bugs {
		if !r.Found || r.Failure != r.Expected {
			t.Errorf("%s: found %v by %q, expected %q", r.Bug, r.Found, r.Failure, r.Expected)
		}
	}
}

// Every check is some bug's expected catcher, and every bug that can be
// found names its check: the catalogue pins the checks to the run.
func TestSelftestCatalogueCoversEveryCheck(t *testing.T) {
	checks := []string{
		"invariant/election-safety", "invariant/leader-append-only", "invariant/log-matching",
		"invariant/leader-completeness", "invariant/commit-safety",
		"invariant/commit-monotonic", "invariant/applied-restored", "invariant/apply-exactly-once",
		"invariant/client-at-most-once", "invariant/read-freshness", "invariant/read-after-apply",
		"invariant/valid-messages", "invariant/stale-leader", "invariant/prevote-inert", "invariant/stale-term-inert",
		"invariant/hard-state-restored", "linearizability/linearizability", "liveness/leader-after-heal",
		"invariant/durable-state", "invariant/applied-monotonic", "invariant/snapshot-restore",
		"invariant/election-quorum", "invariant/one-config-change", "invariant/removed-leader",
		"invariant/config-quorum-overlap", "invariant/leader-is-voter", "invariant/removed-node-leads",
	}
	// state-machine-safety is a backstop: Commit Safety and Log Matching
	// see its bugs first. A reproducer pins it (testdata/pins), as it pins
	// the checks of the bugs too slow for the reduced selftest.
	by := map[string]string{}
	for _, in := range bugs.Catalog {
		if in.CaughtBy == "" && in.Masked == "" {
			t.Errorf("%s names no check that must catch it", in.Name)
		}
		by[in.CaughtBy] = in.Name
	}
	for _, c := range checks {
		if by[c] == "" {
			t.Errorf("no planted bug is expected to be caught by %s", c)
		}
	}
}

// The library's lease scenario passes with a correct lease (a library
// test) and catches a lease that outlives the minimum election timeout
// on some of its seeds, by read freshness alone.
func TestPlantedLeaseBugCaughtByTheLeaseScenario(t *testing.T) {
	bugs.Set(bugs.LeaseOutlivesElectionTimeout)
	defer bugs.Set(bugs.None)
	s, ok := scenarios.Builtin("lease-leader-isolated")
	if !ok {
		t.Fatal("no lease-leader-isolated scenario")
	}
	caught := 0
	for seed := uint64(1); seed <= 8; seed++ {
		res, err := sim.Run(s.ConfigFor(seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Failures {
			if f.Kind != sim.FailureInvariant || f.Name != "read-freshness" {
				t.Fatalf("seed %d: %s, want read-freshness only", seed, f)
			}
		}
		if len(res.Failures) > 0 {
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("the lease bug went unnoticed on 8 seeds")
	}
}

// The pins: minimized failing runs of planted bugs (the file records the
// bug), one per check that no fast bug is expected to catch: the bugs
// too slow for the reduced selftest, and state-machine-safety, which
// Commit Safety and Log Matching see first on every bug's first failing
// seed. Each must replay, and its first failure must be the check the file
// is named after. Regenerate one with
//
//	bin/raftsim-selftest selftest --bug BUG [--seed-start S] --out DIR
//
// (with S a seed whose first failure is the check) and copy the minimized
// file here as CHECK.toml.
func TestPlantedPinsReplay(t *testing.T) {
	files, _ := filepath.Glob("testdata/pins/*.toml")
	if len(files) == 0 {
		t.Fatal("no pins in testdata/pins")
	}
	for _, file := range files {
		check := "invariant/" + strings.TrimSuffix(filepath.Base(file), ".toml")
		out, errs, code := cli(t, "replay", "--json", file)
		if code != exitPass {
			t.Errorf("%s: replay exit %d\n%s%s", file, code, out, errs)
			continue
		}
		sum := decode[replaySummary](t, out)
		if got := primaryFailure(sum.Failures); got != check {
			t.Errorf("%s: first failure %s, want %s", file, got, check)
		}
	}
}
