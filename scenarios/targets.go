package scenarios

import (
	"slices"
	"strings"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

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

// targetKeys are the keys that choose the nodes of a crash, a pause, an
// isolation...: named nodes, at most one selector resolved at run time,
// a name to bind them to, and whether a missing target fails the run.
var targetKeys = []string{"nodes", "leader", "follower", "random", "leader_and", "except_leader", "except", "as", "require"}

// wakeKeys are those of restart and resume, which act on nodes that are
// down or paused: never the leader.
var wakeKeys = []string{"nodes", "random", "except", "as", "require"}

// selectorKeys are the run-time selectors; an action uses at most one.
var selectorKeys = []string{"leader", "follower", "random", "leader_and", "except_leader"}

// decodeTarget reads one of the target keys into a.
func decodeTarget(t *table, key string, nodes int, a *sim.Action) {
	switch key {
	case "nodes":
		a.Nodes, a.Names = decodeTargetNodes(t, nodes)
	case "leader":
		t.boolean("leader", &a.Leader)
	case "follower":
		t.boolean("follower", &a.Follower)
	case "random":
		t.intField("random", 1, int64(nodes), &a.Random)
	case "leader_and":
		t.intField("leader_and", 1, int64(nodes-1), &a.LeaderAnd)
	case "except_leader":
		t.boolean("except_leader", &a.ExceptLeader)
	case "as":
		if t.str("as", &a.As) && !sim.NamePattern.MatchString(a.As) {
			t.fail("as", "%q is not a name: lower-case letters, digits, '-' and '_', starting with a letter", a.As)
		}
	case "require":
		t.boolean("require", &a.Require)
	case "except":
		a.Except, a.ExceptNames = decodeTargetNodesKey(t, "except", nodes)
	}
}

// checkSelectors rejects a second run-time selector, naming it.
func checkSelectors(t *table, a *sim.Action) {
	if a.Kind == sim.ActPartition {
		return
	}
	if t.has("except") && (a.Leader || !a.Follower && a.Random == 0 && a.LeaderAnd == 0 && !a.ExceptLeader) {
		t.fail("except", "except narrows a follower, random, leader_and or except_leader draw; this action has none")
		return
	}
	on := map[string]bool{"leader": a.Leader, "follower": a.Follower, "random": a.Random > 0,
		"leader_and": a.LeaderAnd > 0, "except_leader": a.ExceptLeader}
	first := ""
	for _, k := range selectorKeys {
		if !on[k] {
			continue
		}
		if first != "" {
			t.fail(k, "an action uses at most one of %s; this one has %s already", strings.Join(selectorKeys, ", "), first)
			return
		}
		first = k
	}
}

// decodeTargetNodes reads nodes = [1, "old_leader"]: node IDs, and names
// bound by earlier actions' as.
func decodeTargetNodes(t *table, nodes int) ([]raft.NodeID, []string) {
	return decodeTargetNodesKey(t, "nodes", nodes)
}

func decodeTargetNodesKey(t *table, key string, nodes int) ([]raft.NodeID, []string) {
	v, ok := t.get(key)
	if !ok {
		return nil, nil
	}
	list, isList := v.([]any)
	if !isList {
		t.wrongType(key, v, `a list of node IDs and names such as [1, "old_leader"]`)
		return nil, nil
	}
	var ids []any
	var names []string
	for i, e := range list {
		path := indexPath(t.field(key), i)
		name, isName := e.(string)
		if !isName {
			ids = append(ids, e)
			continue
		}
		if !sim.NamePattern.MatchString(name) {
			t.d.fail(path, "%q is not a name bound by as: lower-case letters, digits, '-' and '_'", name)
			return nil, nil
		}
		if slices.Contains(names, name) {
			t.d.fail(path, "%q is listed twice", name)
			return nil, nil
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return decodeNodeList(t.d, t.field(key), v, nodes), nil
	}
	// Decode the IDs alone, then map their errors' indexes back.
	sub := &decoder{file: t.d.file, pos: t.d.pos}
	out := decodeNodeList(sub, t.field(key), ids, nodes)
	if sub.err != nil {
		t.d.fail(t.field(key), "%s", sub.err.Msg)
		return nil, nil
	}
	return out, names
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
