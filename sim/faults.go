package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// FaultWindow is a span of virtual time during which a fault was in
// effect, for reports and failure annotations.
type FaultWindow struct {
	Kind  string
	Nodes []raft.NodeID
	Start clock.Time
	// End is when the fault ended, or the run's end.
	End   clock.Time
	Label string
}

// faultLog pairs fault starts with their ends.
type faultLog struct {
	windows []FaultWindow
	// open[i] is true while windows[i] has no end yet.
	open []bool
}

func (f *faultLog) start(now clock.Time, kind string, nodes []raft.NodeID, label string) {
	f.windows = append(f.windows, FaultWindow{Kind: kind, Nodes: nodes, Start: now, Label: label})
	f.open = append(f.open, true)
}

// stop ends the open windows of kind that involve a node of nodes (all
// open windows of kind when nodes is nil).
func (f *faultLog) stop(now clock.Time, kind string, nodes []raft.NodeID) {
	for i := range f.windows {
		if !f.open[i] || f.windows[i].Kind != kind {
			continue
		}
		if nodes != nil && !overlaps(f.windows[i].Nodes, nodes) {
			continue
		}
		f.windows[i].End = now
		f.open[i] = false
	}
}

// stopLabel ends the open windows of kind whose label starts with label.
func (f *faultLog) stopLabel(now clock.Time, kind, label string) {
	for i := range f.windows {
		if f.open[i] && f.windows[i].Kind == kind && strings.HasPrefix(f.windows[i].Label, label) {
			f.windows[i].End = now
			f.open[i] = false
		}
	}
}

func (f *faultLog) closeAll(now clock.Time) {
	for i := range f.windows {
		if f.open[i] {
			f.windows[i].End = now
			f.open[i] = false
		}
	}
}

func overlaps(a, b []raft.NodeID) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// runAction carries out timeline action i: it resolves the targets,
// reports any it names but cannot find, binds As, and applies the action.
func (s *Simulator) runAction(i int) {
	a := &s.cfg.Timeline[i]
	if s.skipped(i, a) {
		s.entryEnded(i)
		return
	}
	if a.Kind == ActPartition && a.Leader {
		a = s.leaderPartition(a)
	}
	nodes := sortedIDs(a.Nodes)
	var missing string
	if a.Kind.takesNodes() {
		nodes, missing = s.resolve(i, a)
	}
	if a.Kind == ActConnect && s.net.Connected(a.From, a.To) {
		missing = fmt.Sprintf("link %d -> %d is not cut", a.From, a.To)
	}
	if a.Kind == ActCutOneWay && !s.net.Connected(a.From, a.To) {
		missing = fmt.Sprintf("link %d -> %d is cut already", a.From, a.To)
	}
	shown := nodes
	if a.Kind.allWhenUnnamed() && !a.HasTargets() {
		shown = nil // "restart": every crashed node, as written
	}
	text := describeAction(a, shown)
	if missing != "" {
		text += " (missing: " + missing + ")"
	}
	s.trace(TraceEvent{Kind: TraceAction, Text: text})
	if missing != "" && !(a.Kind == ActPropose && a.Retry && len(nodes) == 0) {
		// (A retrying burst with no target goes to the next leader.)
		s.reportMissing(i, a, missing)
	}
	if a.As != "" && a.Kind != ActWait && a.Kind != ActSleep {
		s.bind(a.As, nodes)
	}
	s.dirty = true
	if a.Kind == ActLink && a.OutliveHeal {
		s.outliving = append(s.outliving, i)
	}
	switch a.Kind {
	case ActWait:
		s.startWait(i, a) // the entry ends when the wait does
		return
	case ActSleep:
		s.startSleep(i, a)
		return
	case ActPropose:
		s.propose(i, a, nodes)
	case ActAddVoter, ActAddLearner, ActPromote, ActRemove, ActReplace, ActTransferLeader:
		s.startMembership(i, a, nodes)
	default:
		s.applyAction(a, nodes)
	}
	s.entryEnded(i)
}

// applyAction applies a to its resolved targets.
func (s *Simulator) applyAction(a *Action, nodes []raft.NodeID) {
	switch a.Kind {
	case ActCrash, ActPowerLoss:
		for _, id := range nodes {
			n := s.nodes[id-1]
			if n.up {
				s.crash(n, a.Kind == ActPowerLoss)
				s.faults.start(s.now, "crash", []raft.NodeID{id}, a.Kind.String())
			}
		}
	case ActRestart:
		for _, id := range nodes {
			if n := s.nodes[id-1]; !n.up {
				s.restart(n)
				s.faults.stop(s.now, "crash", []raft.NodeID{id})
			}
		}
	case ActPause:
		for _, id := range nodes {
			if n := s.nodes[id-1]; n.up && !n.paused {
				s.pause(n)
				s.faults.start(s.now, "pause", []raft.NodeID{id}, "pause")
			}
		}
	case ActResume:
		for _, id := range nodes {
			if n := s.nodes[id-1]; n.paused {
				s.resume(n)
				s.faults.stop(s.now, "pause", []raft.NodeID{id})
			}
		}
	case ActIsolate:
		s.isolateNodes(nodes)
	case ActReconnect:
		s.reconnectNodes(nodes)
	case ActConnect:
		must(s.net.Connect(a.From, a.To))
		s.faults.stop(s.now, "partition", []raft.NodeID{a.From, a.To})
	case ActPartition:
		must(s.net.Partition(a.Groups...))
		s.faults.stop(s.now, "partition", nil)
		s.faults.start(s.now, "partition", sortedIDs(flatten(a.Groups)), "partition "+groupList(a.Groups))
	case ActCutOneWay:
		must(s.net.Cut(a.From, a.To))
		s.faults.start(s.now, "partition", []raft.NodeID{a.From, a.To}, fmt.Sprintf("cut %d->%d", a.From, a.To))
	case ActBridge:
		must(s.net.Bridge(a.Nodes[0], a.Groups[0], a.Groups[1]))
		s.faults.stop(s.now, "partition", nil)
		s.faults.start(s.now, "partition", sortedIDs(flatten(a.Groups)), fmt.Sprintf("bridge %d between %s", a.Nodes[0], groupList(a.Groups)))
	case ActClog:
		must(s.net.Clog(a.From, a.To))
		s.faults.start(s.now, "clog", []raft.NodeID{a.From, a.To}, fmt.Sprintf("clog %d->%d", a.From, a.To))
	case ActUnclog:
		rels, err := s.net.Unclog(a.From, a.To)
		must(err)
		s.release(rels)
		s.faults.stop(s.now, "clog", []raft.NodeID{a.From, a.To})
	case ActHeal:
		clear(s.isolated)
		s.release(s.net.Heal())
		s.faults.stop(s.now, "partition", nil)
		s.faults.stop(s.now, "clog", nil)
	case ActLink:
		s.applyLink(a)
		s.faults.start(s.now, "network", []raft.NodeID{a.From, a.To}, "link "+a.Link.String())
	case ActSlowDisk:
		for _, id := range nodes {
			n := s.nodes[id-1]
			n.syncMin, n.syncMax = a.SyncMin, a.SyncMax
		}
		s.faults.start(s.now, "disk", nodes, fmt.Sprintf("slow disk %v-%v", a.SyncMin, a.SyncMax))
	case ActClockDrift:
		for _, id := range nodes {
			n := s.nodes[id-1]
			must(n.clk.SetDrift(s.now, a.Drift))
			s.retime(n)
		}
		s.faults.start(s.now, "clock", nodes, fmt.Sprintf("drift %v", a.Drift))
	case ActCrashNewLeaders, ActIsolateNewLeaders:
		s.startNemesis(a)
	case ActCrashOnSnapshot, ActIsolateOnSnapshot:
		s.startSnapshotNemesis(a)
	case ActDiskFault:
		s.injectDiskFault(a, nodes)
	case ActClockJump:
		for _, id := range nodes {
			n := s.nodes[id-1]
			must(n.clk.Jump(s.now, a.Jump))
			s.retime(n)
		}
		s.faults.start(s.now, "clock", nodes, fmt.Sprintf("jump %v", a.Jump))
	}
}

// leaderPartition resolves a partition with Leader into plain groups: the
// current leader moves into the first group, and groups left empty go.
func (s *Simulator) leaderPartition(a *Action) *Action {
	r := *a
	r.Leader = false
	l := s.leader()
	if l == nil {
		return &r
	}
	r.Groups = nil
	for i, g := range a.Groups {
		g = slices.DeleteFunc(slices.Clone(g), func(id raft.NodeID) bool { return id == l.id })
		if i == 0 {
			g = append(g, l.id)
			slices.Sort(g)
		}
		if len(g) > 0 {
			r.Groups = append(r.Groups, g)
		}
	}
	return &r
}

// retime reschedules a node's next tick after its clock changed.
func (s *Simulator) retime(n *node) {
	if n.up && n.tick != nil {
		s.scheduleTick(n)
	}
}

func describeAction(a *Action, nodes []raft.NodeID) string {
	var b strings.Builder
	b.WriteString(a.Kind.String())
	switch a.Kind {
	case ActWait:
		fmt.Fprintf(&b, " %s within %v", a.Wait, a.Within)
		if a.Wait == WaitCommit {
			b.WriteString(" on " + onText(a.On))
			if a.AllProposals {
				b.WriteString(", every proposal so far")
			}
		}
	case ActPropose:
		fmt.Fprintf(&b, " %d", a.Count)
	case ActSleep:
		fmt.Fprintf(&b, " %v..%v", a.SleepMin, a.SleepMax)
	case ActDiskFault:
		b.WriteString(" " + a.DiskFault.String())
	}
	if a.Joint {
		b.WriteString(" joint")
	}
	if len(nodes) > 0 {
		b.WriteString(" " + idList(nodes))
	}
	if len(a.Groups) > 0 {
		b.WriteString(" " + groupList(a.Groups))
	}
	if a.From != 0 {
		fmt.Fprintf(&b, " %d->%d", a.From, a.To)
	}
	if len(a.With) > 0 {
		b.WriteString(" with " + idList(a.With))
	}
	return b.String()
}

func idList(ids []raft.NodeID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func groupList(groups [][]raft.NodeID) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = idList(g)
	}
	return strings.Join(parts, "|")
}

func flatten(groups [][]raft.NodeID) []raft.NodeID {
	var out []raft.NodeID
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
