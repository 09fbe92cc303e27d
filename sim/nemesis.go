package sim

import (
	"fmt"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// The new-leader nemeses: for a while, every node that becomes leader is
// crashed (crash_new_leaders) or isolated (isolate_new_leaders) within a
// delay drawn from [0, within] of its election, and comes back after a
// delay (fixed, or drawn from a range). Bugs about a new leader's first
// round trips (Figure 8) only show in that window. Draws come from the
// fault stream, in the order the events happen; a fixed comeback delay
// draws nothing, so runs made before ranges existed repeat exactly.

// nemesis is the state of one new-leader nemesis; until is 0 when it was
// never started.
type nemesis struct {
	until            clock.Time
	within           time.Duration
	backMin, backMax time.Duration
}

func (m *nemesis) active(now clock.Time) bool { return now < m.until }

// Event refs of evChurn.
const (
	churnCrash = iota + 1
	churnRestart
	churnEnd
	isolatorCut
	isolatorRejoin
	isolatorEnd
)

// startNemesis starts the nemesis of a, and with IncludeLeader arms it
// against the leader in office at once.
func (s *Simulator) startNemesis(a *Action) {
	m := nemesis{until: clock.Time(0).Add(a.Until), within: a.After, backMin: a.RestartAfter, backMax: max(a.RestartAfter, a.RestartAfterMax)}
	if a.Kind == ActCrashNewLeaders {
		s.churn = m
		s.faults.start(s.now, "crash", nil, fmt.Sprintf("crash new leaders within %v", a.After))
		s.schedule(event{at: m.until, kind: evChurn, ref: churnEnd})
	} else {
		s.isolator = m
		s.faults.start(s.now, "partition", nil, fmt.Sprintf("isolate new leaders within %v", a.After))
		s.schedule(event{at: m.until, kind: evChurn, ref: isolatorEnd})
	}
	if l := s.leader(); a.IncludeLeader && l != nil {
		if a.Kind == ActCrashNewLeaders {
			s.armNemesis(&s.churn, l, churnCrash)
		} else {
			s.armNemesis(&s.isolator, l, isolatorCut)
		}
	}
}

// onNewLeader arms the active nemeses against a node just elected.
func (s *Simulator) onNewLeader(n *node) {
	if s.healing {
		return
	}
	if s.churn.active(s.now) {
		s.armNemesis(&s.churn, n, churnCrash)
	}
	if s.isolator.active(s.now) {
		s.armNemesis(&s.isolator, n, isolatorCut)
	}
}

func (s *Simulator) armNemesis(m *nemesis, n *node, ref uint64) {
	d := time.Duration(0)
	if m.within > 0 {
		d = time.Duration(s.faultRand.Int64N(int64(m.within) + 1))
	}
	s.schedule(event{at: s.now.Add(d), kind: evChurn, node: n.pos, inc: n.inc, ref: ref})
}

// comeback draws how long a nemesis's victim stays down or cut off.
func (s *Simulator) comeback(m *nemesis) time.Duration {
	d := m.backMin
	if m.backMax > m.backMin {
		d += time.Duration(s.faultRand.Int64N(int64(m.backMax-m.backMin) + 1))
	}
	return d
}

func (s *Simulator) onChurn(e event) {
	n := s.nodes[e.node]
	switch e.ref {
	case churnEnd:
		s.faults.stop(s.now, "crash", nil)
	case churnCrash:
		if !n.up || n.inc != e.inc || s.healing {
			return
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "crash_new_leaders: crash"})
		s.crash(n, false)
		s.schedule(event{at: s.now.Add(s.comeback(&s.churn)), kind: evChurn, node: n.pos, inc: n.inc, ref: churnRestart})
	case churnRestart:
		if n.up || n.inc != e.inc {
			return
		}
		s.restart(n)
	case isolatorEnd:
		s.faults.stopLabel(s.now, "partition", "isolate new leaders")
	case isolatorCut:
		if !n.up || n.inc != e.inc || s.healing || s.isolated[n.pos] {
			return
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "isolate_new_leaders: isolate"})
		s.isolateNodes([]raft.NodeID{n.id})
		s.schedule(event{at: s.now.Add(s.comeback(&s.isolator)), kind: evChurn, node: n.pos, ref: isolatorRejoin})
	case isolatorRejoin:
		if !s.isolated[n.pos] {
			return // a heal or a reconnect came first
		}
		s.trace(TraceEvent{Kind: TraceAction, Node: n.id, Text: "isolate_new_leaders: reconnect"})
		s.reconnectNodes([]raft.NodeID{n.id})
	}
}

// isolateNodes cuts nodes off from every other node, both ways, and
// remembers it for reconnect.
func (s *Simulator) isolateNodes(ids []raft.NodeID) {
	for _, id := range ids {
		must(s.net.Isolate(id))
		s.isolated[id-1] = true
	}
	s.dirty = true
	s.faults.start(s.now, "partition", ids, "isolate "+idList(ids))
}

// reconnectNodes undoes isolation: each node reaches every node that is
// not isolated again, both ways (which also lifts other cuts between
// them). Nodes reconnected together reach each other.
func (s *Simulator) reconnectNodes(ids []raft.NodeID) {
	for _, id := range ids {
		s.isolated[id-1] = false
	}
	for _, id := range ids {
		for _, n := range s.nodes {
			if n.id != id && !s.isolated[n.pos] {
				must(s.net.Connect(id, n.id))
				must(s.net.Connect(n.id, id))
			}
		}
	}
	s.dirty = true
	s.faults.stop(s.now, "partition", ids)
}
