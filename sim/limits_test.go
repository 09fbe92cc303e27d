package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
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

// A panic inside the simulation is caught and reported as panic/panic,
// with the virtual time and the trace tail, not a crash of the
// simulator.
func TestPanicIsReported(t *testing.T) {
	cfg := Defaults()
	cfg.Nodes, cfg.Duration, cfg.HealDuration = 3, time.Second, 0
	s, err := newSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// An event no handler knows: dispatch panics at 5ms.
	s.schedule(event{at: clock.Time(5 * time.Millisecond), kind: 255})
	res := s.run()
	if len(res.Failures) != 1 || res.Failures[0].Kind != FailurePanic || res.Failures[0].Name != "panic" ||
		!strings.Contains(res.Failures[0].Message, "unknown event kind 255") || len(res.Failures[0].TraceTail) == 0 ||
		res.Failures[0].Time != clock.Time(5*time.Millisecond) {
		t.Fatalf("failures %v, want panic/panic at 5ms with a trace tail", res.Failures)
	}
}
