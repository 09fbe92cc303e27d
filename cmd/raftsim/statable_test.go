package main

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// A shrink candidate that cut the restart between two crashes of a node
// runs in the simulator but cannot be written as a scenario file; its
// reproducer would not replay, so the candidate is refused before it runs
// (fuzz seed 2070 wrote such a file).
func TestShrinkCandidatesMustBeStatable(t *testing.T) {
	s := scenarios.Generate(2070, scenarios.GenerateOptions{})
	ran := 0
	run := statable(s, func(c sim.Config) (*sim.Result, error) { ran++; return &sim.Result{}, nil })
	if _, err := run(s.Config); err != nil || ran != 1 {
		t.Fatalf("the generated scenario itself: %v (ran %d)", err, ran)
	}
	bad := s.Config
	crash := func(at time.Duration) sim.Action {
		return sim.Action{At: at, Kind: sim.ActCrash, Nodes: []raft.NodeID{2}}
	}
	bad.Timeline = []sim.Action{crash(10 * time.Millisecond), crash(20 * time.Millisecond)}
	_, err := run(bad)
	if err == nil || !strings.Contains(err.Error(), "already down") || ran != 1 {
		t.Fatalf("a crash of a node already down: %v (ran %d), want a refusal before running", err, ran)
	}
}
