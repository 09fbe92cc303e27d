//go:build raftbugs

package main

import (
	"encoding/json"
	"slices"
	"testing"
)

// The selftest finds each planted snapshot bug (§7), and the check that
// catches it is one meant for it: the bug's symptom, not an accident.
func TestSelftestFindsTheSnapshotBugs(t *testing.T) {
	caughtBy := map[string][]string{
		"compact-before-snapshot-sync": {"invariant/durable-state"},
		"install-stale-snapshot":       {"invariant/applied-monotonic", "invariant/commit-monotonic"},
		"discard-log-on-install":       {"invariant/commit-safety", "invariant/leader-completeness", "invariant/state-machine-safety"},
		"snapshot-chunk-gap":           {"invariant/snapshot-restore", "invariant/snapshot-digest"},
	}
	args := []string{"selftest", "--json", "--control-seeds", "4", "--budget", "60s", "--shrink=false"}
	for bug := range caughtBy {
		args = append(args, "--bug", bug)
	}
	out, errs, code := cli(t, args...)
	if code != exitPass {
		t.Fatalf("selftest: exit %d\n%s%s", code, out, errs)
	}
	var sum selftestSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("selftest --json: %v\n%s", err, out)
	}
	if len(sum.Bugs) != len(caughtBy) {
		t.Fatalf("%d bugs run, want %d", len(sum.Bugs), len(caughtBy))
	}
	for _, row := range sum.Bugs {
		if !row.Found || row.Fired == 0 {
			t.Errorf("%s: found %v, fired %d", row.Bug, row.Found, row.Fired)
			continue
		}
		if !slices.Contains(caughtBy[row.Bug], row.Failure) {
			t.Errorf("%s: caught by %s, want one of %v", row.Bug, row.Failure, caughtBy[row.Bug])
		}
	}
}
