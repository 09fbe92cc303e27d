package raft

import "github.com/raftsim/raftsim/raft/bugs"

// Linearizable reads (§8). The leader answers a read with the commit index
// at the time it was asked (the read index) once it has confirmed that it
// was still the leader then: a quorum answered a heartbeat round that
// started after the read arrived. Rounds number the heartbeat broadcasts;
// followers echo the round in MsgHeartbeatResp.
//
// In ReadLease mode the leader skips the round while its lease holds: the
// send time of the newest round a quorum answered, plus the election
// timeout less LeaseDriftTicks, is still ahead of its clock. Followers that
// answered that round ignore votes until their election timeout passes, so
// no other leader can exist before then — if clocks tick at the same rate.

// roundHistory is how many recent rounds' send ticks the leader keeps for
// leases; an answer to an older round gives no lease.
const roundHistory = 256

// readRequest is a read waiting for its round. Until the leader has
// committed an entry of its term it cannot know the commit index, so a
// request starts unassigned (round 0).
type readRequest struct {
	id    uint64
	index Index
	round uint64
}

func (n *Node) committedInTerm() bool {
	t, _ := n.log.term(n.log.committed)
	return t == n.term
}

func (n *Node) startRead(id uint64) error {
	if len(n.reads) >= n.cfg.MaxPendingReads {
		return ErrReadDropped
	}
	if n.cfg.ReadMode == ReadLease && n.committedInTerm() && n.leaseValid() || bugs.Fire(bugs.ReadWithoutQuorum) {
		n.readStates = append(n.readStates, ReadState{ID: id, Index: n.log.committed})
		return nil
	}
	n.reads = append(n.reads, readRequest{id: id})
	n.needFlush = true
	return nil
}

// flushReads gives waiting requests their read index and starts one round
// that confirms them all.
func (n *Node) flushReads() {
	if len(n.reads) == 0 || !n.committedInTerm() {
		return
	}
	started := false
	for i := range n.reads {
		if n.reads[i].round == 0 {
			n.reads[i].index = n.log.committed
			n.reads[i].round = n.round + 1
			started = true
		}
	}
	if started {
		n.broadcastHeartbeat()
		n.advanceReads()
	}
}

// onCommit runs when the leader's commit index advances.
func (n *Node) onCommit() {
	if len(n.reads) > 0 {
		n.needFlush = true
	}
}

// advanceReads completes the requests whose round a quorum answered.
func (n *Node) advanceReads() {
	q := n.quorumRound()
	done := 0
	for done < len(n.reads) && n.reads[done].round != 0 && n.reads[done].round <= q {
		r := n.reads[done]
		n.readStates = append(n.readStates, ReadState{ID: r.id, Index: r.index})
		done++
	}
	if done > 0 {
		n.reads = append(n.reads[:0], n.reads[done:]...)
	}
}

// leaseValid reports whether the leader may serve a read without a round.
func (n *Node) leaseValid() bool {
	if n.transferSent {
		// A node told to stand by MsgTimeoutNow asks for votes that no
		// lease holds back, whenever the message arrives: the lease means
		// nothing for the rest of this term.
		return false
	}
	q := n.quorumRound()
	if q == 0 || q+roundHistory <= n.round {
		return false
	}
	sent := n.roundTicks[q%roundHistory]
	valid := sent+uint64(n.cfg.ElectionTicks-n.cfg.LeaseDriftTicks) > n.ticks
	if !valid && sent+uint64(n.electionTimeout-n.cfg.LeaseDriftTicks) > n.ticks && bugs.Fire(bugs.LeaseOutlivesElectionTimeout) {
		// The lease measured by the leader's own randomized timeout, up
		// to 2T, instead of the minimum T its followers wait.
		return true
	}
	return valid
}
