package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
)

// actionKeys lists, per kind, the keys an entry may have besides its time
// (at or after) and its kind (action, wait or propose). Targets are
// targetKeys; restart and resume take only named or random nodes (or none,
// for all), because the leader is never a crashed node and a paused leader
// is rarely still the leader. A partition's "leader" moves the leader into
// its first group. New kinds add a row here, a case in decodeEntry's key
// loop if they bring new keys, and one in Encode.
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
	sim.ActLink:       append([]string{"from", "to", "messages", "outlive_heal"}, linkKeys...),
	sim.ActSlowDisk:   append(slices.Clone(targetKeys), "sync"),
	sim.ActClockDrift: append(slices.Clone(targetKeys), "drift_ppm"),
	sim.ActClockJump:  append(slices.Clone(targetKeys), "jump"),

	sim.ActCrashNewLeaders:   {"until", "within", "restart_after", "include_leader"},
	sim.ActIsolateNewLeaders: {"until", "within", "reconnect_after", "include_leader"},
	sim.ActCrashOnSnapshot:   {"until", "within", "restart_after", "power_loss", "sender"},
	sim.ActIsolateOnSnapshot: {"until", "within", "reconnect_after", "sender"},
	sim.ActReconnect:         targetKeys,
	sim.ActConnect:           {"from", "to"},

	sim.ActWait:    {"within", "on", "of", "as"},
	sim.ActPropose: append(slices.Clone(targetKeys), "retry"),
	sim.ActSleep:   {"as"},

	sim.ActAddVoter:       append(slices.Clone(targetKeys), "joint", "within"),
	sim.ActAddLearner:     append(slices.Clone(targetKeys), "joint", "within"),
	sim.ActPromote:        append(slices.Clone(targetKeys), "within"),
	sim.ActRemove:         append(slices.Clone(targetKeys), "joint", "within"),
	sim.ActReplace:        append(slices.Clone(targetKeys), "with", "joint", "within"),
	sim.ActTransferLeader: {"nodes", "follower", "random", "as", "require", "within"},

	sim.ActDiskFault: append(slices.Clone(targetKeys), "fault", "until"),
}

// commonKeys are the keys every entry may have besides its kind's:
// its time, and whether it runs.
var commonKeys = []string{"at", "after", "chance", "when", "label"}

// entryKindKeys are the keys that say what an entry is; it has one.
var entryKindKeys = []string{"action", "wait", "propose", "sleep"}

// allActionKeys is every key any entry may have.
var allActionKeys = func() map[string]bool {
	all := map[string]bool{"at": true, "after": true, "action": true, "wait": true, "propose": true, "sleep": true, "chance": true, "when": true, "label": true}
	for _, keys := range actionKeys {
		for _, k := range keys {
			all[k] = true
		}
	}
	return all
}()

// kindNames lists the values of action = "...".
func kindNames() string {
	var names []string
	for _, k := range sim.ActionKinds() {
		if k != sim.ActWait && k != sim.ActPropose && k != sim.ActSleep {
			names = append(names, k.String())
		}
	}
	return strings.Join(names, ", ")
}

// clockState follows the timeline's time as decoding goes: the earliest
// time the previous entry can have ended, and whether that time is known
// before the run (no wait or drawn delay so far).
type clockState struct {
	prev time.Duration
	// relative names the first entry whose end is known only at run time
	// (a wait, or a drawn delay), or is -1.
	relative int
}

// decodeTime reads at or after into a. A fixed delay after an entry whose
// time is known becomes a fixed time; after a wait or a drawn delay the
// entry follows the previous one at run time.
func decodeTime(t *table, cfg *sim.Config, clk *clockState, i int, a *sim.Action) bool {
	hasAt, hasAfter := t.has("at"), t.has("after")
	if a.Kind == sim.ActCrashNewLeaders && hasAt && hasAfter && !t.has("within") {
		// Files written before entries had relative times spell the
		// nemesis's delay "after".
		t.duration("after", &a.After)
		hasAfter = false
	}
	switch {
	case hasAt && hasAfter:
		t.get("after")
		t.fail("after", "an entry has a time (at) or a delay after the previous entry (after), not both")
		return false
	case !hasAt && !hasAfter:
		t.fail("at", `missing: every entry needs a time (at = "1s") or a delay after the previous one (after = "500ms")`)
		return false
	case hasAt:
		t.duration("at", &a.At)
		if !t.d.ok() {
			return false
		}
		if clk.relative >= 0 {
			t.fail("at", "the time of timeline[%d] is known only at run time (a wait, or a drawn delay): use after = ... from here on", clk.relative)
			return false
		}
		if a.At < clk.prev {
			t.fail("at", "%v is before the previous action's %v: keep the timeline in time order", a.At, clk.prev)
			return false
		}
	default:
		single, ok := t.durationRange("after", &a.DelayMin, &a.DelayMax)
		if !ok {
			return false
		}
		a.At = clk.prev + a.DelayMin
		a.Follows = clk.relative >= 0 || !single
		if a.Follows && clk.relative < 0 {
			clk.relative = i
		}
		if !a.Follows {
			a.DelayMin, a.DelayMax = 0, 0
		}
	}
	if a.At >= cfg.Duration {
		key := "at"
		if hasAfter {
			key = "after"
		}
		t.fail(key, "%v is not before the end of the fault phase (duration = %v): the healing phase clears every fault", a.At, cfg.Duration)
		return false
	}
	clk.prev = a.At
	if a.Kind == sim.ActWait && clk.relative < 0 {
		clk.relative = i
	}
	return true
}

// decodeKind reads which of action, wait and propose the entry is.
func decodeKind(t *table, cfg *sim.Config, a *sim.Action) bool {
	var present []string
	for _, k := range entryKindKeys {
		if t.has(k) {
			present = append(present, k)
		}
	}
	switch len(present) {
	case 0:
		t.fail("action", `missing: an entry is an action (one of %s), a wait = "leader" or "commit", a propose = N or a sleep = "0ms..500ms"`, kindNames())
		return false
	case 1:
	default:
		t.get(present[1])
		t.fail(present[1], "an entry is one of an action, a wait, a propose and a sleep; this one has %s already", present[0])
		return false
	}
	switch present[0] {
	case "action":
		var name string
		if !t.str("action", &name) {
			return false
		}
		kind, ok := sim.ParseActionKind(name)
		if !ok || kind == sim.ActWait || kind == sim.ActPropose || kind == sim.ActSleep {
			t.fail("action", "%q is not an action: one of %s (waits, proposals and sleeps are wait = ..., propose = N and sleep = ...)", name, kindNames())
			return false
		}
		a.Kind = kind
	case "wait":
		a.Kind = sim.ActWait
		var name string
		if !t.str("wait", &name) {
			return false
		}
		switch name {
		case sim.WaitLeader.String():
			a.Wait = sim.WaitLeader
		case sim.WaitCommit.String():
			a.Wait = sim.WaitCommit
		case sim.WaitMembership.String():
			a.Wait = sim.WaitMembership
		default:
			t.fail("wait", `%q is not a state to wait for: "leader", "commit" or "membership"`, name)
			return false
		}
	case "propose":
		a.Kind = sim.ActPropose
		t.intField("propose", 1, 10_000, &a.Count)
	case "sleep":
		a.Kind = sim.ActSleep
		t.durationRange("sleep", &a.SleepMin, &a.SleepMax)
	}
	return t.d.ok()
}

func decodeEntry(t *table, cfg *sim.Config, clk *clockState, i int) (sim.Action, bool) {
	var a sim.Action
	if !decodeKind(t, cfg, &a) || !decodeTime(t, cfg, clk, i, &a) {
		return a, false
	}
	kind := a.Kind
	allowed := actionKeys[kind]
	if t.has("chance") {
		t.ratio("chance", &a.Chance)
	}
	if t.str("label", &a.Label) && (len(a.Label) > 200 || strings.ContainsAny(a.Label, "\n\r\t")) {
		t.fail("label", "a label is one line of at most 200 characters")
	}
	if c, ok := t.text("when", `a condition such as "up < 3"`); ok {
		cond, err := sim.ParseCondition(c)
		if err != nil {
			t.fail("when", "%v", err)
		}
		a.When = cond
	}
	for _, k := range sortedKeys(t.m) {
		if allActionKeys[k] && !slices.Contains(allowed, k) && !t.used[k] && !slices.Contains(commonKeys, k) && !slices.Contains(entryKindKeys, k) {
			t.fail(k, "%s takes no %s (it takes %s)", entryName(kind), k, keyList(allowed))
			return a, false
		}
	}
	for _, k := range allowed {
		switch k {
		case "nodes", "leader", "follower", "random", "leader_and", "except_leader", "except", "as", "require":
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
		case "within":
			if withinIsAfter(kind) {
				t.duration("within", &a.After)
			} else {
				t.duration("within", &a.Within)
			}
		case "restart_after", "reconnect_after":
			if single, ok := t.durationRange(k, &a.RestartAfter, &a.RestartAfterMax); ok && single {
				a.RestartAfterMax = 0
			}
		case "include_leader":
			t.boolean("include_leader", &a.IncludeLeader)
		case "power_loss":
			t.boolean("power_loss", &a.PowerLoss)
		case "sender":
			t.boolean("sender", &a.Sender)
		case "fault":
			decodeDiskFault(t, &a)
		case "with":
			a.With = decodeNodes(t, "with", cfg.Nodes)
		case "joint":
			t.boolean("joint", &a.Joint)
		case "on":
			decodeOn(t, cfg.Nodes, &a)
		case "retry":
			t.boolean("retry", &a.Retry)
		case "of":
			decodeOf(t, &a)
		case "messages":
			decodeMessages(t, &a)
		case "outlive_heal":
			t.boolean("outlive_heal", &a.OutliveHeal)
		}
	}
	if kind == sim.ActLink {
		if (a.Messages != sim.MessagesAll || len(a.MsgTypes) > 0) && t.has("bandwidth") {
			t.get("bandwidth")
			t.fail("bandwidth", "a bandwidth is the link's, for every message: set it in a link action without messages")
			return a, false
		}
		a.Link = decodeLink(t, linkBase(cfg, &a))
	}
	t.finish()
	if !t.d.ok() {
		return a, false
	}
	return a, checkAction(t, &a)
}

// withinIsAfter reports whether a kind's "within" is the nemesis delay
// Action.After (rather than a wait's Within).
func withinIsAfter(k sim.ActionKind) bool {
	return k == sim.ActCrashNewLeaders || k == sim.ActCrashOnSnapshot || k == sim.ActIsolateOnSnapshot
}

// entryName names an entry's kind in messages: "a crash action", "a wait".
func entryName(k sim.ActionKind) string {
	switch k {
	case sim.ActWait:
		return "a wait"
	case sim.ActPropose:
		return "a propose entry"
	case sim.ActSleep:
		return "a sleep"
	}
	return "a " + k.String() + " action"
}

// decodeOf reads of = "latest" (the latest burst) or "all" (every
// proposal so far still in play) for a commit wait.
func decodeOf(t *table, a *sim.Action) {
	var of string
	if !t.str("of", &of) {
		return
	}
	switch {
	case a.Wait != sim.WaitCommit:
		t.fail("of", "only a commit wait takes of")
	case of == "all":
		a.AllProposals = true
	case of != "latest":
		t.fail("of", `%q is not "latest" (the latest proposal burst) or "all" (every proposal so far)`, of)
	}
}

// decodeOn reads on = "majority", "all" or a count of nodes.
func decodeOn(t *table, nodes int, a *sim.Action) { decodeOnKey(t, "on", nodes, a) }

func decodeOnKey(t *table, key string, nodes int, a *sim.Action) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	if a.Wait != sim.WaitCommit {
		t.fail(key, "only a commit wait takes on")
		return
	}
	switch v := v.(type) {
	case string:
		switch v {
		case "majority":
			a.On = sim.OnMajority
		case "all":
			a.On = sim.OnAll
		default:
			t.fail(key, `%q is not "majority", "all" or a number of nodes`, v)
		}
	case int64:
		if v < 1 || v > int64(nodes) {
			t.fail(key, "%d is outside [1, %d]", v, nodes)
			return
		}
		a.On = int(v)
	default:
		t.wrongType(key, v, `"majority", "all" or a number of nodes`)
	}
}

// checkAction checks what each kind requires, naming the file's keys.
func checkAction(t *table, a *sim.Action) bool {
	checkSelectors(t, a)
	switch a.Kind {
	case sim.ActCrash, sim.ActPowerLoss, sim.ActPause, sim.ActIsolate, sim.ActSlowDisk, sim.ActClockDrift, sim.ActClockJump, sim.ActPropose, sim.ActDiskFault:
		if a.Kind == sim.ActDiskFault && !t.has("fault") {
			t.fail("action", "a disk_fault action needs fault = %q, one of %s", "bit_flip", diskFaultNames())
		}
		if !a.HasTargets() {
			t.fail("nodes", "%s needs nodes = [...] or one of %s", entryName(a.Kind), strings.Join(selectorKeys, ", "))
		}
	case sim.ActWait:
		if !t.has("within") {
			t.fail("wait", `a wait needs within = "2s": how long it may take before the run fails`)
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
	case sim.ActReconnect:
		if !a.HasTargets() {
			t.fail("nodes", "a reconnect action needs nodes = [...] or one of %s", strings.Join(selectorKeys, ", "))
		}
	case sim.ActAddVoter, sim.ActAddLearner, sim.ActPromote, sim.ActRemove, sim.ActReplace, sim.ActTransferLeader:
		checkMembership(t, a)
	case sim.ActCrashNewLeaders, sim.ActIsolateNewLeaders, sim.ActCrashOnSnapshot, sim.ActIsolateOnSnapshot:
		back := "restart_after"
		if a.Kind == sim.ActIsolateNewLeaders || a.Kind == sim.ActIsolateOnSnapshot {
			back = "reconnect_after"
		}
		if !t.has(back) {
			t.fail("action", "a %s action needs %s: how long its victims stay away", a.Kind, back)
		}
	case sim.ActCutOneWay, sim.ActClog, sim.ActUnclog, sim.ActConnect:
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
