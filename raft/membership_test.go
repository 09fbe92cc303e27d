package raft

import (
	"errors"
	"slices"
	"testing"
)

// TestJointReplaceAll replaces every voter at once through a joint
// configuration (§6): while joint, an entry commits only with a majority
// of both halves; the leader leaves the joint configuration by itself once
// it commits; the old leader, no voter then, steps down.
func TestJointReplaceAll(t *testing.T) {
	c := newClusterSpares(t, 3, 3)
	l := c.elect()
	cc := ConfChange{Changes: []ConfChangeSingle{
		{Type: ConfAddVoter, Node: 4}, {Type: ConfAddVoter, Node: 5}, {Type: ConfAddVoter, Node: 6},
		{Type: ConfRemove, Node: 1}, {Type: ConfRemove, Node: 2}, {Type: ConfRemove, Node: 3},
	}}
	// The new nodes are cut off: the joint entry reaches a majority of
	// C_old only, so it must not commit.
	for _, id := range ids(4, 5, 6) {
		c.isolate(id)
	}
	idx, _, err := c.nodes[l].ProposeConfChange(cc)
	if err != nil {
		t.Fatal(err)
	}
	c.processAll()
	c.deliver()
	if cs := c.nodes[l].Config(); !cs.IsJoint() || !slices.Equal(cs.Voters, ids(4, 5, 6)) || !slices.Equal(cs.VotersOutgoing, ids(1, 2, 3)) || !cs.AutoLeave {
		t.Fatalf("leader runs with %v, want the joint configuration", cs)
	}
	for range 5 {
		c.tickAll()
		c.deliver()
	}
	if st := c.nodes[l].Status(); st.Commit >= idx {
		t.Fatalf("joint entry %d committed with C_new cut off: %+v", idx, st)
	}
	// Another change waits for this one.
	if _, _, err := c.nodes[l].ProposeConfChange(ConfChange{}); !errors.Is(err, ErrConfChangeInProgress) {
		t.Fatalf("leaving before the joint entry committed: %v", err)
	}
	c.heal()
	for range 50 {
		c.tickAll()
		c.deliver()
	}
	nl := c.leader()
	if nl < 4 {
		t.Fatalf("leader %d after the replacement, want one of 4, 5, 6", nl)
	}
	for _, id := range c.ids {
		cs := c.nodes[id].Config()
		if cs.IsJoint() || !slices.Equal(cs.Voters, ids(4, 5, 6)) {
			t.Fatalf("node %d runs with %v after leaving the joint configuration", id, cs)
		}
	}
	if st := c.nodes[l].Status(); st.Role == RoleLeader || st.Voter {
		t.Fatalf("old leader %d: %+v", l, st)
	}
	c.propose(nl, "new cluster")
	c.flush()
	c.tickAll()
	c.deliver()
	for _, id := range ids(4, 5, 6) {
		if got := c.appliedData(id); !slices.Equal(got, []string{"new cluster"}) {
			t.Fatalf("node %d applied %v", id, got)
		}
	}
	c.checkApplied()
}

// TestJointNeedsBothMajorities: in C_old,new a vote needs a majority of
// both halves too.
func TestJointNeedsBothMajorities(t *testing.T) {
	c := newClusterSpares(t, 3, 2)
	l := c.elect()
	cc := ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: 4}}, Joint: true, ExplicitLeave: true}
	c.changeConf(l, cc)
	c.tickAll()
	c.deliver()
	cs := c.nodes[l].Config()
	if !cs.IsJoint() || cs.AutoLeave {
		t.Fatalf("explicit joint change left %v", cs)
	}
	// Stays joint: no automatic leave.
	for range 10 {
		c.tickAll()
		c.deliver()
	}
	if !c.nodes[l].Config().IsJoint() {
		t.Fatal("left the joint configuration without being asked")
	}
	// A candidate of C_old,new = {1,2,3,4} & {1,2,3}: with only one other
	// node of {1,2,3} and node 4, it wins both.
	c.changeConf(l, ConfChange{})
	if cs := c.nodes[l].Config(); cs.IsJoint() || !slices.Equal(cs.Voters, ids(1, 2, 3, 4)) {
		t.Fatalf("after leaving: %v", cs)
	}
	for _, id := range c.ids[:4] {
		if cs := c.nodes[id].Config(); !slices.Equal(cs.Voters, ids(1, 2, 3, 4)) {
			t.Fatalf("node %d: %v", id, cs)
		}
	}
}

// TestJointElection: a candidate in a joint configuration wins only with a
// majority of each half.
func TestJointElection(t *testing.T) {
	n, _ := nodeWithLog(t, 1, ids(1, 2, 3), []Term{1}, 1)
	joint := ConfState{Voters: ids(1, 4, 5), VotersOutgoing: ids(1, 2, 3)}
	n.confs.entries = append(n.confs.entries, confEntry{index: 1, term: 1, cs: joint})
	n.refreshConfig()
	n.campaign(false, false)
	// 4 and 5 grant: a majority of C_new, but only 1 of C_old.
	for _, from := range ids(4, 5) {
		if err := n.Step(Message{Type: MsgVoteResp, From: from, To: 1, Term: n.term}); err != nil {
			t.Fatal(err)
		}
	}
	if n.role == RoleLeader {
		t.Fatal("won with a majority of C_new alone")
	}
	if err := n.Step(Message{Type: MsgVoteResp, From: 2, To: 1, Term: n.term}); err != nil {
		t.Fatal(err)
	}
	if n.role != RoleLeader {
		t.Fatalf("lost with majorities of both halves: %s", n.role)
	}
	// Votes from outside the configuration count for nothing.
	m, _ := nodeWithLog(t, 1, ids(1, 2, 3), []Term{1}, 1)
	m.campaign(false, false)
	for _, from := range ids(7, 8) {
		if err := m.Step(Message{Type: MsgVoteResp, From: from, To: 1, Term: m.term}); err != nil {
			t.Fatal(err)
		}
	}
	if m.role == RoleLeader {
		t.Fatal("won with votes of non-members")
	}
}

// TestLearner: a learner receives the log, never counts and never
// stands; it is promoted only once it has caught up.
func TestLearner(t *testing.T) {
	c := newClusterSpares(t, 3, 1)
	l := c.elect()
	c.isolate(4)
	c.changeConf(l, addLearner(4))
	for range 3 {
		c.propose(l, "x")
	}
	c.flush()
	if st := c.nodes[l].Status(); st.Commit != st.LastIndex {
		t.Fatalf("a cut-off learner held up commitment: %+v", st)
	}
	if _, _, err := c.nodes[l].ProposeConfChange(addVoter(4)); !errors.Is(err, ErrNotCaughtUp) {
		t.Fatalf("promoting a learner that lags: %v, want ErrNotCaughtUp", err)
	}
	c.heal()
	// Two voters cut off: the learner does not make a quorum.
	var others []NodeID
	for _, id := range c.voters {
		if id != l {
			others = append(others, id)
		}
	}
	for _, id := range others {
		c.isolate(id)
	}
	idx, _ := c.propose(l, "needs a voter")
	for range 3 {
		c.tickAll()
		c.deliver()
	}
	if st := c.nodes[l].Status(); st.Commit >= idx {
		t.Fatalf("committed %d with the leader and a learner: %+v", idx, st)
	}
	if st := c.nodes[4].Status(); st.LastIndex < idx || st.Voter {
		t.Fatalf("learner did not get the log, or votes: %+v", st)
	}
	c.heal()
	for range 3 {
		c.tickAll()
		c.deliver()
	}
	// The learner never stands, even with no leader at all.
	c.isolate(l)
	for range 100 {
		c.nodes[4].Tick()
	}
	c.process(4)
	for _, m := range c.queue {
		if m.From == 4 && (m.Type == MsgVote || m.Type == MsgPreVote) {
			t.Fatalf("learner campaigned: %v", m)
		}
	}
	c.heal()
	l = c.elect()
	c.changeConf(l, addVoter(4))
	if st := c.nodes[4].Status(); !st.Voter {
		t.Fatalf("promoted learner: %+v", st)
	}
	c.checkApplied()
}

// TestConfigSurvivesRestartAndSnapshot: a restarted node runs with the
// configuration of its log; a node that installs a snapshot with the
// snapshot's; a snapshot records the configuration at its index, learners
// and joint halves included.
func TestConfigSurvivesRestartAndSnapshot(t *testing.T) {
	c := newClusterSpares(t, 3, 3, func(cfg *Config) { cfg.SnapshotEvery = 4 })
	l := c.elect()
	c.changeConf(l, addLearner(5))
	// Node 6 joins as a learner while cut off: it will need a snapshot.
	c.isolate(6)
	c.changeConf(l, ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: 4}, {Type: ConfAddLearner, Node: 6}},
		Joint: true, ExplicitLeave: true})
	want := c.nodes[l].Config()
	if !want.IsJoint() || !slices.Equal(want.Learners, ids(5, 6)) {
		t.Fatalf("configuration %v", want)
	}
	for i := range 10 {
		c.propose(l, string(rune('a'+i)))
		c.flush()
	}
	for _, id := range ids(1, 2, 3, 4, 5) {
		c.restart(id)
		if got := c.nodes[id].Config(); !got.Equal(want) {
			t.Fatalf("node %d restarted with %v, want %v", id, got, want)
		}
	}
	l = c.elect()
	snap, _ := c.stores[l].Snapshot()
	if snap.IsEmpty() || !snap.Meta.ConfState.Equal(want) {
		t.Fatalf("snapshot %v, want its configuration %v", snap, want)
	}
	c.heal()
	for range 20 {
		c.tickAll()
		c.deliver()
	}
	if st := c.nodes[6].Status(); st.SnapshotIndex == 0 || st.Voter {
		t.Fatalf("node 6 did not install a snapshot, or votes: %+v", st)
	}
	if got := c.nodes[6].Config(); !got.Equal(want) {
		t.Fatalf("node 6 after the snapshot runs with %v, want %v", got, want)
	}
	c.checkApplied()
}

// TestCompactionKeepsConfigAt: Compact records the configuration at its
// index, not the latest one.
func TestCompactionKeepsConfigAt(t *testing.T) {
	c := newClusterSpares(t, 3, 1)
	l := c.elect()
	c.propose(l, "a")
	c.flush()
	before := c.nodes[l].Config()
	at := c.nodes[l].Status().Commit
	c.isolate(4)
	c.changeConf(l, addVoter(4))
	c.tickAll()
	c.deliver()
	if err := c.nodes[l].Compact(at, encodeApplied(c.applied[l][:at])); err != nil {
		t.Fatal(err)
	}
	c.process(l)
	snap, _ := c.stores[l].Snapshot()
	if !snap.Meta.ConfState.Equal(before) {
		t.Fatalf("snapshot at %d records %v, want %v", at, snap.Meta.ConfState, before)
	}
	if got := c.nodes[l].Config(); !slices.Equal(got.Voters, ids(1, 2, 3, 4)) {
		t.Fatalf("after compaction the leader runs with %v", got)
	}
}

// TestRemovedNodeCannotDisrupt (§4.2.3 of the thesis): a node removed
// while cut off never learns of it, and stands for election again and
// again once it is back. PreVote (its pre-votes are refused: its log is
// behind) and CheckQuorum (voters that hear from the leader ignore its
// votes) keep it from deposing the leader; with both off, it does.
func TestRemovedNodeCannotDisrupt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      func(*Config)
		disrupted bool
	}{
		{"prevote and checkquorum", func(*Config) {}, false},
		{"prevote", func(c *Config) { c.DisableCheckQuorum = true }, false},
		{"checkquorum", func(c *Config) { c.DisablePreVote = true }, false},
		{"neither", func(c *Config) { c.DisablePreVote = true; c.DisableCheckQuorum = true }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 4, tc.opts)
			l := c.elect()
			gone := l%4 + 1
			c.isolate(gone)
			c.changeConf(l, removeNode(gone))
			if !c.nodes[gone].Status().Voter {
				t.Fatal("the removed node learned of its removal while cut off")
			}
			// It times out and stands, cut off.
			for range 60 {
				c.tickAll()
				c.deliver()
			}
			term := c.nodes[l].Status().Term
			c.heal()
			for range 200 {
				c.tickAll()
				c.deliver()
			}
			st := c.nodes[l].Status()
			disrupted := st.Role != RoleLeader || st.Term != term
			if disrupted != tc.disrupted {
				t.Fatalf("leader %d: %+v (term before %d); removed node %+v; disrupted %v, want %v",
					l, st, term, c.nodes[gone].Status(), disrupted, tc.disrupted)
			}
			if nl := c.leader(); nl == gone {
				t.Fatalf("the removed node %d leads", gone)
			}
		})
	}
}
