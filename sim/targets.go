package sim

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// An action's targets are resolved when it runs: the nodes it names
// (Nodes, and Names bound by earlier actions' As) and at most one
// selector - Leader, Follower, Random, LeaderAnd, ExceptLeader - all
// filtered by what the action can act on at that moment (a crash needs a
// node that is up, a restart one that is down). Whatever it names but
// cannot find is reported: counted in Stats.MissingTargets, listed in
// Result.Missing, visible in the action's trace line, and a failure
// (scenario/missing-target) when the action has Require. Random draws
// come from the scenario stream, so they move no other draw.

// NamePattern is the form of the names As binds.
var NamePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// MissingTarget records an action that found fewer targets than it names.
type MissingTarget struct {
	// Action is the action's index in the timeline.
	Action int
	Kind   ActionKind
	Time   time.Duration
	// Reason says what was missing: "no leader", "node 3 is down".
	Reason string
}

// targetKinds are the kinds whose targets are nodes.
func (k ActionKind) takesNodes() bool {
	switch k {
	case ActCrash, ActPowerLoss, ActRestart, ActPause, ActResume, ActIsolate,
		ActSlowDisk, ActClockDrift, ActClockJump, ActPropose, ActReconnect,
		ActAddVoter, ActAddLearner, ActPromote, ActRemove, ActReplace, ActTransferLeader, ActDiskFault:
		return true
	}
	return false
}

// allWhenUnnamed reports whether an action of kind k naming no node acts
// on every node it can (restart, resume).
func (k ActionKind) allWhenUnnamed() bool { return k == ActRestart || k == ActResume }

// HasTargets reports whether the action names or selects any node.
func (a *Action) HasTargets() bool {
	return len(a.Nodes) > 0 || len(a.Names) > 0 || a.selectors() > 0
}

// selectors counts the run-time selectors the action uses.
func (a *Action) selectors() int {
	n := 0
	for _, on := range []bool{a.Leader, a.Follower, a.Random > 0, a.LeaderAnd > 0, a.ExceptLeader} {
		if on {
			n++
		}
	}
	return n
}

func (a *Action) validateTargets(c *Config) error {
	dynamic := len(a.Names) > 0 || a.Follower || a.Random != 0 || a.LeaderAnd != 0 || a.ExceptLeader || a.Require
	if (dynamic || a.As != "" && a.Kind != ActWait && a.Kind != ActSleep) && !a.Kind.takesNodes() {
		return fmt.Errorf("nodes: a %s action takes no names, selectors, as or require", a.Kind)
	}
	if a.Kind != ActPartition && a.selectors() > 1 {
		return errors.New("leader: use at most one of leader, follower, random, leader_and and except_leader")
	}
	if len(a.Except)+len(a.ExceptNames) > 0 && (a.Leader || a.selectors() == 0) {
		return errors.New("except: only follower, random, leader_and and except_leader take except")
	}
	for _, id := range a.Except {
		if id < 1 || int(id) > c.Nodes {
			return fmt.Errorf("except: node %d is not in the cluster (1..%d)", id, c.Nodes)
		}
	}
	if a.Random < 0 || a.Random > c.Nodes {
		return fmt.Errorf("random: %d is outside [1, %d]", a.Random, c.Nodes)
	}
	if a.LeaderAnd < 0 || a.LeaderAnd >= c.Nodes {
		return fmt.Errorf("leader_and: %d is outside [1, %d]", a.LeaderAnd, c.Nodes-1)
	}
	for i, name := range a.Names {
		if !NamePattern.MatchString(name) {
			return fmt.Errorf("nodes: %q is not a name (lower-case letters, digits, '-' and '_')", name)
		}
		if slices.Contains(a.Names[:i], name) {
			return fmt.Errorf("nodes: %q is listed twice", name)
		}
	}
	if a.As != "" && !NamePattern.MatchString(a.As) {
		return fmt.Errorf("as: %q is not a name (lower-case letters, digits, '-' and '_')", a.As)
	}
	return nil
}

// validateNames checks that every name an action uses was bound by an
// earlier action's As.
func validateNames(timeline []Action) error {
	var bound []string
	for i := range timeline {
		a := &timeline[i]
		for _, name := range slices.Concat(a.Names, a.ExceptNames) {
			if !slices.Contains(bound, name) {
				return fmt.Errorf("timeline[%d] (%s at %v): nodes: %q is bound by no earlier action's as", i, a.Kind, a.At, name)
			}
		}
		if a.As != "" && !slices.Contains(bound, a.As) {
			bound = append(bound, a.As)
		}
	}
	return nil
}

// ineligible says why an action of kind k cannot act on n now, or "".
func (s *Simulator) ineligible(k ActionKind, n *node) string {
	if k.IsMembership() {
		return s.ineligibleMember(k, n.id)
	}
	switch k {
	case ActCrash, ActPowerLoss:
		if !n.up {
			return fmt.Sprintf("node %d is down", n.id)
		}
	case ActRestart:
		if n.up {
			return fmt.Sprintf("node %d is up", n.id)
		}
	case ActPause:
		if !n.up {
			return fmt.Sprintf("node %d is down", n.id)
		}
		if n.paused {
			return fmt.Sprintf("node %d is paused already", n.id)
		}
	case ActResume:
		if !n.paused {
			return fmt.Sprintf("node %d is not paused", n.id)
		}
	case ActIsolate:
		if s.isolated[n.pos] {
			return fmt.Sprintf("node %d is isolated already", n.id)
		}
	case ActReconnect:
		if !s.isolated[n.pos] {
			return fmt.Sprintf("node %d is not isolated", n.id)
		}
	case ActPropose:
		if !n.up {
			return fmt.Sprintf("node %d is down", n.id)
		}
		if n.paused {
			return fmt.Sprintf("node %d is paused", n.id)
		}
	}
	return ""
}

// resolve finds the targets of action i now: sorted, each one the action
// can act on. missing says what it named but could not find, or "".
func (s *Simulator) resolve(i int, a *Action) (nodes []raft.NodeID, missing string) {
	miss := func(reason string) {
		if missing == "" {
			missing = reason
		}
	}
	add := func(id raft.NodeID) {
		if why := s.ineligible(a.Kind, s.nodes[id-1]); why != "" {
			miss(why)
			return
		}
		if !slices.Contains(nodes, id) {
			nodes = append(nodes, id)
		}
	}
	if !a.HasTargets() && a.Kind.allWhenUnnamed() {
		for _, n := range s.nodes {
			if s.ineligible(a.Kind, n) == "" {
				nodes = append(nodes, n.id)
			}
		}
		return nodes, ""
	}
	for _, id := range a.Nodes {
		add(id)
	}
	for _, name := range a.Names {
		ids := s.bound[name]
		if len(ids) == 0 {
			miss(fmt.Sprintf("%s names no node", name))
		}
		for _, id := range ids {
			add(id)
		}
	}
	l := s.leader()
	except := s.excepted(a)
	// pool lists the nodes a selector may draw: eligible, not chosen yet,
	// not excepted, and (unless withLeader) not the leader.
	pool := func(withLeader bool) []raft.NodeID {
		var out []raft.NodeID
		for _, n := range s.nodes {
			if (withLeader || l == nil || n != l) && !slices.Contains(nodes, n.id) && !slices.Contains(except, n.id) && s.ineligible(a.Kind, n) == "" {
				out = append(out, n.id)
			}
		}
		return out
	}
	switch {
	case a.Leader && a.Kind != ActPartition:
		if l == nil {
			miss("no leader")
		} else {
			add(l.id)
		}
	case a.Follower:
		if l == nil {
			miss("no leader, so no follower")
			break
		}
		nodes = append(nodes, s.draw(pool(false), 1, miss)...)
	case a.Random > 0:
		nodes = append(nodes, s.draw(pool(true), a.Random, miss)...)
	case a.LeaderAnd > 0:
		if l == nil {
			miss("no leader")
			break
		}
		add(l.id)
		nodes = append(nodes, s.draw(pool(false), a.LeaderAnd, miss)...)
	case a.ExceptLeader:
		p := pool(false)
		if len(p) == 0 {
			miss("no node but the leader")
		}
		nodes = append(nodes, p...)
	}
	slices.Sort(nodes)
	return nodes, missing
}

// excepted resolves the nodes an action's selector must not pick.
func (s *Simulator) excepted(a *Action) []raft.NodeID {
	out := slices.Clone(a.Except)
	for _, name := range a.ExceptNames {
		out = append(out, s.bound[name]...)
	}
	return out
}

// draw picks k distinct nodes of pool from the scenario stream (a partial
// Fisher-Yates shuffle), reporting a pool smaller than k.
func (s *Simulator) draw(pool []raft.NodeID, k int, miss func(string)) []raft.NodeID {
	if len(pool) < k {
		miss(fmt.Sprintf("%d of %d nodes to pick", len(pool), k))
		k = len(pool)
	}
	for j := range k {
		r := j + s.scenarioRand.IntN(len(pool)-j)
		pool[j], pool[r] = pool[r], pool[j]
	}
	return pool[:k]
}

// bind binds name to nodes (the moment is now: the windows anchored to it
// are scheduled).
func (s *Simulator) bind(name string, nodes []raft.NodeID) {
	s.bound[name] = slices.Clone(nodes)
	s.anchorReached(name)
}

// reportMissing records that action i found fewer targets than it names.
func (s *Simulator) reportMissing(i int, a *Action, reason string) {
	s.stats.MissingTargets++
	s.missing = append(s.missing, MissingTarget{Action: i, Kind: a.Kind, Time: s.now.Duration(), Reason: reason})
	if a.Require {
		s.fail(Failure{Kind: FailureScenario, Name: "missing-target",
			Message: fmt.Sprintf("%s: %s", s.entryName(i), reason)})
	}
}
