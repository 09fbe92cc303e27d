package scenarios

import (
	"slices"
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// Across seeds, spares that joined are crashed and restarted, isolated
// and reconnected, and partitioned off with a minority, each after the
// action that brings them in and before the heal; no seed without churn
// draws such a fault, and each fault is paired with the action that ends
// it.
func TestGenerateFaultsJoinedSpares(t *testing.T) {
	kinds := map[sim.ActionKind]int{}
	for seed := uint64(1); seed <= 400; seed++ {
		cfg := Generate(seed, GenerateOptions{}).Config
		joinedAt := map[raft.NodeID]int{}
		for i, a := range cfg.Timeline {
			for _, j := range joinedSpares(&sim.Config{Voters: cfg.Voters, Timeline: []sim.Action{a}}) {
				if _, ok := joinedAt[j.id]; !ok {
					joinedAt[j.id] = i
				}
			}
		}
		var faults, ends []sim.Action
		for i, a := range cfg.Timeline {
			if a.Label != spareFaultLabel {
				continue
			}
			if cfg.Voters == 0 {
				t.Fatalf("seed %d: a spare fault in a scenario without spares", seed)
			}
			switch a.Kind {
			case sim.ActRestart, sim.ActReconnect, sim.ActHeal:
				ends = append(ends, a)
				continue
			}
			faults = append(faults, a)
			kinds[a.Kind]++
			id := spareOf(cfg.Voters, a, func(id raft.NodeID) bool {
				j, ok := joinedAt[id]
				return ok && j < i
			})
			if id == 0 {
				t.Fatalf("seed %d: %s at %v hits node %d before any action brings it in", seed, a.Kind, a.At, id)
			}
			if a.Kind == sim.ActPartition {
				side := a.Groups[0]
				voters := 0
				for _, x := range side {
					if int(x) <= cfg.Voters {
						voters++
					}
				}
				if !slices.Contains(side, id) || 2*voters >= cfg.Voters {
					t.Fatalf("seed %d: spare %d is partitioned with %d of %d voters", seed, id, voters, cfg.Voters)
				}
			}
		}
		if len(faults) != len(ends) {
			t.Fatalf("seed %d: %d spare faults, %d ends", seed, len(faults), len(ends))
		}
		for k, a := range ends {
			if a.At <= faults[k].At || a.At >= cfg.Duration {
				t.Fatalf("seed %d: %s at %v ends %s at %v, fault phase %v", seed, a.Kind, a.At, faults[k].Kind, faults[k].At, cfg.Duration)
			}
		}
	}
	for _, k := range []sim.ActionKind{sim.ActCrash, sim.ActIsolate, sim.ActPartition} {
		if kinds[k] == 0 {
			t.Errorf("no spare that joined is hit by %s (%v)", k, kinds)
		}
	}
}

// spareOf is the spare a generated spare fault aims at, one that joined
// says has joined: its one target, or a spare on the first side of the
// partition; 0 when there is none.
func spareOf(voters int, a sim.Action, joined func(raft.NodeID) bool) raft.NodeID {
	var ids []raft.NodeID
	switch {
	case len(a.Nodes) == 1:
		ids = a.Nodes
	case len(a.Groups) == 2:
		ids = a.Groups[0]
	}
	for _, id := range ids {
		if int(id) > voters && joined(id) {
			return id
		}
	}
	return 0
}
