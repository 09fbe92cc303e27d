//go:build raftbugs

package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A live run whose nodes re-apply retried commands (the planted
// no-retry-dedup bug) fails, and the checks name what broke. Retries
// come from clients whose leader was killed under them; a run whose kills
// happened to hit no client mid-write passes, and is tried again with
// another seed: three runs at most must catch the bug. The nodes do not
// compact (--snapshot-every 0): the log replay sees only the entries after
// a snapshot, and a double apply inside a compacted prefix is in the
// snapshot's state, which every node with the bug agrees on.
func TestPlantedLiveRunCatchesDoubleApply(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "raftsim")
	if out, err := exec.Command("go", "build", "-tags", "raftbugs", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var last string
	for _, seed := range []string{"11", "12", "13"} {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		out, err := exec.CommandContext(ctx, bin, "live", "--planted-bug", "no-retry-dedup", "--faults", "kill",
			"--duration", "8s", "--heal", "4s", "--snapshot-every", "0", "--seed", seed).CombinedOutput()
		cancel()
		last = string(out)
		if err == nil && strings.Contains(last, "result           PASS") {
			continue // no retry met the bug in this run
		}
		if err == nil || !strings.Contains(last, "result           FAIL") || !strings.Contains(last, "client-at-most-once") {
			t.Fatalf("live run with a planted double apply: %v\n%s", err, last)
		}
		return
	}
	t.Fatalf("three live runs with a planted double apply passed:\n%s", last)
}
