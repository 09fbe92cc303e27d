package scenarios

import (
	"math/rand/v2"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// generatorOverlapStream is the PCG stream of the overlapping changes,
// apart from the generator's other streams: everything else a seed draws
// stays as it was.
const generatorOverlapStream = 0x6f766c70 // "ovlp"

// overlapLabel labels the actions overlappingChange adds.
const overlapLabel = "overlapping_change"

// overlappingChange draws, in a third of the scenarios that churn, one
// more spare and a change that adds it as a learner 1-3 ms after another
// configuration change of the timeline starts: while that change is in
// flight, most of the time. The simulator proposes it at once, as an
// administrator's tool would, so the leader's refusal of a second change
// in flight (§6) is what keeps the cluster to one change at a time. The
// spare goes into a random group of every partition and bridge of the
// timeline. It reports whether it added the change.
func overlappingChange(seed uint64, cfg *sim.Config) bool {
	if cfg.Voters == 0 || cfg.Nodes >= maxGeneratedNodes {
		return false
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, generatorOverlapStream))}
	if !g.chance(1, 3) {
		return false
	}
	var starts []time.Duration
	for _, a := range cfg.Timeline {
		switch a.Kind {
		case sim.ActAddVoter, sim.ActAddLearner, sim.ActPromote, sim.ActRemove, sim.ActReplace:
			starts = append(starts, a.At)
		}
	}
	if len(starts) == 0 {
		return false
	}
	at := starts[g.rng.IntN(len(starts))] + g.ms(time.Millisecond, 3*time.Millisecond)
	if at >= cfg.Duration-time.Millisecond {
		return false
	}
	next := *cfg
	next.Nodes++
	next.Timeline = append([]sim.Action(nil), cfg.Timeline...)
	c := &churn{g: g, cfg: &next, voters: cfg.Voters, spares: next.Nodes - cfg.Voters}
	for i := range next.Timeline {
		next.Timeline[i].Groups = cloneGroups(next.Timeline[i].Groups)
	}
	c.placeSpares(next.Timeline)
	a := c.member(at, sim.ActAddLearner)
	a.Nodes, a.Label = []raft.NodeID{raft.NodeID(next.Nodes)}, overlapLabel
	tl, ok := insertInto(&next, next.Timeline, a)
	if !ok {
		return false
	}
	next.Timeline = tl
	*cfg = next
	return true
}

// cloneGroups copies a partition's groups, so that placing a spare in one
// leaves the timeline it came from as it was.
func cloneGroups(groups [][]raft.NodeID) [][]raft.NodeID {
	if groups == nil {
		return nil
	}
	out := make([][]raft.NodeID, len(groups))
	for i, grp := range groups {
		out[i] = append([]raft.NodeID(nil), grp...)
	}
	return out
}
