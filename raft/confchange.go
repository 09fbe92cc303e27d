package raft

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Configuration changes (§6; §4 of the thesis). A leader turns a
// ConfChange into the configuration it leads to and appends that as a
// configuration entry, which takes effect on each node as it is appended.
// At most one change is in flight: the leader refuses another until the
// entry commits (ErrConfChangeInProgress).
//
// A change of at most one voter (adding one, removing one, promoting a
// learner, demoting a voter) goes straight to the new configuration: the
// majorities of two configurations that differ by one voter always
// overlap (§4.1). Any other change goes through a joint configuration
// (C_old,new), in which a quorum is a majority of both, and then to
// C_new: the leader proposes the second step by itself as soon as the
// joint entry commits, unless the ConfChange asked to leave explicitly
// (then a ConfChange with no Changes does it), as etcd's ConfChangeV2.

// ConfChangeType is what one change does to one node.
type ConfChangeType uint8

const (
	// ConfAddVoter makes the node a voter: a new member, or the
	// promotion of a learner.
	ConfAddVoter ConfChangeType = iota + 1
	// ConfAddLearner makes the node a learner: a new member that receives
	// the log without voting, or the demotion of a voter.
	ConfAddLearner
	// ConfRemove removes the node, voter or learner.
	ConfRemove
)

func (t ConfChangeType) String() string {
	switch t {
	case ConfAddVoter:
		return "add-voter"
	case ConfAddLearner:
		return "add-learner"
	case ConfRemove:
		return "remove"
	}
	return fmt.Sprintf("ConfChangeType(%d)", uint8(t))
}

// ConfChangeSingle changes one node's membership.
type ConfChangeSingle struct {
	Type ConfChangeType
	Node NodeID
}

// ConfChange is a change of the configuration: the changes, made at once.
// With no Changes it leaves a joint configuration.
type ConfChange struct {
	Changes []ConfChangeSingle
	// Joint goes through a joint configuration even for a change of one
	// voter.
	Joint bool
	// ExplicitLeave keeps the joint configuration until a ConfChange with
	// no Changes leaves it; by default the leader leaves it as soon as it
	// commits.
	ExplicitLeave bool
}

func (cc ConfChange) String() string {
	if len(cc.Changes) == 0 {
		return "leave-joint"
	}
	parts := make([]string, len(cc.Changes))
	for i, c := range cc.Changes {
		parts[i] = fmt.Sprintf("%s %d", c.Type, c.Node)
	}
	s := strings.Join(parts, ", ")
	if cc.Joint {
		s += " (joint)"
	}
	if cc.ExplicitLeave {
		s += " (explicit leave)"
	}
	return s
}

// Apply returns the configuration cc leads to from cs, or an error
// wrapping ErrInvalidConfChange (or ErrConfChangeInProgress, for a change
// other than leaving while cs is joint). It is what ProposeConfChange
// appends; callers use it to preview a change.
func (cs ConfState) Apply(cc ConfChange) (ConfState, error) {
	if len(cc.Changes) == 0 {
		if !cs.IsJoint() {
			return cs, fmt.Errorf("%w: leaving a joint configuration, but %v is not joint", ErrInvalidConfChange, cs)
		}
		learners := append(slices.Clone(cs.Learners), cs.LearnersNext...)
		slices.Sort(learners)
		return ConfState{Voters: slices.Clone(cs.Voters), Learners: learners}, nil
	}
	if cs.IsJoint() {
		return cs, fmt.Errorf("%w: the configuration %v is joint: leave it first", ErrConfChangeInProgress, cs)
	}
	voters, learners := slices.Clone(cs.Voters), slices.Clone(cs.Learners)
	for i, c := range cc.Changes {
		if c.Node == None {
			return cs, fmt.Errorf("%w: change %d names node 0", ErrInvalidConfChange, i)
		}
		for _, o := range cc.Changes[:i] {
			if o.Node == c.Node {
				return cs, fmt.Errorf("%w: node %d is changed twice", ErrInvalidConfChange, c.Node)
			}
		}
		isVoter, isLearner := slices.Contains(voters, c.Node), slices.Contains(learners, c.Node)
		switch c.Type {
		case ConfAddVoter:
			if isVoter {
				return cs, fmt.Errorf("%w: node %d is a voter already", ErrInvalidConfChange, c.Node)
			}
			learners = without(learners, c.Node)
			voters = append(voters, c.Node)
		case ConfAddLearner:
			if isLearner {
				return cs, fmt.Errorf("%w: node %d is a learner already", ErrInvalidConfChange, c.Node)
			}
			voters = without(voters, c.Node)
			learners = append(learners, c.Node)
		case ConfRemove:
			if !isVoter && !isLearner {
				return cs, fmt.Errorf("%w: node %d is no member", ErrInvalidConfChange, c.Node)
			}
			voters, learners = without(voters, c.Node), without(learners, c.Node)
		default:
			return cs, fmt.Errorf("%w: change %d has type %d", ErrInvalidConfChange, i, c.Type)
		}
	}
	slices.Sort(voters)
	slices.Sort(learners)
	if len(voters) == 0 {
		return cs, fmt.Errorf("%w: no voter would be left", ErrInvalidConfChange)
	}
	next := ConfState{Voters: voters, Learners: learners}
	if !cc.Joint && votersChanged(cs.Voters, voters) <= 1 {
		if err := next.validate(); err != nil {
			return cs, fmt.Errorf("%w: %v", ErrInvalidConfChange, err)
		}
		return next, nil
	}
	// Joint: C_new's voters with C_old's as the outgoing half. A voter of
	// C_old that becomes a learner keeps voting in C_old until the joint
	// change ends.
	next.VotersOutgoing = slices.Clone(cs.Voters)
	next.AutoLeave = !cc.ExplicitLeave
	for _, id := range learners {
		if slices.Contains(next.VotersOutgoing, id) {
			next.LearnersNext = append(next.LearnersNext, id)
			next.Learners = without(next.Learners, id)
		}
	}
	if err := next.validate(); err != nil {
		return cs, fmt.Errorf("%w: %v", ErrInvalidConfChange, err)
	}
	return next, nil
}

// without returns ids without id, in a new slice.
func without(ids []NodeID, id NodeID) []NodeID {
	return slices.DeleteFunc(slices.Clone(ids), func(x NodeID) bool { return x == id })
}

// votersChanged counts the voters in one sorted list but not the other.
func votersChanged(a, b []NodeID) int {
	n := 0
	for _, id := range a {
		if !slices.Contains(b, id) {
			n++
		}
	}
	for _, id := range b {
		if !slices.Contains(a, id) {
			n++
		}
	}
	return n
}

// ProposeConfChange appends the configuration cc leads to (see
// ConfState.Apply) to the leader's log and returns its index and term;
// the change is made when an entry with that index and term commits, and
// is in force on each node from the moment it holds it. It refuses, with
// nothing proposed:
//   - on a follower, with a *NotLeaderError;
//   - during a leadership transfer, with ErrLeadershipTransfer;
//   - while a change is in flight, or before the leader has committed an
//     entry of its term, with ErrConfChangeInProgress;
//   - a change that makes no sense, with ErrInvalidConfChange;
//   - the promotion of a learner that lags the commit index, with
//     ErrNotCaughtUp;
//   - past MaxUncommittedEntries, with ErrProposalDropped.
func (n *Node) ProposeConfChange(cc ConfChange) (Index, Term, error) {
	if n.role != RoleLeader {
		return 0, 0, &NotLeaderError{Leader: n.lead}
	}
	if n.transferee != None {
		return 0, 0, fmt.Errorf("%w: to node %d", ErrLeadershipTransfer, n.transferee)
	}
	// Until the leader commits an entry of its term, a change an earlier
	// leader appended on a minority may still commit, and two changes
	// made from the same configuration may have disjoint majorities (the
	// single-server change bug, fixed in §4.1 of the thesis).
	if !n.committedInTerm() && !bugs.Fire(bugs.ConfChangeBeforeTermCommit) {
		return 0, 0, fmt.Errorf("%w: the leader has not committed an entry of its term %d yet", ErrConfChangeInProgress, n.term)
	}
	if n.confIndex > n.log.committed && !bugs.Fire(bugs.ConfChangeWhileInFlight) {
		return 0, 0, fmt.Errorf("%w: the change at index %d is not committed yet (commit %d)", ErrConfChangeInProgress, n.confIndex, n.log.committed)
	}
	next, err := n.conf.Apply(cc)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range cc.Changes {
		if c.Type != ConfAddVoter || !n.conf.IsLearner(c.Node) {
			continue
		}
		if pr := &n.prs[n.memberIndex(c.Node)]; pr.match < n.log.committed {
			return 0, 0, fmt.Errorf("%w: node %d holds the log up to %d, the commit index is %d", ErrNotCaughtUp, c.Node, pr.match, n.log.committed)
		}
	}
	if int(n.log.lastIndex()-n.log.committed) >= n.cfg.MaxUncommittedEntries {
		return 0, 0, ErrProposalDropped
	}
	idx := n.log.lastIndex() + 1
	n.appendEntry(Entry{Term: n.term, Index: idx, Type: EntryConfig, Data: EncodeConfState(next)})
	n.settle()
	n.checkInvariants()
	return idx, n.term, nil
}

// settle applies the configuration rules that hang on the commit index,
// after every input: the leader leaves a joint configuration it may
// leave, and a leader that is no voter any more steps down once the
// change that removed it commits (§6).
func (n *Node) settle() {
	if bugs.On(bugs.ApplyConfOnCommit) {
		n.refreshConfig()
	}
	if n.role != RoleLeader || n.confIndex > n.log.committed {
		return
	}
	if n.leaving > 0 {
		// The change committed: the removed members are on their own.
		n.applyConf(n.conf)
	}
	if !n.promotable() {
		if bugs.Fire(bugs.RemovedLeaderKeepsLeading) {
			return
		}
		n.stepDownRemoved()
		return
	}
	if n.conf.AutoLeave && n.transferee == None && n.committedInTerm() &&
		int(n.log.lastIndex()-n.log.committed) < n.cfg.MaxUncommittedEntries {
		next, err := n.conf.Apply(ConfChange{})
		if err != nil {
			panic(fmt.Sprintf("raft: node %d: leaving joint configuration %v: %v", n.id, n.conf, err))
		}
		n.appendEntry(Entry{Term: n.term, Index: n.log.lastIndex() + 1, Type: EntryConfig, Data: EncodeConfState(next)})
	}
}

// stepDownRemoved ends the leadership of a leader whose removal has
// committed. It first tells the voter whose log matches its own, if one
// does, to stand at once, so that the cluster is not left waiting for an
// election timeout.
func (n *Node) stepDownRemoved() {
	best := -1
	for i := range n.prs {
		pr := &n.prs[i]
		if i != n.self && pr.role&roleVoter != 0 && pr.match == n.log.lastIndex() && (best < 0 || pr.id < n.prs[best].id) {
			best = i
		}
	}
	if best >= 0 {
		n.sendTimeoutNow(n.prs[best].id)
	}
	n.becomeFollower(n.term, None)
}
