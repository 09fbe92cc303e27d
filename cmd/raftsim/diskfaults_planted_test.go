//go:build raftbugs

package main

import (
	"slices"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// Each planted disk-handling bug of the file store is caught by the
// built-in disk scenario that exercises it, on some of a few seeds (the
// same scenarios pass on a correct build: a library test), by the check
// the catalogue names, or by the checks listed: a lost segment on a
// majority shows as a shorter log that could win an election before any
// restart fails; a torn record replayed as whole fails the restart here
// (the garbage is no record), where the generated scenarios of the
// selftest first see the hard state it brings back.
func TestPlantedDiskBugsCaughtByTheDiskScenarios(t *testing.T) {
	cases := []struct {
		bug      bugs.Bug
		scenario string
		checks   []string // none: the catalogue's
	}{
		{bugs.IgnoreSyncError, "disk-fsync-error", nil},
		{bugs.SkipRecordChecksum, "disk-power-loss-majority", []string{"invariant/durable-state", "invariant/hard-state-restored"}},
		{bugs.SkipSegmentDirSync, "disk-power-loss-majority", []string{"invariant/commit-safety", "invariant/durable-state"}},
		{bugs.TruncateAtCorruption, "disk-corrupt-follower-leader-crash", nil},
	}
	defer bugs.Set(bugs.None)
	for _, c := range cases {
		in, _ := bugs.InfoOf(c.bug)
		s, ok := scenarios.Builtin(c.scenario)
		if !ok {
			t.Fatalf("no %s scenario", c.scenario)
		}
		if c.checks == nil {
			c.checks = []string{in.CaughtBy}
		}
		bugs.Set(c.bug)
		caught := 0
		for seed := uint64(1); seed <= 8; seed++ {
			res, err := sim.Run(s.ConfigFor(seed))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failures) == 0 {
				continue
			}
			if f := res.Failures[0]; !slices.Contains(c.checks, f.Kind.String()+"/"+f.Name) {
				t.Errorf("%s on %s seed %d: first failure %s, want one of %v", in.Name, c.scenario, seed, f, c.checks)
			}
			caught++
		}
		t.Logf("%s: caught on %d of 8 seeds of %s (fired %d times)", in.Name, caught, c.scenario, bugs.Fired())
		if caught == 0 {
			t.Errorf("%s went unnoticed on 8 seeds of %s", in.Name, c.scenario)
		}
	}
}
