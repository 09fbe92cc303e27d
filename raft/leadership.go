package raft

import "fmt"

// Leadership transfer (§3.10 of the thesis). The leader stops taking
// proposals, brings the target's log up to its own, and then sends it
// MsgTimeoutNow: the target stands for election at once, without a
// pre-vote, and its vote requests say so, so that voters still hearing
// from the leader do not hold their lease against it (raft.go). Having
// the leader's whole log, it wins unless something fails, and its higher
// term deposes the old leader. If no new leader has taken over within an
// election timeout, the transfer is abandoned and the leader takes
// proposals again.

// TransferLeadership starts handing leadership over to to, a voter. It
// returns a *NotLeaderError on a follower and ErrInvalidTransfer for a
// target that is no voter or this node; asking again for the transfer in
// progress changes nothing, and asking for another target replaces it.
func (n *Node) TransferLeadership(to NodeID) error {
	if n.role != RoleLeader {
		return &NotLeaderError{Leader: n.lead}
	}
	if to == n.id {
		return fmt.Errorf("%w: node %d leads already", ErrInvalidTransfer, to)
	}
	i := n.memberIndex(to)
	if i < 0 || n.prs[i].role&roleVoter == 0 {
		return fmt.Errorf("%w: node %d is no voter of %v", ErrInvalidTransfer, to, n.conf)
	}
	if n.transferee == to {
		return nil
	}
	n.transferee, n.transferElapsed = to, 0
	pr := &n.prs[i]
	n.maybeSendTimeoutNow(pr)
	if n.transferee != None {
		// Not caught up yet: send what it lacks now, not at the next
		// acknowledgement.
		pr.resend = true
		n.needFlush = true
	}
	n.settle()
	n.checkInvariants()
	return nil
}

// maybeSendTimeoutNow sends the transfer's target MsgTimeoutNow once its
// log matches the leader's; the transfer then waits for its election.
func (n *Node) maybeSendTimeoutNow(pr *progress) {
	if pr.match == n.log.lastIndex() {
		n.sendTimeoutNow(pr.id)
	}
}

// sendTimeoutNow tells to to stand for election now. From here on, this
// leader's read lease is void for the rest of its term (leaseValid).
func (n *Node) sendTimeoutNow(to NodeID) {
	n.transferSent = true
	n.send(Message{Type: MsgTimeoutNow, To: to, Term: n.term})
}

// tickTransfer abandons a transfer that has not ended within an election
// timeout.
func (n *Node) tickTransfer() {
	if n.transferee == None {
		return
	}
	n.transferElapsed++
	if n.transferElapsed >= n.cfg.ElectionTicks {
		n.transferee, n.transferElapsed = None, 0
	}
}

// handleTimeoutNow is a follower's answer to MsgTimeoutNow from its
// leader: stand now, unless it cannot.
func (n *Node) handleTimeoutNow(m Message) {
	if !n.promotable() {
		return // a learner or a removed node: it would lose anyway
	}
	if n.fenced() {
		return // repairing its log, it must not stand (repair.go)
	}
	// Figure 2: starting an election resets the timer.
	n.resetElectionTimer()
	n.campaign(false, true)
}
