package raft

import (
	"errors"
	"testing"
)

func nonLeader(c *cluster, l NodeID) NodeID {
	for _, id := range c.ids {
		if id != l {
			return id
		}
	}
	return None
}

// §8: a ReadIndex read completes only after a quorum confirmed the
// leadership, with the commit index of the time it was asked.
func TestReadIndexWaitsForQuorumRound(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	c.propose(l, "x")
	c.processAll()
	c.deliver()
	commit := c.nodes[l].Status().Commit
	if err := c.nodes[l].ReadIndex(7); err != nil {
		t.Fatal(err)
	}
	c.process(l)
	if len(c.reads[l]) != 0 {
		t.Fatalf("read completed before any follower answered: %v", c.reads[l])
	}
	c.deliver()
	if len(c.reads[l]) != 1 || c.reads[l][0] != (ReadState{ID: 7, Index: commit}) {
		t.Fatalf("reads %v, want [{7 %d}]", c.reads[l], commit)
	}
}

// A leader cut off from the quorum cannot confirm a read, in either mode:
// a lease that has run out falls back to a quorum round.
func TestIsolatedLeaderCannotServeReads(t *testing.T) {
	for _, mode := range []ReadMode{ReadIndex, ReadLease} {
		c := newCluster(t, 3, func(cfg *Config) { cfg.ReadMode = mode; cfg.LeaseDriftTicks = 2 })
		l := c.elect()
		c.tickAll()
		c.deliver()
		c.isolate(l)
		// Less than a CheckQuorum round, so l still believes it leads, but
		// more than the lease (10 - 2 ticks).
		for range 9 {
			c.nodes[l].Tick()
		}
		c.process(l)
		if c.nodes[l].Status().Role != RoleLeader {
			t.Fatalf("%s: leader stepped down too early for this test", mode)
		}
		if err := c.nodes[l].ReadIndex(1); err != nil {
			t.Fatal(err)
		}
		c.process(l)
		c.deliver()
		if len(c.reads[l]) != 0 {
			t.Fatalf("%s: isolated leader served read %v", mode, c.reads[l])
		}
	}
}

// ReadLease: while the lease holds, reads complete without a round trip.
func TestLeaseReadWithoutRoundTrip(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.ReadMode = ReadLease; cfg.LeaseDriftTicks = 2 })
	l := c.elect()
	c.tickAll()
	c.deliver()
	if err := c.nodes[l].ReadIndex(5); err != nil {
		t.Fatal(err)
	}
	c.process(l)
	if len(c.reads[l]) != 1 || c.reads[l][0].ID != 5 {
		t.Fatalf("lease read did not complete at once: %v", c.reads[l])
	}
	for _, m := range c.queue {
		if m.Type == MsgHeartbeat {
			t.Fatalf("lease read sent a heartbeat round: %v", m)
		}
	}
}

// A new leader holds reads until it has committed an entry of its term:
// before that it does not know the commit index.
func TestReadWaitsForCommitInTerm(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	c.tickAll()
	c.deliver()
	// Depose l in favour of another node whose no-op is not yet committed.
	other := nonLeader(c, l)
	c.nodes[l].becomeFollower(c.nodes[l].term, None)
	c.nodes[other].becomeFollower(c.nodes[other].term, None)
	c.nodes[other].becomeCandidate()
	c.nodes[other].becomeLeader()
	if err := c.nodes[other].ReadIndex(9); err != nil {
		t.Fatal(err)
	}
	c.process(other)
	if len(c.reads[other]) != 0 {
		t.Fatal("read completed before the leader committed in its term")
	}
	c.deliver()
	c.tickAll()
	c.deliver()
	if len(c.reads[other]) != 1 || c.reads[other][0].Index < c.nodes[other].Status().LastIndex {
		t.Fatalf("read %v, want one read at the new leader's no-op index %d or later", c.reads[other], c.nodes[other].Status().LastIndex)
	}
}

func TestReadOnFollowerNamesLeader(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	c.tickAll()
	c.deliver()
	err := c.nodes[nonLeader(c, l)].ReadIndex(1)
	var nle *NotLeaderError
	if !errors.As(err, &nle) || nle.Leader != l {
		t.Fatalf("ReadIndex on follower: %v, want NotLeaderError{%d}", err, l)
	}
}
