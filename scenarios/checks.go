package scenarios

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftsim/raftsim/sim"
)

// [[check]] blocks: assertions over windows of the run (sim.Check). A
// block names its kind by one key - no_commit, no_leader, one_leader,
// term_stable (each = true), leader_within, progress_within (= "2s"),
// applied_on (= "all", "majority" or a count), max_messages (= 30) - and
// its window by from and until (times, or names bound by timeline
// entries' as, with an offset: "old_leader+500ms").

// checkKeys lists, per kind, the keys a block may have besides its kind
// key and name.
var checkKeys = map[sim.CheckKind][]string{
	sim.CheckNoCommit:       {"from", "until", "nodes"},
	sim.CheckNoLeader:       {"from", "until", "nodes", "connected"},
	sim.CheckOneLeader:      {"from", "until", "nodes", "connected"},
	sim.CheckLeaderWithin:   {"from", "nodes"},
	sim.CheckTermStable:     {"from", "until", "nodes"},
	sim.CheckAppliedOn:      {"from", "until"},
	sim.CheckProgressWithin: {"from"},
	sim.CheckMaxMessages:    {"from", "until", "messages"},
}

func checkKindKeys() []string {
	var out []string
	for _, k := range sim.CheckKinds() {
		out = append(out, k.String())
	}
	return out
}

func decodeChecks(root *table, cfg *sim.Config) []sim.Check {
	blocks := root.tables("check")
	var out []sim.Check
	for _, t := range blocks {
		c, ok := decodeCheck(t, cfg)
		if !ok {
			return nil
		}
		out = append(out, c)
	}
	return out
}

func decodeCheck(t *table, cfg *sim.Config) (sim.Check, bool) {
	var c sim.Check
	var present []string
	for _, k := range checkKindKeys() {
		if t.has(k) {
			present = append(present, k)
		}
	}
	switch len(present) {
	case 0:
		t.d.fail(t.path, "a check needs its kind: one of %s", strings.Join(checkKindKeys(), ", "))
		return c, false
	case 1:
	default:
		t.get(present[1])
		t.fail(present[1], "a check has one kind; this one is %s already", present[0])
		return c, false
	}
	for _, k := range sim.CheckKinds() {
		if k.String() == present[0] {
			c.Kind = k
		}
	}
	if !decodeCheckKind(t, cfg, &c) {
		return c, false
	}
	if t.str("name", &c.Name) && !failureNamePattern.MatchString(c.Name) {
		t.fail("name", "%q is not a failure name: lower-case letters, digits and '-'", c.Name)
	}
	allowed := checkKeys[c.Kind]
	for _, k := range sortedKeys(t.m) {
		if isCheckKey(k) && !slices.Contains(allowed, k) {
			t.fail(k, "a %s check takes no %s (it takes %s)", c.Kind, k, keyList(allowed))
			return c, false
		}
	}
	for _, k := range allowed {
		switch k {
		case "from":
			decodeAnchor(t, "from", &c.From)
		case "until":
			decodeAnchor(t, "until", &c.Until)
		case "nodes":
			c.Nodes, c.Names = decodeTargetNodes(t, cfg.Nodes)
		case "connected":
			t.boolean("connected", &c.Connected)
		case "messages":
			var m string
			if t.str("messages", &m) {
				switch m {
				case sim.MessagesAll.String():
					c.Messages = sim.MessagesAll
				case sim.MessagesRequests.String():
					c.Messages = sim.MessagesRequests
				case sim.MessagesResponses.String():
					c.Messages = sim.MessagesResponses
				default:
					t.fail("messages", `%q is not "all", "requests" or "responses"`, m)
				}
			}
		}
	}
	t.finish()
	return c, t.d.ok()
}

// isCheckKey reports whether k is a key some check takes.
func isCheckKey(k string) bool {
	for _, keys := range checkKeys {
		if slices.Contains(keys, k) {
			return true
		}
	}
	return false
}

// decodeCheckKind reads the kind key's value.
func decodeCheckKind(t *table, cfg *sim.Config, c *sim.Check) bool {
	key := c.Kind.String()
	switch c.Kind {
	case sim.CheckNoCommit, sim.CheckNoLeader, sim.CheckOneLeader, sim.CheckTermStable:
		on := false
		t.boolean(key, &on)
		if t.d.ok() && !on {
			t.fail(key, "%s = false asserts nothing: leave the check out", key)
		}
	case sim.CheckLeaderWithin, sim.CheckProgressWithin:
		t.duration(key, &c.Within)
		if t.d.ok() && c.Within <= 0 {
			t.fail(key, "%v must be positive", c.Within)
		}
	case sim.CheckAppliedOn:
		a := sim.Action{Wait: sim.WaitCommit}
		decodeOnKey(t, key, cfg.Nodes, &a)
		c.On = a.On
	case sim.CheckMaxMessages:
		var n int64
		if t.integer(key, 0, 1<<40, &n) {
			c.Max = uint64(n)
		}
	}
	return t.d.ok()
}

// decodeAnchor reads a moment: "1s" from the start of the run, or
// "old_leader" / "old_leader+500ms" from the moment a timeline entry bound
// that name.
func decodeAnchor(t *table, key string, dst *sim.Anchor) {
	s, ok := t.text(key, `a time such as "1s", or a name bound by as such as "old_leader+500ms"`)
	if !ok {
		return
	}
	if d, err := parseDuration(s, false); err == nil {
		*dst = sim.Anchor{Offset: d}
		return
	}
	name, offset, hasOffset := strings.Cut(s, "+")
	var d time.Duration
	if hasOffset {
		var err error
		if d, err = parseDuration(offset, false); err != nil {
			t.fail(key, "%q: the offset %v", s, err)
			return
		}
	}
	name = strings.TrimSpace(name)
	if !sim.NamePattern.MatchString(name) {
		t.fail(key, `%q is not a time such as "1s", nor a name bound by as with an offset such as "old_leader+500ms"`, s)
		return
	}
	*dst = sim.Anchor{Name: name, Offset: d}
}

// formatAnchor writes what decodeAnchor reads.
func formatAnchor(a sim.Anchor) string {
	switch {
	case a.Name == "":
		return formatDuration(a.Offset)
	case a.Offset == 0:
		return a.Name
	}
	return a.Name + "+" + formatDuration(a.Offset)
}

func (e *encoder) check(c *sim.Check) {
	e.b.WriteString("\n[[check]]\n")
	key := c.Kind.String()
	switch c.Kind {
	case sim.CheckLeaderWithin, sim.CheckProgressWithin:
		e.kv(key, quote(formatDuration(c.Within)))
	case sim.CheckAppliedOn:
		e.kv(key, onValue(c.On))
	case sim.CheckMaxMessages:
		e.kv(key, strconv.FormatUint(c.Max, 10))
	default:
		e.kv(key, "true")
	}
	if c.Name != "" {
		e.kv("name", quote(c.Name))
	}
	for _, k := range checkKeys[c.Kind] {
		switch k {
		case "from":
			if !c.From.IsZero() {
				e.kv("from", quote(formatAnchor(c.From)))
			}
		case "until":
			if !c.Until.IsZero() {
				e.kv("until", quote(formatAnchor(c.Until)))
			}
		case "nodes":
			if len(c.Nodes)+len(c.Names) > 0 {
				e.kv("nodes", targetList(c.Nodes, c.Names))
			}
		case "connected":
			if c.Connected {
				e.kv("connected", "true")
			}
		case "messages":
			if c.Messages != sim.MessagesAll {
				e.kv("messages", quote(c.Messages.String()))
			}
		}
	}
}

// onValue writes a count of nodes: "majority", "all" or a number.
func onValue(on int) string {
	switch on {
	case sim.OnMajority:
		return quote("majority")
	case sim.OnAll:
		return quote("all")
	}
	return strconv.Itoa(on)
}
