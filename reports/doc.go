// Package reports turns simulator runs into plots and one HTML page:
// timelines from one run, distributions across many.
//
// For one run (the timeline run) it draws the latency of every operation
// over virtual time (OK operations by kind, the others by outcome, with
// p50/p95/p99/max lines per window and the safety failures marked), the
// same quantiles per kind (Jepsen's latency-quantiles), the throughput by
// kind and outcome, each node's role with leader terms, a space-time
// message diagram of a window (around the first failure, else the first
// change of leader; the run is repeated with an export.Recorder to get
// its messages), and the messages by type and fate on a log axis, with
// fault windows shaded and leader elections marked. Across the runs of a
// campaign it overlays the latency CDFs of the operation kinds on a tail
// scale and draws the distributions of the time to the first leader and
// of the time to recover from a lost leader (one point per run when there
// are too few for a histogram). Operations still open when a run ended
// are counted apart from failed and unknown ones everywhere. Every figure is written as
// PNG and as SVG with its font embedded (subset to the characters drawn),
// next to index.html, which holds the summary tables, the plots and, when
// a history is not linearizable, a link to porcupine's visualization.
//
// Invariants:
//
//   - Rendering only: reports computes summary statistics (percentiles,
//     gaps, recovery times) but no verdict; pass and fail come from sim.
//   - Deterministic: the same Results and Options give byte-identical
//     files. Nothing reads the clock, the environment or a map in an order
//     that reaches the output, and there are no goroutines.
//   - Bounded: CDF curves have a fixed number of points, dense point clouds
//     are drawn once per visible cell, and the page's lists are capped.
//
// Usage:
//
//	cfg := sim.Defaults()
//	idx, err := reports.Run(cfg, []uint64{1, 2, 3}, reports.Options{OutDir: "out", Scenario: "defaults"})
//	// idx.Page is out/index.html.
//
// A caller that runs the seeds itself (in parallel, say) keeps the
// timeline run's Result, adds every Result to a Campaign, and calls Write:
//
//	var c reports.Campaign
//	for _, res := range results { c.Add(res) }
//	idx, err := reports.Write(results[0], &c, opts)
package reports
