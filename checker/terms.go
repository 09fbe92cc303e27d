package checker

import (
	"fmt"
	"strings"

	"github.com/raftsim/raftsim/raft"
)

// The term rules (§5.1, §9.6 of the thesis), checked at the step that
// breaks them instead of through what they later cause (two leaders, a
// stalled cluster, found only on lucky seeds):
//
//   - stale-leader: a leader that handles a message of a higher term,
//     other than a vote request (which CheckQuorum lets it ignore) or a
//     granted pre-vote, steps down and takes the term. A leader that keeps
//     leading its old term goes on serving clients while another leads.
//   - prevote-inert: a pre-vote request changes neither the term nor the
//     vote of the node that answers it; that is what makes a pre-vote
//     harmless to a healthy cluster.
//   - stale-term-inert: a message of a term older than the node's changes
//     nothing on it - term, vote, role, leader, log end, commit index -
//     it may only answer (§5.1: "if a server receives a request with a
//     stale term number, it rejects the request"). A follower that takes
//     a deposed leader's append may overwrite entries of the new term;
//     whether that shows later depends on the commit index it finds.
//   - hard-state-restored: a node restarts with a term no older than the
//     last one it made durable, and with the same vote in that term; a
//     node that forgets either can vote twice in a term.

// ObserveStep is called after a node handled a message, with the node's
// status before and after it and the message's type, term and rejection.
func (iv *Invariants) ObserveStep(id raft.NodeID, typ raft.MessageType, term raft.Term, reject bool, before, after raft.Status) *Violation {
	if typ == raft.MsgPreVote && (after.Term != before.Term || after.Vote != before.Vote) {
		return &Violation{Invariant: "prevote-inert", Node: id, Term: after.Term,
			Message: fmt.Sprintf("node %d answered a pre-vote of term %d and went from term %d, vote %d to term %d, vote %d", id, term, before.Term, before.Vote, after.Term, after.Vote)}
	}
	if term < before.Term && staleStepChanged(before, after) {
		return &Violation{Invariant: "stale-term-inert", Node: id, Term: before.Term,
			Message: fmt.Sprintf("node %d in term %d handled a %s of the older term %d and changed: %s", id, before.Term, typ, term, describeStep(before, after))}
	}
	if before.Role != raft.RoleLeader || term <= before.Term || typ == raft.MsgPreVote || typ == raft.MsgVote || typ == raft.MsgPreVoteResp && !reject {
		return nil
	}
	if after.Role == raft.RoleLeader && after.Term == before.Term {
		return &Violation{Invariant: "stale-leader", Node: id, Term: before.Term,
			Message: fmt.Sprintf("leader %d of term %d handled a %s of term %d and is still leader of term %d", id, before.Term, typ, term, after.Term)}
	}
	return nil
}

// staleStepChanged reports whether a step changed what a message of an
// older term must leave alone.
func staleStepChanged(before, after raft.Status) bool {
	return before.Term != after.Term || before.Vote != after.Vote || before.Role != after.Role ||
		before.Leader != after.Leader || before.Commit != after.Commit ||
		before.LastIndex != after.LastIndex || before.LastTerm != after.LastTerm
}

// describeStep names the fields a step changed, as "from -> to".
func describeStep(before, after raft.Status) string {
	var out []string
	add := func(name string, a, b uint64) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %d -> %d", name, a, b))
		}
	}
	add("term", uint64(before.Term), uint64(after.Term))
	add("vote", uint64(before.Vote), uint64(after.Vote))
	if before.Role != after.Role {
		out = append(out, fmt.Sprintf("role %s -> %s", before.Role, after.Role))
	}
	add("leader", uint64(before.Leader), uint64(after.Leader))
	add("commit", uint64(before.Commit), uint64(after.Commit))
	add("last index", uint64(before.LastIndex), uint64(after.LastIndex))
	add("last term", uint64(before.LastTerm), uint64(after.LastTerm))
	return strings.Join(out, ", ")
}

// ObserveDurable is called when a node's hard state is durable (after a
// sync).
func (iv *Invariants) ObserveDurable(id raft.NodeID, hs raft.HardState) {
	iv.node(id).durable = hs
}

// checkHardStateRestored compares a restarted node's term and vote with
// what it had made durable, and then takes them as durable: its storage
// presents only durable state (raft.Storage's restart contract).
func (iv *Invariants) checkHardStateRestored(id raft.NodeID, nf *nodeFacts, st raft.Status) *Violation {
	d := nf.durable
	nf.durable = raft.HardState{Term: st.Term, Vote: st.Vote, Commit: st.Commit}
	switch {
	case st.Term < d.Term:
		return &Violation{Invariant: "hard-state-restored", Node: id, Term: st.Term,
			Message: fmt.Sprintf("node %d restarted in term %d, but term %d was durable", id, st.Term, d.Term)}
	case st.Term == d.Term && d.Vote != raft.None && st.Vote != d.Vote:
		return &Violation{Invariant: "hard-state-restored", Node: id, Term: st.Term,
			Message: fmt.Sprintf("node %d restarted in term %d with vote %d, but its vote for %d was durable", id, st.Term, st.Vote, d.Vote)}
	}
	return nil
}
