package raft

import (
	"errors"
	"slices"
	"testing"
)

func ids(v ...NodeID) []NodeID { return v }

// TestConfStateApply checks what each change leads to (§6; §4 of the
// thesis): one voter changed goes straight to C_new, more go through a
// joint configuration, and nonsense is refused with a sentinel error.
func TestConfStateApply(t *testing.T) {
	c123 := ConfState{Voters: ids(1, 2, 3)}
	withLearner := ConfState{Voters: ids(1, 2, 3), Learners: ids(4)}
	joint := ConfState{Voters: ids(1, 2, 4), VotersOutgoing: ids(1, 2, 3), LearnersNext: ids(3), AutoLeave: true}
	add := func(id NodeID) ConfChangeSingle { return ConfChangeSingle{Type: ConfAddVoter, Node: id} }
	learn := func(id NodeID) ConfChangeSingle { return ConfChangeSingle{Type: ConfAddLearner, Node: id} }
	rm := func(id NodeID) ConfChangeSingle { return ConfChangeSingle{Type: ConfRemove, Node: id} }
	for _, tc := range []struct {
		name string
		from ConfState
		cc   ConfChange
		want ConfState
		err  error
	}{
		{"add a voter", c123, ConfChange{Changes: []ConfChangeSingle{add(4)}}, ConfState{Voters: ids(1, 2, 3, 4)}, nil},
		{"remove a voter", c123, ConfChange{Changes: []ConfChangeSingle{rm(2)}}, ConfState{Voters: ids(1, 3)}, nil},
		{"add a learner", c123, ConfChange{Changes: []ConfChangeSingle{learn(4)}}, withLearner, nil},
		{"promote a learner", withLearner, ConfChange{Changes: []ConfChangeSingle{add(4)}}, ConfState{Voters: ids(1, 2, 3, 4)}, nil},
		{"demote a voter", c123, ConfChange{Changes: []ConfChangeSingle{learn(3)}}, ConfState{Voters: ids(1, 2), Learners: ids(3)}, nil},
		{"remove a learner", withLearner, ConfChange{Changes: []ConfChangeSingle{rm(4)}}, c123, nil},
		{"replace: two voters change, so joint", c123, ConfChange{Changes: []ConfChangeSingle{add(4), rm(3)}},
			ConfState{Voters: ids(1, 2, 4), VotersOutgoing: ids(1, 2, 3), AutoLeave: true}, nil},
		{"joint on request for one voter", c123, ConfChange{Changes: []ConfChangeSingle{add(4)}, Joint: true, ExplicitLeave: true},
			ConfState{Voters: ids(1, 2, 3, 4), VotersOutgoing: ids(1, 2, 3)}, nil},
		{"a demoted voter votes in C_old until the end", c123, ConfChange{Changes: []ConfChangeSingle{add(4), learn(3)}}, joint, nil},
		{"leave the joint configuration", joint, ConfChange{}, ConfState{Voters: ids(1, 2, 4), Learners: ids(3)}, nil},
		{"leave when not joint", c123, ConfChange{}, c123, ErrInvalidConfChange},
		{"change while joint", joint, ConfChange{Changes: []ConfChangeSingle{add(5)}}, joint, ErrConfChangeInProgress},
		{"add a voter twice", c123, ConfChange{Changes: []ConfChangeSingle{add(2)}}, c123, ErrInvalidConfChange},
		{"add a learner twice", withLearner, ConfChange{Changes: []ConfChangeSingle{learn(4)}}, withLearner, ErrInvalidConfChange},
		{"remove a stranger", c123, ConfChange{Changes: []ConfChangeSingle{rm(9)}}, c123, ErrInvalidConfChange},
		{"one node changed twice", c123, ConfChange{Changes: []ConfChangeSingle{add(4), rm(4)}}, c123, ErrInvalidConfChange},
		{"node 0", c123, ConfChange{Changes: []ConfChangeSingle{add(0)}}, c123, ErrInvalidConfChange},
		{"no voter left", ConfState{Voters: ids(1)}, ConfChange{Changes: []ConfChangeSingle{rm(1)}}, ConfState{Voters: ids(1)}, ErrInvalidConfChange},
		{"unknown type", c123, ConfChange{Changes: []ConfChangeSingle{{Type: 9, Node: 4}}}, c123, ErrInvalidConfChange},
	} {
		got, err := tc.from.Apply(tc.cc)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("%s: %v.Apply(%v) error %v, want %v", tc.name, tc.from, tc.cc, err, tc.err)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("%s: %v.Apply(%v) = %v, want %v", tc.name, tc.from, tc.cc, got, tc.want)
		}
		if err == nil {
			if err := got.validate(); err != nil {
				t.Errorf("%s: result %v is invalid: %v", tc.name, got, err)
			}
		}
	}
}

func TestConfStateEncoding(t *testing.T) {
	for _, cs := range []ConfState{
		{Voters: ids(1)},
		{Voters: ids(1, 2, 4), VotersOutgoing: ids(1, 2, 3), LearnersNext: ids(3), Learners: ids(7, 9), AutoLeave: true},
	} {
		got, err := DecodeConfState(EncodeConfState(cs))
		if err != nil || !got.Equal(cs) {
			t.Errorf("round trip of %v: %v, %v", cs, got, err)
		}
	}
	good := EncodeConfState(ConfState{Voters: ids(1, 2)})
	for name, b := range map[string][]byte{
		"empty":          nil,
		"version":        append([]byte{2}, good[1:]...),
		"flags":          append([]byte{1, 4}, good[2:]...),
		"truncated":      good[:len(good)-1],
		"trailing":       append(slices.Clone(good), 0),
		"no voters":      EncodeConfState(ConfState{}),
		"unsorted":       EncodeConfState(ConfState{Voters: ids(2, 1)}),
		"learner voter":  EncodeConfState(ConfState{Voters: ids(1, 2), Learners: ids(2)}),
		"autoleave only": EncodeConfState(ConfState{Voters: ids(1), AutoLeave: true}),
		"next learner":   EncodeConfState(ConfState{Voters: ids(1), VotersOutgoing: ids(1), LearnersNext: ids(1)}),
	} {
		if _, err := DecodeConfState(b); err == nil {
			t.Errorf("%s: DecodeConfState(%v) accepted it", name, b)
		}
	}
}

func FuzzDecodeConfState(f *testing.F) {
	f.Add(EncodeConfState(ConfState{Voters: ids(1, 2, 3)}))
	f.Add(EncodeConfState(ConfState{Voters: ids(1, 4), VotersOutgoing: ids(1, 2), LearnersNext: ids(2), Learners: ids(5), AutoLeave: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeConfState(b)
		if err != nil {
			return
		}
		// What decodes is valid, and encodes back to what was read.
		if err := cs.validate(); err != nil {
			t.Fatalf("decoded an invalid configuration %v: %v", cs, err)
		}
		again, err := DecodeConfState(EncodeConfState(cs))
		if err != nil || !again.Equal(cs) {
			t.Fatalf("re-encoding %v gave %v, %v", cs, again, err)
		}
	})
}

// flush carries out every node's Ready and delivers until quiet.
func (c *cluster) flush() {
	c.processAll()
	c.deliver()
}

// changeConf proposes cc at the leader and delivers until quiet.
func (c *cluster) changeConf(leader NodeID, cc ConfChange) (Index, Term) {
	c.t.Helper()
	idx, term, err := c.nodes[leader].ProposeConfChange(cc)
	if err != nil {
		c.t.Fatalf("ProposeConfChange(%v) on %d: %v", cc, leader, err)
	}
	c.processAll()
	c.deliver()
	return idx, term
}

func addVoter(id NodeID) ConfChange {
	return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: id}}}
}

func addLearner(id NodeID) ConfChange {
	return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddLearner, Node: id}}}
}

func removeNode(id NodeID) ConfChange {
	return ConfChange{Changes: []ConfChangeSingle{{Type: ConfRemove, Node: id}}}
}

// TestSpareStartsAsNoMember: a node outside Config.Voters never stands
// for election, however long it waits, until it is added.
func TestSpareStartsAsNoMember(t *testing.T) {
	c := newClusterSpares(t, 3, 1)
	spare := c.nodes[4]
	if st := spare.Status(); st.Voter {
		t.Fatalf("spare node 4 is a voter: %+v", st)
	}
	for range 100 {
		spare.Tick()
	}
	c.process(4)
	if st := spare.Status(); st.Role != RoleFollower || st.Term != 0 || len(c.queue) != 0 {
		t.Fatalf("spare node 4 campaigned: %+v, %d messages", st, len(c.queue))
	}
}

// TestAddVoterTakesEffectOnAppend (§6, §4.1 of the thesis): a follower
// runs with a configuration from the moment it appends it, before it is
// committed; once it commits, the new voter holds the log and counts.
func TestAddVoterTakesEffectOnAppend(t *testing.T) {
	c := newClusterSpares(t, 3, 1)
	l := c.elect()
	c.propose(l, "before")
	c.flush()
	// Hold back the leader's commit messages: followers get the entry but
	// not its commitment.
	follower := l%3 + 1
	c.drop = func(m Message) bool { return m.Type == MsgAppResp }
	idx, _ := c.changeConf(l, addVoter(4))
	if cs := c.nodes[follower].Config(); !slices.Equal(cs.Voters, ids(1, 2, 3, 4)) {
		t.Fatalf("follower %d appended the change but runs with %v", follower, cs)
	}
	if st := c.nodes[follower].Status(); st.Commit >= idx || st.ConfIndex != idx {
		t.Fatalf("follower %d: commit %d, conf index %d; want the change at %d appended, uncommitted", follower, st.Commit, st.ConfIndex, idx)
	}
	c.drop = nil
	for range 5 {
		c.tickAll()
		c.deliver()
	}
	if st := c.nodes[4].Status(); !st.Voter || st.Commit < idx {
		t.Fatalf("node 4 after its addition committed: %+v", st)
	}
	c.propose(l, "after")
	c.flush()
	c.tickAll()
	c.deliver()
	if got := c.appliedData(4); !slices.Equal(got, []string{"before", "after"}) {
		t.Fatalf("node 4 applied %v", got)
	}
	c.checkApplied()
}

// TestOneChangeAtATime: a second change is refused while the first is
// uncommitted, and so is any change before a new leader commits an entry
// of its term (the fix for the single-server change bug).
func TestOneChangeAtATime(t *testing.T) {
	c := newClusterSpares(t, 3, 2)
	l := c.elect()
	if _, _, err := c.nodes[l].ProposeConfChange(addVoter(4)); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.nodes[l].ProposeConfChange(addVoter(5))
	if !errors.Is(err, ErrConfChangeInProgress) {
		t.Fatalf("second change while the first is pending: %v, want ErrConfChangeInProgress", err)
	}
	c.processAll()
	c.deliver()
	c.changeConf(l, addVoter(5))
	if cs := c.nodes[l].Config(); !slices.Equal(cs.Voters, ids(1, 2, 3, 4, 5)) {
		t.Fatalf("configuration %v", cs)
	}

	// A new leader, before its no-op commits.
	c2 := newClusterSpares(t, 3, 1)
	c2.drop = func(m Message) bool { return m.Type == MsgApp || m.Type == MsgAppResp }
	c2.campaign(1)
	c2.deliver()
	if st := c2.nodes[1].Status(); st.Role != RoleLeader {
		t.Fatalf("node 1 did not win: %+v", st)
	}
	_, _, err = c2.nodes[1].ProposeConfChange(addVoter(4))
	if !errors.Is(err, ErrConfChangeInProgress) {
		t.Fatalf("change before the leader committed in its term: %v, want ErrConfChangeInProgress", err)
	}
	c2.drop = nil
	c2.tickAll()
	c2.deliver()
	c2.changeConf(1, addVoter(4))
}

// TestRemoveFollower: the quorum shrinks as soon as the leader appends
// the removal.
func TestRemoveFollower(t *testing.T) {
	c := newCluster(t, 4)
	l := c.elect()
	var gone []NodeID
	for _, id := range c.ids {
		if id != l && len(gone) < 2 {
			gone = append(gone, id)
		}
	}
	c.changeConf(l, removeNode(gone[0]))
	// Of {the rest}, three voters: with gone[1] cut off, two still commit.
	c.isolate(gone[1])
	c.isolate(gone[0])
	c.propose(l, "x")
	c.flush()
	c.tickAll()
	c.deliver()
	if st := c.nodes[l].Status(); st.Commit != st.LastIndex {
		t.Fatalf("leader of 3 voters with 2 up did not commit: %+v", st)
	}
	if c.nodes[gone[0]].Status().Voter {
		// It never heard of its removal (isolated afterwards, but it got
		// the entry first).
		t.Fatalf("removed node %d still votes", gone[0])
	}
}

// TestRemoveLeader: a leader that removes itself keeps leading, without
// counting itself, until the change commits; then it steps down and hands
// over at once (MsgTimeoutNow), and never stands again.
func TestRemoveLeader(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	idx, _, err := c.nodes[l].ProposeConfChange(removeNode(l))
	if err != nil {
		t.Fatal(err)
	}
	if st := c.nodes[l].Status(); st.Role != RoleLeader || st.Voter {
		t.Fatalf("leader after appending its removal: %+v", st)
	}
	c.processAll()
	c.deliver()
	st := c.nodes[l].Status()
	if st.Role == RoleLeader || st.Commit < idx {
		t.Fatalf("old leader after its removal committed: %+v", st)
	}
	if c.delivered[MsgTimeoutNow] != 1 {
		t.Fatalf("%d MsgTimeoutNow delivered, want 1", c.delivered[MsgTimeoutNow])
	}
	nl := c.leader()
	if nl == None || nl == l {
		t.Fatalf("no new leader right after the hand-over (leader %d)", nl)
	}
	term := c.nodes[nl].Status().Term
	for range 200 {
		c.tickAll()
		c.deliver()
	}
	if st := c.nodes[l].Status(); st.Role != RoleFollower || c.leader() != nl || c.nodes[nl].Status().Term != term {
		t.Fatalf("after 200 ticks: old leader %+v, leader %d (want %d in term %d)", st, c.leader(), nl, term)
	}
	c.propose(nl, "y")
	c.flush()
	c.checkApplied()
}

// TestTruncatedChangeReverts: a configuration entry that a new leader
// overwrites stops being in force on the node that held it (§6: a node
// uses the latest configuration in its log, committed or not).
func TestTruncatedChangeReverts(t *testing.T) {
	c := newClusterSpares(t, 3, 1)
	l := c.elect()
	c.isolate(l)
	idx, _, err := c.nodes[l].ProposeConfChange(addVoter(4))
	if err != nil {
		t.Fatal(err)
	}
	c.process(l)
	if st := c.nodes[l].Status(); st.ConfIndex != idx || !slices.Equal(c.nodes[l].Config().Voters, ids(1, 2, 3, 4)) {
		t.Fatalf("leader after appending the change: %+v, %v", st, c.nodes[l].Config())
	}
	var nl NodeID
	for range 300 {
		c.tickAll()
		c.deliver()
		if x := c.leader(); x != None && x != l {
			nl = x
			break
		}
	}
	if nl == None {
		t.Fatal("no leader without the isolated one")
	}
	c.propose(nl, "overwrite")
	c.flush()
	c.heal()
	for range 30 {
		c.tickAll()
		c.deliver()
	}
	st := c.nodes[l].Status()
	if cs := c.nodes[l].Config(); !slices.Equal(cs.Voters, ids(1, 2, 3)) || st.ConfIndex != 0 {
		t.Fatalf("node %d kept the overwritten configuration: %v (%+v)", l, cs, st)
	}
	if t2, _ := c.nodes[l].Term(idx); t2 == c.nodes[nl].Status().Term-1 && st.LastIndex < idx {
		t.Fatalf("node %d did not take the new leader's log", l)
	}
	c.checkApplied()
}
