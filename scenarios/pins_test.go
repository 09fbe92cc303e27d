package scenarios

import (
	"testing"

	"github.com/raftsim/raftsim/sim"
)

// progress-after-heal pinned: a cluster that elects and commits, whose
// clients are too far away to complete anything in time. Only the
// progress check can catch it: the leader check holds, nothing is unsafe.
// (Every other check is pinned by a planted bug that it alone is expected
// to catch: raft/bugs's catalogue, asserted by the selftest.)
func TestProgressCheckCatchesStuckClients(t *testing.T) {
	s, err := Parse("stuck.toml", []byte(`
expect = ["progress-after-heal"]
nodes = 3
duration = "1s"
heal_duration = "2s"
[workload]
clients = 3
latency = "1s"
attempt_timeout = "3s"
deadline = "3s"
[liveness]
leader_within = "1s"
progress_within = "1500ms"
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Kind != sim.FailureLiveness || res.Failures[0].Name != "progress-after-heal" {
		t.Fatalf("failures %v, want liveness/progress-after-heal alone", res.Failures)
	}
	if err := s.Expect.Check(res); err != nil {
		t.Fatal(err)
	}
}
