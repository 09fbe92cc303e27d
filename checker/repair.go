package checker

import (
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// FencedView is implemented by a LogView of a node whose storage can lose
// entries to corruption: Fenced reports that the node repairs its log
// (raft.HardState.Fence), and so votes for no one and cannot win an
// election. For a crashed node, it is the fence it would restart with.
type FencedView interface {
	Fenced() bool
}

func fenced(lv LogView) bool {
	if f, ok := lv.(FencedView); ok {
		return f.Fenced()
	}
	return false
}

// checkFencedRole: a node that repairs its log never stands for election
// (the node asserts it locally too; this is the pair).
func checkFencedRole(id raft.NodeID, role raft.Role, term raft.Term, v NodeView) *Violation {
	if role == raft.RoleFollower || role == 0 {
		return nil
	}
	if f := v.Status().Fence; f != 0 {
		return &Violation{Invariant: "fenced-election", Node: id, Term: term,
			Message: fmt.Sprintf("node %d became %s in term %d while repairing a log that lost entries (fenced at term %d)", id, role, term, f)}
	}
	return nil
}

// ObserveSend is called for each message a node sends, when it leaves:
// after the Ready that carries it is durable. durableLast is the last
// index the node's storage holds then (its snapshot's, if the log after
// it is empty).
//
//   - ack-durable: a MsgAppResp that accepts entries up to Index leaves
//     only when the storage holds Index, unless Index is at most the
//     sender's commit index (entries on a quorum already, which it may
//     hold only in memory yet). A node vouches only for what it keeps, so
//     entries it lost to corruption, which its storage no longer
//     presents, never count towards a quorum. (Acknowledgements
//     sent before the loss may still be in flight; the fence below is
//     what keeps them harmless, see raft's doc.go.)
//   - fenced-vote: a node that repairs its log grants no vote or
//     pre-vote: its log may lack entries it acknowledged, so its
//     up-to-date check would judge candidates against too little.
func (iv *Invariants) ObserveSend(id raft.NodeID, m raft.Message, v NodeView, durableLast raft.Index) *Violation {
	switch m.Type {
	case raft.MsgAppResp:
		// An acknowledgement up to the commit index the sender knows
		// vouches for nothing new: those entries are on a quorum already.
		if !m.Reject && m.Index > durableLast && m.Index > v.Status().Commit {
			return &Violation{Invariant: "ack-durable", Node: id, Term: m.Term, Index: m.Index,
				Message: fmt.Sprintf("node %d acknowledged entries up to %d to node %d (%v), but its storage holds entries only up to %d", id, m.Index, m.To, m, durableLast)}
		}
	case raft.MsgVoteResp, raft.MsgPreVoteResp:
		if f := v.Status().Fence; !m.Reject && f != 0 {
			return &Violation{Invariant: "fenced-vote", Node: id, Term: m.Term,
				Message: fmt.Sprintf("node %d granted a %s to node %d in term %d while repairing a log that lost entries (fenced at term %d)", id, m.Type, m.To, m.Term, f)}
		}
		if m.Type == raft.MsgVoteResp && !m.Reject {
			// A node that grants a vote and moves on to a later term
			// before its Ready is persisted writes only the later term's
			// hard state (which forbids voting again in the earlier
			// one); the grant that leaves is the vote election-quorum
			// must count.
			iv.ObserveVote(id, raft.HardState{Term: m.Term, Vote: m.To})
		}
	}
	return nil
}
