package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
	"github.com/raftsim/raftsim/sim/shrink"
)

type fuzzFlags struct {
	seeds         uint64
	seedStart     uint64
	duration      time.Duration
	workers       int
	stopOnFailure bool
	out           string
	shard         string
	summary       string
	budget        time.Duration
	// checkConfigs and checkWindow bound the online linearizability check
	// (checker.LinearizabilityOptions' MaxConfigs and ReplayWindow).
	checkConfigs, checkWindow int
	shrinkRuns                int
	// diskFaults is --disk-faults, a scenarios.DiskFaultMode's name.
	diskFaults string
	// seedsFlag is --seeds, which may also set the first seed.
	seedsFlag *seedsValue
}

// fuzzSummary is the result of a fuzz campaign, or of one shard of it. It
// is a pure function of the flags that shape the campaign (no wall time),
// so two runs, or merged shards and an unsharded run, compare equal. It
// lists failing seeds only, so that a campaign of millions of seeds keeps
// a small summary; the fingerprint stands for every run.
//
// schema/fuzz.v1.json describes it.
type fuzzSummary struct {
	SchemaVersion int    `json:"schema_version"`
	SeedStart     uint64 `json:"seed_start"`
	Seeds         uint64 `json:"seeds"`
	DurationMs    int64  `json:"duration_ms"`
	StopOnFailure bool   `json:"stop_on_failure"`
	// DiskFaults is --disk-faults: how often the generator drew the
	// disk-fault dimension (a scenarios.DiskFaultMode's name).
	DiskFaults string `json:"disk_faults"`
	// Shard is "i/n" for one shard's summary, empty for a whole campaign.
	Shard string `json:"shard,omitempty"`
	// Stopped reports that --stop-on-failure ended the campaign early.
	Stopped bool   `json:"stopped,omitempty"`
	Result  string `json:"result"`
	Runs    uint64 `json:"runs"`
	Failed  uint64 `json:"failed"`
	// Inconclusive counts the runs whose linearizability check ran out of
	// budget and that found nothing else: not verified, not failed.
	// InconclusiveRuns lists them, in seed order.
	Inconclusive     uint64       `json:"inconclusive"`
	InconclusiveRuns []seedResult `json:"inconclusive_runs"`
	// Ops counts the client operations of every run.
	Ops uint64 `json:"ops"`
	// Disk sums up the runs on the file store: per disk fault kind, the
	// faults injected and how the runs that met it ended.
	Disk fuzzDisk `json:"disk"`
	// Fingerprint is the XOR over the runs of SHA-256(seed, trace digest):
	// equal fingerprints mean the same seeds ran with the same traces,
	// however the campaign was sharded (XOR does not care about order).
	Fingerprint string `json:"fingerprint"`
	// Failures holds the failing seeds' results, in seed order.
	Failures []seedResult `json:"failures"`
}

// seedResult is one generated scenario's run.
type seedResult struct {
	Seed        uint64        `json:"seed"`
	Scenario    string        `json:"scenario"`
	Result      string        `json:"result"`
	Failures    []failureJSON `json:"failures,omitempty"`
	TraceDigest string        `json:"trace_digest"`
	Ops         uint64        `json:"ops"`
	VirtualMs   int64         `json:"virtual_ms"`
	Reproducer  string        `json:"reproducer,omitempty"`
	// Minimized reports the sizes before and after minimizing.
	Minimized string `json:"minimized,omitempty"`
	// Disk is what the run's disks did, for a run on the file store
	// (fuzz; run --seeds leaves it out).
	Disk *diskJSON `json:"disk,omitempty"`
}

func newFuzzCmd(g *globals) *cobra.Command {
	f := &fuzzFlags{}
	cmd := &cobra.Command{
		Use:   "fuzz [--seeds N] [--seed-start S] [--duration D] [--shard i/n] [--disk-faults always]",
		Short: "Run scenarios generated from seeds, in parallel",
		Long: `Generate a random scenario from each seed (every fault kind and config knob,
chosen by the seed) and run it, with one worker per core by default. Every
generated scenario is supposed to pass; a failure writes a reproducer to
--out and makes the exit status 1.

--shard i/n runs every n-th seed of the campaign, starting with the i-th
(1 <= i <= n), so that n shards together run exactly the seeds of the
unsharded campaign; 'raftsim fuzz merge' joins their --summary files.
Results are reported in seed order whatever the workers' timing: the
summary is the same on every machine.

When some run was on the file store, the summary tells, per disk fault
kind, the faults injected and how the runs that met it ended (a safety
failure: data lost or changed; a liveness failure: no recovery after
healing). --disk-faults always puts every seed on the file store and
draws its disk faults (by default, generated, one seed in four runs on
the file store and half of those on misbehaving disks), so that a
campaign gives figures for every fault kind; its scenarios are named
generated-disk-SEED.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fuzz(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	f.seeds, f.seedStart = 100, 1
	f.seedsFlag = &seedsValue{count: &f.seeds, start: &f.seedStart}
	fl.Var(f.seedsFlag, "seeds", "how many seeds the campaign runs, from --seed-start (or a range A..B)")
	fl.Uint64Var(&f.seedStart, "seed-start", 1, "the first seed")
	fl.DurationVar(&f.duration, "duration", scenarios.DefaultGenerateDuration, "the fault phase of each generated scenario (virtual time)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers")
	fl.BoolVar(&f.stopOnFailure, "stop-on-failure", false, "stop at the first failing seed (in seed order)")
	fl.StringVar(&f.out, "out", defaultOutDir, "the `DIR` for reproducer files")
	fl.StringVar(&f.shard, "shard", "", "run shard `i/n` of the campaign")
	fl.StringVar(&f.summary, "summary", "", "write the JSON summary to `FILE`")
	// A campaign meets rare histories that porcupine needs more than the
	// simulator's default 10s for; an undecided check counts as a failure.
	fl.DurationVar(&f.budget, "budget", 30*time.Second, "wall-clock budget of each linearizability check")
	fl.IntVar(&f.checkConfigs, "check-configs", checker.DefaultMaxConfigs, "configurations the online linearizability check keeps per key before it hands the key to porcupine")
	fl.IntVar(&f.checkWindow, "check-window", checker.DefaultReplayWindow, "events of a key's history the online linearizability check keeps for a replay or for porcupine; past it, a run may be inconclusive")
	fl.StringVar(&f.diskFaults, "disk-faults", scenarios.DiskFaultsGenerated.String(), "how often seeds draw disk faults: `generated` (as the seed draws) or always (every seed on the file store, its disk faults drawn)")
	fl.IntVar(&f.shrinkRuns, "shrink-runs", 400, "runs spent minimizing each failure before its reproducer is written (0: no minimizing)")
	cmd.AddCommand(newMergeCmd(g))
	return cmd
}

// parseShard reads "i/n" with 1 <= i <= n.
func parseShard(s string) (i, n uint64, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.ParseUint(a, 10, 64)
		if err == nil {
			n, err = strconv.ParseUint(b, 10, 64)
		}
	}
	if !ok || err != nil || n == 0 || i < 1 || i > n {
		return 0, 0, usageErrorf("--shard: %q is not i/n with 1 <= i <= n", s)
	}
	return i, n, nil
}

// shardSeeds is the seeds of shard i of n (1 <= i <= n) of the campaign
// of count seeds from start: every n-th seed of it, from its (i-1)-th. The
// campaign's last seed, start+count-1, must not pass the largest uint64.
func shardSeeds(start, count, i, n uint64) seedSeq {
	if i-1 >= count {
		return seedSeq{first: start, step: n}
	}
	return seedSeq{first: start + (i - 1), step: n, count: (count-(i-1)-1)/n + 1}
}

func fuzz(cmd *cobra.Command, g *globals, f *fuzzFlags) error {
	if f.workers < 1 || f.duration <= 0 || f.budget <= 0 || f.checkConfigs < 1 || f.checkWindow < 1 {
		return usageErrorf("--workers, --duration, --budget, --check-configs and --check-window must be positive")
	}
	if f.seedsFlag.isRange && cmd.Flags().Changed("seed-start") {
		return usageErrorf("--seeds %s names its first seed: leave out --seed-start", f.seedsFlag.spec)
	}
	if f.shrinkRuns < 0 {
		return usageErrorf("--shrink-runs: %d is negative (0: no minimizing)", f.shrinkRuns)
	}
	// The last seed may be the largest uint64: start+count-1 must not wrap.
	if f.seeds == 0 || f.seedStart+(f.seeds-1) < f.seedStart {
		return usageErrorf("--seeds: %d seeds from %d is not a range of seeds", f.seeds, f.seedStart)
	}
	mode, err := scenarios.ParseDiskFaultMode(f.diskFaults)
	if err != nil {
		return usageErrorf("--disk-faults: %v", err)
	}
	i, n := uint64(1), uint64(1)
	if f.shard != "" {
		if i, n, err = parseShard(f.shard); err != nil {
			return err
		}
	}
	seeds := shardSeeds(f.seedStart, f.seeds, i, n)
	sum := fuzzSummary{
		SeedStart: f.seedStart, Seeds: f.seeds, DurationMs: f.duration.Milliseconds(),
		StopOnFailure: f.stopOnFailure, DiskFaults: mode.String(), Shard: f.shard,
	}
	start := time.Now()
	prog := newProgress(cmd.ErrOrStderr(), int(seeds.count), g.json, g.verbose)
	gen := scenarios.GenerateOptions{Duration: f.duration, DiskFaults: mode}
	run := func(seed uint64) (seedResult, error) { return runSeed(seed, gen, f) }
	stopped, err := runSeeds(seeds, f.workers, f.stopOnFailure, run, prog, func(r seedResult) { sum.add(r) })
	prog.finish()
	if err != nil {
		return err
	}
	sum.Stopped = stopped
	sum.finish()
	if f.summary != "" {
		if err := writeSummaryFile(f.summary, &sum); err != nil {
			return err
		}
	}
	if g.json {
		if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
			return err
		}
	} else {
		printFuzz(cmd, &sum, f.workers, time.Since(start))
	}
	if sum.Result != "pass" {
		return errFailed
	}
	return nil
}

// add folds runs, in seed order, into the summary.
func (s *fuzzSummary) add(results ...seedResult) {
	fp := s.fingerprint()
	for _, r := range results {
		s.Runs++
		s.Ops += r.Ops
		s.Disk.add(&r)
		h := sha256.New()
		fmt.Fprintf(h, "%d %s", r.Seed, r.TraceDigest)
		for i, b := range h.Sum(nil) {
			fp[i] ^= b
		}
		switch r.Result {
		case "fail":
			s.Failed++
			s.Failures = append(s.Failures, r)
		case "inconclusive":
			s.Inconclusive++
			s.InconclusiveRuns = append(s.InconclusiveRuns, r)
		}
	}
	s.Fingerprint = hex.EncodeToString(fp)
}

func (s *fuzzSummary) fingerprint() []byte {
	fp, err := hex.DecodeString(s.Fingerprint)
	if err != nil || len(fp) != sha256.Size {
		return make([]byte, sha256.Size)
	}
	return fp
}

// finish sets the result.
func (s *fuzzSummary) finish() {
	s.SchemaVersion = schemaVersion
	if s.DiskFaults == "" {
		s.DiskFaults = scenarios.DiskFaultsGenerated.String()
	}
	s.Result = "pass"
	switch {
	case s.Failed > 0:
		s.Result = "fail"
	case s.Runs > 0 && s.Inconclusive == s.Runs:
		// Nothing failed, and nothing was verified either.
		s.Result = "inconclusive"
	}
	if s.Failures == nil {
		s.Failures = []seedResult{}
	}
	if s.InconclusiveRuns == nil {
		s.InconclusiveRuns = []seedResult{}
	}
	s.Disk.init()
	if s.Fingerprint == "" {
		s.Fingerprint = hex.EncodeToString(make([]byte, sha256.Size))
	}
}

// runGenerated generates the scenario of a seed and runs it; maxEvents
// zero keeps the simulator's default bound.
func runGenerated(seed uint64, gen scenarios.GenerateOptions, check checker.LinearizabilityOptions, maxEvents uint64) (*scenarios.Scenario, sim.Config, *sim.Result, error) {
	s := scenarios.Generate(seed, gen)
	cfg := s.ConfigFor(seed)
	cfg.LinearizabilityBudget = check.Budget
	cfg.CheckLimits = check
	cfg.MaxEvents = maxEvents
	res, err := sim.Run(cfg)
	if err != nil {
		// The generator made a configuration the simulator refuses: a bug.
		return nil, cfg, nil, fmt.Errorf("seed %d: the generated scenario is invalid: %v", seed, err)
	}
	return s, cfg, res, nil
}

// shrinkTarget is the failure a minimized run must keep: the first safety
// failure, or else the first failure.
func shrinkTarget(fs []sim.Failure) sim.Failure {
	for _, fl := range fs {
		if fl.Kind.IsSafety() {
			return fl
		}
	}
	return fs[0]
}

// runSeed generates and runs one seed's scenario, writing a reproducer if
// it fails. The reproducer holds the whole scenario, as generated with
// gen: it replays without regenerating.
func runSeed(seed uint64, gen scenarios.GenerateOptions, f *fuzzFlags) (seedResult, error) {
	s, cfg, res, err := runGenerated(seed, gen, checker.LinearizabilityOptions{
		Budget: f.budget, MaxConfigs: f.checkConfigs, ReplayWindow: f.checkWindow}, 0)
	if err != nil {
		return seedResult{}, err
	}
	r := seedResult{
		Seed: seed, Scenario: s.Name, Result: "pass", TraceDigest: res.TraceDigest,
		Ops: res.Stats.Ops, VirtualMs: res.End.Duration().Milliseconds(), Disk: diskOf(s, res),
	}
	r.Result = seedVerdict(res)
	if r.Result == "inconclusive" {
		r.Failures = failuresJSON(res.Failures)
		r.Reproducer, err = writeUnchecked(f.out, s, seed)
		return r, err
	}
	if r.Result == "fail" {
		r.Failures = failuresJSON(res.Failures)
		if f.shrinkRuns > 0 {
			s, res, r.Minimized = minimize(s, cfg, res, shrink.Options{MaxRuns: f.shrinkRuns})
		}
		path, err := writeReproducer(f.out, s, seed, res)
		if err != nil {
			return r, err
		}
		r.Reproducer = path
	}
	return r, nil
}

// seedVerdict classifies a run: "pass"; "inconclusive" when the only
// failure is a linearizability check that ran out of budget (nothing was
// found, nothing verified); "fail" otherwise.
func seedVerdict(res *sim.Result) string {
	verdict := "pass"
	for _, fl := range res.Failures {
		if fl.Kind != sim.FailureInconclusive {
			return "fail"
		}
		verdict = "inconclusive"
	}
	return verdict
}

// minimize shrinks a failing generated scenario (sim/shrink) to one that
// fails the same way, and returns it with its run and a note of the sizes
// before and after.
func minimize(s *scenarios.Scenario, cfg sim.Config, res *sim.Result, opts shrink.Options) (*scenarios.Scenario, *sim.Result, string) {
	opts.Run = statable(s, opts.Run)
	small, st := shrink.Minimize(cfg, shrinkTarget(res.Failures), opts)
	smallRes, err := sim.Run(small)
	if err != nil || smallRes.Passed() {
		return s, res, "" // cannot happen: runs repeat; keep the original
	}
	m := *s
	m.Name = s.Name + "-min"
	m.Description = fmt.Sprintf("%s Minimized from %s: %s.", s.Description, s.Name, st)
	m.Config = small
	return &m, smallRes, st.String()
}

// statable wraps a shrink candidate's run (sim.Run if nil) so that a
// candidate its reproducer file could not state is refused: the simulator
// runs some timelines the scenario format rejects (a crash of a node an
// earlier crash left down, once the restart between them is cut), and a
// reproducer must replay.
func statable(s *scenarios.Scenario, run func(sim.Config) (*sim.Result, error)) func(sim.Config) (*sim.Result, error) {
	if run == nil {
		run = sim.Run
	}
	return func(c sim.Config) (*sim.Result, error) {
		m := *s
		m.Config = c
		if _, err := scenarios.Parse(s.Name+"-min.toml", scenarios.Encode(&m)); err != nil {
			return nil, err
		}
		return run(c)
	}
}

// runSeeds runs the seeds on workers goroutines, each calling run (which
// calls sim.Run: runs share nothing), and hands the results to fold in
// seed order. With stopOnFailure it stops handing out seeds after a
// failure, and folds the results up to the lowest failing seed: exactly
// what a sequential run would have produced, whatever the workers'
// timing. It holds only the results that finished before an earlier
// seed's, never a list of every seed or result.
func runSeeds(seeds seedSeq, workers int, stopOnFailure bool, run func(uint64) (seedResult, error), prog *progress, fold func(seedResult)) (bool, error) {
	// early holds the results at positions from next on, until every
	// position before theirs is folded.
	early := map[uint64]seedResult{}
	var next uint64
	cut := seeds.count // results at positions >= cut are dropped
	err := parallelSeeds(seeds, workers, run, func(pos uint64, r seedResult) bool {
		prog.add(r)
		if pos >= cut {
			return false
		}
		more := true
		if stopOnFailure && r.Result == "fail" {
			cut, more = pos+1, false
		}
		early[pos] = r
		for next < cut {
			r, ok := early[next]
			if !ok {
				break
			}
			delete(early, next)
			fold(r)
			next++
		}
		return more
	})
	if err != nil {
		return false, err
	}
	if next != cut {
		panic(fmt.Sprintf("raftsim: fuzz: seed %d below the cut was never run", seeds.at(next)))
	}
	return cut < seeds.count, nil
}

func printFuzz(cmd *cobra.Command, sum *fuzzSummary, workers int, wall time.Duration) {
	w := cmd.OutOrStdout()
	span := fmt.Sprintf("seeds %d..%d", sum.SeedStart, sum.SeedStart+sum.Seeds-1)
	if sum.Shard != "" {
		span += ", shard " + sum.Shard
	}
	disks := ""
	if sum.DiskFaults == scenarios.DiskFaultsAlways.String() {
		disks = ", disk faults drawn on every seed"
	}
	fmt.Fprintf(w, "raftsim fuzz: %s, %v of faults each%s\n", span, time.Duration(sum.DurationMs)*time.Millisecond, disks)
	if workers > 0 {
		rate := float64(sum.Runs) / max(wall.Seconds(), 1e-9)
		fmt.Fprintf(w, "  %s in %v on %s (%.1f seeds/s), %d failed\n", plural(sum.Runs, "run"), wall.Round(time.Millisecond), plural(workers, "worker"), rate, sum.Failed)
	} else {
		fmt.Fprintf(w, "  %s (merged), %d failed\n", plural(sum.Runs, "run"), sum.Failed)
	}
	if sum.Stopped {
		fmt.Fprintln(w, "  stopped at the first failure (--stop-on-failure)")
	}
	printFuzzDisk(w, &sum.Disk)
	for _, r := range sum.Failures {
		var ids []string
		for _, f := range r.Failures {
			ids = append(ids, f.Kind+"/"+f.Name)
		}
		fmt.Fprintf(w, "  seed %d: %s\n    replay: raftsim replay %s\n", r.Seed, strings.Join(ids, ", "), r.Reproducer)
	}
	if sum.Inconclusive > 0 {
		fmt.Fprintf(w, "  %s inconclusive: the linearizability check ran out of budget (--budget), and found nothing else\n", plural(sum.Inconclusive, "run"))
		for _, r := range sum.InconclusiveRuns {
			fmt.Fprintf(w, "  seed %d: check it with: raftsim run --scenario %s --budget 10m\n", r.Seed, r.Reproducer)
		}
	}
	switch sum.Result {
	case "pass":
		fmt.Fprintln(w, "  result PASS")
	case "inconclusive":
		fmt.Fprintln(w, "  result INCONCLUSIVE: every run was inconclusive, so nothing was verified")
	default:
		fmt.Fprintln(w, "  result FAIL")
	}
}
