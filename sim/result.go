package sim

import (
	"errors"
	"fmt"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// FailureKind classifies what a run found.
type FailureKind uint8

const (
	// FailureInvariant: a Raft safety invariant broke during the run.
	FailureInvariant FailureKind = iota + 1
	// FailureLinearizability: the client history is not linearizable.
	FailureLinearizability
	// FailureInconclusive: the linearizability check ran out of budget.
	// Not a pass.
	FailureInconclusive
	// FailureLiveness: after healing, the cluster did not elect a leader
	// or did not serve every client in time.
	FailureLiveness
	// FailurePanic: a node or the simulator panicked.
	FailurePanic
	// FailureLimit: the run hit its event limit.
	FailureLimit
	// FailureScenario: the run could not do what its timeline says: an
	// action with Require found no target, a wait timed out.
	FailureScenario
	// FailureCheck: a check the scenario states over a window of the run
	// did not hold; Name is the check's.
	FailureCheck
)

func (k FailureKind) String() string {
	switch k {
	case FailureInvariant:
		return "invariant"
	case FailureLinearizability:
		return "linearizability"
	case FailureInconclusive:
		return "inconclusive"
	case FailureLiveness:
		return "liveness"
	case FailurePanic:
		return "panic"
	case FailureLimit:
		return "limit"
	case FailureScenario:
		return "scenario"
	case FailureCheck:
		return "check"
	}
	return fmt.Sprintf("FailureKind(%d)", uint8(k))
}

// IsSafety reports whether the failure is a safety failure (as opposed to
// liveness, a limit, or an inconclusive check).
func (k FailureKind) IsSafety() bool {
	return k == FailureInvariant || k == FailureLinearizability || k == FailurePanic
}

// Failure is one problem a run found.
type Failure struct {
	Kind    FailureKind
	Name    string
	Message string
	Time    clock.Time
	Node    raft.NodeID
	// TraceSeq is the trace position at which it was found.
	TraceSeq uint64
	// TraceTail holds the events just before it, for safety failures.
	TraceTail []TraceEvent
}

func (f Failure) String() string {
	s := fmt.Sprintf("%s %s at %v (trace #%d)", f.Kind, f.Name, f.Time, f.TraceSeq)
	if f.Node != 0 {
		s += fmt.Sprintf(" on node %d", f.Node)
	}
	return s + ": " + f.Message
}

// RoleChange records a node's role at a time; Role 0 means crashed.
type RoleChange struct {
	Time clock.Time
	Node raft.NodeID
	Role raft.Role
	Term raft.Term
}

// Stats counts what happened.
type Stats struct {
	Ops, OpsOK, OpsFailed, OpsUnknown uint64
	// Elections counts candidacies; LeaderChanges counts leaders elected.
	Elections     uint64
	LeaderChanges uint64
	// SplitVotes counts terms in which some node stood as candidate but
	// no leader was elected.
	SplitVotes uint64
	// FirstLeader is when the first leader was elected (0: never).
	FirstLeader clock.Time
	// MissingTargets counts actions that found fewer targets than they
	// name (Result.Missing lists them).
	MissingTargets uint64
	// Proposals counts the timeline's proposals (also counted in Ops).
	Proposals uint64
	// MembershipOK, MembershipFailed and MembershipUnknown count the
	// membership actions by outcome (Result.Membership lists them).
	MembershipOK, MembershipFailed, MembershipUnknown uint64
	// Registrations counts sessions clients asked for, and
	// SessionsExpired operations answered StatusSessionExpired (bounded
	// sessions: Workload.Sessions).
	Registrations, SessionsExpired uint64
}

// MessageAccount follows every message between nodes to its end. It
// balances: Copies == Delivered + DroppedArrival + DroppedDown + InFlight,
// where Copies counts the copies the network scheduled (duplicates
// included, copies lost at send time excluded).
type MessageAccount struct {
	Sent           uint64 // messages the nodes sent
	LostAtSend     uint64 // messages the network lost outright
	Copies         uint64 // copies scheduled for delivery
	Delivered      uint64 // copies a node stepped
	DroppedArrival uint64 // copies that arrived on a cut link
	DroppedDown    uint64 // copies that arrived at a crashed node
	InFlight       uint64 // copies still travelling, held or deferred at the end
}

// Balanced reports whether every copy is accounted for.
func (m MessageAccount) Balanced() bool {
	return m.Copies == m.Delivered+m.DroppedArrival+m.DroppedDown+m.InFlight
}

// Tenure is one leader's time in office.
type Tenure struct {
	Node raft.NodeID
	Term raft.Term
	// Elected is when the node became leader; Committed when it first
	// committed an entry of its term (0: never); Ended when it stopped
	// leading (the run's end if it never did).
	Elected, Committed, Ended clock.Time
}

// Result is everything a run produced.
type Result struct {
	Seed uint64
	// TraceDigest is the SHA-256 of the canonical trace: equal digests
	// mean identical runs.
	TraceDigest string
	TraceEvents uint64
	Events      uint64
	// End is the virtual time the run reached; HealStart is when the
	// healing phase began (the configured Duration).
	End       clock.Time
	HealStart clock.Time
	Failures  []Failure
	// Stopped is set when the run ended at a safety failure, before the
	// end its configuration planned.
	Stopped bool
	// History is the client history, in order of completion: the first
	// Config.HistoryLimit operations to complete (HistoryDropped counts
	// the others; Ops summarizes them all). Its last OpenAtEnd operations
	// were still open when the run ended; they are closed as the checker
	// needs them (a read as failed, since it had no effect; anything else
	// as unknown) but are neither failed nor unknown for counting.
	History        []checker.Operation
	OpenAtEnd      int
	HistoryDropped uint64
	Ops            OpSummary
	Roles          []RoleChange
	Tenures        []Tenure
	Faults         []FaultWindow
	// Missing lists the actions that found fewer targets than they name.
	Missing []MissingTarget
	// Membership lists the membership actions and their outcomes.
	Membership []MembershipChange
	// Windows holds what happened in each check's window, in the order
	// of Config.Checks.
	Windows  []WindowStats
	Network  []netsim.LinkStats
	Messages MessageAccount
	Stats    Stats
	// Disk counts the disk faults and what they did to the nodes.
	Disk DiskStats
	// Linearizability is the porcupine verdict (zero when skipped).
	Linearizability checker.LinearizabilityResult
	// LivenessChecked is true when the run reached both liveness bounds:
	// false for a run with no healing phase, or one stopped early.
	LivenessChecked bool
	// WriteErr is set when an output the run was asked to write (the
	// trace, the visualization) could not be written. It is an I/O error
	// of the caller's, not a finding about Raft: no Failure records it.
	WriteErr error
}

// Passed reports whether the run found nothing.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Annotations turns the run's faults and leader changes into annotations
// for porcupine's visualization.
func (r *Result) Annotations() []checker.Annotation {
	var out []checker.Annotation
	for _, f := range r.Faults {
		// One track per fault kind and node, so that overlapping windows
		// are drawn side by side rather than over each other.
		a := checker.Annotation{Start: int64(f.Start), End: int64(f.End), Label: f.Label,
			Description: fmt.Sprintf("%s %v from %v to %v", f.Kind, f.Nodes, f.Start, f.End), Track: f.Kind}
		if len(f.Nodes) == 1 {
			a.Node = f.Nodes[0]
		}
		out = append(out, a)
	}
	for _, f := range r.Failures {
		if f.Kind == FailureInvariant || f.Kind == FailurePanic {
			out = append(out, checker.Annotation{Start: int64(f.Time), End: int64(f.Time), Track: "failure", Node: f.Node,
				Label: f.Kind.String() + " " + f.Name, Description: f.Message})
		}
	}
	for _, rc := range r.Roles {
		if rc.Role == raft.RoleLeader {
			out = append(out, checker.Annotation{Start: int64(rc.Time), End: int64(rc.Time), Track: "leader",
				Label: fmt.Sprintf("leader %d (term %d)", rc.Node, rc.Term)})
		}
	}
	return out
}

// splitVotes counts terms with a candidate and no leader.
func (s *Simulator) splitVotes() uint64 {
	candidate := map[raft.Term]bool{}
	led := map[raft.Term]bool{}
	for _, rc := range s.roles {
		switch rc.Role {
		case raft.RoleCandidate:
			candidate[rc.Term] = true
		case raft.RoleLeader:
			led[rc.Term] = true
		}
	}
	var n uint64
	for t := range candidate { // a count: order does not matter
		if !led[t] {
			n++
		}
	}
	return n
}

func (s *Simulator) result() *Result {
	windows := s.closeWindowsAtEnd()
	s.openProposals()
	s.closeMembership()
	// Operations still open at the end: writes may yet take effect;
	// reads had no effect. A registration is not an operation of the
	// history.
	for _, c := range s.clients {
		if c.busy && !c.registering {
			c.busy = false
			op := c.op
			op.Complete = int64(s.now)
			if op.Kind == checker.OpGet && !c.maybeApplied {
				op.Outcome = checker.OutcomeFail
			} else {
				op.Outcome = checker.OutcomeUnknown
			}
			s.hist.completeAtEnd(c.hist, op)
		}
	}
	s.faults.closeAll(s.now)
	for i := range s.tenures {
		if s.tenures[i].Ended == 0 {
			s.tenures[i].Ended = s.now
		}
	}
	s.stats.SplitVotes = s.splitVotes()
	s.msgs.InFlight = uint64(len(s.messages.items) - len(s.messages.free))
	r := &Result{
		Seed: s.cfg.Seed, Events: s.events, End: s.now, HealStart: s.healStart,
		Stopped: s.stopped, History: s.hist.kept, OpenAtEnd: s.hist.openKept, HistoryDropped: s.hist.dropped, Ops: s.hist.summary,
		Roles: s.roles, Tenures: s.tenures, Faults: s.faults.windows,
		Missing: s.missing, Windows: windows, Membership: s.memberships,
		Network: s.net.Stats(), Stats: s.stats, Messages: s.msgs, Disk: s.diskStats(),
		LivenessChecked: s.livenessChecks == 2,
	}
	visualized := false
	if s.hist.lin != nil && !s.stopped && s.stats.Ops > 0 {
		lin := s.hist.lin.Result()
		r.Linearizability = lin
		switch lin.Verdict {
		case checker.VerdictIllegal:
			s.fail(Failure{Kind: FailureLinearizability, Name: "linearizability", Message: lin.String()})
			if s.cfg.VisualizationPath != "" {
				visualized = true
				if err := lin.WriteVisualization(s.cfg.VisualizationPath, r.Annotations()); err != nil {
					r.WriteErr = fmt.Errorf("visualization: %w", err)
				}
			}
		case checker.VerdictUnknown:
			s.fail(Failure{Kind: FailureInconclusive, Name: "linearizability-budget", Message: lin.String()})
		}
	}
	if s.cfg.VisualizationPath != "" && !visualized && len(s.hist.kept) > 0 {
		// Every run gets its visualization: a passing one, an undecided
		// one, and one stopped by a safety failure (its history up to
		// the failure, the failure marked). It keeps its whole history
		// for this (see newHistory).
		r.Failures = s.failures
		if _, err := checker.WriteHistoryVisualization(checker.History{Ops: s.hist.kept}, r.Annotations(), s.cfg.VisualizationPath, s.cfg.LinearizabilityBudget); err != nil {
			r.WriteErr = fmt.Errorf("visualization: %w", err)
		}
	}
	s.trace(TraceEvent{Kind: TracePhase, Text: "end", N: uint64(len(s.failures))})
	digest, err := s.tr.finish()
	if err != nil {
		r.WriteErr = errors.Join(r.WriteErr, fmt.Errorf("trace: %w", err))
	}
	r.TraceDigest = digest
	r.TraceEvents = s.tr.seq
	r.Failures = s.failures
	return r
}
