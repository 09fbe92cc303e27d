package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// The timeline as a script. Entries with a fixed time (At) are scheduled
// when the run starts, as they always were, so their events keep their
// place in the queue. An entry that Follows is scheduled only when the
// entry before it ends: at once for an action, when its state is reached
// or its time runs out for a wait. A relative entry that would run at or
// after the end of the fault phase never runs, and neither does anything
// after it: the run fails with scenario/timeline-overrun, since the
// scenario did not do what it says.

// maxProposals bounds one ActPropose's burst.
const maxProposals = 10_000

func (a *Action) validateWait(c *Config) error {
	switch a.Wait {
	case WaitLeader, WaitCommit, WaitMembership:
	default:
		return fmt.Errorf("wait: %d is not a state to wait for", a.Wait)
	}
	if a.Within <= 0 {
		return fmt.Errorf("within: %v must be positive: a wait that can last forever is a hang", a.Within)
	}
	if a.Wait == WaitCommit && (a.On < OnAll || a.On > c.Nodes) {
		return fmt.Errorf("on: %d is not majority, all or a count of nodes in [1, %d]", a.On, c.Nodes)
	}
	if a.HasTargets() {
		return errors.New("nodes: a wait takes no targets")
	}
	return nil
}

// validateScript checks the order of fixed and relative entries, and that
// every commit wait has proposals before it to wait for.
func validateScript(timeline []Action) error {
	relative, proposed := false, false
	for i := range timeline {
		a := &timeline[i]
		if !a.Follows && relative {
			return fmt.Errorf("timeline[%d] (%s at %v): at: a fixed time after a relative entry (timeline[%d] or before): use a delay after the previous entry", i, a.Kind, a.At, i-1)
		}
		relative = relative || a.Follows || a.Kind == ActWait
		proposed = proposed || a.Kind == ActPropose
		if a.Kind == ActWait && a.Wait == WaitCommit && !proposed {
			return fmt.Errorf("timeline[%d] (wait at %v): wait: a commit wait needs a propose entry before it", i, a.At)
		}
	}
	return nil
}

// waiting is a wait in progress.
type waiting struct {
	entry    int
	deadline clock.Time
}

// scheduleScript schedules the fixed entries, and the first entry if it
// is relative (to the start of the run).
func (s *Simulator) scheduleScript() {
	for i := range s.cfg.Timeline {
		if a := &s.cfg.Timeline[i]; !a.Follows {
			s.schedule(event{at: clock.Time(0).Add(a.At), kind: evAction, ref: uint64(i)})
		}
	}
	if len(s.cfg.Timeline) > 0 && s.cfg.Timeline[0].Follows {
		s.scheduleNext(-1)
	}
}

// entryEnded is called when timeline entry i has ended; it schedules the
// next entry if that one follows it.
func (s *Simulator) entryEnded(i int) {
	s.ended = i + 1
	s.scheduleNext(i)
}

func (s *Simulator) scheduleNext(i int) {
	j := i + 1
	// A relative entry's chance is drawn before its delay: a skipped
	// entry takes no time.
	for j < len(s.cfg.Timeline) && s.cfg.Timeline[j].Follows && !s.chanceHolds(&s.cfg.Timeline[j]) {
		s.trace(TraceEvent{Kind: TraceAction, Text: "skip " + s.entryName(j) + " (chance " + s.cfg.Timeline[j].Chance.String() + ")"})
		s.ended = j + 1
		j++
	}
	if j >= len(s.cfg.Timeline) || !s.cfg.Timeline[j].Follows {
		return
	}
	a := &s.cfg.Timeline[j]
	d := a.DelayMin
	if a.DelayMax > a.DelayMin {
		d += time.Duration(s.scenarioRand.Int64N(int64(a.DelayMax-a.DelayMin) + 1))
	}
	at := s.now.Add(d)
	if at >= s.healStart {
		s.overrun = fmt.Sprintf("%s would run at %v, not before the end of the fault phase (%v)", s.entryName(j), at, s.healStart)
		return
	}
	s.schedule(event{at: at, kind: evAction, ref: uint64(j)})
}

// chanceHolds draws whether an entry with a Chance runs.
func (s *Simulator) chanceHolds(a *Action) bool {
	return a.Chance.Den == 0 || a.Chance.Chance(s.scenarioRand)
}

// entryName names timeline entry i in messages: its label, or
// "timeline[i] (kind)".
func (s *Simulator) entryName(i int) string {
	a := &s.cfg.Timeline[i]
	if a.Label != "" {
		return a.Label + " (" + a.Kind.String() + ")"
	}
	return fmt.Sprintf("timeline[%d] (%s)", i, a.Kind)
}

// skipped reports why entry i, come up, does not run: its chance (fixed
// entries draw it now) or its condition. It traces the skip.
func (s *Simulator) skipped(i int, a *Action) bool {
	why := ""
	if !a.Follows && !s.chanceHolds(a) {
		why = "chance " + a.Chance.String()
	} else if ok, v := s.holds(a.When); !ok {
		why = fmt.Sprintf("when %v: %s is %d", a.When, a.When.Quantity, v)
	}
	if why == "" {
		return false
	}
	s.trace(TraceEvent{Kind: TraceAction, Text: "skip " + s.entryName(i) + " (" + why + ")"})
	return true
}

// startSleep pauses the timeline for a time drawn from the entry's range.
func (s *Simulator) startSleep(i int, a *Action) {
	d := a.SleepMin
	if a.SleepMax > a.SleepMin {
		d += time.Duration(s.scenarioRand.Int64N(int64(a.SleepMax-a.SleepMin) + 1))
	}
	s.schedule(event{at: s.now.Add(d), kind: evSleep, ref: uint64(i)})
}

// sleepEnded ends a sleep; its As names the moment (and no node).
func (s *Simulator) sleepEnded(i int) {
	if a := &s.cfg.Timeline[i]; a.As != "" {
		s.bind(a.As, nil)
	}
	s.entryEnded(i)
}

// startWait begins the wait of entry i; it may end at once.
func (s *Simulator) startWait(i int, a *Action) {
	s.wait = &waiting{entry: i, deadline: s.now.Add(a.Within)}
	s.schedule(event{at: s.wait.deadline, kind: evWait, ref: uint64(i)})
	s.checkWait()
}

// checkWait ends the wait in progress if its state is reached.
func (s *Simulator) checkWait() {
	w := s.wait
	if w == nil {
		return
	}
	a := &s.cfg.Timeline[w.entry]
	ok := false
	switch a.Wait {
	case WaitLeader:
		ok = s.leaderInOffice() != nil
	case WaitCommit:
		ok = s.proposalsCommitted(a.On, a.AllProposals)
	case WaitMembership:
		ok = s.membershipIdle()
	}
	if ok {
		s.wait = nil
		s.trace(TraceEvent{Kind: TraceAction, Text: fmt.Sprintf("wait %s: reached", a.Wait)})
		s.waitEnded(w.entry, a)
	}
}

// onWaitTimeout ends the wait of entry i with a failure, if it is still
// waiting.
func (s *Simulator) onWaitTimeout(e event) {
	w := s.wait
	if w == nil || w.entry != int(e.ref) {
		return
	}
	a := &s.cfg.Timeline[w.entry]
	s.wait = nil
	s.trace(TraceEvent{Kind: TraceAction, Text: fmt.Sprintf("wait %s: timed out", a.Wait)})
	what := "no leader that reaches a majority was elected"
	switch a.Wait {
	case WaitCommit:
		what = "the proposals of " + s.lastPropose() + " were not committed on " + onText(a.On)
		if a.AllProposals {
			what = "the proposals so far were not all committed on " + onText(a.On)
		}
	case WaitMembership:
		what = "the membership actions started before it did not end"
	}
	s.fail(Failure{Kind: FailureScenario, Name: "wait-" + a.Wait.String(),
		Message: fmt.Sprintf("%s: %s within %v", s.entryName(w.entry), what, a.Within)})
	s.waitEnded(w.entry, a)
}

// waitEnded binds the wait's As - to the leader in office, for a leader
// wait that found one - and goes on with the timeline.
func (s *Simulator) waitEnded(i int, a *Action) {
	if a.As != "" {
		var nodes []raft.NodeID
		if l := s.leaderInOffice(); a.Wait == WaitLeader && l != nil {
			nodes = []raft.NodeID{l.id}
		}
		s.bind(a.As, nodes)
	}
	s.entryEnded(i)
}

func onText(on int) string {
	switch on {
	case OnMajority:
		return "a majority"
	case OnAll:
		return "every node up"
	}
	return fmt.Sprintf("%d nodes", on)
}

// checkOverrun, at the end of the fault phase, fails the run if the
// timeline did not finish.
func (s *Simulator) checkOverrun() {
	msg := s.overrun
	switch {
	case s.wait != nil:
		a := &s.cfg.Timeline[s.wait.entry]
		msg = fmt.Sprintf("%s, for a %s, was still waiting when the fault phase ended at %v", s.entryName(s.wait.entry), a.Wait, s.now)
		s.wait = nil
	case msg == "" && s.ended < len(s.cfg.Timeline) && s.cfg.Timeline[len(s.cfg.Timeline)-1].Follows:
		msg = fmt.Sprintf("%s had not run when the fault phase ended at %v", s.entryName(s.ended), s.now)
	}
	if msg != "" {
		s.fail(Failure{Kind: FailureScenario, Name: "timeline-overrun", Message: msg})
	}
}

// leaderInOffice returns the leader that can commit: up, not paused, in
// the leader role, reaching a majority of each voter half of its
// configuration (itself included, if it votes) over links open both
// ways; of the highest term if several can.
func (s *Simulator) leaderInOffice() *node {
	var best *node
	for _, l := range s.nodes {
		if !l.up || l.paused || l.role != raft.RoleLeader || (best != nil && l.term <= best.term) {
			continue
		}
		if s.reachesQuorum(l) {
			best = l
		}
	}
	return best
}
