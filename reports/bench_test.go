package reports

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/sim"
)

// standardLoad is the simulator's reference workload (sim.StandardLoad).
func standardLoad() sim.Config { return sim.StandardLoad(0) }

// BenchmarkReport100Seeds is the benchmark: a report over 100
// seeds of the standard load, as `raftsim report --seeds 100` runs it on
// one goroutine. It reports the wall seconds spent simulating (sim-s, the
// 100 sim.Run calls) apart from those spent reporting (render-s:
// Campaign.Add, the plots, the files). Wall time is read here, in a test
// file; the package itself never reads the clock.
func BenchmarkReport100Seeds(b *testing.B) {
	const seeds = 100
	cfg := standardLoad()
	var simWall, renderWall time.Duration
	for b.Loop() {
		dir := b.TempDir()
		campaign := &Campaign{}
		var timeline *sim.Result
		for s := uint64(1); s <= seeds; s++ {
			cfg.Seed = s
			start := time.Now()
			res, err := sim.Run(cfg)
			simWall += time.Since(start)
			if err != nil {
				b.Fatalf("seed %d: %v", s, err)
			}
			start = time.Now()
			if s == 1 {
				timeline = res
			}
			campaign.Add(res)
			renderWall += time.Since(start)
		}
		start := time.Now()
		if _, err := Write(timeline, campaign, Options{OutDir: dir, Scenario: "standard-load", Config: cfg}); err != nil {
			b.Fatal(err)
		}
		renderWall += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(simWall.Seconds()/n, "sim-s/op")
	b.ReportMetric(renderWall.Seconds()/n, "render-s/op")
}

// BenchmarkRender100Runs measures the reporting side alone: one run of the
// standard load, added 100 times under 100 seeds (so the campaign pools
// 100 runs' latencies), then the report written.
func BenchmarkRender100Runs(b *testing.B) {
	cfg := standardLoad()
	cfg.Seed = 1
	res, err := sim.Run(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		campaign := &Campaign{}
		for s := uint64(1); s <= 100; s++ {
			r := *res
			r.Seed = s
			campaign.Add(&r)
		}
		if _, err := Write(res, campaign, Options{OutDir: b.TempDir(), Scenario: "standard-load", Config: cfg}); err != nil {
			b.Fatal(err)
		}
	}
}
