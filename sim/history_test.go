package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/checker"
)

// faulty is a short run with crashes and a lossy network, so that its
// history has failed and unknown operations.
func faulty(seed uint64) Config {
	cfg := quick(seed)
	cfg.Network.Loss.Num, cfg.Network.Loss.Den = 1, 10
	cfg.Workload.Deadline = time.Second
	cfg.Timeline = []Action{
		{At: 500 * time.Millisecond, Kind: ActCrash, Leader: true},
		{At: 1500 * time.Millisecond, Kind: ActRestart},
		{At: 2 * time.Second, Kind: ActCrash, Leader: true},
	}
	return cfg
}

// The sink gets every operation once, in invocation order, while the run
// keeps only the first HistoryLimit and summarizes them all; the online
// check gives the verdict a check of the whole history gives.
func TestHistorySinkSummaryAndLimit(t *testing.T) {
	var unknown, failed int
	for seed := uint64(1); seed <= 4; seed++ {
		var sunk []checker.Operation
		cfg := faulty(seed)
		cfg.HistorySink = func(op checker.Operation) { sunk = append(sunk, op) }
		cfg.HistoryLimit = 50
		res := mustRun(t, cfg)
		if uint64(len(sunk)) != res.Stats.Ops || len(res.History) != 50 || res.HistoryDropped != res.Stats.Ops-50 {
			t.Fatalf("seed %d: %d sunk, %d kept, %d dropped, %d operations", seed, len(sunk), len(res.History), res.HistoryDropped, res.Stats.Ops)
		}
		if !slices.IsSortedFunc(sunk, func(a, b checker.Operation) int { return int(a.Invoke - b.Invoke) }) {
			t.Fatalf("seed %d: the sink's history is not in invocation order", seed)
		}
		whole := checker.History{Ops: sunk}
		var okLat [checker.OpCAS + 1][]int64
		for _, op := range sunk {
			switch op.Outcome {
			case checker.OutcomeOK:
				okLat[op.Kind] = append(okLat[op.Kind], (op.Complete-op.Invoke)/1000)
			case checker.OutcomeUnknown:
				unknown++
			case checker.OutcomeFail:
				failed++
			}
		}
		for k := checker.OpGet; k <= checker.OpCAS; k++ {
			lat := okLat[k]
			slices.Sort(lat)
			ks := res.Ops.Kind(k)
			if ks.OK != uint64(len(lat)) {
				t.Fatalf("seed %d: %v: summary counts %d OK, the history %d", seed, k, ks.OK, len(lat))
			}
			for _, q := range [][2]uint64{{50, 100}, {99, 100}, {1, 1}} {
				rank := max((q[0]*uint64(len(lat))+q[1]-1)/q[1], 1)
				if len(lat) > 0 && ks.Quantile(q[0], q[1]) != time.Duration(lat[rank-1])*time.Microsecond {
					t.Fatalf("seed %d: %v: quantile %d/%d is %v, the history's %dus", seed, k, q[0], q[1], ks.Quantile(q[0], q[1]), lat[rank-1])
				}
			}
		}
		lin, err := checker.CheckLinearizable(whole, checker.LinearizabilityOptions{})
		if err != nil || lin.Verdict != res.Linearizability.Verdict || lin.Ops != res.Linearizability.Ops {
			t.Fatalf("seed %d: online %v, whole history %v (%v)", seed, res.Linearizability, lin, err)
		}
	}
	if unknown == 0 || failed == 0 {
		t.Fatalf("the runs had %d unknown and %d failed operations: the test shows nothing", unknown, failed)
	}
}

// A negative limit keeps no history at all; the summary still counts.
func TestHistoryLimitNone(t *testing.T) {
	cfg := quick(1)
	cfg.HistoryLimit = -1
	res := mustRun(t, cfg)
	if len(res.History) != 0 || res.HistoryDropped != res.Stats.Ops || res.Ops.Kind(checker.OpGet).OK == 0 {
		t.Fatalf("kept %d, dropped %d of %d; %d gets", len(res.History), res.HistoryDropped, res.Stats.Ops, res.Ops.Kind(checker.OpGet).OK)
	}
}
