//go:build raftbugs

package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
)

// The planted commit-past-last-new-entry bug is real at the follower: a
// follower whose log ends in a stale entry, given an AppendEntries that
// matches just before it with no entries (a heartbeat in the paper's
// protocol, sent at the divergence) and a leader commit index past it,
// commits the stale entry. Correct code commits only what the message
// vouches for (§5.3, AppendEntries rule 5).
//
// Our leader never sends that message, which is why selftest does not
// find this bug: a MsgApp a follower accepts carries the entries from the
// first index where their logs differ (conflict-term backtracking lands
// exactly there), so the follower truncates its stale tail before it
// commits; an empty MsgApp starts after the leader's last entry; and
// heartbeats carry a commit index the leader caps at what the follower
// is known to hold.
func TestPlantedCommitPastLastNewEntry(t *testing.T) {
	for _, planted := range []bool{false, true} {
		if planted {
			bugs.Set(bugs.CommitPastLastNewEntry)
		}
		s := NewMemoryStorage()
		_ = s.Append([]Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2}, {Term: 2, Index: 3}})
		_ = s.SetHardState(HardState{Term: 2})
		_ = s.Sync()
		n, err := NewNode(Config{ID: 1, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: rand.New(rand.NewPCG(1, 1))})
		if err != nil {
			t.Fatal(err)
		}
		// The leader of term 3 holds (2, 1) and a different entry 3,
		// which it has committed.
		if err := n.Step(Message{Type: MsgApp, From: 2, To: 1, Term: 3, Index: 2, LogTerm: 1, Commit: 3}); err != nil {
			t.Fatal(err)
		}
		got := n.Status().Commit
		bugs.Set(bugs.None)
		want := Index(2)
		if planted {
			want = 3 // the stale entry of term 2
		}
		if got != want {
			t.Fatalf("planted=%v: commit index %d, want %d", planted, got, want)
		}
	}
}
