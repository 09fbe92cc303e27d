package raft

// Protocol-aware recovery: what a node does when its storage lost entries
// it may have acknowledged. The rules and why they are safe are in
// doc.go ("Protocol-aware recovery"); this file holds their mechanics.

// fenced reports whether the node repairs its log: it then grants no vote
// or pre-vote, and stands in no election.
func (n *Node) fenced() bool { return n.fence != 0 }

// liftFence ends the repair once the log holds every entry the node ever
// vouched for:
//
//   - once it holds an entry of a term after the fence. Only a leader can
//     have sent it (the node's own entries are all of the fence's term or
//     older), after matching the log up to it; and every leader of a
//     later term holds every entry committed with this node's
//     acknowledgements, which all came in terms up to the fence;
//   - or once a MsgApp of a leader of the fence's term or later has
//     matched the log up to FenceIndex, the last index the node may have
//     acknowledged. Every entry committed with its acknowledgements is in
//     that leader's log (Leader Completeness; the leader's own entries it
//     holds anyway), at an index up to FenceIndex, so the log now holds
//     it. Without this, a node repaired under the leader it had served
//     would stay fenced until the next election, and a cluster of three
//     that then lost that leader would have no quorum of voters.
func (n *Node) liftFence() {
	if n.fence == 0 {
		return
	}
	if n.log.lastTerm() > n.fence || n.fenceIndex != 0 && n.repairTerm >= n.fence && n.repairMatch >= n.fenceIndex {
		n.fence, n.fenceIndex = 0, 0
	}
}

// commitCap bounds the commit index a heartbeat of term t may set: our
// last index, and on a fenced node the last index known to match the
// leader's log. The leader caps a heartbeat's commit at what it believes
// we hold, but it may still believe what we held before we lost entries:
// the log kept may hold, past what we lost, entries the lost part had
// overwritten, which must not be taken as committed.
func (n *Node) commitCap(t Term) Index {
	if !n.fenced() {
		return n.log.lastIndex()
	}
	if t != n.repairTerm {
		return 0
	}
	return min(n.repairMatch, n.log.lastIndex())
}

// noteRepairMatch records, on a fenced node, that its log matches the
// leader of term t up to index last (a MsgApp accepted).
func (n *Node) noteRepairMatch(t Term, last Index) {
	if !n.fenced() {
		return
	}
	if t != n.repairTerm {
		n.repairTerm, n.repairMatch = t, 0
	}
	n.repairMatch = max(n.repairMatch, last)
}

// rejectContext is the Context of a rejecting MsgAppResp: contextRepair
// while the node repairs, so that the leader forgets what the node held
// before it lost entries.
func (n *Node) rejectContext() uint64 {
	if n.fenced() {
		return contextRepair
	}
	return 0
}

// forgetMatch is the leader's answer to a follower that lost entries it
// acknowledged: it holds nothing past hint now, whatever it acknowledged
// before, so the leader probes from there and counts it towards no
// commit above it. The commit index itself never moves back: entries
// committed on the strength of the lost acknowledgements stay on a
// quorum's worth of nodes that can still vote (see doc.go).
func (n *Node) forgetMatch(pr *progress, hint Index) {
	pr.match = hint
	pr.becomeProbe()
	n.needFlush = true
}
