package sim

import (
	"fmt"
	"time"

	"pgregory.net/rapid"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// drawStep draws one entry of the scenario language: a node-by-node cut
// or reconnect with any selector, a name bound or used, a proposal burst,
// a wait, a new-leader nemesis, at a fixed time or relative to the
// previous entry. Targets that do not exist at run time are reported, not
// errors; so every drawn timeline is valid.
func drawStep(t *rapid.T, nodes int, phase time.Duration, i int, relative bool, names []string) Action {
	a := Action{At: time.Duration(i) * phase / 16}
	if relative {
		a.Follows = true
		a.DelayMin = time.Duration(rapid.IntRange(0, 60).Draw(t, "delay_ms")) * time.Millisecond
		a.DelayMax = a.DelayMin + time.Duration(rapid.IntRange(0, 60).Draw(t, "spread_ms"))*time.Millisecond
	}
	targets := func() {
		switch rapid.IntRange(0, 6).Draw(t, "selector") {
		case 0:
			a.Leader = true
		case 1:
			a.Follower = true
		case 2:
			a.Random = rapid.IntRange(1, nodes).Draw(t, "random")
		case 3:
			a.LeaderAnd = rapid.IntRange(1, nodes-1).Draw(t, "leader_and")
		case 4:
			a.ExceptLeader = true
		case 5:
			if len(names) > 0 {
				a.Names = []string{rapid.SampledFrom(names).Draw(t, "name")}
				return
			}
			fallthrough
		default:
			a.Nodes = []raft.NodeID{raft.NodeID(rapid.IntRange(1, nodes).Draw(t, "node"))}
		}
		if rapid.Bool().Draw(t, "bind") {
			a.As = fmt.Sprintf("n%d", rapid.IntRange(0, 2).Draw(t, "bind_name"))
		}
	}
	kinds := []ActionKind{ActIsolate, ActReconnect, ActConnect, ActCutOneWay, ActPropose, ActWait, ActIsolateNewLeaders, ActCrashNewLeaders, ActCrash, ActRestart}
	a.Kind = rapid.SampledFrom(kinds).Draw(t, "kind")
	switch a.Kind {
	case ActIsolate, ActReconnect, ActCrash:
		targets()
	case ActRestart:
		a.Random = 1
	case ActConnect, ActCutOneWay:
		a.From = raft.NodeID(rapid.IntRange(1, nodes).Draw(t, "from"))
		a.To = raft.NodeID(int(a.From)%nodes + 1)
	case ActPropose:
		targets()
		a.Count = rapid.IntRange(1, 20).Draw(t, "count")
	case ActWait:
		a.Wait = WaitLeader
		a.Within = time.Duration(rapid.IntRange(50, 400).Draw(t, "within_ms")) * time.Millisecond
	case ActIsolateNewLeaders, ActCrashNewLeaders:
		a.Until = phase
		a.After = time.Duration(rapid.IntRange(0, 20).Draw(t, "after_ms")) * time.Millisecond
		a.RestartAfter = time.Duration(rapid.IntRange(20, 100).Draw(t, "back_ms")) * time.Millisecond
		a.RestartAfterMax = a.RestartAfter + time.Duration(rapid.IntRange(0, 100).Draw(t, "back_spread_ms"))*time.Millisecond
		a.IncludeLeader = rapid.Bool().Draw(t, "include_leader")
	}
	return a
}

// The scenario language keeps the simulator's promises under any script:
// safety holds, messages balance, and the healed cluster makes progress.
// Waits may time out and scripts overrun: those are the scenario's own
// failures, and allowed here.
func TestPropertyScenarioScripts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Defaults()
		cfg.Seed = rapid.Uint64().Draw(t, "seed")
		cfg.Nodes = rapid.SampledFrom([]int{3, 5}).Draw(t, "nodes")
		cfg.Workload.Clients = 2
		cfg.Duration = 1500 * time.Millisecond
		cfg.HealDuration = 3 * time.Second
		cfg.Liveness = LivenessConfig{LeaderWithin: 2 * time.Second, ProgressWithin: 2500 * time.Millisecond}
		n := rapid.IntRange(1, 12).Draw(t, "entries")
		relative := false
		var names []string
		for i := range n {
			a := drawStep(t, cfg.Nodes, cfg.Duration, i, relative, names)
			relative = relative || a.Follows || a.Kind == ActWait || rapid.Bool().Draw(t, "go_relative")
			if a.As != "" {
				names = append(names, a.As)
			}
			cfg.Timeline = append(cfg.Timeline, a)
		}
		// Later entries are relative; a fixed one may not follow them.
		for i := range cfg.Timeline {
			if i > 0 && (cfg.Timeline[i-1].Follows || cfg.Timeline[i-1].Kind == ActWait) {
				cfg.Timeline[i].Follows = true
			}
		}
		checkScheduleAllowing(t, cfg, FailureScenario)
	})
}
