package raft

import "testing"

// Figure 2: a follower's election timer restarts only on an AppendEntries
// from the current leader or on granting a vote. A vote request of a
// higher term from a candidate with a stale log moves the follower to
// that term, but is refused, and must not restart the timer: otherwise
// stale candidates, each refused, would keep the one node that could win
// from ever standing (with PreVote off, elections stalled for seconds).
func TestRefusedVoteDoesNotResetElectionTimer(t *testing.T) {
	n, s := nodeWithLog(t, 1, []NodeID{1, 2, 3}, []Term{1, 1}, 1)
	for n.electionElapsed < n.electionTimeout-1 {
		n.Tick()
	}
	drain(n, s)
	must(t, n.Step(Message{Type: MsgVote, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1}))
	msgs := drain(n, s)
	if len(msgs) != 1 || msgs[0].Type != MsgVoteResp || !msgs[0].Reject {
		t.Fatalf("answer to a stale candidate: %v, want a refusal", msgs)
	}
	if st := n.Status(); st.Term != 2 || st.Role != RoleFollower {
		t.Fatalf("after the refused vote: %+v, want a follower of term 2", st)
	}
	n.Tick()
	if st := n.Status(); st.Role != RoleCandidate || st.Term != 3 {
		t.Fatalf("one tick later: %+v, want a candidate of term 3: its timer was not restarted", st)
	}
}

// Granting a vote, or hearing from the leader, restarts the timer.
func TestGrantedVoteAndAppendResetElectionTimer(t *testing.T) {
	for _, m := range []Message{
		{Type: MsgVote, From: 2, To: 1, Term: 2, Index: 2, LogTerm: 1},
		{Type: MsgHeartbeat, From: 2, To: 1, Term: 2},
		{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 2, LogTerm: 1},
	} {
		n, s := nodeWithLog(t, 1, []NodeID{1, 2, 3}, []Term{1, 1}, 1)
		for n.electionElapsed < n.electionTimeout-1 {
			n.Tick()
		}
		must(t, n.Step(m))
		drain(n, s)
		if n.electionElapsed != 0 {
			t.Errorf("after %v: election elapsed %d, want the timer restarted", m.Type, n.electionElapsed)
		}
		n.Tick()
		if st := n.Status(); st.Role != RoleFollower {
			t.Errorf("after %v and one tick: %s, want a follower", m.Type, st.Role)
		}
	}
}
