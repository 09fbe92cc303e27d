package sim

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// Checks are assertions a scenario states over windows of its run,
// evaluated online as the run goes (windows.go). Each that does not hold
// is a failure of kind "check" with the check's own name, found at the
// moment it breaks (or, for those that must happen within a time, when
// that time is up); the run goes on.

// CheckKind names what a check asserts over its window.
type CheckKind uint8

const (
	// CheckNoCommit: no node of the set reports a commit index above the
	// highest any of them had when the window opened.
	CheckNoCommit CheckKind = iota + 1
	// CheckNoLeader: no node of the set is leader at any moment.
	CheckNoLeader
	// CheckOneLeader: at most one node of the set is leader at any
	// moment, and one is when the window closes.
	CheckOneLeader
	// CheckLeaderWithin: within Within of the window's start, a leader
	// that reaches a majority both ways (as wait = "leader" has it) is a
	// node of the set.
	CheckLeaderWithin
	// CheckTermStable: no node of the set moves to a higher term.
	CheckTermStable
	// CheckAppliedOn: by the window's end, the entries committed when it
	// opened are applied on On nodes (OnAll: every node up).
	CheckAppliedOn
	// CheckProgressWithin: within Within of the window's start, an
	// operation invoked after it (a client's or a proposal) completes OK.
	CheckProgressWithin
	// CheckMaxMessages: the nodes send at most Max messages of the class
	// Messages in the window.
	CheckMaxMessages
	checkKindLimit
)

var checkKindNames = [...]string{
	CheckNoCommit: "no_commit", CheckNoLeader: "no_leader", CheckOneLeader: "one_leader",
	CheckLeaderWithin: "leader_within", CheckTermStable: "term_stable", CheckAppliedOn: "applied_on",
	CheckProgressWithin: "progress_within", CheckMaxMessages: "max_messages",
}

// String is the kind's key in a scenario file: "no_commit".
func (k CheckKind) String() string {
	if k > 0 && k < checkKindLimit {
		return checkKindNames[k]
	}
	return fmt.Sprintf("CheckKind(%d)", uint8(k))
}

// DefaultName is the failure name of a check that names none: the kind
// with dashes, "no-commit".
func (k CheckKind) DefaultName() string {
	b := []byte(k.String())
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// CheckKinds lists every kind.
func CheckKinds() []CheckKind {
	var out []CheckKind
	for k := CheckNoCommit; k < checkKindLimit; k++ {
		out = append(out, k)
	}
	return out
}

// timed reports whether the kind's window is [From, From+Within].
func (k CheckKind) timed() bool { return k == CheckLeaderWithin || k == CheckProgressWithin }

// MessageClass selects the messages a CheckMaxMessages counts.
type MessageClass uint8

const (
	// MessagesAll counts every message between nodes.
	MessagesAll MessageClass = iota
	// MessagesRequests counts requests (votes, appends, heartbeats): the
	// RPCs a test harness counts.
	MessagesRequests
	// MessagesResponses counts responses.
	MessagesResponses
)

func (c MessageClass) String() string {
	switch c {
	case MessagesRequests:
		return "requests"
	case MessagesResponses:
		return "responses"
	}
	return "all"
}

func (c MessageClass) counts(t raft.MessageType) bool {
	switch c {
	case MessagesRequests:
		return !t.IsResponse()
	case MessagesResponses:
		return t.IsResponse()
	}
	return true
}

// Anchor is a moment of the run: Offset after the start, or after the
// timeline entry that bound Name (with As) ran - or, for a wait, ended.
type Anchor struct {
	Name   string
	Offset time.Duration
}

// IsZero reports whether a is the start of the run.
func (a Anchor) IsZero() bool { return a.Name == "" && a.Offset == 0 }

func (a Anchor) String() string {
	switch {
	case a.Name == "":
		return a.Offset.String()
	case a.Offset == 0:
		return a.Name
	}
	return a.Name + "+" + a.Offset.String()
}

// Check is one assertion over a window of the run.
type Check struct {
	// Name is the failure's name; empty means Kind.DefaultName().
	Name string
	Kind CheckKind
	// From opens the window. Until closes it; the zero Anchor means the
	// end of the fault phase. Timed kinds (leader_within,
	// progress_within) close at From + Within instead.
	From, Until Anchor
	Within      time.Duration
	// Nodes and Names (bound by timeline entries) are the nodes the check
	// watches, resolved when the window opens; none means every node.
	Nodes []raft.NodeID
	Names []string
	// Connected leaves out, at each moment, the nodes an isolation cut
	// off (no_leader, one_leader): what a test harness calls connected.
	Connected bool
	// On is how many nodes must have applied (applied_on): OnMajority,
	// OnAll or a count.
	On int
	// Max and Messages bound max_messages.
	Max      uint64
	Messages MessageClass
}

// FailureName is the name the check's failures carry.
func (c *Check) FailureName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Kind.DefaultName()
}

// checkNamePattern is the form of failure names (scenarios' expect).
var checkNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// maxChecks bounds a configuration's checks.
const maxChecks = 1000

func (cfg *Config) validateChecks() error {
	if len(cfg.Checks) > maxChecks {
		return fmt.Errorf("checks: %d checks, at most %d", len(cfg.Checks), maxChecks)
	}
	bound := map[string]int{}
	for i := range cfg.Timeline {
		if as := cfg.Timeline[i].As; as != "" {
			bound[as]++
		}
	}
	names := map[string]int{}
	for i := range cfg.Checks {
		c := &cfg.Checks[i]
		if err := c.validate(cfg, bound); err != nil {
			return fmt.Errorf("checks[%d] (%s): %w", i, c.Kind, err)
		}
		if j, dup := names[c.FailureName()]; dup {
			return fmt.Errorf("checks[%d] (%s): name: %q is also the name of checks[%d]; give one a name", i, c.Kind, c.FailureName(), j)
		}
		names[c.FailureName()] = i
	}
	return nil
}

func (c *Check) validate(cfg *Config, bound map[string]int) error {
	if c.Kind == 0 || c.Kind >= checkKindLimit {
		return fmt.Errorf("kind: %d is not a check", c.Kind)
	}
	if c.Name != "" && !checkNamePattern.MatchString(c.Name) {
		return fmt.Errorf("name: %q is not a failure name (lower-case letters, digits and '-')", c.Name)
	}
	end := cfg.Duration + cfg.HealDuration
	anchor := func(field string, a Anchor) error {
		if a.Offset < 0 {
			return fmt.Errorf("%s: %v is negative", field, a.Offset)
		}
		if a.Offset > end {
			// Also after a named moment, which the run holds.
			return fmt.Errorf("%s: %v is after the end of the run (%v)", field, a.Offset, end)
		}
		if a.Name == "" {
			return nil
		}
		switch bound[a.Name] {
		case 0:
			return fmt.Errorf("%s: %q is bound by no timeline entry's as", field, a.Name)
		case 1:
			return nil
		}
		return fmt.Errorf("%s: %q is bound by %d timeline entries: a window needs one moment", field, a.Name, bound[a.Name])
	}
	if err := anchor("from", c.From); err != nil {
		return err
	}
	if c.Kind.timed() {
		if c.Within <= 0 {
			return fmt.Errorf("%s: %v must be positive", c.Kind, c.Within)
		}
		if !c.Until.IsZero() {
			return errors.New("until: a timed check's window ends after its within")
		}
	} else if err := anchor("until", c.Until); err != nil {
		return err
	}
	if c.From.Name == "" && c.Until.Name == "" && !c.Kind.timed() {
		until := c.Until.Offset
		if c.Until.IsZero() {
			until = cfg.Duration // the end of the fault phase
		}
		if until <= c.From.Offset {
			return fmt.Errorf("until: %v is not after from (%v)", until, c.From.Offset)
		}
	}
	for _, id := range c.Nodes {
		if id < 1 || int(id) > cfg.Nodes {
			return fmt.Errorf("nodes: node %d is not in the cluster (1..%d)", id, cfg.Nodes)
		}
	}
	for _, name := range c.Names {
		if bound[name] == 0 {
			return fmt.Errorf("nodes: %q is bound by no timeline entry's as", name)
		}
	}
	if c.Connected && c.Kind != CheckNoLeader && c.Kind != CheckOneLeader {
		return errors.New("connected: only no_leader and one_leader take connected")
	}
	if c.Kind == CheckAppliedOn && (c.On < OnAll || c.On > cfg.Nodes) {
		return fmt.Errorf("applied_on: %d is not majority, all or a count of nodes in [1, %d]", c.On, cfg.Nodes)
	}
	if c.Messages > MessagesResponses {
		return fmt.Errorf("messages: %d is not a class of messages", c.Messages)
	}
	return nil
}

// watches reports whether the check's node set holds id; nodes is the
// set resolved when the window opened (nil: every node).
func watches(nodes []raft.NodeID, id raft.NodeID) bool {
	return nodes == nil || slices.Contains(nodes, id)
}
