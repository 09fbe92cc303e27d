package raft

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyMembershipUnderAdversarialSchedules runs the adversarial
// schedules of TestPropertySafetyUnderAdversarialSchedules on a cluster
// whose membership changes under them: three voters and up to three
// spare nodes, with single-server changes, learners, promotions, joint
// replacements and leadership transfers proposed at whoever leads. The
// same safety properties must hold throughout.
func TestPropertyMembershipUnderAdversarialSchedules(t *testing.T) {
	runs, changed, joint, transferred := 0, 0, 0, 0
	defer func() {
		t.Logf("%d runs: %d committed a configuration change, %d a joint one, %d transferred leadership", runs, changed, joint, transferred)
		// rapid draws a new seed each run: the bounds sit far below the
		// usual shares (joint changes commit in 11-20 runs of 100, once
		// in 4) so that only schedules that stopped drawing them fail.
		if !t.Failed() && (changed*3 < runs || joint*50 < runs || transferred*20 < runs) {
			t.Errorf("schedules too weak: of %d runs, %d committed a change, %d a joint one, %d transferred leadership", runs, changed, joint, transferred)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		runs++
		size := rapid.IntRange(4, 6).Draw(t, "nodes")
		pc := &propertyCluster{t: t, leaders: map[Term]NodeID{}}
		if rapid.Bool().Draw(t, "compaction") {
			pc.snapEvery = rapid.IntRange(2, 8).Draw(t, "snapshot_every")
			pc.chunk = rapid.SampledFrom([]uint64{4096, 64, 8}).Draw(t, "snapshot_chunk")
		}
		for i := 1; i <= size; i++ {
			pc.ids = append(pc.ids, NodeID(i))
			pc.stores = append(pc.stores, NewMemoryStorage())
		}
		pc.voters = pc.ids[:3]
		pc.nodes = make([]*Node, size)
		pc.applied = make([][]Entry, size)
		for i := range size {
			pc.start(i)
		}
		leader := func() int {
			best := -1
			for j, n := range pc.nodes {
				if st := n.Status(); st.Role == RoleLeader && (best < 0 || st.Term > pc.nodes[best].Status().Term) {
					best = j
				}
			}
			return best
		}
		sawTransfer := false
		steps := rapid.IntRange(200, 800).Draw(t, "steps")
		for range steps {
			a := rapid.IntRange(0, 99).Draw(t, "action")
			switch {
			case a < 50:
				if len(pc.inflight) == 0 {
					continue
				}
				k := rapid.IntRange(0, len(pc.inflight)-1).Draw(t, "deliver")
				m := pc.inflight[k]
				if rapid.IntRange(0, 4).Draw(t, "dup") != 0 {
					pc.inflight = append(pc.inflight[:k], pc.inflight[k+1:]...)
				}
				if m.Type == MsgTimeoutNow {
					sawTransfer = true
				}
				i := pc.idx(m.To)
				if err := pc.nodes[i].Step(m); err != nil {
					t.Fatalf("step %v: %v", m, err)
				}
				pc.process(i)
			case a < 62:
				for i := range pc.nodes {
					pc.nodes[i].Tick()
					pc.process(i)
				}
			case a < 72:
				if i := leader(); i >= 0 {
					pc.proposals++
					if _, _, err := pc.nodes[i].Propose([]byte(fmt.Sprintf("c%d", pc.proposals))); err == nil {
						pc.process(i)
					}
				}
			case a < 82:
				i := leader()
				if i < 0 {
					continue
				}
				cc := drawConfChange(t, pc.nodes[i].Config(), pc.ids)
				if _, _, err := pc.nodes[i].ProposeConfChange(cc); err == nil {
					pc.process(i)
				}
			case a < 85:
				if i := leader(); i >= 0 {
					to := NodeID(rapid.IntRange(1, size).Draw(t, "transfer_to"))
					if pc.nodes[i].TransferLeadership(to) == nil {
						pc.process(i)
					}
				}
			case a < 92:
				i := rapid.IntRange(0, size-1).Draw(t, "tick")
				pc.nodes[i].Tick()
				pc.process(i)
			case a < 98:
				if len(pc.inflight) > 0 {
					k := rapid.IntRange(0, len(pc.inflight)-1).Draw(t, "drop")
					pc.inflight = append(pc.inflight[:k], pc.inflight[k+1:]...)
				}
			default:
				i := rapid.IntRange(0, size-1).Draw(t, "crash")
				pc.stores[i].DiscardUnsynced()
				pc.start(i)
				pc.process(i)
			}
		}
		didChange, didJoint := false, false
		for _, e := range pc.committed {
			if e.Type == EntryConfig {
				didChange = true
				if cs, _ := DecodeConfState(e.Data); cs.IsJoint() {
					didJoint = true
				}
			}
		}
		if didChange {
			changed++
		}
		if didJoint {
			joint++
		}
		if sawTransfer {
			transferred++
		}
	})
}

// drawConfChange draws a change that makes sense in cs, mostly.
func drawConfChange(t *rapid.T, cs ConfState, all []NodeID) ConfChange {
	if cs.IsJoint() {
		return ConfChange{}
	}
	pick := func(label string, from []NodeID) NodeID {
		if len(from) == 0 {
			return all[0]
		}
		return rapid.SampledFrom(from).Draw(t, label)
	}
	var spares []NodeID
	for _, id := range all {
		if !cs.IsMember(id) {
			spares = append(spares, id)
		}
	}
	switch rapid.IntRange(0, 5).Draw(t, "change") {
	case 0:
		return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: pick("add", spares)}}}
	case 1:
		return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddLearner, Node: pick("learner", spares)}}}
	case 2:
		return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: pick("promote", cs.Learners)}}}
	case 3:
		return ConfChange{Changes: []ConfChangeSingle{{Type: ConfRemove, Node: pick("remove", cs.Members())}}}
	case 4:
		return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddLearner, Node: pick("demote", cs.Voters)}}}
	}
	// Replace a voter through a joint configuration.
	out := pick("out", cs.Voters)
	in := pick("in", slices.DeleteFunc(slices.Clone(all), func(id NodeID) bool { return cs.IsVoter(id) }))
	return ConfChange{Changes: []ConfChangeSingle{{Type: ConfAddVoter, Node: in}, {Type: ConfRemove, Node: out}},
		ExplicitLeave: rapid.Bool().Draw(t, "explicit_leave")}
}
