package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// actionKeys lists, per action kind, the keys an action may have besides
// at and action. Targets are "nodes" and "leader"; restart and resume take
// only named nodes (or none, for all), because the leader is never a
// crashed node and a paused leader is rarely still the leader. A
// partition's "leader" moves the leader into its first group.
var actionKeys = map[sim.ActionKind][]string{
	sim.ActCrash:      {"nodes", "leader"},
	sim.ActPowerLoss:  {"nodes", "leader"},
	sim.ActRestart:    {"nodes"},
	sim.ActPause:      {"nodes", "leader"},
	sim.ActResume:     {"nodes"},
	sim.ActIsolate:    {"nodes", "leader"},
	sim.ActPartition:  {"groups", "leader"},
	sim.ActCutOneWay:  {"from", "to"},
	sim.ActBridge:     {"nodes", "groups"},
	sim.ActClog:       {"from", "to"},
	sim.ActUnclog:     {"from", "to"},
	sim.ActHeal:       {},
	sim.ActLink:       append([]string{"from", "to"}, linkKeys...),
	sim.ActSlowDisk:   {"nodes", "leader", "sync"},
	sim.ActClockDrift: {"nodes", "leader", "drift_ppm"},
	sim.ActClockJump:  {"nodes", "leader", "jump"},

	sim.ActCrashNewLeaders: {"until", "after", "restart_after"},
}

// allActionKeys is every key any action may have.
var allActionKeys = func() map[string]bool {
	all := map[string]bool{"at": true, "action": true}
	for _, keys := range actionKeys {
		for _, k := range keys {
			all[k] = true
		}
	}
	return all
}()

func kindNames() string {
	var names []string
	for _, k := range sim.ActionKinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

func decodeTimeline(root *table, cfg *sim.Config) []sim.Action {
	entries := root.tables("timeline")
	if len(entries) == 0 {
		return nil
	}
	out := make([]sim.Action, 0, len(entries))
	st := newTimelineState(cfg.Nodes)
	var prev time.Duration
	for i, t := range entries {
		a, ok := decodeAction(t, cfg)
		if !ok {
			return nil
		}
		if a.At < prev {
			t.fail("at", "%v is before the previous action's %v: keep the timeline in time order", a.At, prev)
			return nil
		}
		prev = a.At
		if field, msg := st.step(i, &a); msg != "" {
			t.fail(field, "%s", msg)
			return nil
		}
		out = append(out, a)
	}
	return out
}

func decodeAction(t *table, cfg *sim.Config) (sim.Action, bool) {
	var a sim.Action
	if !t.has("at") {
		t.fail("at", "missing: every action needs a time")
		return a, false
	}
	if !t.has("action") {
		t.fail("action", "missing: one of %s", kindNames())
		return a, false
	}
	t.duration("at", &a.At)
	var name string
	t.str("action", &name)
	if !t.d.ok() {
		return a, false
	}
	kind, ok := sim.ParseActionKind(name)
	if !ok {
		t.fail("action", "%q is not an action: one of %s", name, kindNames())
		return a, false
	}
	a.Kind = kind
	if a.At >= cfg.Duration {
		t.fail("at", "%v is not before the end of the fault phase (duration = %v): the healing phase clears every fault", a.At, cfg.Duration)
		return a, false
	}
	allowed := actionKeys[kind]
	for _, k := range sortedKeys(t.m) {
		if allActionKeys[k] && k != "at" && k != "action" && !slices.Contains(allowed, k) {
			t.fail(k, "a %s action takes no %s (it takes %s)", kind, k, keyList(allowed))
			return a, false
		}
	}
	for _, k := range allowed {
		switch k {
		case "nodes":
			a.Nodes = decodeNodes(t, "nodes", cfg.Nodes)
		case "leader":
			t.boolean("leader", &a.Leader)
		case "groups":
			a.Groups = decodeGroups(t, cfg.Nodes)
		case "from":
			a.From = decodeNode(t, "from", cfg.Nodes)
		case "to":
			a.To = decodeNode(t, "to", cfg.Nodes)
		case "sync":
			t.durationRange("sync", &a.SyncMin, &a.SyncMax)
		case "drift_ppm":
			var ppm int64
			if t.integer("drift_ppm", int64(clock.DriftMin), int64(clock.DriftMax), &ppm) {
				a.Drift = clock.PPM(ppm)
			}
		case "jump":
			t.durationSigned("jump", true, &a.Jump)
		case "until":
			t.duration("until", &a.Until)
		case "after":
			t.duration("after", &a.After)
		case "restart_after":
			t.duration("restart_after", &a.RestartAfter)
		}
	}
	if kind == sim.ActLink {
		a.Link = decodeLink(t, cfg.Network)
	}
	t.finish()
	if !t.d.ok() {
		return a, false
	}
	return a, checkAction(t, &a)
}

// checkAction checks what each kind requires, naming the file's keys.
func checkAction(t *table, a *sim.Action) bool {
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss, sim.ActPause, sim.ActIsolate, sim.ActSlowDisk, sim.ActClockDrift, sim.ActClockJump:
		if len(a.Nodes) == 0 && !a.Leader {
			t.fail("nodes", "a %s action needs nodes = [...] or leader = true", a.Kind)
		}
	case sim.ActBridge:
		if len(a.Nodes) != 1 {
			t.fail("nodes", "a bridge names exactly one bridge node, got %d", len(a.Nodes))
		} else if len(a.Groups) != 2 {
			t.fail("groups", "a bridge joins exactly two groups, got %d", len(a.Groups))
		}
	case sim.ActPartition:
		if len(a.Groups) < 2 && !t.has("groups") {
			t.fail("groups", "a partition needs groups = [[...], [...]]")
		}
	case sim.ActCutOneWay, sim.ActClog, sim.ActUnclog:
		if a.From == 0 || a.To == 0 {
			t.fail("from", "a %s action needs from and to", a.Kind)
		}
	case sim.ActLink:
		if (a.From == 0) != (a.To == 0) {
			t.fail("from", "a link action names both from and to, or neither (every link)")
		}
	}
	if (a.From != 0 || a.To != 0) && a.From == a.To && t.d.ok() {
		t.fail("to", "link %d -> %d is a loop", a.From, a.To)
	}
	return t.d.ok()
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "nothing but at"
	}
	return strings.Join(keys, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func decodeNode(t *table, key string, nodes int) raft.NodeID {
	v, ok := t.get(key)
	if !ok {
		return 0
	}
	id, isInt := v.(int64)
	if !isInt {
		t.wrongType(key, v, "a node ID")
		return 0
	}
	if id < 1 || id > int64(nodes) {
		t.fail(key, "node %d is not in the cluster (nodes 1..%d)", id, nodes)
		return 0
	}
	return raft.NodeID(id)
}

// decodeNodeList reads an array of node IDs at path, each in the cluster
// and listed once.
func decodeNodeList(d *decoder, path string, v any, nodes int) []raft.NodeID {
	list, ok := v.([]any)
	if !ok {
		d.fail(path, "is %s, want a list of node IDs such as [1, 2]", typeName(v))
		return nil
	}
	out := make([]raft.NodeID, 0, len(list))
	for i, e := range list {
		id, isInt := e.(int64)
		if !isInt {
			d.fail(indexPath(path, i), "is %s, want a node ID", typeName(e))
			return nil
		}
		if id < 1 || id > int64(nodes) {
			d.fail(indexPath(path, i), "node %d is not in the cluster (nodes 1..%d)", id, nodes)
			return nil
		}
		if slices.Contains(out, raft.NodeID(id)) {
			d.fail(indexPath(path, i), "node %d is listed twice", id)
			return nil
		}
		out = append(out, raft.NodeID(id))
	}
	return out
}

func decodeNodes(t *table, key string, nodes int) []raft.NodeID {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	return decodeNodeList(t.d, t.field(key), v, nodes)
}

func decodeGroups(t *table, nodes int) [][]raft.NodeID {
	list, ok := t.array("groups")
	if !ok {
		return nil
	}
	if len(list) < 2 {
		t.fail("groups", "need at least 2 groups, got %d", len(list))
		return nil
	}
	seen := map[raft.NodeID]int{}
	groups := make([][]raft.NodeID, 0, len(list))
	for i, e := range list {
		path := indexPath(t.field("groups"), i)
		g := decodeNodeList(t.d, path, e, nodes)
		if !t.d.ok() {
			return nil
		}
		if len(g) == 0 {
			t.d.fail(path, "an empty group")
			return nil
		}
		for _, id := range g {
			if j, dup := seen[id]; dup {
				t.d.fail(path, "node %d is also in group %d", id, j)
				return nil
			}
			seen[id] = i
		}
		groups = append(groups, g)
	}
	return groups
}

// timelineState follows what a timeline does to each node and link, as far
// as it is known before the run, to reject actions that contradict it:
// crashing a node that is down, restarting one that is up, resuming one
// that is not paused, unclogging a link that is not clogged, and two
// actions that set the same thing at the same instant (their order in the
// file would silently decide). Actions that target the leader are only
// resolved at run time, so after one the state is uncertain and only
// certain contradictions are rejected.
type timelineState struct {
	nodes int
	// down and paused are indexed by node ID; by[id] is the action that
	// put the node in its state.
	down, paused []bool
	by           []int
	// leaderDown and leaderPaused count leader-targeted crashes and pauses
	// not yet undone by a restart or resume of every node.
	leaderDown, leaderPaused int
	clogged                  map[[2]raft.NodeID]int
	// instant and touched record what the actions at the current time
	// have set: "node:3", "drift:3", "link:1>2", "network".
	instant time.Duration
	touched map[string]int
}

func newTimelineState(nodes int) *timelineState {
	return &timelineState{
		nodes: nodes, down: make([]bool, nodes+1), paused: make([]bool, nodes+1), by: make([]int, nodes+1),
		clogged: map[[2]raft.NodeID]int{}, instant: -1, touched: map[string]int{},
	}
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
	conflict := func(what, desc string) (string, string) {
		if j, ok := st.touch(i, a.At, what); ok {
			return "at", fmt.Sprintf("conflicts with timeline[%d], which also sets %s at %v: put them at different times", j, desc, a.At)
		}
		return "", ""
	}
	nodeTargets := a.Nodes
	if (a.Kind == sim.ActRestart || a.Kind == sim.ActResume) && len(nodeTargets) == 0 {
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
		return st.stepNodes(i, a)
	case sim.ActSlowDisk, sim.ActClockDrift:
		for _, id := range a.Nodes {
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
		return conflict(what, "the same link settings")
	case sim.ActClog, sim.ActUnclog:
		if f, m := conflict(fmt.Sprintf("clog:%d>%d", a.From, a.To), fmt.Sprintf("the clog of %d -> %d", a.From, a.To)); m != "" {
			return f, m
		}
		link := [2]raft.NodeID{a.From, a.To}
		j, clogged := st.clogged[link]
		if a.Kind == sim.ActClog && clogged {
			return "from", fmt.Sprintf("link %d -> %d is already clogged (by timeline[%d])", a.From, a.To, j)
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
	case sim.ActCrashNewLeaders:
		// Its crashes hit whoever leads and restart on their own; a later
		// restart of a named node may find it down.
		st.leaderDown++
		return "", ""
	case sim.ActHeal:
		// Cuts compose, so partitions at one instant do not conflict; a
		// heal at the same instant as any of them would undo it or not
		// depending on the file's order.
		if j, ok := st.touched["network"]; ok && st.instant == a.At {
			return "at", fmt.Sprintf("conflicts with timeline[%d], which changes the partitions at the same instant %v: put them at different times", j, a.At)
		}
		clear(st.clogged)
		st.touch(i, a.At, "heal")
		return "", ""
	}
	if isNetworkCut(a.Kind) {
		if j, ok := st.touched["heal"]; ok && st.instant == a.At {
			return "at", fmt.Sprintf("conflicts with timeline[%d], a heal at the same instant %v: put them at different times", j, a.At)
		}
		st.touch(i, a.At, "network")
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

func (st *timelineState) stepNodes(i int, a *sim.Action) (field, msg string) {
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss:
		for _, id := range a.Nodes {
			if st.down[id] {
				return "nodes", fmt.Sprintf("node %d is already down (crashed by timeline[%d])", id, st.by[id])
			}
			st.down[id], st.paused[id], st.by[id] = true, false, i
		}
		if a.Leader {
			st.leaderDown++
		}
	case sim.ActRestart:
		if len(a.Nodes) == 0 {
			if !slices.Contains(st.down, true) && st.leaderDown == 0 {
				return "action", "no node is down to restart"
			}
			clear(st.down)
			st.leaderDown = 0
			return "", ""
		}
		for _, id := range a.Nodes {
			if !st.down[id] && st.leaderDown == 0 {
				return "nodes", fmt.Sprintf("node %d is up: nothing crashed it", id)
			}
			st.down[id], st.by[id] = false, i
		}
	case sim.ActPause:
		for _, id := range a.Nodes {
			if st.down[id] {
				return "nodes", fmt.Sprintf("node %d is down (crashed by timeline[%d]): it cannot be paused", id, st.by[id])
			}
			if st.paused[id] {
				return "nodes", fmt.Sprintf("node %d is already paused (by timeline[%d])", id, st.by[id])
			}
			st.paused[id], st.by[id] = true, i
		}
		if a.Leader {
			st.leaderPaused++
		}
	case sim.ActResume:
		if len(a.Nodes) == 0 {
			if !slices.Contains(st.paused, true) && st.leaderPaused == 0 {
				return "action", "no node is paused to resume"
			}
			clear(st.paused)
			st.leaderPaused = 0
			return "", ""
		}
		for _, id := range a.Nodes {
			if !st.paused[id] && st.leaderPaused == 0 {
				return "nodes", fmt.Sprintf("node %d is not paused", id)
			}
			st.paused[id], st.by[id] = false, i
		}
	}
	return "", ""
}
