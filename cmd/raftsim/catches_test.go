//go:build raftbugs

package main

import (
	"strings"
	"testing"
)

// catches runs each scenario with each planted bug and with none: the
// correct core passes, and a bug a scenario is built to catch is caught,
// by the failure that should catch it.
func TestSelftestCatches(t *testing.T) {
	out, errs, code := cli(t, "catches", "--scenario", "lab3a-many-elections", "--scenario", "lab3a-initial-election",
		"--seeds", "1..3", "--bug", "fixed-election-timeout", "--bug", "no-retry-dedup")
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		// Seven servers with one election timeout split their votes for
		// ever; the correct core passes every seed.
		"lab3a-many-elections: correct core passes 3/3; catches fixed-election-timeout 3 (scenario/wait-leader)\n",
		// No client retries anything in an election test: nothing to catch.
		"lab3a-initial-election: correct core passes 3/3;",
		"caught by no scenario: no-retry-dedup\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A bug's ID is not its place in the catalogue (IDs of bugs not in
	// it leave gaps): --bug finds it by name all the same.
	out, errs, code = cli(t, "catches", "--scenario", "lab3a-initial-election", "--seeds", "1",
		"--bug", "lease-outlives-election-timeout", "--bug", "read-before-apply")
	if code != exitPass || !strings.Contains(out, ", 2 planted bugs\n") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if _, errs, code := cli(t, "catches", "--scenario", "lab3a-initial-election", "--bug", "nosuch"); code != exitUsage || !strings.Contains(errs, `no planted bug "nosuch"`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, errs, code := cli(t, "catches", "--scenario", "nosuch*"); code != exitUsage || !strings.Contains(errs, `no built-in scenario starts with "nosuch"`) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, errs, code := cli(t, "catches", "--scenario", "lab3a-initial-election", "--max-events", "0"); code != exitUsage || !strings.Contains(errs, "--max-events") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// Each bug's row is printed when its campaign ends, and the bounds of a
// cell are reported when hit: the wall budget stops a cell from starting
// seeds, the event bound a run (which is then no catch, and for the
// correct core a failure).
func TestSelftestCatchesBounds(t *testing.T) {
	out, errs, code := cli(t, "catches", "--scenario", "lab3a-initial-election", "--seeds", "1..20", "--workers", "1",
		"--cell-budget", "1ns", "--bug", "fixed-election-timeout")
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	row := strings.Index(out, "row: fixed-election-timeout: ")
	if row < 0 || strings.Index(out, "row: none (correct core): ") > row || strings.Index(out, "\nraftsim catches:") < row {
		t.Fatalf("rows missing or after the table:\n%s", out)
	}
	if !strings.Contains(out, "  bound: lab3a-initial-election stopped by its budget after ") || !strings.Contains(out, " of 20 seeds (") {
		t.Errorf("the cell budget is not reported:\n%s", out)
	}
	out, errs, code = cli(t, "catches", "--scenario", "lab3a-initial-election", "--seeds", "1..2", "--max-events", "1000", "--bug", "no-retry-dedup")
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFail, out, errs)
	}
	for _, want := range []string{
		"row: none (correct core): failed 0 of 1 scenarios, 0 of 2 runs",
		"  bound: lab3a-initial-election: 2 runs reached the event bound\n",
		"lab3a-initial-election: correct core passes 0/2; catches none\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
