package sim

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLongRunChecked runs the standard load (5 nodes, 10 clients, a
// lossy, duplicating network) for 10 and for 60 virtual minutes with every
// check on: the online invariants, the online linearizability check, and
// liveness at the end. Logs are compacted (a snapshot every 500 applied
// entries, keeping 100), so what grows with the run is only what the
// checks keep. Targets: peak RSS under 1 GB, and wall time linear in
// virtual time (the 60-minute run within 1.2 of six times the 10-minute
// one). Run one length per process, for a meaningful peak RSS:
//
//	go test -run '^$' -bench 'LongRunChecked/virtual=60m' -benchtime 1x ./sim/
func BenchmarkLongRunChecked(b *testing.B) {
	for _, minutes := range []int{10, 60} {
		b.Run(fmt.Sprintf("virtual=%dm", minutes), func(b *testing.B) {
			cfg := StandardLoad(1)
			cfg.Duration = time.Duration(minutes)*time.Minute - 10*time.Second
			cfg.HealDuration = 10 * time.Second
			cfg.Raft.SnapshotEvery, cfg.Raft.SnapshotKeep = 500, 100
			var ops, events uint64
			for range b.N {
				res, err := Run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				if !res.Passed() {
					b.Fatalf("failures: %v", res.Failures)
				}
				ops, events = res.Stats.Ops, res.Events
			}
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
			}
			b.ReportMetric(float64(ops), "ops/run")
			b.ReportMetric(float64(events), "events/run")
			b.ReportMetric(float64(minutes*60*b.N)/b.Elapsed().Seconds(), "virtual-s/wall-s")
		})
	}
}
