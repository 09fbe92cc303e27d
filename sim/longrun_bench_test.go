package sim

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLongRun runs ten virtual minutes of the standard load, with log
// compaction (a snapshot every 500 applied entries, keeping 100) and
// without, and follows the memory every 30 virtual seconds: the entries
// the Raft cores hold, and the Go heap after a collection. The Raft logs
// stay flat with compaction and grow with every commit without it; the
// rest of the heap (the client history kept for the linearizability
// check, latency samples) grows in both. The online invariants and the
// linearizability check are off: their own bookkeeping would hide the
// logs. Run one mode per process for a meaningful peak RSS (maxrss-MB):
//
//	go test -run '^$' -bench 'LongRun/compaction=on' -benchtime 1x ./sim/
func BenchmarkLongRun(b *testing.B) {
	for _, mode := range []struct {
		name  string
		every int
	}{{"compaction=on", 500}, {"compaction=off", 0}} {
		b.Run(mode.name, func(b *testing.B) {
			cfg := StandardLoad(1)
			cfg.Duration = 590 * time.Second
			cfg.HealDuration = 10 * time.Second
			cfg.Raft.SnapshotEvery, cfg.Raft.SnapshotKeep = mode.every, 100
			cfg.DisableInvariants = true
			cfg.SkipLinearizability = true
			var peakLog, lastLog, peakHeap, lastHeap uint64
			cfg.ProbeEvery = 30 * time.Second
			cfg.Probe = func(p ProbeSample) {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peakLog, lastLog = max(peakLog, p.MaxLogEntries), p.MaxLogEntries
				peakHeap, lastHeap = max(peakHeap, ms.HeapAlloc), ms.HeapAlloc
				b.Logf("t=%4.0fs  log entries per node %8d  stored entries %8d  heap %6.1f MB",
					p.Time.Seconds(), p.MaxLogEntries, p.StoredEntries, float64(ms.HeapAlloc)/(1<<20))
			}
			for range b.N {
				res, err := Run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				if !res.Passed() {
					b.Fatalf("failures: %v", res.Failures)
				}
			}
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
			}
			b.ReportMetric(float64(peakLog), "peak-log-entries")
			b.ReportMetric(float64(lastLog), "final-log-entries")
			b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(lastHeap)/(1<<20), "final-heap-MB")
		})
	}
}
