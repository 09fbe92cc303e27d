package scenarios

import (
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// checkMembership checks what a membership action requires, naming the
// file's keys: targets; a replacement's with, one node per target and
// none of them; joint only for changes that can be joint; a transfer to
// one node.
func checkMembership(t *table, a *sim.Action) {
	if !a.HasTargets() {
		t.fail("nodes", "%s needs nodes = [...] or one of %s", entryName(a.Kind), "follower, random, leader, leader_and, except_leader")
		return
	}
	if a.Within < 0 {
		t.fail("within", "%v must be positive", a.Within)
	}
	switch a.Kind {
	case sim.ActReplace:
		if len(a.With) > 0 && len(a.Names) == 0 && !hasSelector(a) && len(a.With) != len(a.Nodes) {
			t.fail("with", "brings in %d nodes for %d replaced: name one per node", len(a.With), len(a.Nodes))
		}
		for _, id := range a.With {
			if slices.Contains(a.Nodes, id) {
				t.fail("with", "node %d is both replaced and brought in", id)
			}
		}
	case sim.ActTransferLeader:
		if n := len(a.Nodes) + len(a.Names) + a.Random; n > 1 || len(a.Nodes) > 0 && (a.Follower || a.Random > 0) {
			t.fail("nodes", "leadership goes to one node: name one, or use follower or random = 1")
		}
	}
	if a.Joint && (a.Kind == sim.ActPromote || a.Kind == sim.ActTransferLeader) {
		t.fail("joint", "a %s action makes no change that needs a joint configuration", a.Kind)
	}
}

// memberState follows the membership a timeline asks for, as far as it is
// certain before the run: a node no membership action has touched yet is
// a voter (1..voters) or a spare (the others). Changes are made at run
// time, and may fail, so once an action has touched a node nothing more
// is known about it.
type memberState struct {
	voters  int
	touched map[raft.NodeID]bool
	// uncertain is set once an action's targets are chosen at run time
	// (or a replacement's spares are drawn): any node may have changed.
	uncertain bool
}

// step checks membership action a against the initial configuration,
// for the nodes it is certain about.
func (ms *memberState) step(a *sim.Action, known []raft.NodeID, dynamic bool) (field, msg string) {
	initialVoter := func(id raft.NodeID) bool { return int(id) <= ms.voters }
	certain := func(id raft.NodeID) bool { return !ms.uncertain && !ms.touched[id] }
	for _, id := range known {
		if !certain(id) {
			continue
		}
		switch {
		case a.Kind == sim.ActAddVoter && initialVoter(id):
			return "nodes", fmt.Sprintf("node %d is a voter of the initial configuration (voters = %d): there is nothing to add", id, ms.voters)
		case (a.Kind == sim.ActRemove || a.Kind == sim.ActReplace) && !initialVoter(id):
			return "nodes", fmt.Sprintf("node %d is a spare (voters = %d): it is no member to remove", id, ms.voters)
		case a.Kind == sim.ActPromote:
			return "nodes", fmt.Sprintf("node %d is no learner: no earlier action adds it as one", id)
		case a.Kind == sim.ActTransferLeader && !initialVoter(id):
			return "nodes", fmt.Sprintf("node %d is a spare (voters = %d): it cannot lead", id, ms.voters)
		}
	}
	for _, id := range a.With {
		if certain(id) && initialVoter(id) {
			return "with", fmt.Sprintf("node %d is a voter of the initial configuration (voters = %d): bring in a spare", id, ms.voters)
		}
	}
	if a.Kind != sim.ActTransferLeader {
		for _, id := range append(slices.Clone(known), a.With...) {
			ms.touched[id] = true
		}
		if dynamic || a.Kind == sim.ActReplace && len(a.With) == 0 {
			ms.uncertain = true
		}
	}
	return "", ""
}

// hasSelector reports whether a chooses targets at run time.
func hasSelector(a *sim.Action) bool {
	return a.Leader || a.Follower || a.Random > 0 || a.LeaderAnd > 0 || a.ExceptLeader
}
