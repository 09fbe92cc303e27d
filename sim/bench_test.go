package sim

import "testing"

func benchRun(b *testing.B, cfg Config) {
	b.ReportAllocs()
	var events, virtual uint64
	for i := 0; b.Loop(); i++ {
		cfg.Seed = uint64(i + 1)
		res, err := Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if !res.Passed() {
			b.Fatalf("seed %d failed: %v", cfg.Seed, res.Failures)
		}
		events += res.Events
		virtual += uint64(res.End)
	}
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(float64(virtual)/1e9/wall, "virtual-s/wall-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkStandardLoad60s simulates 60 virtual seconds of the standard
// load, checks included (online invariants and linearizability).
func BenchmarkStandardLoad60s(b *testing.B) { benchRun(b, StandardLoad(0)) }

// BenchmarkStandardLoad60sNoInvariants measures the same run without the
// online invariant checks, to show their cost.
func BenchmarkStandardLoad60sNoInvariants(b *testing.B) {
	cfg := StandardLoad(0)
	cfg.DisableInvariants = true
	benchRun(b, cfg)
}

// BenchmarkStandardLoad60sNoChecks leaves out every check: the raw
// simulation speed.
func BenchmarkStandardLoad60sNoChecks(b *testing.B) {
	cfg := StandardLoad(0)
	cfg.DisableInvariants = true
	cfg.SkipLinearizability = true
	benchRun(b, cfg)
}

// BenchmarkStandardLoad60sFileStore is the standard run with every node
// on raft/filestore over a simulated disk instead of MemoryStorage.
func BenchmarkStandardLoad60sFileStore(b *testing.B) {
	cfg := StandardLoad(0)
	cfg.Disk.Store = StoreFile
	benchRun(b, cfg)
}

// BenchmarkStandardLoad60sFileStoreNoChecks is the raw simulation speed
// on the file store (see BenchmarkStandardLoad60sNoChecks).
func BenchmarkStandardLoad60sFileStoreNoChecks(b *testing.B) {
	cfg := StandardLoad(0)
	cfg.Disk.Store = StoreFile
	cfg.DisableInvariants = true
	cfg.SkipLinearizability = true
	benchRun(b, cfg)
}

// BenchmarkIdle60s simulates an idle cluster (heartbeats only) for 60
// virtual seconds on the standard network.
func BenchmarkIdle60s(b *testing.B) {
	cfg := StandardLoad(0)
	cfg.Workload.Clients = 0
	benchRun(b, cfg)
}
