//go:build raftbugs

package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
)

// The planted Figure 8 bug is real at the Raft level: with it, the
// paper's sequence (§5.4.2, Figure 8) loses a committed entry; without
// it, the entry is never committed. Three nodes: n1 led term 2 and holds
// e at index 2 alone; n3 led term 3 and holds x there; n1 wins term 4,
// replicates e to n2 one entry at a time, and crashes before its no-op is
// acknowledged; n3 then wins term 5 and overwrites e on n2.
func TestPlantedFigure8LosesACommittedEntry(t *testing.T) {
	for _, planted := range []bool{false, true} {
		if planted {
			bugs.Set(bugs.FigureEightCommit)
		}
		start := func(id NodeID, terms []Term) (*Node, *MemoryStorage) {
			s := NewMemoryStorage()
			var ents []Entry
			for i, tm := range terms {
				ents = append(ents, Entry{Term: tm, Index: Index(i + 1), Type: EntryNormal, Data: []byte{byte(id), byte(i)}})
			}
			_ = s.Append(ents)
			_ = s.SetHardState(HardState{Term: 3})
			_ = s.Sync()
			n, err := NewNode(Config{ID: id, Voters: []NodeID{1, 2, 3}, Storage: s, Rand: rand.New(rand.NewPCG(uint64(id), 1)),
				DisablePreVote: true, DisableCheckQuorum: true, MaxEntriesPerMsg: 1})
			if err != nil {
				t.Fatal(err)
			}
			return n, s
		}
		n1, s1 := start(1, []Term{1, 2})
		n2, s2 := start(2, []Term{1})
		n3, s3 := start(3, []Term{1, 3})
		nodes := map[NodeID]*Node{1: n1, 2: n2, 3: n3}
		stores := map[NodeID]*MemoryStorage{1: s1, 2: s2, 3: s3}
		// deliver runs messages between the live nodes until quiet.
		deliver := func(msgs []Message, live ...NodeID) {
			for len(msgs) > 0 {
				var next []Message
				for _, m := range msgs {
					up := false
					for _, id := range live {
						up = up || id == m.To
					}
					if !up {
						continue
					}
					if err := nodes[m.To].Step(m); err != nil {
						t.Fatalf("step %v: %v", m, err)
					}
					next = append(next, drain(nodes[m.To], stores[m.To])...)
				}
				msgs = next
			}
		}
		// n1 wins term 4 (n2 votes; n3 is down) and appends its no-op.
		n1.becomeCandidate()
		n1.becomeLeader()
		msgs := drain(n1, s1)
		// n2 rejects the first probe, then takes e alone; its
		// acknowledgement of e is delivered, the no-op that follows is lost.
		var toN2 []Message
		for _, m := range msgs {
			if m.To == 2 {
				toN2 = append(toN2, m)
			}
		}
		n2.Step(toN2[0])
		n1.Step(drain(n2, s2)[0]) // the rejection
		var appE Message
		for _, m := range drain(n1, s1) {
			if m.To == 2 && m.Type == MsgApp {
				appE = m
			}
		}
		if len(appE.Entries) != 1 || appE.Entries[0].Index != 2 || appE.Entries[0].Term != 2 {
			t.Fatalf("n1 sent %v, want e (index 2, term 2) alone", appE)
		}
		n2.Step(appE)
		n1.Step(drain(n2, s2)[0]) // n2 acknowledges index 2
		drain(n1, s1)
		committed := n1.Status().Commit
		if !planted {
			if committed != 0 {
				t.Fatalf("correct code committed %d by counting replicas of an earlier term", committed)
			}
			continue
		}
		if committed != 2 {
			t.Fatalf("with the bug, n1 committed %d, want 2 (e, by counting)", committed)
		}
		// n1 crashes. n3 campaigns for term 5: n2's log ends in term 2, n3's
		// in term 3, so n2 votes for it, and n3 overwrites e on n2.
		// (Its first candidacy is in term 4, where n2 follows n1.)
		for n3.Status().Term < 5 {
			n3.campaign(false, false)
			deliver(drain(n3, s3), 2, 3)
		}
		for range 3 {
			n3.Tick()
			deliver(drain(n3, s3), 2, 3)
		}
		if n3.Status().Role != RoleLeader {
			t.Fatalf("n3 did not win term 5: %+v", n3.Status())
		}
		if tm, _ := n2.Term(2); tm != 3 {
			t.Fatalf("n2 holds term %d at index 2, want n3's term 3 overwriting e", tm)
		}
		t.Logf("committed entry e (2/2) was overwritten by n3's entry of term 3: Figure 8")
	}
	bugs.Set(bugs.None)
}
