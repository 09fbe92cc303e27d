package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
)

// A run that reaches its event bound says so (limit/max-events), rather
// than hanging or passing.
func TestEventLimitIsReported(t *testing.T) {
	cfg := Defaults()
	cfg.Nodes, cfg.MaxEvents = 3, 2000
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Kind != FailureLimit || res.Failures[0].Name != "max-events" {
		t.Fatalf("failures %v, want limit/max-events alone", res.Failures)
	}
}

// A panic inside a node is caught and reported as panic/panic, with the
// virtual time and the trace tail, not a crash of the simulator.
func TestNodePanicIsReported(t *testing.T) {
	cfg := Defaults()
	cfg.Nodes, cfg.Duration, cfg.HealDuration = 3, time.Second, 0
	s, err := newSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A hard state that commits past an empty log: NewNode refuses it,
	// and the start of node 2 panics.
	if err := s.nodes[1].store.SetHardState(raft.HardState{Term: 1, Commit: 5}); err != nil {
		t.Fatal(err)
	}
	res := s.run()
	if len(res.Failures) != 1 || res.Failures[0].Kind != FailurePanic || res.Failures[0].Name != "panic" ||
		!strings.Contains(res.Failures[0].Message, "node 2") || len(res.Failures[0].TraceTail) == 0 {
		t.Fatalf("failures %v, want panic/panic about node 2 with a trace tail", res.Failures)
	}
}
