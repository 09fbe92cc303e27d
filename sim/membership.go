package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// Membership actions (§6). Each is an operation that goes through the
// cluster as an administrator's request would: it is made at whoever
// leads (ProposeConfChange, TransferLeadership), and when that fails
// (no leader, a change already in flight, a leader that has not
// committed in its term yet, a transfer under way) or the leader changes
// before the change commits, it is made again at the next leader, until
// it is done or Within has passed. A configuration change is done when
// the leader's log holds a configuration with the change and commits it;
// one the previous leader appended counts, so a retry never makes a
// change twice. A transfer is done when its target leads. The outcome -
// ok; failed when nothing was ever appended, or the change made no sense
// (removing a node that is no member); unknown when an entry was appended
// but not seen committed in time - is recorded in Result.Membership and
// the trace.

// DefaultMembershipWithin bounds a membership action that sets no Within.
const DefaultMembershipWithin = 5 * time.Second

// membershipBackoff is how long an action waits before trying again after
// a refusal, so that a cluster in turmoil is not flooded.
const membershipBackoff = 20 * time.Millisecond

// MembershipChange is the record of one membership action.
type MembershipChange struct {
	// Action is the action's index in the timeline.
	Action int
	Kind   ActionKind
	// Nodes are the targets; With, for a replacement, the nodes brought
	// in.
	Nodes, With []raft.NodeID
	Start, End  clock.Time
	// Outcome is "ok", "failed" or "unknown"; Open is set when the run
	// ended first.
	Outcome string
	Open    bool
	// Attempts counts the proposals (or transfers) made.
	Attempts int
	// Reason says why an action failed or is unknown.
	Reason string
}

// memberOp is a membership action in progress.
type memberOp struct {
	rec   int // index of its record in s.memberships
	steps []raft.ConfChange
	step  int
	// target is a transfer's target.
	target   raft.NodeID
	deadline clock.Time
	// retryAt: no new attempt before it (a backoff), at the leader it
	// backed off at (backoffLeader in backoffTerm; None when there was
	// none). A new leader is tried at once, as an administrator's tool
	// does once it learns of one.
	retryAt       clock.Time
	backoffLeader raft.NodeID
	backoffTerm   raft.Term
	// at, atTerm: the leader the latest attempt went to.
	at     raft.NodeID
	atTerm raft.Term
	// appended records that some attempt appended an entry: from then on
	// the outcome may be unknown, never failed.
	appended bool
	done     bool
}

// IsMembership reports whether k is a membership action.
func (k ActionKind) IsMembership() bool { return k >= ActAddVoter && k <= ActTransferLeader }

func (a *Action) validateMembership(c *Config, needTargets func() error) error {
	if err := needTargets(); err != nil {
		return err
	}
	if a.Within < 0 {
		return fmt.Errorf("within: %v must not be negative", a.Within)
	}
	if len(a.With) > 0 && a.Kind != ActReplace {
		return fmt.Errorf("with: only a replace action brings nodes in")
	}
	if a.Joint && (a.Kind == ActTransferLeader || a.Kind == ActPromote) {
		return fmt.Errorf("joint: a %s action makes no configuration change that needs one", a.Kind)
	}
	for _, id := range a.With {
		if id < 1 || int(id) > c.Nodes {
			return fmt.Errorf("with: node %d is not in the cluster (1..%d)", id, c.Nodes)
		}
		if slices.Contains(a.Nodes, id) {
			return fmt.Errorf("with: node %d is also a node to replace", id)
		}
	}
	if a.Kind == ActTransferLeader && a.Leader {
		return errors.New("leader: leadership is transferred to another node: name it, or use follower or random")
	}
	return nil
}

// viewConfig is the configuration membership actions pick their targets
// by: the leader's, or with no leader the latest committed one.
func (s *Simulator) viewConfig() raft.ConfState {
	if l := s.leader(); l != nil {
		cs, _ := l.rn.LogConfig()
		return cs
	}
	return s.committedConf
}

// isMember reports whether id is a voter or learner of the configuration
// in view.
func (s *Simulator) isMember(id raft.NodeID) bool { return s.viewConfig().IsMember(id) }

// majority is the size of a quorum of the configuration in view.
func (s *Simulator) majority() int { return len(s.viewConfig().Voters)/2 + 1 }

// reachesQuorum reports whether leader l reaches, over links open both
// ways, a majority of each voter half of its configuration (itself
// included, when it votes), all up and not paused.
func (s *Simulator) reachesQuorum(l *node) bool {
	cs, _ := l.rn.LogConfig()
	for _, half := range [][]raft.NodeID{cs.Voters, cs.VotersOutgoing} {
		if len(half) == 0 {
			continue
		}
		reach := 0
		for _, id := range half {
			n := s.nodes[id-1]
			if n == l || (n.up && !n.paused && s.net.Connected(l.id, n.id) && s.net.Connected(n.id, l.id)) {
				reach++
			}
		}
		if reach < len(half)/2+1 {
			return false
		}
	}
	return true
}

// noteConfigApplied follows the latest configuration committed anywhere.
func (s *Simulator) noteConfigApplied(e raft.Entry) {
	if e.Index <= s.committedConfIndex {
		return
	}
	cs, err := raft.DecodeConfState(e.Data)
	if err != nil {
		panic(fmt.Sprintf("sim: configuration entry %d: %v", e.Index, err))
	}
	s.committedConf, s.committedConfIndex = cs, e.Index
}

// ineligibleMember says why a membership action of kind k cannot act on
// node id now, or "".
func (s *Simulator) ineligibleMember(k ActionKind, id raft.NodeID) string {
	cs := s.viewConfig()
	switch k {
	case ActAddVoter:
		if cs.IsVoter(id) {
			return fmt.Sprintf("node %d is a voter already", id)
		}
	case ActAddLearner:
		if cs.IsMember(id) {
			return fmt.Sprintf("node %d is a member already", id)
		}
	case ActPromote:
		if !cs.IsLearner(id) {
			return fmt.Sprintf("node %d is no learner", id)
		}
	case ActRemove, ActReplace:
		if !cs.IsMember(id) {
			return fmt.Sprintf("node %d is no member", id)
		}
	case ActTransferLeader:
		if !cs.IsVoter(id) {
			return fmt.Sprintf("node %d is no voter", id)
		}
		if l := s.leader(); l != nil && l.id == id {
			return fmt.Sprintf("node %d leads already", id)
		}
	}
	return ""
}

// startMembership starts action i on its resolved targets. With none,
// it does nothing: the missing target is reported already.
func (s *Simulator) startMembership(i int, a *Action, nodes []raft.NodeID) {
	if len(nodes) == 0 {
		return
	}
	rec := MembershipChange{Action: i, Kind: a.Kind, Nodes: slices.Clone(nodes), Start: s.now}
	op := &memberOp{rec: len(s.memberships)}
	within := a.Within
	if within == 0 {
		within = DefaultMembershipWithin
	}
	op.deadline = s.now.Add(within)
	single := func(t raft.ConfChangeType, id raft.NodeID) raft.ConfChangeSingle {
		return raft.ConfChangeSingle{Type: t, Node: id}
	}
	var changes []raft.ConfChangeSingle
	switch a.Kind {
	case ActAddVoter, ActPromote:
		for _, id := range nodes {
			changes = append(changes, single(raft.ConfAddVoter, id))
		}
	case ActAddLearner:
		for _, id := range nodes {
			changes = append(changes, single(raft.ConfAddLearner, id))
		}
	case ActRemove:
		for _, id := range nodes {
			changes = append(changes, single(raft.ConfRemove, id))
		}
	case ActReplace:
		rec.With = s.replacements(a, nodes)
		for k, id := range nodes {
			if k < len(rec.With) {
				changes = append(changes, single(raft.ConfAddVoter, rec.With[k]), single(raft.ConfRemove, id))
			}
		}
	case ActTransferLeader:
		if len(nodes) > 0 {
			op.target = nodes[0]
		}
	}
	if a.Joint && len(changes) > 0 {
		op.steps = []raft.ConfChange{{Changes: changes, Joint: true}}
	} else {
		for _, c := range changes {
			op.steps = append(op.steps, raft.ConfChange{Changes: []raft.ConfChangeSingle{c}})
		}
	}
	s.memberships = append(s.memberships, rec)
	s.memberOps = append(s.memberOps, op)
	if len(op.steps) == 0 && op.target == raft.None {
		s.finishMember(op, "failed", "no spare node to bring in")
		return
	}
	s.schedule(event{at: op.deadline, kind: evMembership, ref: uint64(len(s.memberOps) - 1)})
	s.attemptMember(op)
}

// replacements returns the nodes a replace brings in: With, or spares
// drawn from the scenario stream.
func (s *Simulator) replacements(a *Action, nodes []raft.NodeID) []raft.NodeID {
	if len(a.With) > 0 {
		return slices.Clone(a.With)
	}
	cs := s.viewConfig()
	var pool []raft.NodeID
	for _, n := range s.nodes {
		if !cs.IsMember(n.id) && !slices.Contains(nodes, n.id) && s.spareFree(n.id) {
			pool = append(pool, n.id)
		}
	}
	k := min(len(nodes), len(pool))
	for j := range k {
		r := j + s.scenarioRand.IntN(len(pool)-j)
		pool[j], pool[r] = pool[r], pool[j]
	}
	out := pool[:k]
	slices.Sort(out)
	return out
}

// spareFree reports whether no membership action in progress brings id
// in already.
func (s *Simulator) spareFree(id raft.NodeID) bool {
	for _, op := range s.memberOps {
		if !op.done && slices.Contains(s.memberships[op.rec].With, id) {
			return false
		}
	}
	return true
}

// onMembership handles an action's timer: its backoff ended, or its
// deadline came.
func (s *Simulator) onMembership(e event) {
	op := s.memberOps[e.ref]
	if op.done {
		return
	}
	s.attemptMember(op)
}

// advanceMembership re-examines the actions in progress after the
// cluster changed (a role, a commit, a node's state).
func (s *Simulator) advanceMembership() {
	for _, op := range s.memberOps {
		if !op.done && s.retryDue(op) {
			s.attemptMember(op)
		}
	}
}

// membershipIdle reports whether every membership action has ended.
func (s *Simulator) membershipIdle() bool {
	for _, op := range s.memberOps {
		if !op.done {
			return false
		}
	}
	return true
}

// retryDue reports whether op may be tried now: its backoff has ended,
// or leadership has changed hands since it began.
func (s *Simulator) retryDue(op *memberOp) bool {
	if s.now >= op.retryAt {
		return true
	}
	l := s.leader()
	return l != nil && (l.id != op.backoffLeader || l.term != op.backoffTerm)
}

// backoff schedules op's next attempt.
func (s *Simulator) backoff(op *memberOp) {
	op.retryAt = s.now.Add(membershipBackoff)
	op.backoffLeader, op.backoffTerm = raft.None, 0
	if l := s.leader(); l != nil {
		op.backoffLeader, op.backoffTerm = l.id, l.term
	}
	s.schedule(event{at: op.retryAt, kind: evMembership, ref: uint64(slices.Index(s.memberOps, op))})
}

// attemptMember moves op on: done, waiting, or a new attempt at the
// leader.
func (s *Simulator) attemptMember(op *memberOp) {
	for !op.done {
		if s.now >= op.deadline {
			outcome := "failed"
			if op.appended {
				outcome = "unknown"
			}
			s.finishMember(op, outcome, "not done within its time")
			return
		}
		l := s.leader()
		// The node may have stepped down already, its Ready not yet
		// carried out (a removed leader steps down the moment its
		// removal commits): wait until it has been.
		if l == nil || l.paused || l.rn.Status().Role != raft.RoleLeader {
			if s.now >= op.retryAt {
				s.backoff(op)
			}
			return
		}
		var again bool
		if op.target != raft.None {
			again = s.attemptTransfer(op, l)
		} else {
			again = s.attemptChange(op, l)
		}
		if !again {
			return
		}
	}
}

// attemptTransfer takes one step of a transfer; it returns true to look
// again at once.
func (s *Simulator) attemptTransfer(op *memberOp, l *node) bool {
	if l.id == op.target {
		s.finishMember(op, "ok", "")
		return false
	}
	st := l.rn.Status()
	if st.Transferee == op.target {
		return false // under way
	}
	if s.now < op.retryAt {
		return false
	}
	rec := &s.memberships[op.rec]
	err := l.rn.TransferLeadership(op.target)
	switch {
	case errors.Is(err, raft.ErrInvalidTransfer):
		s.finishMember(op, "failed", err.Error())
		return false
	case err != nil:
		s.backoff(op)
		return false
	}
	rec.Attempts++
	op.at, op.atTerm = l.id, l.term
	s.trace(TraceEvent{Kind: TraceAction, Node: l.id, Peer: op.target, Term: l.term,
		Text: fmt.Sprintf("transfer_leader: node %d hands over to %d (attempt %d)", l.id, op.target, rec.Attempts)})
	// A transfer the leader abandons (after an election timeout), or a
	// target that loses, is tried again then.
	op.retryAt = s.now.Add(time.Duration(s.cfg.Raft.ElectionTicks+1) * s.cfg.Raft.TickInterval)
	s.schedule(event{at: op.retryAt, kind: evMembership, ref: uint64(slices.Index(s.memberOps, op))})
	s.process(l)
	return false
}

// attemptChange takes one step of a configuration change; it returns
// true to look again at once (a step just ended).
func (s *Simulator) attemptChange(op *memberOp, l *node) bool {
	cc := op.steps[op.step]
	cs, confIdx := l.rn.LogConfig()
	st := l.rn.Status()
	rec := &s.memberships[op.rec]
	if changeMade(cs, cc) {
		if confIdx > st.Commit {
			return false // made; waiting for it to commit
		}
		op.step++
		if op.step == len(op.steps) {
			s.finishMember(op, "ok", "")
			return false
		}
		return true
	}
	if !s.retryDue(op) || cs.IsJoint() {
		// A joint configuration to leave, ours or another action's: wait
		// for the leader to leave it.
		if s.retryDue(op) {
			s.backoff(op)
		}
		return false
	}
	// Another change may be in flight: the change is proposed all the
	// same, as an administrator's tool that cannot see the leader's log
	// would, and the leader must refuse it (one change at a time, §6).
	inFlight := confIdx > st.Commit
	idx, term, err := l.rn.ProposeConfChange(cc)
	switch {
	case errors.Is(err, raft.ErrInvalidConfChange):
		s.finishMember(op, "failed", err.Error())
		return false
	case err != nil:
		if !inFlight {
			// (A refusal while a change is in flight is a wait, not a
			// reason for the outcome.)
			rec.Reason = err.Error()
		}
		s.backoff(op)
		return false
	}
	rec.Attempts++
	op.appended = true
	op.at, op.atTerm = l.id, term
	s.trace(TraceEvent{Kind: TraceAction, Node: l.id, Term: term, Index: idx,
		Text: fmt.Sprintf("%s: node %d appends %v at %d (attempt %d)", rec.Kind, l.id, cc, idx, rec.Attempts)})
	s.process(l)
	return false
}

// changeMade reports whether cs holds the change cc asks for: every
// voter, learner and removal in place, and no joint configuration left.
func changeMade(cs raft.ConfState, cc raft.ConfChange) bool {
	if cs.IsJoint() {
		return false
	}
	for _, c := range cc.Changes {
		switch c.Type {
		case raft.ConfAddVoter:
			if !cs.IsVoter(c.Node) {
				return false
			}
		case raft.ConfAddLearner:
			if !cs.IsLearner(c.Node) {
				return false
			}
		case raft.ConfRemove:
			if cs.IsMember(c.Node) {
				return false
			}
		}
	}
	return true
}

// finishMember records op's outcome.
func (s *Simulator) finishMember(op *memberOp, outcome, reason string) {
	op.done = true
	rec := &s.memberships[op.rec]
	rec.End, rec.Outcome = s.now, outcome
	if reason != "" {
		rec.Reason = reason
	} else if outcome == "ok" {
		rec.Reason = ""
	}
	switch outcome {
	case "ok":
		s.stats.MembershipOK++
	case "failed":
		s.stats.MembershipFailed++
	default:
		s.stats.MembershipUnknown++
	}
	text := fmt.Sprintf("%s %s: %s", rec.Kind, idList(rec.Nodes), outcome)
	if rec.Reason != "" && outcome != "ok" {
		text += " (" + rec.Reason + ")"
	}
	s.trace(TraceEvent{Kind: TraceAction, Text: text})
	s.dirty = true
}

// closeMembership ends the actions still in progress at the end of the
// run.
func (s *Simulator) closeMembership() {
	for _, op := range s.memberOps {
		if op.done {
			continue
		}
		outcome := "failed"
		if op.appended {
			outcome = "unknown"
		}
		s.finishMember(op, outcome, "the run ended first")
		s.memberships[op.rec].Open = true
	}
}
