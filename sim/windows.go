package sim

import (
	"fmt"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// The checks' windows at run time. A window opens at its From and closes
// at its Until (or From + Within): at fixed times, scheduled when the run
// starts, or at offsets from the moment a named timeline entry binds its
// name. While open, a window is evaluated whenever something it watches
// may have changed (the dirty flag the waits use: roles, terms, commit
// and apply indexes, nodes up and down, the network), on every message
// sent (max_messages) and every operation completed (progress_within).
// The first time a check does not hold it fails, once; counts go on to
// the window's end for the summary.

// WindowStats is what happened in one check's window.
type WindowStats struct {
	Name string
	Kind CheckKind
	// Reached is set once the window opened; Opened and Closed are when
	// it opened and closed (Closed is the run's end if it was still open).
	Reached        bool
	Opened, Closed clock.Time
	Failed         bool
	// Operations completed in the window, by outcome (clients' and
	// proposals').
	OpsOK, OpsFailed, OpsUnknown uint64
	// Leaders counts the leaders elected in the window; Commits how far
	// the highest commit index any node reported rose; Messages the
	// messages the nodes sent.
	Leaders, Commits, Messages uint64
}

const (
	windowPending = iota
	windowOpen
	windowClosed
)

// window is a check's state during the run.
type window struct {
	check *Check
	state int
	// nodes is the watched set, resolved when the window opened; nil
	// means every node.
	nodes []raft.NodeID
	// base is, by kind: the highest commit index of the set (no_commit),
	// the commit index to apply (applied_on).
	base raft.Index
	// terms holds each node's term when the window opened (term_stable).
	terms []raft.Term
	// held records that an eventual check (leader_within, applied_on,
	// progress_within) has been met.
	held bool
	// sent counts the messages of the check's class (max_messages).
	sent uint64
	// start holds the counters when the window opened.
	start windowCounters
	stats WindowStats
}

type windowCounters struct {
	ok, failed, unknown, leaders uint64
	commit                       raft.Index
	messages                     uint64
}

func (s *Simulator) counters() windowCounters {
	return windowCounters{ok: s.stats.OpsOK, failed: s.stats.OpsFailed, unknown: s.stats.OpsUnknown,
		leaders: s.stats.LeaderChanges, commit: s.maxCommitSeen, messages: s.msgs.Sent}
}

// Event refs of evCheck: the check's index, and whether the event opens
// or closes its window.
const (
	checkOpen = iota
	checkClose
)

// scheduleChecks sets up the windows and schedules the fixed moments.
func (s *Simulator) scheduleChecks() {
	s.windows = make([]window, len(s.cfg.Checks))
	for i := range s.cfg.Checks {
		c := &s.cfg.Checks[i]
		s.windows[i] = window{check: c, stats: WindowStats{Name: c.FailureName(), Kind: c.Kind}}
		if c.From.Name == "" {
			s.schedule(event{at: clock.Time(0).Add(c.From.Offset), kind: evCheck, node: i, ref: checkOpen})
		}
		if c.Kind.timed() || c.Until.Name != "" {
			continue
		}
		until := s.healStart
		if !c.Until.IsZero() {
			until = clock.Time(0).Add(c.Until.Offset)
		}
		s.schedule(event{at: until, kind: evCheck, node: i, ref: checkClose})
	}
}

// anchorReached schedules the window moments anchored to name, which a
// timeline entry has just bound.
func (s *Simulator) anchorReached(name string) {
	for i := range s.windows {
		c := s.windows[i].check
		if c.From.Name == name {
			s.schedule(event{at: s.now.Add(c.From.Offset), kind: evCheck, node: i, ref: checkOpen})
		}
		if c.Until.Name == name {
			s.schedule(event{at: s.now.Add(c.Until.Offset), kind: evCheck, node: i, ref: checkClose})
		}
	}
}

func (s *Simulator) onCheck(e event) {
	w := &s.windows[e.node]
	if e.ref == checkOpen {
		s.openWindow(w)
	} else {
		s.closeWindow(w)
	}
}

func (s *Simulator) openWindow(w *window) {
	if w.state != windowPending {
		return
	}
	c := w.check
	w.state = windowOpen
	w.stats.Reached, w.stats.Opened = true, s.now
	w.start = s.counters()
	if len(c.Nodes)+len(c.Names) > 0 {
		w.nodes = append([]raft.NodeID{}, c.Nodes...)
		for _, name := range c.Names {
			for _, id := range s.bound[name] {
				if !watches(w.nodes, id) {
					w.nodes = append(w.nodes, id)
				}
			}
		}
	}
	switch c.Kind {
	case CheckNoCommit:
		for _, n := range s.nodes {
			if watches(w.nodes, n.id) {
				w.base = max(w.base, n.knownCommit())
			}
		}
	case CheckTermStable:
		w.terms = make([]raft.Term, len(s.nodes))
		for _, n := range s.nodes {
			w.terms[n.pos] = n.term
		}
	case CheckAppliedOn:
		w.base = s.maxCommitSeen
	case CheckMaxMessages:
		s.msgWindows++
	case CheckProgressWithin:
		s.progressWindows++
	}
	s.trace(TraceEvent{Kind: TraceCheck, Text: w.stats.Name + ": window opens"})
	if c.Kind.timed() {
		s.schedule(event{at: s.now.Add(c.Within), kind: evCheck, node: w.index(s), ref: checkClose})
	}
	s.evalWindow(w)
}

func (w *window) index(s *Simulator) int {
	for i := range s.windows {
		if &s.windows[i] == w {
			return i
		}
	}
	panic("sim: a window that is not the simulator's")
}

// evalWindows evaluates every open window.
func (s *Simulator) evalWindows() {
	for i := range s.windows {
		if s.windows[i].state == windowOpen {
			s.evalWindow(&s.windows[i])
		}
	}
}

// evalWindow checks what must hold at every moment of the window, and
// notes when an eventual check is met.
func (s *Simulator) evalWindow(w *window) {
	if w.stats.Failed {
		return
	}
	c := w.check
	switch c.Kind {
	case CheckNoCommit:
		for _, n := range s.nodes {
			if c := n.knownCommit(); watches(w.nodes, n.id) && c > w.base {
				s.checkFailed(w, n.id, fmt.Sprintf("node %d committed up to index %d in the window; %d was committed when it opened", n.id, c, w.base))
				return
			}
		}
	case CheckNoLeader, CheckOneLeader:
		leaders := s.windowLeaders(w)
		if c.Kind == CheckNoLeader && len(leaders) > 0 {
			s.checkFailed(w, leaders[0], fmt.Sprintf("node %d leads (term %d)", leaders[0], s.nodes[leaders[0]-1].term))
		}
		if c.Kind == CheckOneLeader && len(leaders) > 1 {
			s.checkFailed(w, leaders[1], fmt.Sprintf("nodes %s lead at once", idList(leaders)))
		}
	case CheckLeaderWithin:
		if l := s.leaderInOffice(); l != nil && watches(w.nodes, l.id) {
			w.held = true
		}
	case CheckTermStable:
		for _, n := range s.nodes {
			if watches(w.nodes, n.id) && n.term > w.terms[n.pos] {
				s.checkFailed(w, n.id, fmt.Sprintf("node %d moved from term %d to term %d", n.id, w.terms[n.pos], n.term))
				return
			}
		}
	case CheckAppliedOn:
		w.held = w.held || s.appliedOn(w.base, c.On)
	}
}

// knownCommit is the highest index n knows committed: its Raft core's
// commit index while it runs (which moves when a majority acknowledges,
// before the node has made it durable), the durable one while it is down.
func (n *node) knownCommit() raft.Index {
	if n.rn != nil {
		return max(n.commit, n.rn.Status().Commit)
	}
	return n.commit
}

// windowLeaders lists the watched nodes in the leader role (leaving out
// isolated ones for a Connected check).
func (s *Simulator) windowLeaders(w *window) []raft.NodeID {
	var out []raft.NodeID
	for _, n := range s.nodes {
		if n.up && n.role == raft.RoleLeader && watches(w.nodes, n.id) && !(w.check.Connected && s.isolated[n.pos]) {
			out = append(out, n.id)
		}
	}
	return out
}

// appliedOn reports whether on nodes (OnMajority, OnAll: every node up, or
// a count) have applied up to index.
func (s *Simulator) appliedOn(index raft.Index, on int) bool {
	have, up := 0, 0
	for _, n := range s.nodes {
		if n.up && s.isMember(n.id) {
			up++
			if n.sm.AppliedIndex() >= index {
				have++
			}
		}
	}
	switch on {
	case OnAll:
		return have == up
	case OnMajority:
		return have >= s.majority()
	}
	return have >= on
}

func (s *Simulator) closeWindow(w *window) {
	c := w.check
	switch w.state {
	case windowClosed:
		return
	case windowPending:
		w.state = windowClosed
		s.checkFailed(w, 0, fmt.Sprintf("the window closed (until %v) before it opened (from %v)", c.Until, c.From))
		return
	}
	s.evalWindow(w)
	if !w.stats.Failed {
		switch c.Kind {
		case CheckOneLeader:
			if len(s.windowLeaders(w)) == 0 {
				s.checkFailed(w, 0, "no node leads when the window closes")
			}
		case CheckLeaderWithin:
			if !w.held {
				s.checkFailed(w, 0, fmt.Sprintf("no leader that reaches a majority within %v of %v", c.Within, c.From))
			}
		case CheckProgressWithin:
			if !w.held {
				s.checkFailed(w, 0, fmt.Sprintf("no operation invoked after %v completed within %v", c.From, c.Within))
			}
		case CheckAppliedOn:
			if !w.held {
				s.checkFailed(w, 0, fmt.Sprintf("index %d, committed when the window opened, is not applied on %s when it closes", w.base, onText(c.On)))
			}
		}
	}
	s.endWindow(w)
	s.trace(TraceEvent{Kind: TraceCheck, Text: w.stats.Name + ": window closes"})
}

// endWindow closes w's counts.
func (s *Simulator) endWindow(w *window) {
	switch w.check.Kind {
	case CheckMaxMessages:
		s.msgWindows--
	case CheckProgressWithin:
		s.progressWindows--
	}
	w.state = windowClosed
	now := s.counters()
	w.stats.Closed = s.now
	w.stats.OpsOK, w.stats.OpsFailed, w.stats.OpsUnknown = now.ok-w.start.ok, now.failed-w.start.failed, now.unknown-w.start.unknown
	w.stats.Leaders, w.stats.Messages = now.leaders-w.start.leaders, now.messages-w.start.messages
	w.stats.Commits = uint64(now.commit - w.start.commit)
}

// closeWindowsAtEnd closes the windows still open when the run ends. A
// run stopped by a broken invariant does not judge the eventual checks:
// their time was cut short.
func (s *Simulator) closeWindowsAtEnd() []WindowStats {
	out := make([]WindowStats, len(s.windows))
	for i := range s.windows {
		w := &s.windows[i]
		if w.state == windowOpen {
			if s.stopped {
				s.endWindow(w)
			} else {
				s.closeWindow(w)
			}
		}
		out[i] = w.stats
	}
	return out
}

// messageSent counts a message for the max_messages windows.
func (s *Simulator) messageSent(t raft.MessageType) {
	for i := range s.windows {
		w := &s.windows[i]
		if w.state != windowOpen || w.check.Kind != CheckMaxMessages || !w.check.Messages.counts(t) {
			continue
		}
		w.sent++
		if w.sent > w.check.Max && !w.stats.Failed {
			s.checkFailed(w, 0, fmt.Sprintf("%d %s messages in the window, more than %d", w.sent, w.check.Messages, w.check.Max))
		}
	}
}

// opCompleted notes an operation invoked at invoke that completed OK,
// for the progress_within windows.
func (s *Simulator) opCompleted(invoke int64) {
	for i := range s.windows {
		w := &s.windows[i]
		if w.state == windowOpen && w.check.Kind == CheckProgressWithin && invoke >= int64(w.stats.Opened) {
			w.held = true
		}
	}
}

func (s *Simulator) checkFailed(w *window, node raft.NodeID, msg string) {
	w.stats.Failed = true
	s.trace(TraceEvent{Kind: TraceCheck, Node: node, Text: w.stats.Name + ": " + msg})
	s.fail(Failure{Kind: FailureCheck, Name: w.stats.Name, Message: msg, Node: node})
}
