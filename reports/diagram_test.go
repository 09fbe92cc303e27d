package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

func TestDiagramWindow(t *testing.T) {
	ms := clock.Time(time.Millisecond)
	res := &sim.Result{End: 5000 * ms, Roles: []sim.RoleChange{
		{Time: 120 * ms, Node: 1, Role: raft.RoleLeader, Term: 1},
		{Time: 2100*ms + 7, Node: 3, Role: raft.RoleLeader, Term: 2},
	}}
	for _, tt := range []struct {
		name     string
		failures []sim.Failure
		at       time.Duration
		from, to clock.Time
		why      string
	}{
		{"first change of leader", nil, 0, 2000 * ms, 2200 * ms, "first change of leader (node 3, term 2)"},
		{"first failure", []sim.Failure{{Kind: sim.FailureInconclusive}, {Kind: sim.FailureInvariant, Name: "read-freshness", Time: 4950 * ms}}, 0,
			4800 * ms, 5000 * ms, "first failure (invariant read-freshness)"},
		{"asked for", nil, 50 * time.Millisecond, 0, 200 * ms, "time asked for"},
	} {
		r := *res
		r.Failures = tt.failures
		from, to, why := diagramWindow(&r, tt.at, 0)
		if from != tt.from || to != tt.to || !strings.Contains(why, tt.why) {
			t.Errorf("%s: window %v..%v (%s), want %v..%v (%s)", tt.name, from, to, why, tt.from, tt.to, tt.why)
		}
	}
	// One leader only: around its election.
	one := &sim.Result{End: 5000 * ms, Roles: res.Roles[:1]}
	if from, _, why := diagramWindow(one, 0, 0); from != 20*ms || !strings.Contains(why, "first election") {
		t.Errorf("one leader: from %v, %s", from, why)
	}
}

// The diagram's messages are those in flight in its window, every one
// sent by a node and delivered to or dropped at another, and the rerun
// that records them is checked to be the same run.
func TestRecordWindow(t *testing.T) {
	cfg := shortConfig()
	cfg.Seed = 2
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	from, to, _ := diagramWindow(res, 0, 0)
	copies, err := recordWindow(cfg, res, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) < 50 {
		t.Fatalf("%d copies in %v..%v", len(copies), from, to)
	}
	drops := 0
	for _, c := range copies {
		if c.Sent > int64(to) || c.Fate < int64(from) || c.From == c.To || c.ID == 0 {
			t.Fatalf("copy %+v is outside %v..%v or malformed", c, from, to)
		}
		if c.Outcome == "drop" {
			drops++
			if c.Reason == "" {
				t.Fatalf("a drop without its reason: %+v", c)
			}
		}
	}
	if drops == 0 {
		t.Error("no dropped message in a window around a crash on a lossy network")
	}
	other := cfg
	other.Network.Loss.Num = 1
	if _, err := recordWindow(other, res, from, to); err == nil || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("a rerun with another configuration: %v, want an error", err)
	}
}
