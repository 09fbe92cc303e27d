package sim

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// drawAction draws one fault of any kind for a cluster of size nodes (the
// scenario steps, waits and proposals, have their own tests).
func drawAction(t *rapid.T, nodes int, phase time.Duration) Action {
	node := func(label string) raft.NodeID { return raft.NodeID(rapid.IntRange(1, nodes).Draw(t, label)) }
	a := Action{
		At:   time.Duration(rapid.Int64Range(0, int64(phase)-1).Draw(t, "at")),
		Kind: ActionKind(rapid.IntRange(int(ActCrash), int(faultKindLimit)-1).Draw(t, "kind")),
	}
	targets := func() {
		if rapid.Bool().Draw(t, "leader") {
			a.Leader = true
		} else {
			a.Nodes = []raft.NodeID{node("node")}
		}
	}
	link := func() {
		a.From = node("from")
		a.To = raft.NodeID(int(a.From)%nodes + 1)
	}
	switch a.Kind {
	case ActCrash, ActPowerLoss, ActPause, ActResume, ActIsolate:
		targets()
	case ActPartition:
		cut := rapid.IntRange(1, nodes-1).Draw(t, "cut")
		var left, right []raft.NodeID
		for i := 1; i <= nodes; i++ {
			if i <= cut {
				left = append(left, raft.NodeID(i))
			} else {
				right = append(right, raft.NodeID(i))
			}
		}
		a.Groups = [][]raft.NodeID{left, right}
	case ActBridge:
		a.Nodes = []raft.NodeID{1}
		a.Groups = [][]raft.NodeID{{2}, {3}}
		for i := 4; i <= nodes; i++ {
			a.Groups[i%2] = append(a.Groups[i%2], raft.NodeID(i))
		}
	case ActCutOneWay, ActClog, ActUnclog:
		link()
	case ActLink:
		link()
		a.Link = netsim.Reliable(netsim.Uniform(time.Millisecond, time.Duration(rapid.IntRange(2, 80).Draw(t, "delay_ms"))*time.Millisecond))
		a.Link.Loss = netsim.Ratio{Num: uint32(rapid.IntRange(0, 30).Draw(t, "loss_pct")), Den: 100}
		a.Link.Duplicate = netsim.Ratio{Num: uint32(rapid.IntRange(0, 30).Draw(t, "dup_pct")), Den: 100}
	case ActSlowDisk:
		targets()
		a.SyncMin = time.Duration(rapid.IntRange(0, 20).Draw(t, "sync_ms")) * time.Millisecond
		a.SyncMax = a.SyncMin + 5*time.Millisecond
	case ActClockDrift:
		targets()
		a.Drift = clock.PPM(rapid.IntRange(-200_000, 200_000).Draw(t, "ppm"))
	case ActCrashNewLeaders:
		a.Until = a.At + time.Duration(rapid.IntRange(1, 500).Draw(t, "window_ms"))*time.Millisecond
		if a.Until > phase {
			a.Until = phase
		}
		a.After = time.Duration(rapid.IntRange(0, 30).Draw(t, "after_ms")) * time.Millisecond
		a.RestartAfter = time.Duration(rapid.IntRange(1, 300).Draw(t, "restart_ms")) * time.Millisecond
	case ActClockJump:
		targets()
		a.Jump = time.Duration(rapid.IntRange(-300, 300).Draw(t, "jump_ms")) * time.Millisecond
		if a.Jump == 0 {
			a.Jump = time.Millisecond
		}
	}
	return a
}

// Under any fault schedule: virtual time never goes back (the simulator
// panics if it would), every message copy is accounted for, the network's
// counters agree with the simulator's, safety holds, and the healed
// cluster makes progress.
func TestPropertyRandomFaultSchedules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := Defaults()
		cfg.Seed = rapid.Uint64().Draw(t, "seed")
		cfg.Nodes = rapid.SampledFrom([]int{3, 5}).Draw(t, "nodes")
		cfg.Workload.Clients = 3
		cfg.Duration = 1500 * time.Millisecond
		cfg.HealDuration = 3 * time.Second
		cfg.Liveness = LivenessConfig{LeaderWithin: 2 * time.Second, ProgressWithin: 2500 * time.Millisecond}
		n := rapid.IntRange(0, 10).Draw(t, "actions")
		for range n {
			cfg.Timeline = append(cfg.Timeline, drawAction(t, cfg.Nodes, cfg.Duration))
		}
		checkSchedule(t, cfg)
	})
}

// checkSchedule runs cfg and checks what must hold under any schedule.
func checkSchedule(t *rapid.T, cfg Config) { checkScheduleAllowing(t, cfg) }

// checkScheduleAllowing is checkSchedule, letting failures of the given
// kinds pass.
func checkScheduleAllowing(t *rapid.T, cfg Config, allowed ...FailureKind) {
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("invalid config: %v", err)
	}
	for _, f := range res.Failures {
		if !slices.Contains(allowed, f.Kind) {
			t.Errorf("%s", f)
		}
	}
	m := res.Messages
	if !m.Balanced() {
		t.Fatalf("messages do not balance: %+v", m)
	}
	var netSent, netDup uint64
	for _, row := range res.Network {
		netSent += row.Sent
		netDup += row.Duplicated
	}
	if netSent != m.Sent {
		t.Fatalf("network counted %d sends, simulator %d", netSent, m.Sent)
	}
	if m.Copies != m.Sent-m.LostAtSend+netDup {
		t.Fatalf("copies %d != sent %d - lost %d + duplicated %d", m.Copies, m.Sent, m.LostAtSend, netDup)
	}
	if res.Stats.OpsOK == 0 {
		t.Fatalf("no operation completed")
	}
}
