package scenarios

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

func TestGenerateIsAFunctionOfTheSeed(t *testing.T) {
	a := Encode(Generate(7, GenerateOptions{}))
	b := Encode(Generate(7, GenerateOptions{}))
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave two scenarios")
	}
	if bytes.Equal(a, Encode(Generate(8, GenerateOptions{}))) {
		t.Fatal("seeds 7 and 8 gave the same scenario")
	}
	long := Generate(7, GenerateOptions{Duration: 5 * time.Second})
	if long.Config.Duration != 5*time.Second {
		t.Fatalf("duration %v", long.Config.Duration)
	}
}

// Across seeds the generator uses every fault kind and flips every knob,
// and it never pairs lease reads with clocks that drift or jump or nodes
// that pause.
func TestGenerateCoversTheSpace(t *testing.T) {
	kinds := map[sim.ActionKind]int{}
	sizes := map[int]bool{}
	var lease, noPreVote, noCheckQuorum, lossy, cycled, leaderSides int
	for seed := uint64(0); seed < 300; seed++ {
		s := Generate(seed, GenerateOptions{})
		cfg := s.Config
		if err := cfg.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !s.Expect.Pass() || s.Seed != seed || cfg.Seed != seed {
			t.Fatalf("seed %d: expect %v, seeds %d/%d", seed, s.Expect, s.Seed, cfg.Seed)
		}
		sizes[cfg.Nodes] = true
		if cfg.Raft.DisablePreVote {
			noPreVote++
		}
		if cfg.Raft.DisableCheckQuorum {
			noCheckQuorum++
		}
		if !cfg.Network.Loss.IsZero() {
			lossy++
		}
		unsafe := false
		// A power-cycling burst is many power losses, each with its
		// restart a moment later.
		quick := 0
		for i, a := range cfg.Timeline {
			if a.Kind == sim.ActPowerLoss && len(a.Nodes) == 1 && slices.ContainsFunc(cfg.Timeline[i+1:], func(b sim.Action) bool {
				return b.Kind == sim.ActRestart && slices.Equal(b.Nodes, a.Nodes) && b.At-a.At <= 20*time.Millisecond
			}) {
				quick++
			}
		}
		if quick >= 10 {
			cycled++
		}
		for _, a := range cfg.Timeline {
			kinds[a.Kind]++
			if a.Kind == sim.ActPartition && a.Leader {
				leaderSides++
			}
			if a.Kind == sim.ActClockDrift || a.Kind == sim.ActClockJump || a.Kind == sim.ActPause {
				unsafe = true
			}
		}
		if cfg.Raft.ReadMode == raft.ReadLease {
			lease++
			if unsafe {
				t.Fatalf("seed %d: lease reads with clock faults or pauses", seed)
			}
		}
	}
	for _, k := range sim.FaultKinds() {
		if kinds[k] == 0 {
			t.Errorf("no generated scenario uses %s", k)
		}
	}
	for _, n := range []int{3, 5, 7} {
		if !sizes[n] {
			t.Errorf("no generated cluster of %d nodes", n)
		}
	}
	if lease == 0 || noPreVote == 0 || noCheckQuorum == 0 || lossy == 0 || cycled == 0 || leaderSides == 0 {
		t.Errorf("knobs never flipped: lease %d, no PreVote %d, no CheckQuorum %d, lossy %d, power cycling %d, leader partitions %d",
			lease, noPreVote, noCheckQuorum, lossy, cycled, leaderSides)
	}
}

// Generated scenarios are all supposed to be safe and live: they pass with
// a correct Raft. (cmd/raftsim's fuzz command runs many more seeds.)
func TestGeneratedScenariosPass(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		s := Generate(seed, GenerateOptions{})
		res, err := sim.Run(s.ConfigFor(seed))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := s.Expect.Check(res); err != nil {
			t.Errorf("seed %d: %v\n  reproduce: go run ./cmd/raftsim fuzz --seed-start %d --seeds 1", seed, err, seed)
		}
	}
}

// A leader holds back its heartbeats while it syncs, so a generated run
// whose disks sync for longer than the followers' shortest election
// timeout deposes correct leaders until its liveness bounds pass (fuzz
// seed 314 did, with 10-45 ms syncs against a 40 ms timeout).
func TestGeneratedElectionTimeoutsOutlastDiskSyncs(t *testing.T) {
	for seed := uint64(1); seed <= 3000; seed++ {
		cfg := Generate(seed, GenerateOptions{}).Config
		r := cfg.Raft
		gap := syncGap(&cfg)
		if timeout := time.Duration(r.ElectionTicks) * r.TickInterval; timeout < gap {
			t.Fatalf("seed %d: election timeout %v is shorter than a heartbeat held back by a sync (%v; sync up to %v)", seed, timeout, gap, cfg.Disk.SyncMax)
		}
	}
}
