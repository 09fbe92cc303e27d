//go:build raftbugs

package raft

import (
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Each planted snapshot bug, at the node or the store, next to the
// correct code on the same input: the tests of snapshot_test.go would
// catch every one of them.

// install-stale-snapshot: a snapshot at or below the commit index rolls
// the follower back.
func TestPlantedInstallStaleSnapshot(t *testing.T) {
	for _, planted := range []bool{false, true} {
		n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 1, 1, 1}, 1)
		must(t, n.Step(Message{Type: MsgHeartbeat, From: 1, To: 2, Term: 1, Commit: 6}))
		drain(n, s)
		must(t, n.Compact(5, nil))
		drain(n, s)
		_, m := installable(4, 1, 1, 1, 2)
		if planted {
			bugs.Set(bugs.InstallStaleSnapshot)
		}
		must(t, n.Step(m))
		bugs.Set(bugs.None)
		drain(n, s)
		want := Index(6)
		if planted {
			want = 4
		}
		if st := n.Status(); st.Commit != want || st.Applied != want {
			t.Fatalf("planted=%v: commit %d applied %d, want %d", planted, st.Commit, st.Applied, want)
		}
	}
}

// discard-log-on-install: a log that holds the snapshot's last entry loses
// the entries after it.
func TestPlantedDiscardLogOnInstall(t *testing.T) {
	for _, planted := range []bool{false, true} {
		n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1)
		_, m := installable(8, 1, 1, 1, 2)
		if planted {
			bugs.Set(bugs.DiscardLogOnInstall)
		}
		must(t, n.Step(m))
		bugs.Set(bugs.None)
		drain(n, s)
		want := Index(10)
		if planted {
			want = 8
		}
		if st := n.Status(); st.LastIndex != want {
			t.Fatalf("planted=%v: last index %d, want %d", planted, st.LastIndex, want)
		}
	}
}

// snapshot-chunk-gap: with a chunk lost, the follower installs a snapshot
// with a hole instead of asking for the chunk again.
func TestPlantedSnapshotChunkGap(t *testing.T) {
	for _, planted := range []bool{false, true} {
		n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1}, 1)
		snap, _ := installable(6, 1, 1, 1, 2)
		chunk := func(off uint64) Message {
			end := min(off+4, uint64(len(snap.Data)))
			return Message{Type: MsgSnap, From: 1, To: 2, Term: 1, Index: 6, LogTerm: 1, Context: 1,
				Snapshot: &SnapshotChunk{Meta: snap.Meta, Offset: off, Total: uint64(len(snap.Data)), Data: snap.Data[off:end]}}
		}
		if planted {
			bugs.Set(bugs.SnapshotChunkGap)
		}
		for off := uint64(0); off < uint64(len(snap.Data)); off += 4 {
			if off == 4 {
				continue // lost
			}
			must(t, n.Step(chunk(off)))
		}
		bugs.Set(bugs.None)
		rd := n.Ready()
		installed := !rd.Snapshot.IsEmpty()
		if installed != planted {
			t.Fatalf("planted=%v: installed %v", planted, installed)
		}
		if planted && string(rd.Snapshot.Data) == string(snap.Data) {
			t.Fatal("planted: the snapshot with a lost chunk came out whole")
		}
		n.Advance(rd)
		drain(n, s)
	}
}

// compact-before-snapshot-sync: a power loss after a compaction and
// before the snapshot's sync leaves a store whose log starts after its
// durable snapshot ends.
func TestPlantedCompactBeforeSnapshotSync(t *testing.T) {
	for _, planted := range []bool{false, true} {
		n, s := nodeWithLog(t, 2, []NodeID{1, 2, 3}, []Term{1, 1, 1, 1, 1, 1}, 1)
		must(t, n.Step(Message{Type: MsgHeartbeat, From: 1, To: 2, Term: 1, Commit: 6}))
		drain(n, s)
		must(t, n.Compact(5, nil))
		rd := n.Ready()
		if planted {
			bugs.Set(bugs.CompactBeforeSnapshotSync)
		}
		must(t, s.ApplySnapshot(rd.Snapshot))
		must(t, s.Compact(rd.Compact))
		bugs.Set(bugs.None)
		s.PowerLoss() // before the sync
		s.Reopen()
		_, err := NewNode(Config{ID: 2, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: testRand(), Applied: 6})
		if planted != (err != nil) {
			t.Fatalf("planted=%v: restart: %v", planted, err)
		}
		if planted && !strings.Contains(err.Error(), "lost") {
			t.Fatalf("planted: restart fails with %v, want lost entries named", err)
		}
	}
}
