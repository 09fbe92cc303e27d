package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// timelineState follows what a timeline does to each node and link, as far
// as it is known before the run, to reject actions that contradict it:
// crashing a node that is down, restarting one that is up, resuming one
// that is not paused, unclogging a link that is not clogged, and two
// actions that set the same thing at the same instant (their order in the
// file would silently decide). Actions that target the leader are only
// resolved at run time (leader, follower, random, names bound to them),
// so after one the state is uncertain and only certain contradictions are
// rejected.
type timelineState struct {
	nodes int
	// down and paused are indexed by node ID; by[id] is the action that
	// put the node in its state.
	down, paused []bool
	by           []int
	// leaderDown and leaderPaused count crashes and pauses of nodes known
	// only at run time, not yet undone by a restart or resume of every
	// node: while one is outstanding, any node may be down (paused).
	leaderDown, leaderPaused int
	// someUp and someResumed record a restart (resume) of nodes known only
	// at run time: until every node is restarted (resumed), any node
	// believed down (paused) may be up again.
	someUp, someResumed bool
	// names maps the names bound by as to their nodes.
	names map[string]binding
	// labels holds the entries' labels (repeat blocks' steps), by index;
	// an entry without one is "timeline[i]".
	labels  []string
	clogged map[[2]raft.NodeID]int
	// isolated[id] is set while node id is known to be isolated; cut
	// holds the links cut_one_way cut.
	// someIsolated counts isolations of nodes known only at run time (the
	// nemesis's too) and someReconnected records a reconnect of such
	// nodes, since the last heal: they make the state uncertain.
	isolated        []int
	cut             map[[2]raft.NodeID]int
	someIsolated    int
	someReconnected bool
	// cutsUncertain is set while a partition, bridge or isolation may
	// have cut links that connect would open.
	cutsUncertain bool

	// members follows the membership the timeline changes (membership.go).
	members memberState

	// instant and touched record what the actions at the current time
	// have set: "node:3", "drift:3", "link:1>2", "network", "net:3" (a
	// node's connections), "cuts" and "uncut".
	instant time.Duration
	touched map[string]int
}

// binding is what a name bound by as stands for: nodes known before the
// run, or (dynamic) nodes chosen at run time.
type binding struct {
	ids     []raft.NodeID
	dynamic bool
	by      int
}

func newTimelineState(nodes int) *timelineState {
	return &timelineState{
		nodes: nodes, down: make([]bool, nodes+1), paused: make([]bool, nodes+1), by: make([]int, nodes+1),
		clogged: map[[2]raft.NodeID]int{}, instant: -1, touched: map[string]int{}, names: map[string]binding{},
		isolated: make([]int, nodes+1), cut: map[[2]raft.NodeID]int{},
		members: memberState{voters: nodes, touched: map[raft.NodeID]bool{}},
	}
}

// targets splits a's targets into the nodes known before the run and
// whether some are chosen only at run time. It reports a name no earlier
// action bound.
func (st *timelineState) targets(a *sim.Action) (known []raft.NodeID, dynamic bool, unbound string) {
	known = slices.Clone(a.Nodes)
	dynamic = (a.Leader && a.Kind != sim.ActPartition) || a.Follower || a.Random > 0 || a.LeaderAnd > 0 || a.ExceptLeader
	for _, name := range a.Names {
		b, ok := st.names[name]
		if !ok {
			return nil, false, name
		}
		dynamic = dynamic || b.dynamic
		for _, id := range b.ids {
			if !slices.Contains(known, id) {
				known = append(known, id)
			}
		}
	}
	slices.Sort(known)
	return known, dynamic, ""
}

// entry names entry i in messages.
func (st *timelineState) entry(i int) string {
	if i < len(st.labels) && st.labels[i] != "" {
		return st.labels[i]
	}
	return fmt.Sprintf("timeline[%d]", i)
}

// touch records that action i sets what; it reports the earlier action
// that set it at the same instant, if any.
func (st *timelineState) touch(i int, at time.Duration, what string) (int, bool) {
	if at != st.instant {
		st.instant = at
		clear(st.touched)
	}
	if j, ok := st.touched[what]; ok {
		return j, true
	}
	st.touched[what] = i
	return 0, false
}

// step checks action i and applies it; it returns the key at fault and a
// message when the action contradicts the timeline so far.
func (st *timelineState) step(i int, a *sim.Action) (field, msg string) {
	for len(st.labels) <= i {
		st.labels = append(st.labels, "")
	}
	st.labels[i] = a.Label
	// Entries that follow the previous one at run time run in file order,
	// one after the other: no instant is shared by accident.
	at := a.At
	if a.Follows {
		at = -1 - time.Duration(i)
	}
	conflict := func(what, desc string) (string, string) {
		if j, ok := st.touch(i, at, what); ok {
			return "at", fmt.Sprintf("conflicts with %s, which also sets %s at %v: put them at different times", st.entry(j), desc, a.At)
		}
		return "", ""
	}
	if at != st.instant {
		st.instant = at
		clear(st.touched)
	}
	known, dynamic, unbound := st.targets(a)
	if unbound != "" {
		return "nodes", fmt.Sprintf("%q is bound by no earlier action's as", unbound)
	}
	for _, name := range a.ExceptNames {
		if _, ok := st.names[name]; !ok {
			return "except", fmt.Sprintf("%q is bound by no earlier action's as", name)
		}
	}
	if a.Chance.Den != 0 || !a.When.IsZero() {
		// It may not run: whatever it would do is uncertain.
		known, dynamic = nil, true
	}
	if a.As != "" {
		defer func() {
			if msg == "" {
				st.names[a.As] = binding{ids: known, dynamic: dynamic || (len(known) == 0 && !a.HasTargets()), by: i}
			}
		}()
	}
	nodeTargets := known
	if (a.Kind == sim.ActRestart || a.Kind == sim.ActResume) && !a.HasTargets() {
		nodeTargets = nil
		for id := 1; id <= st.nodes; id++ {
			nodeTargets = append(nodeTargets, raft.NodeID(id))
		}
	}
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss, sim.ActRestart, sim.ActPause, sim.ActResume:
		for _, id := range nodeTargets {
			if f, m := conflict(fmt.Sprintf("node:%d", id), fmt.Sprintf("the state of node %d", id)); m != "" {
				return f, m
			}
		}
		return st.stepNodes(i, a, known, dynamic)
	case sim.ActSlowDisk, sim.ActClockDrift:
		for _, id := range known {
			what := fmt.Sprintf("%s:%d", a.Kind, id)
			if f, m := conflict(what, fmt.Sprintf("the %s of node %d", strings.ReplaceAll(a.Kind.String(), "_", " "), id)); m != "" {
				return f, m
			}
		}
	case sim.ActLink:
		what := "link:all"
		if a.From != 0 {
			what = fmt.Sprintf("link:%d>%d", a.From, a.To)
		}
		if a.Messages != sim.MessagesAll || len(a.MsgTypes) > 0 {
			// Settings for some messages conflict only with settings for
			// the same messages.
			what += fmt.Sprintf(":%v%v", a.Messages, a.MsgTypes)
		}
		return conflict(what, "the same link settings")
	case sim.ActClog, sim.ActUnclog:
		if f, m := conflict(fmt.Sprintf("clog:%d>%d", a.From, a.To), fmt.Sprintf("the clog of %d -> %d", a.From, a.To)); m != "" {
			return f, m
		}
		link := [2]raft.NodeID{a.From, a.To}
		j, clogged := st.clogged[link]
		if a.Kind == sim.ActClog && clogged {
			return "from", fmt.Sprintf("link %d -> %d is already clogged (by %s)", a.From, a.To, st.entry(j))
		}
		if a.Kind == sim.ActUnclog && !clogged {
			return "from", fmt.Sprintf("link %d -> %d is not clogged at %v", a.From, a.To, a.At)
		}
		if a.Kind == sim.ActClog {
			st.clogged[link] = i
		} else {
			delete(st.clogged, link)
		}
		return "", ""
	case sim.ActPropose:
		for _, id := range known {
			if st.down[id] && !st.someUp {
				return "nodes", fmt.Sprintf("node %d is down (crashed by %s): it cannot take proposals", id, st.entry(st.by[id]))
			}
		}
		return "", ""
	case sim.ActCrashNewLeaders:
		// Its crashes hit whoever leads and restart on their own; a later
		// restart of a named node may find it down.
		st.leaderDown++
		return "", ""
	case sim.ActIsolateNewLeaders, sim.ActIsolateOnSnapshot:
		st.someIsolated++
		st.cutsUncertain = true
		return "", ""
	case sim.ActCrashOnSnapshot:
		// Any node that writes a snapshot may be down, and comes back on
		// its own.
		st.leaderDown++
		return "", ""
	case sim.ActHeal:
		// Cuts compose, so partitions at one instant do not conflict; a
		// heal at the same instant as any of them would undo it or not
		// depending on the file's order.
		if j, ok := st.touched["network"]; ok && st.instant == at {
			return "at", fmt.Sprintf("conflicts with %s, which changes the partitions at the same instant %v: put them at different times", st.entry(j), a.At)
		}
		clear(st.clogged)
		clear(st.isolated)
		clear(st.cut)
		st.someIsolated, st.someReconnected, st.cutsUncertain = 0, false, false
		st.touch(i, at, "heal")
		return "", ""
	case sim.ActReconnect, sim.ActConnect:
		return st.stepUncut(i, a, at, conflict, known, dynamic)
	case sim.ActAddVoter, sim.ActAddLearner, sim.ActPromote, sim.ActRemove, sim.ActReplace, sim.ActTransferLeader:
		// The cluster takes one change at a time: at one instant, the
		// file's order would decide which it takes first.
		if f, m := conflict("membership", "the membership"); m != "" {
			return f, m
		}
		return st.members.step(a, known, dynamic)
	}
	if isNetworkCut(a.Kind) {
		if j, ok := st.touched["heal"]; ok && st.instant == at {
			return "at", fmt.Sprintf("conflicts with %s, a heal at the same instant %v: put them at different times", st.entry(j), a.At)
		}
		if f, m := st.stepCut(i, a, at, conflict, known, dynamic); m != "" {
			return f, m
		}
		st.touch(i, at, "network")
	}
	return "", ""
}

// stepCut checks and applies an isolation, a partition, a bridge or a
// one-way cut.
func (st *timelineState) stepCut(i int, a *sim.Action, at time.Duration, conflict func(what, desc string) (string, string), known []raft.NodeID, dynamic bool) (field, msg string) {
	if a.Kind != sim.ActIsolate {
		// Undoing cuts at the same instant as making them: the file's
		// order would decide.
		if j, ok := st.touched["uncut"]; ok && st.instant == at {
			return "at", fmt.Sprintf("conflicts with %s, which reconnects at the same instant %v: put them at different times", st.entry(j), a.At)
		}
		st.touch(i, at, "cuts")
	}
	switch a.Kind {
	case sim.ActIsolate:
		for _, id := range known {
			if f, m := conflict(fmt.Sprintf("net:%d", id), fmt.Sprintf("the connections of node %d", id)); m != "" {
				return f, m
			}
			// Isolating an isolated node is accepted, as it always was (the
			// generator and reproducers have such timelines): at run time
			// it is reported as a missing target.
			st.isolated[id] = 1
		}
		if dynamic {
			st.someIsolated++
		}
	case sim.ActCutOneWay:
		st.cut[[2]raft.NodeID{a.From, a.To}] = i
	}
	st.cutsUncertain = st.cutsUncertain || a.Kind != sim.ActCutOneWay
	return "", ""
}

// stepUncut checks and applies a reconnect or a connect: what it undoes
// must be cut.
func (st *timelineState) stepUncut(i int, a *sim.Action, at time.Duration, conflict func(what, desc string) (string, string), known []raft.NodeID, dynamic bool) (field, msg string) {
	if j, ok := st.touched["cuts"]; ok && st.instant == at {
		return "at", fmt.Sprintf("conflicts with %s, which cuts links at the same instant %v: put them at different times", st.entry(j), a.At)
	}
	if j, ok := st.touched["heal"]; ok && st.instant == at {
		return "at", fmt.Sprintf("conflicts with %s, a heal at the same instant %v: put them at different times", st.entry(j), a.At)
	}
	st.touch(i, at, "uncut")
	if a.Kind == sim.ActConnect {
		link := [2]raft.NodeID{a.From, a.To}
		if _, ok := st.cut[link]; !ok && !st.cutsUncertain {
			return "from", fmt.Sprintf("link %d -> %d is not cut at %v", a.From, a.To, a.At)
		}
		delete(st.cut, link)
		return "", ""
	}
	for _, id := range known {
		if f, m := conflict(fmt.Sprintf("net:%d", id), fmt.Sprintf("the connections of node %d", id)); m != "" {
			return f, m
		}
		if st.isolated[id] == 0 && st.someIsolated == 0 {
			return "nodes", fmt.Sprintf("node %d is not isolated at %v", id, a.At)
		}
		st.isolated[id] = 0
	}
	if dynamic {
		st.someReconnected = true
	}
	return "", ""
}

func isNetworkCut(k sim.ActionKind) bool {
	switch k {
	case sim.ActIsolate, sim.ActPartition, sim.ActCutOneWay, sim.ActBridge:
		return true
	}
	return false
}

// stepNodes applies a crash, restart, pause or resume to the nodes known
// before the run; dynamic says some targets are chosen only at run time.
func (st *timelineState) stepNodes(i int, a *sim.Action, known []raft.NodeID, dynamic bool) (field, msg string) {
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss:
		for _, id := range known {
			if st.down[id] && !st.someUp {
				return "nodes", fmt.Sprintf("node %d is already down (crashed by %s)", id, st.entry(st.by[id]))
			}
			st.down[id], st.paused[id], st.by[id] = true, false, i
		}
		if dynamic {
			st.leaderDown++
		}
	case sim.ActRestart:
		if !a.HasTargets() {
			if !slices.Contains(st.down, true) && st.leaderDown == 0 {
				return "action", "no node is down to restart"
			}
			clear(st.down)
			st.leaderDown, st.someUp = 0, false
			return "", ""
		}
		for _, id := range known {
			if !st.down[id] && st.leaderDown == 0 {
				return "nodes", fmt.Sprintf("node %d is up: nothing crashed it", id)
			}
			st.down[id], st.by[id] = false, i
		}
		if dynamic {
			st.someUp = true
		}
	case sim.ActPause:
		for _, id := range known {
			if st.down[id] && !st.someUp {
				return "nodes", fmt.Sprintf("node %d is down (crashed by %s): it cannot be paused", id, st.entry(st.by[id]))
			}
			if st.paused[id] && !st.someResumed {
				return "nodes", fmt.Sprintf("node %d is already paused (by %s)", id, st.entry(st.by[id]))
			}
			st.paused[id], st.by[id] = true, i
		}
		if dynamic {
			st.leaderPaused++
		}
	case sim.ActResume:
		if !a.HasTargets() {
			if !slices.Contains(st.paused, true) && st.leaderPaused == 0 {
				return "action", "no node is paused to resume"
			}
			clear(st.paused)
			st.leaderPaused, st.someResumed = 0, false
			return "", ""
		}
		for _, id := range known {
			if !st.paused[id] && st.leaderPaused == 0 {
				return "nodes", fmt.Sprintf("node %d is not paused", id)
			}
			st.paused[id], st.by[id] = false, i
		}
		if dynamic {
			st.someResumed = true
		}
	}
	return "", ""
}
