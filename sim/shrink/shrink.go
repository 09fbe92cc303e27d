package shrink

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Options bound the search.
type Options struct {
	// MaxRuns bounds the simulations tried; zero means 400.
	MaxRuns int
	// Run runs a candidate; nil means sim.Run. Tests and the CLI may wrap
	// it (for example to bound each run's events).
	Run func(sim.Config) (*sim.Result, error)
	// Stop, if set, is asked before each run; true ends the search with
	// the best configuration so far (the CLI bounds it in wall time).
	Stop func() bool
}

// Size measures a configuration and its run.
type Size struct {
	Actions int
	Clients int
	Nodes   int
	Ops     uint64
	Virtual time.Duration
}

func (s Size) String() string {
	return fmt.Sprintf("%s, %s, %s, %s, %v virtual", count(s.Actions, "action"), count(s.Nodes, "node"),
		count(s.Clients, "client"), count(s.Ops, "op"), s.Virtual)
}

// count spells n with its noun: "1 action", "3 actions".
func count[T ~int | ~uint64](n T, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Stats reports what the search did.
type Stats struct {
	Before, After Size
	Runs          int
	// Exhausted is set when MaxRuns or Stop ended the search early.
	Exhausted bool
}

func (s Stats) String() string {
	ex := ""
	if s.Exhausted {
		ex = ", run budget exhausted"
	}
	return fmt.Sprintf("actions %d -> %d, nodes %d -> %d, clients %d -> %d, ops %d -> %d, virtual %v -> %v (%d runs%s)",
		s.Before.Actions, s.After.Actions, s.Before.Nodes, s.After.Nodes, s.Before.Clients, s.After.Clients,
		s.Before.Ops, s.After.Ops, s.Before.Virtual, s.After.Virtual, s.Runs, ex)
}

// Same reports whether f is the same failure as target: the same kind,
// and for invariant violations and the scenario's own checks the same
// name.
func Same(target, f sim.Failure) bool {
	if f.Kind != target.Kind {
		return false
	}
	switch f.Kind {
	case sim.FailureInvariant, sim.FailureScenario, sim.FailureCheck:
		return f.Name == target.Name
	}
	return true
}

type search struct {
	opts   Options
	target sim.Failure
	runs   int
	best   sim.Config
	res    *sim.Result
	// stopped is set once the budget ended the search.
	stopped bool
}

// fails runs cand and keeps it as the best if it fails like the target.
func (s *search) fails(cand sim.Config) bool {
	if s.runs >= s.opts.MaxRuns || (s.opts.Stop != nil && s.opts.Stop()) {
		s.stopped = true
		return false
	}
	s.runs++
	cand.Trace = nil
	res, err := s.opts.Run(cand)
	if err != nil {
		return false // the simplification made the config invalid
	}
	for _, f := range res.Failures {
		if Same(s.target, f) {
			s.best, s.res = cand, res
			return true
		}
	}
	return false
}

func sizeOf(cfg sim.Config, res *sim.Result) Size {
	s := Size{Actions: len(cfg.Timeline), Clients: cfg.Workload.Clients, Nodes: cfg.Nodes, Virtual: cfg.Duration + cfg.HealDuration}
	if res != nil {
		s.Ops = res.Stats.Ops
	}
	return s
}

// Minimize returns the smallest configuration it finds that still fails
// like target, with the sizes before and after. cfg must fail like target
// (it is run once first to check).
func Minimize(cfg sim.Config, target sim.Failure, opts Options) (sim.Config, Stats) {
	if opts.MaxRuns == 0 {
		opts.MaxRuns = 400
	}
	if opts.Run == nil {
		opts.Run = sim.Run
	}
	s := &search{opts: opts, target: target}
	cfg.Trace = nil
	if !s.fails(cfg) {
		return cfg, Stats{Before: sizeOf(cfg, nil), After: sizeOf(cfg, nil), Runs: s.runs}
	}
	st := Stats{Before: sizeOf(cfg, s.res)}
	for {
		before := sizeOf(s.best, s.res)
		s.shrinkTimeline()
		s.shrinkDuration()
		s.shrinkNodes()
		s.shrinkClients()
		s.simplifyNetwork()
		s.simplifyActions()
		if sizeOf(s.best, s.res) == before || s.stopped {
			break
		}
	}
	// Last, not first: a smaller cluster or fewer clients may fail later
	// than the original, past a cut made early.
	s.cutAfterFailure()
	st.After = sizeOf(s.best, s.res)
	st.Runs = s.runs
	st.Exhausted = s.stopped
	return s.best, st
}

// cutAfterFailure ends the run at a safety failure: the actions and the
// healing after it cannot have caused it, and without them the run up
// to the failure is the same, so one run confirms the cut. (A liveness failure is found in the
// healing phase, which it needs; a linearizability failure is found in the
// history of the whole run.)
func (s *search) cutAfterFailure() {
	if s.target.Kind != sim.FailureInvariant && s.target.Kind != sim.FailurePanic {
		return
	}
	var at time.Duration
	for _, f := range s.res.Failures {
		if Same(s.target, f) {
			at = f.Time.Duration()
			break
		}
	}
	end := at + time.Millisecond
	cand := s.best
	if end <= cand.Duration {
		cand.Duration, cand.HealDuration = end, 0
	} else {
		// The run stops at its safety failure, before any liveness
		// bound; the bounds only have to stay inside the shorter phase.
		cand.HealDuration = min(cand.HealDuration, end-cand.Duration)
		cand.Liveness.LeaderWithin = min(cand.Liveness.LeaderWithin, cand.HealDuration)
		cand.Liveness.ProgressWithin = min(cand.Liveness.ProgressWithin, cand.HealDuration)
	}
	cand.Timeline = nil
	for _, a := range s.best.Timeline {
		if a.At >= cand.Duration {
			continue
		}
		a.Until = min(a.Until, cand.Duration)
		cand.Timeline = append(cand.Timeline, a)
	}
	if cand.Duration == s.best.Duration && cand.HealDuration == s.best.HealDuration {
		return
	}
	// It may take one run past the budget: the cut is all but sure to
	// hold, and a reproducer that stops at its failure replays faster.
	s.opts.MaxRuns = max(s.opts.MaxRuns, s.runs+1)
	stop := s.opts.Stop
	s.opts.Stop = nil
	s.fails(cand)
	s.opts.Stop = stop
}

// shrinkTimeline is ddmin over the actions: remove chunks of halving
// size, keeping any removal that still fails.
func (s *search) shrinkTimeline() {
	for n := 2; len(s.best.Timeline) > 0; {
		tl := s.best.Timeline
		chunk := (len(tl) + n - 1) / n
		removed := false
		for start := 0; start < len(tl); start += chunk {
			cand := s.best
			cand.Timeline = slices.Concat(tl[:start], tl[min(start+chunk, len(tl)):])
			if s.fails(cand) {
				removed = true
				break
			}
		}
		switch {
		case removed:
			n = max(n-1, 2)
		case chunk == 1:
			return
		default:
			n = min(n*2, len(tl))
		}
	}
}

// shrinkDuration ends the fault phase soon after the last action and
// shortens the healing phase if the failure does not need it.
func (s *search) shrinkDuration() {
	var lastAt time.Duration
	for _, a := range s.best.Timeline {
		lastAt = max(lastAt, a.At)
	}
	for _, d := range []time.Duration{lastAt + 200*time.Millisecond, lastAt + time.Second, s.best.Duration / 2} {
		if d <= lastAt || d >= s.best.Duration {
			continue
		}
		cand := s.best
		cand.Duration = d
		if s.fails(cand) {
			break
		}
	}
	if s.target.Kind != sim.FailureLiveness && s.best.HealDuration > 0 {
		cand := s.best
		cand.HealDuration = 0
		s.fails(cand)
	}
}

// shrinkNodes tries a 3-node cluster, then a 5-node one, dropping what
// referred to the nodes that go.
func (s *search) shrinkNodes() {
	for _, n := range []int{3, 5} {
		if s.best.Nodes <= n {
			continue
		}
		cand := s.best
		cand.Nodes = n
		cand.Timeline = nil
		for _, a := range s.best.Timeline {
			if a, ok := restrict(a, n); ok {
				cand.Timeline = append(cand.Timeline, a)
			}
		}
		if s.fails(cand) {
			return
		}
	}
}

// restrict rewrites an action for a cluster of n nodes, or reports that
// nothing of it is left.
func restrict(a sim.Action, n int) (sim.Action, bool) {
	keep := func(ids []raft.NodeID) []raft.NodeID {
		var out []raft.NodeID
		for _, id := range ids {
			if int(id) <= n {
				out = append(out, id)
			}
		}
		return out
	}
	a.Nodes = keep(a.Nodes)
	var groups [][]raft.NodeID
	for _, g := range a.Groups {
		if g = keep(g); len(g) > 0 {
			groups = append(groups, g)
		}
	}
	a.Groups = groups
	if int(a.From) > n || int(a.To) > n {
		return a, false
	}
	switch a.Kind {
	case sim.ActPartition:
		return a, len(a.Groups) >= 2
	case sim.ActBridge:
		return a, len(a.Nodes) == 1 && len(a.Groups) == 2
	case sim.ActCrash, sim.ActPowerLoss, sim.ActPause, sim.ActIsolate, sim.ActSlowDisk, sim.ActClockDrift, sim.ActClockJump:
		return a, a.HasTargets()
	case sim.ActResume:
		return a, len(a.Nodes) > 0 || len(a.Names) > 0 || a.Random > 0
	}
	return a, true
}

func (s *search) shrinkClients() {
	for s.best.Workload.Clients > 1 {
		cand := s.best
		cand.Workload.Clients = max(1, s.best.Workload.Clients/2)
		if !s.fails(cand) {
			cand = s.best
			cand.Workload.Clients--
			if !s.fails(cand) {
				return
			}
		}
	}
}

// leaderAt names the node that led just before t in a run of a cluster of
// n nodes (the leader of the highest term, as the simulator targets it),
// or None. A role change at t itself may be the action's own doing.
func leaderAt(res *sim.Result, n int, t time.Duration) raft.NodeID {
	role := make([]raft.Role, n+1)
	term := make([]raft.Term, n+1)
	for _, rc := range res.Roles {
		if rc.Time.Duration() >= t {
			break
		}
		role[rc.Node], term[rc.Node] = rc.Role, rc.Term
	}
	best := raft.None
	for id := 1; id <= n; id++ {
		if role[id] == raft.RoleLeader && (best == raft.None || term[id] > term[best]) {
			best = raft.NodeID(id)
		}
	}
	return best
}

// simplifyNetwork removes loss, duplication and reordering, then makes
// the delay uniform, each only if the failure survives.
func (s *search) simplifyNetwork() {
	steps := []func(*netsim.LinkConfig){
		func(l *netsim.LinkConfig) { l.Loss = netsim.Never },
		func(l *netsim.LinkConfig) { l.Duplicate = netsim.Never },
		func(l *netsim.LinkConfig) { l.Reorder = netsim.NoReorder },
		func(l *netsim.LinkConfig) { l.Delay = netsim.Uniform(l.Delay.Min, max(l.Delay.Min, l.Delay.Max)) },
	}
	for _, step := range steps {
		cand := s.best
		before := cand.Network
		step(&cand.Network)
		if cand.Network != before {
			s.fails(cand)
		}
	}
}

// simplifyActions replaces network-link actions by the default link and
// makes leader-targeted actions name their node when that still fails.
func (s *search) simplifyActions() {
	for i := range s.best.Timeline {
		a := s.best.Timeline[i]
		if a.Leader && a.Kind != sim.ActPartition {
			// A reader needs no trace to know whom it hits.
			if id := leaderAt(s.res, s.best.Nodes, a.At); id != raft.None {
				cand := s.best
				cand.Timeline = slices.Clone(s.best.Timeline)
				c := &cand.Timeline[i]
				c.Leader = false
				c.Nodes = slices.Clone(c.Nodes)
				if !slices.Contains(c.Nodes, id) {
					c.Nodes = append(c.Nodes, id)
					slices.Sort(c.Nodes)
				}
				s.fails(cand)
			}
			continue
		}
		if a.Kind != sim.ActLink {
			continue
		}
		simpler := a.Link
		simpler.Loss, simpler.Duplicate, simpler.Reorder = netsim.Never, netsim.Never, netsim.NoReorder
		if simpler == a.Link {
			continue
		}
		cand := s.best
		cand.Timeline = slices.Clone(s.best.Timeline)
		cand.Timeline[i].Link = simpler
		s.fails(cand)
	}
}
