package scenarios

import (
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Across seeds, a third or so of the churning scenarios add one more
// spare as a learner 1-3 ms after another configuration change starts;
// the spare is its own, in a group of every partition and bridge.
func TestGenerateOverlappingChange(t *testing.T) {
	drawn := 0
	for seed := uint64(1); seed <= 400; seed++ {
		cfg := Generate(seed, GenerateOptions{}).Config
		k := slices.IndexFunc(cfg.Timeline, func(a sim.Action) bool { return a.Label == overlapLabel })
		if k < 0 {
			continue
		}
		drawn++
		a := cfg.Timeline[k]
		if a.Kind != sim.ActAddLearner || len(a.Nodes) != 1 || int(a.Nodes[0]) != cfg.Nodes || cfg.Voters == 0 {
			t.Fatalf("seed %d: overlapping change %+v in %d nodes", seed, a, cfg.Nodes)
		}
		spare := a.Nodes[0]
		first := slices.IndexFunc(cfg.Timeline, func(b sim.Action) bool {
			d := a.At - b.At
			return b.Kind.IsMembership() && b.Kind != sim.ActTransferLeader && b.Label != overlapLabel && d >= time.Millisecond && d <= 3*time.Millisecond
		})
		if first < 0 {
			t.Fatalf("seed %d: no change starts 1-3 ms before the overlapping one at %v", seed, a.At)
		}
		for _, b := range cfg.Timeline {
			if len(b.Groups) > 0 && (b.Kind == sim.ActPartition || b.Kind == sim.ActBridge) &&
				!slices.ContainsFunc(b.Groups, func(g []raft.NodeID) bool { return slices.Contains(g, spare) }) {
				t.Fatalf("seed %d: %s at %v leaves spare %d in no group", seed, b.Kind, b.At, spare)
			}
		}
		for _, b := range cfg.Timeline {
			if b.Label != overlapLabel && slices.Contains(b.Nodes, spare) {
				t.Fatalf("seed %d: %s at %v also targets the overlapping change's spare %d", seed, b.Kind, b.At, spare)
			}
		}
	}
	if drawn < 15 || drawn > 60 {
		t.Errorf("%d of 400 seeds draw an overlapping change, want about a third of the churning ones", drawn)
	}
}
