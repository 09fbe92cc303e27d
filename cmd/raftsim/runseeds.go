package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// run --seeds: one scenario over many seeds, on one worker per core,
// reported in seed order (the summary does not depend on the number of
// workers or their timing). A seed passes when its run meets the
// scenario's expectation; one whose only finding is a linearizability
// check out of budget is inconclusive; any other fails, and writes a
// reproducer.

// seedsSummary is what `raftsim run --seeds --json` prints;
// schema/run-seeds.v1.json describes it. Like fuzz's, it holds no wall
// time: it is a pure function of the scenario and the seeds.
type seedsSummary struct {
	SchemaVersion int          `json:"schema_version"`
	Scenario      string       `json:"scenario"`
	Expected      expectedJSON `json:"expected"`
	SeedStart     uint64       `json:"seed_start"`
	Seeds         uint64       `json:"seeds"`
	// Result is pass (every seed met the expectation), fail, or
	// inconclusive (none failed, some were inconclusive).
	Result       string `json:"result"`
	Runs         uint64 `json:"runs"`
	Passed       uint64 `json:"passed"`
	Failed       uint64 `json:"failed"`
	Inconclusive uint64 `json:"inconclusive"`
	// ByFailure counts, per failure ("kind/name"), the seeds whose run
	// found it: most frequent first.
	ByFailure []failureCount `json:"by_failure"`
	// MissingTargets counts, over every run, the timeline actions that
	// found fewer targets than they name.
	MissingTargets uint64 `json:"missing_targets"`
	Ops            uint64 `json:"ops"`
	// Fingerprint is the XOR over the runs of SHA-256(seed, trace digest),
	// as fuzz's: equal fingerprints, the same runs.
	Fingerprint string `json:"fingerprint"`
	// Failures and InconclusiveRuns list those seeds, in seed order.
	Failures         []seedResult `json:"failures"`
	InconclusiveRuns []seedResult `json:"inconclusive_runs"`
}

// failureCount is how many seeds found a failure.
type failureCount struct {
	Failure string `json:"failure"`
	Seeds   uint64 `json:"seeds"`
}

// seedRun is one seed's outcome, with what the aggregation needs beyond
// seedResult.
type seedRun struct {
	seedResult
	found   []string // every failure's "kind/name", once each
	missing uint64
}

// runSeedsFlags checks the flags that cannot go with --seeds.
func runSeedsFlags(cmd *cobra.Command, g *globals, f *runFlags) error {
	for _, name := range []string{"seed", "html", "history", "export-trace", "export-otel"} {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--%s applies to one run, not to --seeds: run the seed alone", name)
		}
	}
	if g.trace != "" {
		return usageErrorf("--trace applies to one run, not to --seeds: run the seed alone")
	}
	if f.workers < 1 {
		return usageErrorf("--workers: %d must be positive", f.workers)
	}
	return nil
}

func runScenarioSeeds(cmd *cobra.Command, g *globals, f *runFlags) error {
	if err := runSeedsFlags(cmd, g, f); err != nil {
		return err
	}
	span, err := parseSeedSpan(f.seeds, f.seedStart, cmd.Flags().Changed("seed-start"))
	if err != nil {
		return err
	}
	s, err := resolveScenario(f.scenario)
	if err != nil {
		return err
	}
	if f.budget <= 0 {
		return usageErrorf("--budget: %v must be positive", f.budget)
	}
	if err := s.Config.Validate(); err != nil {
		return usageErrorf("%s: %v", s.Name, err)
	}
	start := time.Now()
	agg := newSeedsAggregate(s, span)
	prog := newProgress(cmd.ErrOrStderr(), int(span.count), g.json, g.verbose)
	prog.label = "run"
	err = parallelSeeds(span.seeds(), f.workers, func(seed uint64) (seedRun, error) {
		return runOneSeed(s, seed, f)
	}, func(_ uint64, r seedRun) bool {
		agg.add(r)
		prog.add(r.seedResult)
		return true
	})
	prog.finish()
	if err != nil {
		return err
	}
	sum := agg.finish()
	if g.json {
		if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
			return err
		}
	} else {
		printSeeds(cmd.OutOrStdout(), &sum, f.workers, time.Since(start))
	}
	if sum.Result != "pass" {
		return errFailed
	}
	return nil
}

// runOneSeed runs the scenario with seed and classifies the run.
func runOneSeed(s *scenarios.Scenario, seed uint64, f *runFlags) (seedRun, error) {
	cfg := s.ConfigFor(seed)
	cfg.LinearizabilityBudget = f.budget
	res, err := sim.Run(cfg)
	if err != nil {
		return seedRun{}, usageErrorf("%s, seed %d: %v", s.Name, seed, err)
	}
	r := seedRun{seedResult: seedResult{
		Seed: seed, Scenario: s.Name, Result: "pass", TraceDigest: res.TraceDigest,
		Ops: res.Stats.Ops, VirtualMs: res.End.Duration().Milliseconds(),
	}, missing: res.Stats.MissingTargets}
	for _, fl := range res.Failures {
		if id := scenarios.FailureID(fl); !slices.Contains(r.found, id) {
			r.found = append(r.found, id)
		}
	}
	if s.Expect.Check(res) == nil {
		return r, nil
	}
	r.Failures = failuresJSON(res.Failures)
	r.Result = "fail"
	if !s.Expect.Pass() || seedVerdict(res) != "inconclusive" {
		if !res.Passed() {
			r.Reproducer, err = writeReproducer(f.out, s, seed, res)
		}
		return r, err
	}
	r.Result = "inconclusive"
	r.Reproducer, err = writeUnchecked(f.out, s, seed)
	return r, err
}

// seedsAggregate folds runs into a seedsSummary as they finish, in any
// order: the counts and the fingerprint do not depend on it, and the
// lists of failed and inconclusive seeds are sorted at the end.
type seedsAggregate struct {
	sum    seedsSummary
	fp     []byte
	counts map[string]uint64
}

func newSeedsAggregate(s *scenarios.Scenario, span seedSpan) *seedsAggregate {
	return &seedsAggregate{
		sum: seedsSummary{SchemaVersion: schemaVersion, Scenario: s.Name, Expected: expectationJSON(s.Expect),
			SeedStart: span.start, Seeds: span.count, Failures: []seedResult{}, InconclusiveRuns: []seedResult{}, ByFailure: []failureCount{}},
		fp:     make([]byte, sha256.Size),
		counts: map[string]uint64{},
	}
}

// add folds one run into the summary.
func (a *seedsAggregate) add(r seedRun) {
	sum := &a.sum
	sum.Runs++
	sum.Ops += r.Ops
	sum.MissingTargets += r.missing
	h := sha256.Sum256(fmt.Appendf(nil, "%d %s", r.Seed, r.TraceDigest))
	for i, b := range h {
		a.fp[i] ^= b
	}
	for _, id := range r.found {
		a.counts[id]++
	}
	switch r.Result {
	case "pass":
		sum.Passed++
	case "fail":
		sum.Failed++
		sum.Failures = append(sum.Failures, r.seedResult)
	case "inconclusive":
		sum.Inconclusive++
		sum.InconclusiveRuns = append(sum.InconclusiveRuns, r.seedResult)
	}
}

// finish returns the summary of the runs added.
func (a *seedsAggregate) finish() seedsSummary {
	sum := a.sum
	bySeed := func(x, y seedResult) int { return cmp.Compare(x.Seed, y.Seed) }
	slices.SortFunc(sum.Failures, bySeed)
	slices.SortFunc(sum.InconclusiveRuns, bySeed)
	for id, n := range a.counts {
		sum.ByFailure = append(sum.ByFailure, failureCount{Failure: id, Seeds: n})
	}
	slices.SortFunc(sum.ByFailure, func(a, b failureCount) int {
		return cmp.Or(cmp.Compare(b.Seeds, a.Seeds), strings.Compare(a.Failure, b.Failure))
	})
	sum.Fingerprint = hex.EncodeToString(a.fp)
	switch {
	case sum.Failed > 0:
		sum.Result = "fail"
	case sum.Inconclusive > 0:
		sum.Result = "inconclusive"
	default:
		sum.Result = "pass"
	}
	return sum
}

func printSeeds(w io.Writer, sum *seedsSummary, workers int, wall time.Duration) {
	expect := "pass"
	if !sum.Expected.Pass {
		expect = "fail with " + strings.Join(sum.Expected.Failures, " or ")
	}
	fmt.Fprintf(w, "raftsim run: scenario %s, seeds %d..%d (expected: %s)\n", sum.Scenario, sum.SeedStart, sum.SeedStart+sum.Seeds-1, expect)
	for _, r := range sum.Failures {
		found := "the run passed"
		if len(r.Failures) > 0 {
			var ids []string
			for _, f := range r.Failures {
				ids = append(ids, f.Kind+"/"+f.Name)
			}
			found = strings.Join(ids, ", ")
		}
		replay := ""
		if r.Reproducer != "" {
			replay = "; replay: raftsim replay " + r.Reproducer
		}
		fmt.Fprintf(w, "  seed %d: FAIL %s%s\n", r.Seed, found, replay)
	}
	for _, r := range sum.InconclusiveRuns {
		fmt.Fprintf(w, "  seed %d: inconclusive (the linearizability check ran out of budget); check it with: raftsim run --scenario %s --budget 10m\n", r.Seed, r.Reproducer)
	}
	rate := float64(sum.Runs) / max(wall.Seconds(), 1e-9)
	fmt.Fprintf(w, "  %s in %v on %s (%.1f seeds/s): %d passed, %d failed, %d inconclusive\n",
		plural(sum.Runs, "run"), wall.Round(time.Millisecond), plural(workers, "worker"), rate, sum.Passed, sum.Failed, sum.Inconclusive)
	if len(sum.ByFailure) > 0 {
		var parts []string
		for _, c := range sum.ByFailure {
			parts = append(parts, fmt.Sprintf("%s in %s", c.Failure, plural(c.Seeds, "seed")))
		}
		fmt.Fprintf(w, "  by failure: %s\n", strings.Join(parts, ", "))
	}
	if sum.MissingTargets > 0 {
		fmt.Fprintf(w, "  %s found fewer targets than they name\n", plural(sum.MissingTargets, "action"))
	}
	fmt.Fprintf(w, "  fingerprint %s\n", sum.Fingerprint)
	fmt.Fprintf(w, "  result %s\n", strings.ToUpper(sum.Result))
}
