//go:build raftbugs

package main

import (
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/raft/kv"
)

// With the planted bug that re-applies retried commands, the live run's
// log check reports client-at-most-once.
func TestPlantedLiveLogCheckCatchesDoubleApply(t *testing.T) {
	bugs.Set(bugs.NoRetryDedup)
	defer bugs.Set(bugs.None)
	dir := t.TempDir()
	// Session 1 is registered by entry 1.
	writeLog(t, dir, []raft.Entry{cmdEntry(1, kv.Register()), cmdEntry(2, kv.Append(1, 1, "k", "x")), cmdEntry(3, kv.Append(1, 1, "k", "x"))})
	lc, err := checkLogs([]raft.NodeID{1}, []string{dir})
	if err != nil || lc.Violation == nil || lc.Violation.Invariant != "client-at-most-once" {
		t.Fatalf("checkLogs with a double apply = %+v, %v; want client-at-most-once", lc, err)
	}
}
