package raft

import (
	"errors"
	"strings"
	"testing"
)

// loseFrom models what a store that found a corrupted record at recovery
// hands a restarting node: the log cut before the first entry it cannot
// vouch for, and, when fence is set, the hard state fenced at the node's
// term (as raft/filestore does). The node restarts on it with its state
// machine intact.
func (c *cluster) loseFrom(id NodeID, first Index, fence bool) {
	c.t.Helper()
	c.loseFromKnowing(id, first, fence, 0)
}

// loseFromKnowing is loseFrom whose storage, when it fences, knows the
// last index the node may have acknowledged (HardState.FenceIndex).
func (c *cluster) loseFromKnowing(id NodeID, first Index, fence bool, fenceIndex Index) {
	c.t.Helper()
	old := c.stores[id]
	hs, err := old.InitialState()
	if err != nil {
		c.t.Fatal(err)
	}
	st := NewMemoryStorage()
	if first > 1 {
		ents, err := old.Entries(1, first)
		if err != nil {
			c.t.Fatal(err)
		}
		if err := st.Append(ents); err != nil {
			c.t.Fatal(err)
		}
	}
	if fence {
		hs.Fence, hs.FenceIndex = hs.Term, fenceIndex
	} else {
		// A node that truncates blindly forgets the commit index past
		// what it kept, and rebuilds its state machine from its log.
		hs.Commit = min(hs.Commit, first-1)
		c.applied[id] = c.applied[id][:min(len(c.applied[id]), int(first-1))]
	}
	if err := st.SetHardState(hs); err != nil {
		c.t.Fatal(err)
	}
	st.Reopen()
	c.stores[id] = st
	c.start(id)
}

// flushAll carries out every Ready and delivers until quiet.
func (c *cluster) flushAll() {
	c.processAll()
	c.deliver()
}

// The case from "Protocol-Aware Recovery for Consensus-Based Storage"
// (FAST '18): a committed entry is on the leader and one follower; the
// follower's copy is corrupted; the leader crashes. A follower that cut
// its log and voted as if nothing happened would elect the node that
// never had the entry, and the entry would be lost. Fenced, it abstains:
// there is no leader until the old one returns, and then no entry is
// lost. Both halves run, so the test shows it can fail.
func TestFenceKeepsCommittedEntryAfterCorruption(t *testing.T) {
	for _, fence := range []bool{true, false} {
		c := newCluster(t, 3)
		l := c.elect()
		f := NodeID(1 + l%3) // holds the entry, then loses it
		x := NodeID(1 + f%3) // never receives it
		c.isolate(x)
		idx, _ := c.propose(l, "precious")
		c.flushAll()
		c.tickAll()
		c.deliver()
		if c.nodes[l].Status().Commit < idx {
			t.Fatalf("entry %d not committed on the leader: %s", idx, c)
		}
		// f's copy of the entry is lost to corruption; the leader crashes;
		// x comes back.
		c.loseFrom(f, idx, fence)
		c.heal()
		c.isolate(l)
		for range 300 {
			c.tickAll()
			c.deliver()
		}
		lead := c.leader()
		if fence {
			if lead != None && lead != l {
				t.Fatalf("a leader without the committed entry was elected while node %d repairs: %s", f, c)
			}
			if c.nodes[f].Status().Fence == 0 {
				t.Fatalf("node %d is not fenced", f)
			}
			// The old leader returns and repairs node 2.
			c.heal()
			l := c.elect()
			c.propose(l, "after")
			c.flushAll()
			c.tickAll()
			c.deliver()
			for _, id := range c.ids {
				if got := c.appliedData(id); len(got) < 2 || got[0] != "precious" {
					t.Fatalf("node %d applied %q, want the committed entry first", id, got)
				}
			}
			if fe := c.nodes[f].Status().Fence; fe != 0 {
				t.Fatalf("node %d still fenced at %d after receiving entries of a later term", f, fe)
			}
			c.checkApplied()
			continue
		}
		if lead == None || lead == l {
			t.Fatalf("without the fence, nodes %d and %d should elect a leader: %s", f, x, c)
		}
		if term, ok := c.nodes[lead].Term(idx); ok && term != 0 && c.nodes[lead].Entries(idx, idx+1)[0].Type == EntryNormal &&
			string(c.nodes[lead].Entries(idx, idx+1)[0].Data) == "precious" {
			t.Fatalf("without the fence the committed entry survived (leader %d): the scenario does not show the loss", lead)
		}
	}
}

// A fenced node grants no vote or pre-vote and never stands, but still
// follows a leader.
func TestFencedNodeNeitherVotesNorStands(t *testing.T) {
	c := newCluster(t, 3)
	c.elect()
	c.propose(c.leader(), "x")
	c.flushAll()
	c.loseFrom(3, 1, true)
	n := c.nodes[3]
	term := n.Status().Term
	for _, typ := range []MessageType{MsgPreVote, MsgVote} {
		if err := n.Step(Message{Type: typ, From: 1, To: 3, Term: term + 5, Index: 100, LogTerm: term + 4}); err != nil {
			t.Fatal(err)
		}
		rd := n.Ready()
		granted := false
		for _, m := range rd.Messages {
			if (m.Type == MsgVoteResp || m.Type == MsgPreVoteResp) && !m.Reject {
				granted = true
			}
		}
		n.Advance(rd)
		if granted {
			t.Fatalf("a fenced node granted a %s", typ)
		}
	}
	for range 200 {
		n.Tick()
		if n.HasReady() {
			rd := n.Ready()
			for _, m := range rd.Messages {
				if m.Type == MsgVote || m.Type == MsgPreVote {
					t.Fatalf("a fenced node stood for election: %v", m)
				}
			}
			n.Advance(rd)
		}
		if r := n.Status().Role; r != RoleFollower {
			t.Fatalf("a fenced node became %s", r)
		}
	}
}

// A leader whose follower lost entries it had acknowledged learns it from
// the follower's rejection and sends them again; its acknowledgements
// count again, truthfully, and the repair survives a restart.
func TestLeaderRepairsFollowerThatLostEntries(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	for i := range 20 {
		c.propose(l, "e"+string(rune('a'+i)))
	}
	c.flushAll()
	f := NodeID(1 + l%3)
	other := NodeID(1 + f%3)
	if other == l {
		other = NodeID(1 + other%3)
	}
	c.loseFrom(f, 5, true)
	// The leader still counts on f for everything it acknowledged; with
	// the other follower cut off, only f can help it commit.
	c.isolate(other)
	repairs := 0
	c.drop = func(m Message) bool {
		if m.From == f && m.Type == MsgAppResp && m.Reject && m.Context == contextRepair {
			repairs++
		}
		return false
	}
	idx, _ := c.propose(l, "needs f")
	c.flushAll()
	c.tickAll()
	c.deliver()
	if repairs == 0 {
		t.Fatal("the follower never told the leader it lost entries")
	}
	if got := c.nodes[l].Status().Commit; got < idx {
		t.Fatalf("commit %d < %d: the follower was not repaired", got, idx)
	}
	if last := c.nodes[f].Status().LastIndex; last < idx {
		t.Fatalf("follower holds up to %d, want %d", last, idx)
	}
	c.checkApplied()
	// In the same term the fence stays: entries of the fence's term prove
	// nothing (see liftFence).
	if c.nodes[f].Status().Fence == 0 {
		t.Fatal("fence lifted without an entry of a later term")
	}
	c.restart(f)
	if c.nodes[f].Status().Fence == 0 {
		t.Fatal("the fence did not survive a restart")
	}
}

// The state machine of a node whose log lost applied entries keeps its
// state: the entries fetched again are not applied twice (the harness
// fails on an applied index out of order).
func TestRepairDoesNotReapply(t *testing.T) {
	c, l, f := replicated(t, 10)
	applied := len(c.applied[f])
	if applied < 10 {
		t.Fatalf("follower applied %d entries", applied)
	}
	c.loseFrom(f, 3, true)
	// Nothing past the snapshot (none here) counts as committed or
	// applied: the log kept may hold entries the lost part overwrote.
	if st := c.nodes[f].Status(); st.Applied != 0 || st.Commit != 0 || st.LastIndex != 2 || st.AppliedFloor < 10 {
		t.Fatalf("after the loss: applied %d, commit %d, last %d, floor %d", st.Applied, st.Commit, st.LastIndex, st.AppliedFloor)
	}
	c.propose(l, "new")
	c.flushAll()
	c.tickAll()
	c.deliver()
	if len(c.applied[f]) != applied+1 {
		t.Fatalf("follower applied %d entries, want %d", len(c.applied[f]), applied+1)
	}
	c.checkApplied()
}

// What a node accepts from storage: a commit index or state machine past
// the log only from a fenced storage; a fence whose later-term entry is
// held already is lifted at once.
func TestNewNodeFencedStorage(t *testing.T) {
	mk := func(hs HardState, ents ...Entry) *MemoryStorage {
		s := NewMemoryStorage()
		if err := s.Append(ents); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHardState(hs); err != nil {
			t.Fatal(err)
		}
		s.Reopen()
		return s
	}
	e1 := Entry{Term: 1, Index: 1, Type: EntryNoop}
	e2 := Entry{Term: 3, Index: 2, Type: EntryNoop}
	cfg := func(s Storage, applied Index) Config {
		return Config{ID: 1, Voters: []NodeID{1, 2, 3}, Storage: s, Applied: applied, Rand: testRand()}
	}
	if _, err := NewNode(cfg(mk(HardState{Term: 2, Commit: 5}, e1), 0)); err == nil || !strings.Contains(err.Error(), "commit index") {
		t.Fatalf("commit past the log without a fence: %v", err)
	}
	if _, err := NewNode(cfg(mk(HardState{Term: 2, Commit: 1}, e1), 7)); err == nil || !strings.Contains(err.Error(), "Applied") {
		t.Fatalf("applied past the log without a fence: %v", err)
	}
	n, err := NewNode(cfg(mk(HardState{Term: 2, Commit: 5, Fence: 2}, e1), 7))
	if err != nil {
		t.Fatal(err)
	}
	if st := n.Status(); st.Fence != 2 || st.Commit != 0 || st.Applied != 0 || n.log.applyFloor != 7 {
		t.Fatalf("fenced restart: %+v, apply floor %d", st, n.log.applyFloor)
	}
	// The state machine is at 7, the log at 1: no snapshot of state the
	// log does not hold, however often the policy asks for one.
	c := cfg(mk(HardState{Term: 2, Commit: 5, Fence: 2}, e1), 7)
	c.SnapshotEvery = 1
	if n, err = NewNode(c); err != nil {
		t.Fatal(err)
	}
	if n.SnapshotDue() {
		t.Fatal("a snapshot is due while the state machine is past the log")
	}
	n, err = NewNode(cfg(mk(HardState{Term: 3, Commit: 1, Fence: 2}, e1, e2), 1))
	if err != nil {
		t.Fatal(err)
	}
	if n.Status().Fence != 0 {
		t.Fatal("a fence below the log's last term was kept")
	}
	if rd := n.Ready(); rd.HardState.Fence != 0 || rd.HardState.IsZero() {
		t.Fatalf("the lifted fence is not written back: %+v", rd.HardState)
	}
	var nl *NotLeaderError
	if _, _, err := n.Propose(nil); !errors.As(err, &nl) {
		t.Fatal(err)
	}
}

// The leader's answer to a repair rejection, in isolation: match falls to
// the hint, and the follower is probed from there. A plain stale
// rejection changes nothing.
func TestForgetMatchOnRepairReject(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	for range 5 {
		c.propose(l, "x")
	}
	c.flushAll()
	n := c.nodes[l]
	f := NodeID(1 + l%3)
	pr := &n.prs[n.memberIndex(f)]
	match := pr.match
	stale := Message{Type: MsgAppResp, From: f, To: l, Term: n.term, Index: match - 1, Reject: true, RejectHint: 1}
	if err := n.Step(stale); err != nil {
		t.Fatal(err)
	}
	if pr.match != match {
		t.Fatalf("a stale rejection moved match from %d to %d", match, pr.match)
	}
	stale.Context = contextRepair
	if err := n.Step(stale); err != nil {
		t.Fatal(err)
	}
	if pr.match != 1 || pr.next != 2 || pr.state != probeState {
		t.Fatalf("after a repair rejection: %v", pr)
	}
}

// A leader still believes a fenced follower holds what it acknowledged
// before its loss, and caps a heartbeat's commit at that. The follower's
// log past what it kept may hold entries the lost part had overwritten:
// it commits from a heartbeat only what a MsgApp of that leader matched.
func TestFencedFollowerCommitsOnlyWhatItMatched(t *testing.T) {
	c, l, f := replicated(t, 6)
	term := c.nodes[l].Status().Term
	commit := c.nodes[l].Status().Commit
	c.loseFrom(f, 4, true)
	n := c.nodes[f]
	if err := n.Step(Message{Type: MsgHeartbeat, From: l, To: f, Term: term, Commit: commit}); err != nil {
		t.Fatal(err)
	}
	if got := n.Status().Commit; got != 0 {
		t.Fatalf("fenced follower took commit %d from a heartbeat, before any MsgApp matched its log", got)
	}
	// A MsgApp that matches the log up to index 2 vouches for it.
	ents, err := c.stores[l].Entries(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Step(Message{Type: MsgApp, From: l, To: f, Term: term, Index: 2, LogTerm: ents[1].Term, Commit: 0}); err != nil {
		t.Fatal(err)
	}
	if err := n.Step(Message{Type: MsgHeartbeat, From: l, To: f, Term: term, Commit: commit}); err != nil {
		t.Fatal(err)
	}
	if got := n.Status().Commit; got != 2 {
		t.Fatalf("commit %d after a MsgApp matched up to 2 and a heartbeat with commit %d, want 2", got, commit)
	}
}

// A node repaired under the leader it served lifts its fence once that
// leader's MsgApp has matched its log up to the last index it may have
// acknowledged, without waiting for a later term: it can vote again, and
// a cluster of three that then loses the leader still has a quorum.
func TestFenceLiftsOnceMatchedUpToFenceIndex(t *testing.T) {
	c, l, f := replicated(t, 8)
	term := c.nodes[l].Status().Term
	acked := c.nodes[f].Status().LastIndex
	c.loseFromKnowing(f, 3, true, acked)
	if c.nodes[f].Status().Fence == 0 {
		t.Fatal("not fenced after the loss")
	}
	c.propose(l, "after")
	for range 4 {
		c.flushAll()
		c.tickAll()
		c.deliver()
	}
	st := c.nodes[f].Status()
	if st.LastIndex <= acked || st.Term != term {
		t.Fatalf("follower holds up to %d in term %d, want past %d in term %d", st.LastIndex, st.Term, acked, term)
	}
	if st.Fence != 0 {
		t.Fatalf("still fenced at %d after matching the leader past the %d entries it acknowledged", st.Fence, acked)
	}
	if rd := c.nodes[f].Ready(); rd.HardState.Fence != 0 || rd.HardState.FenceIndex != 0 {
		t.Fatalf("the lifted fence is not written back: %+v", rd.HardState)
	}
}

// Matching the leader up to less than FenceIndex lifts nothing: entries
// the node acknowledged past it may be counted still.
func TestFenceStaysBelowFenceIndex(t *testing.T) {
	c, l, f := replicated(t, 8)
	term := c.nodes[l].Status().Term
	c.loseFromKnowing(f, 3, true, 1000)
	ents, err := c.stores[l].Entries(3, 5)
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := c.stores[l].Entries(2, 3)
	n := c.nodes[f]
	if err := n.Step(Message{Type: MsgApp, From: l, To: f, Term: term, Index: 2, LogTerm: prev[0].Term, Entries: ents}); err != nil {
		t.Fatal(err)
	}
	if n.Status().Fence == 0 {
		t.Fatal("fence lifted after matching up to 4, below the 1000 entries it may have acknowledged")
	}
}

// replicated returns a three-node cluster whose leader l has replicated n
// entries to every node, and a follower f.
func replicated(t *testing.T, n int) (c *cluster, l, f NodeID) {
	t.Helper()
	c = newCluster(t, 3)
	l = c.elect()
	for i := range n {
		c.propose(l, "v"+string(rune('0'+i)))
	}
	c.flushAll()
	c.tickAll()
	c.deliver()
	return c, l, NodeID(1 + l%3)
}
