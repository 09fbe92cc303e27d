package raft

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// nodeWithLog starts node id of voters whose durable log has the given
// terms at indexes 1, 2, ... and whose hard state is at term.
func nodeWithLog(t *testing.T, id NodeID, voters []NodeID, terms []Term, term Term) (*Node, *MemoryStorage) {
	t.Helper()
	s := NewMemoryStorage()
	var ents []Entry
	for i, tm := range terms {
		ents = append(ents, Entry{Term: tm, Index: Index(i + 1), Type: EntryNormal, Data: []byte{byte(i)}})
	}
	if err := s.Append(ents); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHardState(HardState{Term: term}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	n, err := NewNode(Config{ID: id, Voters: voters, Storage: s, Rand: rand.New(rand.NewPCG(1, 2)), DisablePreVote: true})
	if err != nil {
		t.Fatal(err)
	}
	return n, s
}

// makeLeader turns n into the leader of its next term directly.
func makeLeader(n *Node) {
	n.becomeCandidate()
	n.becomeLeader()
}

// drain carries out n's Readies without a storage round trip check and
// returns the messages.
func drain(n *Node, s *MemoryStorage) []Message {
	var out []Message
	for n.HasReady() {
		rd := n.Ready()
		if !rd.HardState.IsZero() {
			_ = s.SetHardState(rd.HardState)
		}
		_ = s.Append(rd.Entries)
		_ = s.Sync()
		out = append(out, rd.Messages...)
		n.Advance(rd)
	}
	return out
}

// §5.4.2, Figure 8: an entry of an earlier term on a majority is not
// committed by counting; it commits once an entry of the current term
// does.
func TestFigure8NoCommitByCountingOldTerm(t *testing.T) {
	voters := []NodeID{1, 2, 3}
	// Leader of term 3 holds entry 2 from term 2, which follower 2 has too.
	n, s := nodeWithLog(t, 1, voters, []Term{1, 2}, 2)
	makeLeader(n)
	drain(n, s)
	if st := n.Status(); st.Term != 3 || st.LastIndex != 3 {
		t.Fatalf("leader at term %d last %d, want term 3 with its no-op at 3", st.Term, st.LastIndex)
	}
	n.Step(Message{Type: MsgAppResp, From: 2, To: 1, Term: 3, Index: 2})
	drain(n, s)
	if c := n.Status().Commit; c != 0 {
		t.Fatalf("commit %d after a majority holds term-2 entry 2; must stay 0 (Figure 8)", c)
	}
	n.Step(Message{Type: MsgAppResp, From: 2, To: 1, Term: 3, Index: 3})
	drain(n, s)
	if c := n.Status().Commit; c != 3 {
		t.Fatalf("commit %d after a majority holds term-3 entry 3, want 3", c)
	}
}

// §5.3 with fast backtracking: a follower whose log diverges from the
// leader's across k terms catches up in O(k) round trips, not O(entries).
func TestFastBacktrackingIsLinearInTerms(t *testing.T) {
	const perTerm = 50
	for _, k := range []int{1, 3, 8} {
		leaderTerms := []Term{1}
		followerTerms := []Term{1}
		for j := 0; j < k; j++ {
			for range perTerm {
				leaderTerms = append(leaderTerms, Term(2*j+3))
				followerTerms = append(followerTerms, Term(2*j+2))
			}
		}
		top := Term(2*k + 2)
		voters := []NodeID{1, 2, 3}
		l, ls := nodeWithLog(t, 1, voters, leaderTerms, top)
		f, fs := nodeWithLog(t, 2, voters, followerTerms, top)
		makeLeader(l)
		rejects, trips := 0, 0
		msgs := drain(l, ls)
		for len(msgs) > 0 && trips < 10*perTerm*k {
			var next []Message
			for _, m := range msgs {
				if m.To == 3 {
					continue
				}
				target, ts := f, fs
				if m.To == 1 {
					target, ts = l, ls
				}
				if m.Type == MsgAppResp && m.Reject {
					rejects++
				}
				if err := target.Step(m); err != nil {
					t.Fatal(err)
				}
				next = append(next, drain(target, ts)...)
			}
			msgs = next
			trips++
		}
		if f.Status().LastIndex != l.Status().LastIndex || f.Status().Commit != l.Status().LastIndex {
			t.Fatalf("k=%d: follower last %d commit %d, leader last %d", k, f.Status().LastIndex, f.Status().Commit, l.Status().LastIndex)
		}
		// One rejection per diverging term, plus one for the term boundary.
		if rejects > k+1 {
			t.Fatalf("k=%d terms of %d entries: %d rejections, want at most %d", k, perTerm, rejects, k+1)
		}
	}
}

func TestFindConflictByTerm(t *testing.T) {
	// Log: index 1..6 with terms 1 1 2 2 4 4.
	l := &raftLog{first: 1}
	l.append(Entry{Term: 1, Index: 1}, Entry{Term: 1, Index: 2}, Entry{Term: 2, Index: 3}, Entry{Term: 2, Index: 4}, Entry{Term: 4, Index: 5}, Entry{Term: 4, Index: 6})
	for _, tc := range []struct {
		i         Index
		t         Term
		wantIndex Index
		wantTerm  Term
	}{
		{6, 4, 6, 4},
		{6, 3, 4, 2},
		{6, 1, 2, 1},
		{6, 0, 0, 0},
		{10, 5, 6, 4}, // past the end: start at the last index
		{3, 2, 3, 2},
		{0, 9, 0, 0},
	} {
		gi, gt := l.findConflictByTerm(tc.i, tc.t)
		if gi != tc.wantIndex || gt != tc.wantTerm {
			t.Errorf("findConflictByTerm(%d, %d) = %d/%d, want %d/%d", tc.i, tc.t, gi, gt, tc.wantIndex, tc.wantTerm)
		}
	}
}

// §5.3: a delayed or duplicated AppendEntries that agrees with the log
// must not truncate it; commit is bounded by the last new entry.
func TestMaybeAppendIgnoresStaleAgreeingMessage(t *testing.T) {
	l := &raftLog{first: 1}
	l.append(Entry{Term: 1, Index: 1}, Entry{Term: 1, Index: 2}, Entry{Term: 1, Index: 3})
	last, ok, err := l.maybeAppend(0, 0, 3, []Entry{{Term: 1, Index: 1}})
	if err != nil || !ok || last != 1 {
		t.Fatalf("maybeAppend = %d, %v; want 1, true", last, ok)
	}
	if l.lastIndex() != 3 {
		t.Fatalf("stale MsgApp truncated the log to %d entries", l.lastIndex())
	}
	if l.committed != 1 {
		t.Fatalf("commit %d, want 1: bounded by the message's last entry, not leaderCommit 3", l.committed)
	}
	// A conflicting entry truncates from the conflict on.
	if _, ok, err := l.maybeAppend(1, 1, 1, []Entry{{Term: 2, Index: 2}}); err != nil || !ok {
		t.Fatal("maybeAppend with a matching prev failed")
	}
	if l.lastIndex() != 2 || l.entries.at(1).Term != 2 {
		t.Fatalf("after conflict log is %v, want [1/1 2/2]", l.copyRange(1, l.lastIndex()+1))
	}
	// Contradicting a committed entry is refused and changes nothing.
	if _, _, err := l.maybeAppend(0, 0, 0, []Entry{{Term: 3, Index: 1}}); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("overwriting committed entry 1: err %v, want ErrInvalidMessage", err)
	}
	if l.lastIndex() != 2 || l.entries.at(0).Term != 1 {
		t.Fatalf("refused message changed the log to %v", l.copyRange(1, l.lastIndex()+1))
	}
}

// Slices handed out (in messages and Readies) survive truncation.
func TestTruncationDoesNotOverwriteHandedOutEntries(t *testing.T) {
	l := &raftLog{first: 1}
	l.append(Entry{Term: 1, Index: 1}, Entry{Term: 1, Index: 2}, Entry{Term: 1, Index: 3})
	out := l.slice(2, 4)
	l.truncateAndAppend([]Entry{{Term: 2, Index: 2}})
	if out[0].Term != 1 || out[1].Term != 1 {
		t.Fatalf("handed-out slice changed to %v", out)
	}
}
