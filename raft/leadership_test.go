package raft

import (
	"errors"
	"testing"
)

// TestTransferLeadership (§3.10 of the thesis): the target stands at once
// and wins, without waiting for an election timeout, although every voter
// still hears from the old leader (CheckQuorum's lease does not hold back
// a transfer's votes); meanwhile the old leader takes no proposals.
func TestTransferLeadership(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	to := l%3 + 1
	c.propose(l, "a")
	c.flush()
	if err := c.nodes[l].TransferLeadership(to); err != nil {
		t.Fatal(err)
	}
	if st := c.nodes[l].Status(); st.Transferee != to {
		t.Fatalf("transferee %d, want %d", st.Transferee, to)
	}
	if _, _, err := c.nodes[l].Propose([]byte("refused")); !errors.Is(err, ErrLeadershipTransfer) {
		t.Fatalf("proposal during the transfer: %v, want ErrLeadershipTransfer", err)
	}
	if _, _, err := c.nodes[l].ProposeConfChange(removeNode(to)); !errors.Is(err, ErrLeadershipTransfer) {
		t.Fatalf("configuration change during the transfer: %v, want ErrLeadershipTransfer", err)
	}
	c.flush() // no tick: only the transfer can elect anyone
	if got := c.leader(); got != to {
		t.Fatalf("leader %d after the transfer, want %d", got, to)
	}
	if st := c.nodes[l].Status(); st.Role != RoleFollower || st.Leader != to {
		t.Fatalf("old leader: %+v", st)
	}
	c.propose(to, "b")
	c.flush()
	c.tickAll()
	c.deliver()
	c.checkApplied()
}

// TestTransferToLaggingFollower: the leader first brings the target's log
// up to its own; MsgTimeoutNow leaves only then.
func TestTransferToLaggingFollower(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	to := l%3 + 1
	c.setCut(l, to, true)
	for i := range 20 {
		c.propose(l, string(rune('a'+i)))
	}
	c.flush()
	last := c.nodes[l].Status().LastIndex
	if st := c.nodes[to].Status(); st.LastIndex >= last {
		t.Fatalf("target is not behind: %+v", st)
	}
	c.heal()
	// Watch the target's log when MsgTimeoutNow reaches it.
	var at Index
	c.drop = func(m Message) bool {
		if m.Type == MsgTimeoutNow {
			at = c.nodes[m.To].Status().LastIndex
		}
		return false
	}
	if err := c.nodes[l].TransferLeadership(to); err != nil {
		t.Fatal(err)
	}
	c.flush()
	if at != last {
		t.Fatalf("MsgTimeoutNow reached the target with its log at %d, the leader's at %d", at, last)
	}
	if got := c.leader(); got != to {
		t.Fatalf("leader %d, want %d", got, to)
	}
	c.checkApplied()
}

// TestTransferAborts: a transfer that has not ended within an election
// timeout is abandoned, and the leader takes proposals again.
func TestTransferAborts(t *testing.T) {
	c := newCluster(t, 3)
	l := c.elect()
	to := l%3 + 1
	c.isolate(to)
	if err := c.nodes[l].TransferLeadership(to); err != nil {
		t.Fatal(err)
	}
	c.flush()
	for range 9 {
		c.nodes[l].Tick()
	}
	if st := c.nodes[l].Status(); st.Transferee != to {
		t.Fatalf("transfer ended before an election timeout: %+v", st)
	}
	c.nodes[l].Tick()
	if st := c.nodes[l].Status(); st.Transferee != None || st.Role != RoleLeader {
		t.Fatalf("after an election timeout: %+v", st)
	}
	c.propose(l, "taken again")
	c.flush()
}

func TestTransferInvalidTargets(t *testing.T) {
	c := newClusterSpares(t, 3, 2)
	l := c.elect()
	c.changeConf(l, addLearner(4))
	for _, to := range []NodeID{l, 4, 5, 9} {
		if err := c.nodes[l].TransferLeadership(to); !errors.Is(err, ErrInvalidTransfer) {
			t.Errorf("TransferLeadership(%d) = %v, want ErrInvalidTransfer", to, err)
		}
	}
	f := l%3 + 1
	if err := c.nodes[f].TransferLeadership(l); !errors.Is(err, ErrNotLeader) {
		t.Errorf("on a follower: %v, want ErrNotLeader", err)
	}
	// A learner told to stand does not.
	c.nodes[4].Step(Message{Type: MsgTimeoutNow, From: l, To: 4, Term: c.nodes[4].Status().Term})
	if st := c.nodes[4].Status(); st.Role != RoleFollower {
		t.Fatalf("a learner stood after MsgTimeoutNow: %+v", st)
	}
}

// TestTransferEndsLease: once a leader has sent MsgTimeoutNow, its read
// lease means nothing (the target's votes ignore leases), so lease reads
// take a quorum round for the rest of the term.
func TestTransferEndsLease(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.ReadMode = ReadLease })
	l := c.elect()
	c.tickAll()
	c.deliver()
	n := c.nodes[l]
	if err := n.ReadIndex(1); err != nil {
		t.Fatal(err)
	}
	if len(n.readStates) != 1 {
		t.Fatalf("lease read before the transfer was not served at once (%d ready)", len(n.readStates))
	}
	c.process(l)
	to := l%3 + 1
	c.drop = func(m Message) bool { return m.Type == MsgTimeoutNow } // the target never stands
	if err := n.TransferLeadership(to); err != nil {
		t.Fatal(err)
	}
	c.flush()
	if err := n.ReadIndex(2); err != nil {
		t.Fatal(err)
	}
	if len(n.readStates) != 0 {
		t.Fatal("a lease read was served at once after MsgTimeoutNow")
	}
	c.flush()
	c.process(l)
	if got := c.reads[l]; len(got) != 2 || got[1].ID != 2 {
		t.Fatalf("reads %v, want read 2 confirmed by a round", got)
	}
}
