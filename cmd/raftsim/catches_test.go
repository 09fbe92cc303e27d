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
}
