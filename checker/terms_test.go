package checker

import (
	"testing"

	"github.com/raftsim/raftsim/raft"
)

type statusView struct{ st raft.Status }

func (v statusView) Status() raft.Status                 { return v.st }
func (v statusView) Term(i raft.Index) (raft.Term, bool) { return 0, i == 0 }

func TestStepTermRules(t *testing.T) {
	leader := raft.Status{ID: 1, Term: 3, Vote: 1, Role: raft.RoleLeader, Leader: 1}
	follower := raft.Status{ID: 1, Term: 3, Vote: 2, Role: raft.RoleFollower, Leader: 2}
	stepped := raft.Status{ID: 1, Term: 5, Role: raft.RoleFollower}
	cases := []struct {
		name          string
		typ           raft.MessageType
		term          raft.Term
		reject        bool
		before, after raft.Status
		want          string
	}{
		{"leader keeps leading after a higher-term response", raft.MsgAppResp, 5, false, leader, leader, "stale-leader"},
		{"leader keeps leading after a higher-term heartbeat answer", raft.MsgHeartbeatResp, 5, false, leader, leader, "stale-leader"},
		{"leader steps down", raft.MsgAppResp, 5, false, leader, stepped, ""},
		{"leader ignores a vote request (CheckQuorum)", raft.MsgVote, 5, false, leader, leader, ""},
		{"leader and a granted pre-vote answer", raft.MsgPreVoteResp, 5, false, leader, leader, ""},
		{"leader and a same-term answer", raft.MsgAppResp, 3, false, leader, leader, ""},
		{"pre-vote changes the term", raft.MsgPreVote, 5, false, follower, stepped, "prevote-inert"},
		{"pre-vote changes the vote", raft.MsgPreVote, 4, false, follower, raft.Status{ID: 1, Term: 3, Vote: 3}, "prevote-inert"},
		{"pre-vote answered, nothing changed", raft.MsgPreVote, 5, false, follower, follower, ""},
		{"vote changes the term", raft.MsgVote, 5, false, follower, stepped, ""},
		{"older-term append taken: leader and log change", raft.MsgApp, 2, false, follower,
			raft.Status{ID: 1, Term: 3, Vote: 2, Role: raft.RoleFollower, Leader: 4, LastIndex: 7, LastTerm: 2}, "stale-term-inert"},
		{"older-term append sets the leader only", raft.MsgApp, 2, false, follower,
			raft.Status{ID: 1, Term: 3, Vote: 2, Role: raft.RoleFollower, Leader: 4}, "stale-term-inert"},
		{"older-term heartbeat moves the commit index", raft.MsgHeartbeat, 2, false, follower,
			raft.Status{ID: 1, Term: 3, Vote: 2, Role: raft.RoleFollower, Leader: 2, Commit: 9}, "stale-term-inert"},
		{"older-term append answered, nothing changed", raft.MsgApp, 2, false, follower, follower, ""},
		{"older-term answer to a leader, nothing changed", raft.MsgAppResp, 1, false, leader, leader, ""},
		{"same-term append changes the log", raft.MsgApp, 3, false, follower,
			raft.Status{ID: 1, Term: 3, Vote: 2, Role: raft.RoleFollower, Leader: 2, LastIndex: 7, LastTerm: 3}, ""},
	}
	for _, tc := range cases {
		iv := NewInvariants([]raft.NodeID{1, 2, 3})
		v := iv.ObserveStep(1, tc.typ, tc.term, tc.reject, tc.before, tc.after)
		switch {
		case tc.want == "" && v != nil:
			t.Errorf("%s: %v", tc.name, v)
		case tc.want != "" && (v == nil || v.Invariant != tc.want):
			t.Errorf("%s: %v, want %s", tc.name, v, tc.want)
		}
	}
}

func TestRestartKeepsTheDurableHardState(t *testing.T) {
	cases := []struct {
		name    string
		durable raft.HardState
		restart raft.Status
		want    string
	}{
		{"same", raft.HardState{Term: 4, Vote: 2}, raft.Status{Term: 4, Vote: 2}, ""},
		{"later (unsynced writes kept by the page cache)", raft.HardState{Term: 4, Vote: 2}, raft.Status{Term: 6}, ""},
		{"term back", raft.HardState{Term: 4, Vote: 2}, raft.Status{Term: 3, Vote: 2}, "hard-state-restored"},
		{"vote forgotten", raft.HardState{Term: 4, Vote: 2}, raft.Status{Term: 4}, "hard-state-restored"},
		{"vote changed", raft.HardState{Term: 4, Vote: 2}, raft.Status{Term: 4, Vote: 3}, "hard-state-restored"},
		{"no vote was durable", raft.HardState{Term: 4}, raft.Status{Term: 4, Vote: 3}, ""},
	}
	for _, tc := range cases {
		iv := NewInvariants([]raft.NodeID{1, 2, 3})
		iv.ObserveDurable(1, tc.durable)
		v := iv.ObserveRestart(1, statusView{tc.restart})
		switch {
		case tc.want == "" && v != nil:
			t.Errorf("%s: %v", tc.name, v)
		case tc.want != "" && (v == nil || v.Invariant != tc.want):
			t.Errorf("%s: %v, want %s", tc.name, v, tc.want)
		}
	}
}
