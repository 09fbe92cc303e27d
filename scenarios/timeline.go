package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
)

// actionKeys lists, per action kind, the keys an action may have besides
// at and action. Targets are targetKeys; restart and resume take only
// named or random nodes (or none, for all), because the leader is never a
// crashed node and a paused leader is rarely still the leader. A
// partition's "leader" moves the leader into its first group.
var actionKeys = map[sim.ActionKind][]string{
	sim.ActCrash:      targetKeys,
	sim.ActPowerLoss:  targetKeys,
	sim.ActRestart:    wakeKeys,
	sim.ActPause:      targetKeys,
	sim.ActResume:     wakeKeys,
	sim.ActIsolate:    targetKeys,
	sim.ActPartition:  {"groups", "leader"},
	sim.ActCutOneWay:  {"from", "to"},
	sim.ActBridge:     {"nodes", "groups"},
	sim.ActClog:       {"from", "to"},
	sim.ActUnclog:     {"from", "to"},
	sim.ActHeal:       {},
	sim.ActLink:       append([]string{"from", "to"}, linkKeys...),
	sim.ActSlowDisk:   append(slices.Clone(targetKeys), "sync"),
	sim.ActClockDrift: append(slices.Clone(targetKeys), "drift_ppm"),
	sim.ActClockJump:  append(slices.Clone(targetKeys), "jump"),

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
		case "nodes", "leader", "follower", "random", "leader_and", "except_leader", "as", "require":
			if kind == sim.ActBridge && k == "nodes" {
				a.Nodes = decodeNodes(t, "nodes", cfg.Nodes)
			} else {
				decodeTarget(t, k, cfg.Nodes, &a)
			}
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
	checkSelectors(t, a)
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss, sim.ActPause, sim.ActIsolate, sim.ActSlowDisk, sim.ActClockDrift, sim.ActClockJump:
		if !a.HasTargets() {
			t.fail("nodes", "a %s action needs nodes = [...] or one of %s", a.Kind, strings.Join(selectorKeys, ", "))
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
