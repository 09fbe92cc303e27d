package shrink

import (
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// A stand-in failure: the run "fails" (an invariant named "needle") when
// its timeline crashes node 2 and later pauses node 3. The search must
// find exactly those two actions among many, and simplify the rest.
func TestMinimizeFindsTheNeedle(t *testing.T) {
	cfg := sim.Defaults()
	cfg.Seed = 9
	cfg.Duration = 4 * time.Second
	cfg.HealDuration = 2 * time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: time.Second, ProgressWithin: 1500 * time.Millisecond}
	cfg.Network.Loss = netsim.Ratio{Num: 1, Den: 20}
	for i := range 20 {
		at := time.Duration(i) * 150 * time.Millisecond
		switch {
		case i == 7:
			cfg.Timeline = append(cfg.Timeline, sim.Action{At: at, Kind: sim.ActCrash, Nodes: []raft.NodeID{2}})
		case i == 13:
			cfg.Timeline = append(cfg.Timeline, sim.Action{At: at, Kind: sim.ActPause, Nodes: []raft.NodeID{3}})
		case i%3 == 0:
			cfg.Timeline = append(cfg.Timeline, sim.Action{At: at, Kind: sim.ActIsolate, Nodes: []raft.NodeID{raft.NodeID(i%5 + 1)}})
		default:
			cfg.Timeline = append(cfg.Timeline, sim.Action{At: at, Kind: sim.ActHeal})
		}
	}
	needle := func(c sim.Config) bool {
		crashed := -1
		for i, a := range c.Timeline {
			if a.Kind == sim.ActCrash && slices.Equal(a.Nodes, []raft.NodeID{2}) {
				crashed = i
			}
			if a.Kind == sim.ActPause && slices.Equal(a.Nodes, []raft.NodeID{3}) && crashed >= 0 {
				return true
			}
		}
		return false
	}
	target := sim.Failure{Kind: sim.FailureInvariant, Name: "needle"}
	run := func(c sim.Config) (*sim.Result, error) {
		c.SkipLinearizability = true
		c.Workload.Clients = min(c.Workload.Clients, 2) // keep the test fast
		res, err := sim.Run(c)
		if err == nil && needle(c) {
			res.Failures = append(res.Failures, target)
		}
		return res, err
	}
	small, st := Minimize(cfg, target, Options{Run: run})
	t.Log(st)
	if len(small.Timeline) != 2 || !needle(small) {
		t.Fatalf("minimized timeline %v, want exactly the crash of 2 and the pause of 3", small.Timeline)
	}
	if small.Network.Loss != netsim.Never {
		t.Errorf("loss %v survived although the failure does not need it", small.Network.Loss)
	}
	if small.Nodes != 3 || small.Workload.Clients != 1 {
		t.Errorf("minimized to %d nodes and %d clients, want 3 and 1", small.Nodes, small.Workload.Clients)
	}
	if small.Duration >= cfg.Duration || small.HealDuration != 0 {
		t.Errorf("duration %v + heal %v, want shorter than %v and no healing", small.Duration, small.HealDuration, cfg.Duration)
	}
	if st.After.Actions != 2 || st.Before.Actions != 20 {
		t.Errorf("stats %v", st)
	}
}

// A configuration that does not fail comes back unchanged.
func TestMinimizeOfPassingRunChangesNothing(t *testing.T) {
	cfg := sim.Defaults()
	cfg.Duration, cfg.HealDuration = time.Second, time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: 500 * time.Millisecond, ProgressWithin: time.Second}
	cfg.Workload.Clients = 2
	cfg.SkipLinearizability = true
	got, st := Minimize(cfg, sim.Failure{Kind: sim.FailureInvariant, Name: "x"}, Options{})
	if got.Duration != cfg.Duration || st.Runs != 1 {
		t.Fatalf("passing config changed: %+v after %d runs", st, st.Runs)
	}
}

// A safety failure ends the minimized run: the actions and the healing
// after it go, even when the run budget is spent.
func TestMinimizeEndsAtTheFailure(t *testing.T) {
	cfg := sim.Defaults()
	cfg.Duration, cfg.HealDuration = 3*time.Second, 2*time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: 500 * time.Millisecond, ProgressWithin: time.Second}
	cfg.Workload.Clients = 1
	cfg.SkipLinearizability = true
	for i := range 10 {
		cfg.Timeline = append(cfg.Timeline, sim.Action{At: time.Duration(i+1) * 250 * time.Millisecond, Kind: sim.ActIsolate, Nodes: []raft.NodeID{raft.NodeID(i%3 + 1)}})
	}
	crashAt := 1100 * time.Millisecond
	cfg.Timeline = append(cfg.Timeline, sim.Action{At: crashAt, Kind: sim.ActCrash, Nodes: []raft.NodeID{2}})
	slices.SortStableFunc(cfg.Timeline, func(a, b sim.Action) int { return int(a.At - b.At) })
	target := sim.Failure{Kind: sim.FailureInvariant, Name: "needle"}
	run := func(c sim.Config) (*sim.Result, error) {
		res, err := sim.Run(c)
		if err == nil && slices.ContainsFunc(c.Timeline, func(a sim.Action) bool { return a.Kind == sim.ActCrash }) {
			f := target
			f.Time = clock.Time(0).Add(crashAt + 10*time.Millisecond)
			res.Failures = append(res.Failures, f)
		}
		return res, err
	}
	small, st := Minimize(cfg, target, Options{Run: run, MaxRuns: 1})
	if want := crashAt + 11*time.Millisecond; small.Duration != want || small.HealDuration != 0 {
		t.Fatalf("minimized to %v + heal %v, want %v + 0 (%v)", small.Duration, small.HealDuration, want, st)
	}
	for _, a := range small.Timeline {
		if a.At > crashAt+10*time.Millisecond {
			t.Fatalf("action at %v, after the failure, survived", a.At)
		}
	}
	if len(small.Timeline) != 5 || st.Runs != 2 {
		t.Fatalf("%d actions after %d runs, want the 5 up to the failure after 2 runs", len(small.Timeline), st.Runs)
	}
}

// An action aimed at "the leader" comes out naming the node that led.
func TestMinimizeNamesTheLeader(t *testing.T) {
	cfg := sim.Defaults()
	cfg.Duration, cfg.HealDuration = 2*time.Second, time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: 500 * time.Millisecond, ProgressWithin: time.Second}
	cfg.Workload.Clients = 1
	cfg.SkipLinearizability = true
	cfg.Timeline = []sim.Action{{At: time.Second, Kind: sim.ActCrash, Leader: true}}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := leaderAt(res, cfg.Nodes, time.Second)
	if want == raft.None {
		t.Fatal("no leader at 1s")
	}
	target := sim.Failure{Kind: sim.FailureLiveness, Name: "needle"}
	run := func(c sim.Config) (*sim.Result, error) {
		res, err := sim.Run(c)
		if err == nil && len(c.Timeline) == 1 && c.Timeline[0].Kind == sim.ActCrash {
			res.Failures = append(res.Failures, target)
		}
		return res, err
	}
	small, _ := Minimize(cfg, target, Options{Run: run})
	if len(small.Timeline) != 1 {
		t.Fatalf("timeline %+v", small.Timeline)
	}
	if a := small.Timeline[0]; a.Leader || !slices.Equal(a.Nodes, []raft.NodeID{want}) {
		t.Fatalf("minimized crash %+v, want one naming node %d, the leader at 1s", a, want)
	}
}

// A check's or a scenario's failure is the same failure only under the
// same name: minimizing keeps the check that failed, not any check.
func TestSameNamesChecks(t *testing.T) {
	for _, kind := range []sim.FailureKind{sim.FailureCheck, sim.FailureScenario, sim.FailureInvariant} {
		a := sim.Failure{Kind: kind, Name: "no-commit"}
		if !Same(a, a) || Same(a, sim.Failure{Kind: kind, Name: "term-stable"}) {
			t.Errorf("%v: Same does not tell names apart", kind)
		}
	}
	if !Same(sim.Failure{Kind: sim.FailureLiveness, Name: "leader-after-heal"}, sim.Failure{Kind: sim.FailureLiveness, Name: "progress-after-heal"}) {
		t.Error("liveness failures differ by name")
	}
}
