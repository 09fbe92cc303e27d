package checker

import (
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// fakeMember is a fakeNode with a configuration: the latest in its log,
// set by the entry at confIndex.
type fakeMember struct {
	fakeNode
	conf      raft.ConfState
	confIndex raft.Index
}

func (f *fakeMember) Config() (raft.ConfState, raft.Index) { return f.conf, f.confIndex }

// Committed implements CommitView: the commit index the node holds now.
func (f *fakeMember) Committed() raft.Index { return f.commit }

func members(nodes ...*fakeMember) Cluster {
	return func(id raft.NodeID) LogView { return nodes[id-1] }
}

func voters(ids ...raft.NodeID) raft.ConfState { return raft.ConfState{Voters: ids} }

func confEntry(index raft.Index, term raft.Term, cs raft.ConfState) raft.Entry {
	return raft.Entry{Index: index, Term: term, Type: raft.EntryConfig, Data: raft.EncodeConfState(cs)}
}

// newMembers builds n fake members, all of configuration cs, with logs of
// terms.
func newMembers(n int, cs raft.ConfState, terms []raft.Term) []*fakeMember {
	out := make([]*fakeMember, n)
	for i := range out {
		out[i] = &fakeMember{fakeNode: fakeNode{terms: append([]raft.Term(nil), terms...), term: 1}, conf: cs}
	}
	return out
}

func idsTo(n int) []raft.NodeID {
	out := make([]raft.NodeID, n)
	for i := range out {
		out[i] = raft.NodeID(i + 1)
	}
	return out
}

// TestElectionQuorum: a leader's votes must be a majority of each voter
// half of its log's configuration; learners' votes count for nothing.
func TestElectionQuorum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		conf   raft.ConfState
		votes  []raft.NodeID // nodes that voted for node 1 in term 2
		broken bool
	}{
		{"majority of four", voters(1, 2, 3, 4), []raft.NodeID{2, 3}, false},
		{"half of four", voters(1, 2, 3, 4), []raft.NodeID{2}, true},
		{"a learner's vote", raft.ConfState{Voters: []raft.NodeID{1, 2, 3}, Learners: []raft.NodeID{4}}, []raft.NodeID{4}, true},
		{"a stranger's vote", voters(1, 2, 3), []raft.NodeID{5}, true},
		{"joint: C_new only", raft.ConfState{Voters: []raft.NodeID{1, 2, 3}, VotersOutgoing: []raft.NodeID{1, 4, 5}}, []raft.NodeID{2, 3}, true},
		{"joint: both halves", raft.ConfState{Voters: []raft.NodeID{1, 2, 3}, VotersOutgoing: []raft.NodeID{1, 4, 5}}, []raft.NodeID{2, 4}, false},
	} {
		ms := newMembers(5, tc.conf, []raft.Term{1})
		iv := NewInvariants(idsTo(5))
		iv.SetCluster(members(ms...))
		for _, v := range tc.votes {
			iv.ObserveVote(v, raft.HardState{Term: 2, Vote: 1})
		}
		// A vote of another term counts for nothing.
		iv.ObserveVote(3, raft.HardState{Term: 1, Vote: 1})
		ms[0].role, ms[0].term = raft.RoleLeader, 2
		v := iv.ObserveRole(1, raft.RoleLeader, 2, ms[0])
		if tc.broken {
			if v == nil || v.Invariant != "election-quorum" {
				t.Errorf("%s: got %v, want election-quorum", tc.name, v)
			}
		} else if v != nil {
			t.Errorf("%s: %v", tc.name, v)
		}
	}
}

// A vote that a later term overtakes before its Ready is persisted (a
// paused node delivers a vote request of term 22, then times out into
// term 23 in the same Ready) is on disk only as term 23's hard state, yet
// its grant leaves and elects the candidate of term 22: it counts. A
// refused vote and a pre-vote grant do not.
func TestElectionQuorumCountsVotesGrantedOnTheWire(t *testing.T) {
	ms := newMembers(3, voters(1, 2, 3), []raft.Term{1})
	iv := NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	iv.ObserveVote(2, raft.HardState{Term: 23, Vote: 2})
	refused := raft.Message{Type: raft.MsgVoteResp, From: 2, To: 3, Term: 22, Reject: true}
	wantNone(t, iv.ObserveSend(2, refused, ms[1], 1))
	preVote := raft.Message{Type: raft.MsgPreVoteResp, From: 2, To: 3, Term: 22}
	wantNone(t, iv.ObserveSend(2, preVote, ms[1], 1))
	ms[2].role, ms[2].term = raft.RoleLeader, 22
	wantViolation(t, iv.ObserveRole(3, raft.RoleLeader, 22, ms[2]), "election-quorum")

	iv = NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	iv.ObserveVote(2, raft.HardState{Term: 23, Vote: 2})
	grant := raft.Message{Type: raft.MsgVoteResp, From: 2, To: 3, Term: 22}
	wantNone(t, iv.ObserveSend(2, grant, ms[1], 1))
	wantNone(t, iv.ObserveRole(3, raft.RoleLeader, 22, ms[2]))
}

// TestLeaderIsVoter: a learner or a node outside its configuration never
// leads.
func TestLeaderIsVoter(t *testing.T) {
	ms := newMembers(3, raft.ConfState{Voters: []raft.NodeID{2, 3}, Learners: []raft.NodeID{1}}, []raft.Term{1})
	iv := NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	wantViolation(t, iv.ObserveRole(1, raft.RoleLeader, 2, ms[0]), "leader-is-voter")
}

// TestRemovedNodeLeads: a node a committed configuration removed, whose
// log lacks that configuration, never leads again.
func TestRemovedNodeLeads(t *testing.T) {
	ms := newMembers(3, voters(1, 2, 3), []raft.Term{1, 1})
	iv := NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	wantNone(t, iv.ObserveApply(1, raft.Entry{Index: 1, Term: 1, Type: raft.EntryNoop}, 0, 0))
	wantNone(t, iv.ObserveApply(1, confEntry(2, 1, voters(1, 2)), 0, 0))
	// Node 3 never got entry 2, and still thinks it votes.
	ms[2].terms = []raft.Term{1}
	wantViolation(t, iv.ObserveRole(3, raft.RoleLeader, 2, ms[2]), "removed-node-leads")
}

// TestRemovedLeader: a leader whose removal committed on it has stepped
// down.
func TestRemovedLeader(t *testing.T) {
	ms := newMembers(3, voters(2, 3), []raft.Term{1, 1, 1})
	ms[0].confIndex = 3
	ms[0].role, ms[0].commit = raft.RoleLeader, 2
	iv := NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	wantNone(t, iv.ObserveNode(1, ms[0]))
	ms[0].commit = 3
	wantViolation(t, iv.ObserveNode(1, ms[0]), "removed-leader")
	ms[0].role = raft.RoleFollower
	iv = NewInvariants(idsTo(3))
	iv.SetCluster(members(ms...))
	wantNone(t, iv.ObserveNode(1, ms[0]))
}

// TestOneConfigChange: a leader never holds two configuration entries past
// the highest commit index.
func TestOneConfigChange(t *testing.T) {
	ms := newMembers(4, voters(1, 2, 3), []raft.Term{1})
	iv := NewInvariants(idsTo(4))
	iv.SetCluster(members(ms...))
	l := ms[0]
	l.role, l.term, l.commit = raft.RoleLeader, 1, 1
	iv.ObserveVote(2, raft.HardState{Term: 1, Vote: 1})
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 1, l))
	l.terms = []raft.Term{1, 1}
	l.conf, l.confIndex = voters(1, 2, 3, 4), 2
	wantNone(t, iv.ObserveAppend(1, l, []raft.Entry{confEntry(2, 1, l.conf)}))
	// A second change before the first commits.
	l.terms = []raft.Term{1, 1, 1}
	l.conf, l.confIndex = voters(1, 2, 3), 3
	wantViolation(t, iv.ObserveAppend(1, l, []raft.Entry{confEntry(3, 1, l.conf)}), "one-config-change")

	// After the first commits, the second is fine.
	ms = newMembers(4, voters(1, 2, 3), []raft.Term{1})
	iv = NewInvariants(idsTo(4))
	iv.SetCluster(members(ms...))
	l = ms[0]
	l.role, l.term, l.commit = raft.RoleLeader, 1, 1
	iv.ObserveVote(2, raft.HardState{Term: 1, Vote: 1})
	wantNone(t, iv.ObserveRole(1, raft.RoleLeader, 1, l))
	l.terms = []raft.Term{1, 1}
	l.conf, l.confIndex = voters(1, 2, 3, 4), 2
	wantNone(t, iv.ObserveAppend(1, l, []raft.Entry{confEntry(2, 1, l.conf)}))
	ms[1].terms, ms[2].terms = []raft.Term{1, 1}, []raft.Term{1, 1}
	l.commit = 2
	wantNone(t, iv.ObserveNode(1, l))
	l.terms = []raft.Term{1, 1, 1}
	l.conf, l.confIndex = voters(1, 2, 3), 3
	wantNone(t, iv.ObserveAppend(1, l, []raft.Entry{confEntry(3, 1, l.conf)}))
}

// TestConfigQuorumOverlap is the single-server change bug: two leaders
// change {1,2,3,4} in two ways, one adding 5 and one removing 4, and both
// configurations are in force on logs that hold every committed entry.
// {1,2} is a quorum of {1,2,3}; {3,4,5} one of {1,...,5}.
func TestConfigQuorumOverlap(t *testing.T) {
	base := voters(1, 2, 3, 4)
	ms := newMembers(5, base, []raft.Term{1})
	ms[4].conf = raft.ConfState{Voters: []raft.NodeID{1, 2, 3, 4}} // the spare holds the initial configuration
	iv := NewInvariants(idsTo(5))
	iv.SetCluster(members(ms...))
	ms[0].commit = 1
	wantNone(t, iv.ObserveNode(1, ms[0]))
	// Node 1 appends C1 = {1,...,5}: it overlaps with the base.
	add := voters(1, 2, 3, 4, 5)
	ms[0].terms, ms[0].conf, ms[0].confIndex = []raft.Term{1, 1}, add, 2
	wantNone(t, iv.ObserveAppend(1, ms[0], []raft.Entry{confEntry(2, 1, add)}))
	// Node 2, in term 2, appends C2 = {1,2,3}: disjoint from C1.
	rm := voters(1, 2, 3)
	ms[1].terms, ms[1].conf, ms[1].confIndex = []raft.Term{1, 2}, rm, 2
	wantViolation(t, iv.ObserveAppend(2, ms[1], []raft.Entry{confEntry(2, 2, rm)}), "config-quorum-overlap")

	// Once node 2 has committed an entry of its term that node 1 lacks,
	// node 1's configuration is out of force: no violation.
	ms = newMembers(5, base, []raft.Term{1})
	iv = NewInvariants(idsTo(5))
	iv.SetCluster(members(ms...))
	ms[0].terms, ms[0].conf, ms[0].confIndex = []raft.Term{1, 1}, add, 2
	wantNone(t, iv.ObserveAppend(1, ms[0], []raft.Entry{confEntry(2, 1, add)}))
	ms[1].terms, ms[1].commit = []raft.Term{1, 2}, 2
	ms[2].terms, ms[3].terms = []raft.Term{1, 2}, []raft.Term{1, 2}
	wantNone(t, iv.ObserveNode(2, ms[1]))
	ms[1].terms, ms[1].conf, ms[1].confIndex = []raft.Term{1, 2, 2}, rm, 3
	wantNone(t, iv.ObserveAppend(2, ms[1], []raft.Entry{confEntry(3, 2, rm)}))
}

// TestConfigQuorumOverlapKnowsTheLeadersCommit: a leader commits B = A
// plus node 4 and appends C = B minus node 1 before any Ready reports the
// commit; node 1, whose log ends at the last commit reported, still holds
// A. A = {1,2,3} and C = {2,3,4} have disjoint quorums, but the committed
// B puts A out of force: a node of A can win no election without entry 2.
// The leader's commit index, read from the cluster, says so.
func TestConfigQuorumOverlapKnowsTheLeadersCommit(t *testing.T) {
	a := voters(1, 2, 3)
	ms := newMembers(4, a, []raft.Term{1})
	iv := NewInvariants(idsTo(4))
	iv.SetCluster(members(ms...))
	ms[0].commit = 1
	wantNone(t, iv.ObserveNode(1, ms[0]))
	b, c := voters(1, 2, 3, 4), voters(2, 3, 4)
	l := ms[1]
	l.role, l.term = raft.RoleLeader, 1
	l.terms, l.conf, l.confIndex = []raft.Term{1, 1, 1}, c, 3
	l.commit = 2 // committed in memory, not yet reported
	ms[2].terms, ms[2].conf, ms[2].confIndex = []raft.Term{1, 1}, b, 2
	wantNone(t, iv.ObserveAppend(3, ms[2], []raft.Entry{confEntry(2, 1, b)}))

	// Without that commit, A is in force on node 1 and the check fires.
	ms = newMembers(4, a, []raft.Term{1})
	iv = NewInvariants(idsTo(4))
	iv.SetCluster(members(ms...))
	ms[0].commit = 1
	wantNone(t, iv.ObserveNode(1, ms[0]))
	ms[1].terms, ms[1].conf, ms[1].confIndex, ms[1].commit = []raft.Term{1, 1, 1}, c, 3, 1
	ms[2].terms, ms[2].conf, ms[2].confIndex = []raft.Term{1, 1}, b, 2
	wantViolation(t, iv.ObserveAppend(3, ms[2], []raft.Entry{confEntry(2, 1, b)}), "config-quorum-overlap")
}

func TestDisjointQuorums(t *testing.T) {
	joint := raft.ConfState{Voters: []raft.NodeID{4, 5, 6}, VotersOutgoing: []raft.NodeID{1, 2, 3}}
	for _, tc := range []struct {
		a, b     raft.ConfState
		disjoint bool
	}{
		{voters(1, 2, 3), voters(1, 2, 3, 4), false},
		{voters(1, 2, 3), voters(1, 2), false},
		{voters(1, 2, 3), voters(1, 2, 3, 4, 5), true},
		{voters(1, 2, 3), voters(4, 5, 6), true},
		{voters(1, 2, 3), joint, false},
		{joint, voters(4, 5, 6), false},
		{voters(1), voters(2), true},
		{voters(1, 2, 3, 4), voters(1, 2, 3, 5), false},
	} {
		qa, qb, got := disjointQuorums(tc.a, tc.b)
		if got != tc.disjoint {
			t.Errorf("disjointQuorums(%v, %v) = %v (%v, %v), want %v", tc.a, tc.b, got, qa, qb, tc.disjoint)
		}
	}
}

// TestCommitSafetyByConfiguration: who could win is judged by each node's
// own configuration. A spare outside every configuration, however up to
// date, cannot; a node whose stale configuration is a majority of nodes
// no more up to date than it can.
func TestCommitSafetyByConfiguration(t *testing.T) {
	// Nodes 1-3 vote; 4 and 5 are spares with empty logs.
	ms := newMembers(5, voters(1, 2, 3), []raft.Term{1, 1})
	ms[3].terms, ms[4].terms = nil, nil
	ms[0].role, ms[0].commit = raft.RoleLeader, 2
	ms[2].terms = []raft.Term{1}
	iv := NewInvariants(idsTo(5))
	iv.SetCluster(members(ms...))
	// Entry 2 is on 1 and 2: committed in {1,2,3}. Nodes 4 and 5 lack it
	// and are behind nobody... but vote in no configuration.
	wantNone(t, iv.ObserveNode(1, ms[0]))

	// Node 3 lacks entry 2 and runs with {3,4,5}: with 4 and 5 behind
	// it, it could win.
	ms = newMembers(5, voters(1, 2, 3), []raft.Term{1, 1})
	ms[3].terms, ms[4].terms = nil, nil
	ms[2].terms, ms[2].conf = []raft.Term{1}, voters(3, 4, 5)
	ms[0].role, ms[0].commit = raft.RoleLeader, 2
	iv = NewInvariants(idsTo(5))
	iv.SetCluster(members(ms...))
	wantViolation(t, iv.ObserveNode(1, ms[0]), "commit-safety")
}
