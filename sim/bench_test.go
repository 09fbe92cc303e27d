package sim

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/netsim"
)

// StandardLoad is the simulator's reference workload: 5 nodes, 10 clients
// issuing operations back to back, heartbeat 10ms, election timeout
// 100-200ms, a flaky network (5% loss, 5% duplication, long-tail delays
// of 1-50ms), 60 virtual seconds.
func standardLoad(seed uint64) Config {
	cfg := Defaults()
	cfg.Seed = seed
	cfg.Network = netsim.Reliable(netsim.LongTail(time.Millisecond, 10*time.Millisecond, netsim.Ratio{Num: 1, Den: 10}, 50*time.Millisecond))
	cfg.Network.Loss = netsim.Ratio{Num: 5, Den: 100}
	cfg.Network.Duplicate = netsim.Ratio{Num: 5, Den: 100}
	cfg.Duration = 50 * time.Second
	cfg.HealDuration = 10 * time.Second
	return cfg
}

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
func BenchmarkStandardLoad60s(b *testing.B) { benchRun(b, standardLoad(0)) }

// BenchmarkStandardLoad60sNoInvariants measures the same run without the
// online invariant checks, to show their cost.
func BenchmarkStandardLoad60sNoInvariants(b *testing.B) {
	cfg := standardLoad(0)
	cfg.DisableInvariants = true
	benchRun(b, cfg)
}

// BenchmarkStandardLoad60sNoChecks leaves out every check: the raw
// simulation speed.
func BenchmarkStandardLoad60sNoChecks(b *testing.B) {
	cfg := standardLoad(0)
	cfg.DisableInvariants = true
	cfg.SkipLinearizability = true
	benchRun(b, cfg)
}

// BenchmarkIdle60s simulates an idle cluster (heartbeats only) for 60
// virtual seconds on the standard network.
func BenchmarkIdle60s(b *testing.B) {
	cfg := standardLoad(0)
	cfg.Workload.Clients = 0
	benchRun(b, cfg)
}
