//go:build raftbugs

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
	"github.com/raftsim/raftsim/sim/shrink"
)

func init() { extraCommands = append(extraCommands, newSelftestCmd) }

type selftestFlags struct {
	budget       time.Duration
	maxSeeds     uint64
	seedStart    uint64
	controlSeeds uint64
	duration     time.Duration
	workers      int
	only         []string
	fast         bool
	shrink       bool
	checkBudget  time.Duration
	out          string
}

// selftestRow is one planted bug's campaign.
type selftestRow struct {
	Bug     string `json:"bug"`
	Section string `json:"section"`
	Found   bool   `json:"found"`
	// Masked says why the bug cannot show in any run (see bugs.Info);
	// a miss is then expected and does not fail the selftest.
	Masked string `json:"masked,omitempty"`
	// Seed is the first failing seed, in seed order; SeedsRun how many
	// seeds the campaign ran until it knew.
	Seed     uint64 `json:"seed,omitempty"`
	SeedsRun uint64 `json:"seeds_run"`
	WallMs   int64  `json:"wall_ms"`
	Failure  string `json:"failure,omitempty"`
	// Expected is the check the catalogue says must catch the bug
	// (bugs.Info.CaughtBy); a bug found by another is a selftest failure.
	Expected string `json:"expected,omitempty"`
	// Shrunk reports the minimized reproducer's size.
	Shrunk string `json:"shrunk,omitempty"`
	// ShrunkActions is the minimized timeline's length.
	ShrunkActions int `json:"shrunk_actions,omitempty"`
	// Reproducer is the minimized failing scenario's file, with --out.
	Reproducer string `json:"reproducer,omitempty"`
	// Fired counts the times the bug changed what the correct code would
	// have done, over every run of the campaign: zero means the workload
	// never reached it, many without a finding means the checks missed it.
	Fired uint64 `json:"fired"`
	// Inconclusive counts runs whose linearizability check ran out of
	// budget: neither a pass nor a finding.
	Inconclusive int `json:"inconclusive,omitempty"`
}

// selftestSummary is what `raftsim selftest --json` prints;
// schema/selftest.v1.json describes it.
type selftestSummary struct {
	SchemaVersion int           `json:"schema_version"`
	Result        string        `json:"result"`
	Bugs          []selftestRow `json:"bugs"`
	Found         int           `json:"found"`
	Control       selftestRow   `json:"control"`
	// MedianMs is the median wall time to find a bug, over found bugs.
	MedianMs int64 `json:"median_ms"`
}

func newSelftestCmd(g *globals) *cobra.Command {
	f := &selftestFlags{}
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Prove the testbed finds planted Raft bugs (raftbugs builds only)",
		Long: `Switch on each planted Raft bug in turn (raft/bugs: Figure 8 commit, vote
before sync, no up-to-date check, ...) and fuzz generated scenarios with it
until one fails, within a wall-clock budget per bug. Then run the same
campaign with no bug planted: it must find nothing. Prints, per bug, whether
it was found, the seeds and wall time it took, and which check caught it;
each first failure is minimized (sim/shrink) and its size reported.

A bug the catalogue marks as masked (the rest of the implementation never
creates the state it needs) is still hunted; missing it is expected.

Each bug must be caught by the check the catalogue names for it
(bugs.Info.CaughtBy): every check has a bug that it, and no other, is
expected to find first, so a check that went silent fails the selftest.
--fast hunts only the bugs found within a few seeds: make test runs that
reduced selftest.

Exit status 0 when every bug not masked was found, each by its expected
check, and the control campaign found nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return selftest(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.DurationVar(&f.budget, "budget", time.Minute, "wall-clock budget per bug")
	fl.Uint64Var(&f.maxSeeds, "max-seeds", 100_000, "most seeds per bug")
	fl.Uint64Var(&f.seedStart, "seed-start", 1, "the first seed of each campaign (to reach a later failing seed, for instance one another check catches)")
	fl.Uint64Var(&f.controlSeeds, "control-seeds", 200, "least seeds of the campaign with no bug (it runs at least as many as any bug needed)")
	fl.DurationVar(&f.duration, "duration", scenarios.DefaultGenerateDuration, "the fault phase of each generated scenario (virtual time)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers")
	fl.StringSliceVar(&f.only, "bug", nil, "run only these bugs (names, repeatable)")
	fl.BoolVar(&f.fast, "fast", false, "run only the bugs the catalogue marks fast (found within a few seeds): the reduced selftest of make test")
	fl.BoolVar(&f.shrink, "shrink", true, "minimize each bug's first failure")
	fl.DurationVar(&f.checkBudget, "check-budget", 30*time.Second, "wall-clock budget of each linearizability check")
	fl.StringVar(&f.out, "out", "", "write each bug's minimized failing scenario to `DIR`, for 'raftsim replay' (in a raftbugs build)")
	var names []string
	for _, in := range bugs.Catalog {
		names = append(names, in.Name)
	}
	_ = cmd.RegisterFlagCompletionFunc("bug", fixedCompletion(names))
	return cmd
}

func selftest(cmd *cobra.Command, g *globals, f *selftestFlags) error {
	if f.workers < 1 || f.budget <= 0 || f.duration <= 0 || f.maxSeeds == 0 || f.seedStart == 0 || f.seedStart-1 > math.MaxUint64-f.maxSeeds {
		return usageErrorf("--workers, --budget, --duration, --max-seeds and --seed-start must be positive, and the seeds must not overflow")
	}
	catalog := bugs.Catalog
	if f.fast {
		catalog = slices.DeleteFunc(slices.Clone(catalog), func(in bugs.Info) bool { return !in.Fast })
	}
	if len(f.only) > 0 {
		catalog = nil
		for _, name := range f.only {
			b, ok := bugs.ByName(name)
			if !ok {
				var names []string
				for _, in := range bugs.Catalog {
					names = append(names, in.Name)
				}
				return usageErrorf("--bug: no planted bug %q (there are: %s)", name, strings.Join(names, ", "))
			}
			in, _ := bugs.InfoOf(b)
			catalog = append(catalog, in)
		}
	}
	w := cmd.OutOrStdout()
	log := io.Discard
	if !g.json {
		log = cmd.ErrOrStderr()
	}
	var sum selftestSummary
	var mostSeeds uint64
	for _, in := range catalog {
		bugs.Set(in.Bug)
		row := hunt(f, f.maxSeeds, f.budget, in.Name)
		row.Section, row.Masked, row.Expected = in.Section, in.Masked, in.CaughtBy
		bugs.Set(bugs.None)
		if row.Found {
			sum.Found++
		}
		mostSeeds = max(mostSeeds, row.SeedsRun)
		fmt.Fprintf(log, "selftest: %-28s %s\n", in.Name, describeRow(row))
		sum.Bugs = append(sum.Bugs, row)
	}
	bugs.Set(bugs.None)
	control := hunt(f, max(mostSeeds, f.controlSeeds), 0, "")
	control.Bug = "none (control)"
	fmt.Fprintf(log, "selftest: %-28s %s\n", control.Bug, describeRow(control))
	sum.Control = control
	var found []int64
	for _, r := range sum.Bugs {
		if r.Found {
			found = append(found, r.WallMs)
		}
	}
	slices.Sort(found)
	if len(found) > 0 {
		sum.MedianMs = found[len(found)/2]
	}
	sum.SchemaVersion = schemaVersion
	sum.Result = "pass"
	for _, r := range sum.Bugs {
		if !r.Found && r.Masked == "" || r.Found && !caughtAsExpected(r) {
			sum.Result = "fail"
		}
	}
	if control.Found {
		sum.Result = "fail"
	}
	if g.json {
		if err := writeJSON(w, sum); err != nil {
			return err
		}
	} else {
		printSelftest(w, &sum, f)
	}
	if sum.Result != "pass" {
		return errFailed
	}
	return nil
}

// hunt runs generated scenarios from --seed-start on until one fails, seeds run
// out, or (budget > 0) the wall-clock budget does. The first failure is
// the lowest failing seed, whatever the workers' timing. A campaign for a
// bug (named; "" is the control) minimizes its failure.
func hunt(f *selftestFlags, maxSeeds uint64, budget time.Duration, bug string) selftestRow {
	start := time.Now()
	row := selftestRow{Bug: bug}
	chunk := uint64(4 * f.workers)
	last := f.seedStart - 1 + maxSeeds
	for next := f.seedStart; next <= last; next += chunk {
		if budget > 0 && time.Since(start) >= budget {
			break
		}
		seeds := seedSeq{first: next, step: 1, count: min(chunk-1, last-next) + 1}
		run := func(seed uint64) (seedResult, error) {
			_, _, res, err := runGenerated(seed, scenarios.GenerateOptions{Duration: f.duration}, checker.LinearizabilityOptions{Budget: f.checkBudget}, selftestMaxEvents)
			if err != nil {
				return seedResult{}, err
			}
			// An inconclusive linearizability check (its budget ran out)
			// is no finding, for a bug or for the control: it is counted,
			// not mistaken for a pass or a catch.
			r := seedResult{Seed: seed, Result: seedVerdict(res)}
			if r.Result == "fail" {
				r.Failures = failuresJSON(res.Failures)
			}
			return r, nil
		}
		var results []seedResult
		_, err := runSeeds(seeds, f.workers, true, run, newProgress(io.Discard, int(seeds.count), true, false),
			func(r seedResult) { results = append(results, r) })
		if err != nil {
			row.Failure = err.Error()
			return row
		}
		row.SeedsRun = seeds.first - f.seedStart + uint64(len(results))
		for _, r := range results {
			if r.Result == "inconclusive" {
				row.Inconclusive++
			}
		}
		if last := results[len(results)-1]; last.Result == "fail" {
			row.Found, row.Seed = true, last.Seed
			row.Failure = primaryFailure(last.Failures)
			break
		}
	}
	row.WallMs = time.Since(start).Milliseconds()
	row.Fired = bugs.Fired()
	if row.Found && bug != "" && f.shrink {
		if err := shrinkSeed(&row, f); err != nil {
			row.Failure += " (" + err.Error() + ")"
		}
	}
	return row
}

// caughtAsExpected reports whether a found bug was caught by the check the
// catalogue expects.
func caughtAsExpected(r selftestRow) bool {
	return r.Expected == "" || r.Failure == r.Expected
}

// primaryFailure names the failure that matters most: a safety failure
// before liveness, then in report order.
func primaryFailure(fs []failureJSON) string {
	best := -1
	for i, fl := range fs {
		if best < 0 || (isSafety(fl.Kind) && !isSafety(fs[best].Kind)) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return fs[best].Kind + "/" + fs[best].Name
}

func isSafety(kind string) bool {
	return kind == sim.FailureInvariant.String() || kind == sim.FailureLinearizability.String() || kind == sim.FailurePanic.String()
}

// selftestMaxEvents bounds each selftest run: a planted bug can make a
// cluster churn without end, and a generated run needs far fewer events.
const selftestMaxEvents = 3_000_000

// shrinkBudget bounds the wall time spent minimizing one bug's failure.
const shrinkBudget = 20 * time.Second

// shrinkSeed minimizes the failing run of the row's seed, records the
// sizes, and with --out writes the minimized scenario as a reproducer.
func shrinkSeed(row *selftestRow, f *selftestFlags) error {
	s, cfg, res, err := runGenerated(row.Seed, scenarios.GenerateOptions{Duration: f.duration}, checker.LinearizabilityOptions{Budget: f.checkBudget}, selftestMaxEvents)
	if err != nil || res.Passed() {
		return err
	}
	deadline := time.Now().Add(shrinkBudget)
	small, smallRes, note := minimize(s, cfg, res, shrink.Options{
		MaxRuns: 600,
		Stop:    func() bool { return time.Now().After(deadline) },
	})
	row.Shrunk, row.ShrunkActions = note, len(small.Config.Timeline)
	small.Name = row.Bug + "-" + small.Name // one file per bug, whatever the seeds
	if f.out == "" {
		return nil
	}
	row.Reproducer, err = writeReproducer(f.out, small, row.Seed, smallRes)
	return err
}

func describeRow(r selftestRow) string {
	if !r.Found {
		return fmt.Sprintf("not found in %s (%.1fs; the bug fired %s)", plural(r.SeedsRun, "seed"), float64(r.WallMs)/1000, plural(r.Fired, "time"))
	}
	return fmt.Sprintf("found at seed %d after %s (%.1fs): %s", r.Seed, plural(r.SeedsRun, "seed"), float64(r.WallMs)/1000, r.Failure)
}

func printSelftest(w io.Writer, sum *selftestSummary, f *selftestFlags) {
	masked := 0
	for _, r := range sum.Bugs {
		if r.Masked != "" {
			masked++
		}
	}
	fmt.Fprintf(w, "raftsim selftest: %d of %d planted bugs found, %d masked (budget %v per bug, %d workers); median time to find %.1fs\n\n",
		sum.Found, len(sum.Bugs), masked, f.budget, f.workers, float64(sum.MedianMs)/1000)
	fmt.Fprintf(w, "%-28s %-7s %6s %8s %10s %-36s %s\n", "bug", "found", "seeds", "wall", "fired", "caught by", "minimized")
	for _, r := range sum.Bugs {
		found := "no"
		switch {
		case r.Found:
			found = "yes"
		case r.Masked != "":
			found = "masked"
		}
		shr := ""
		if r.ShrunkActions > 0 || r.Shrunk != "" {
			shr = plural(r.ShrunkActions, "action")
		}
		caught := r.Failure
		if r.Found && !caughtAsExpected(r) {
			caught += " (EXPECTED " + r.Expected + ")"
		}
		fmt.Fprintf(w, "%-28s %-7s %6d %7.1fs %10d %-36s %s\n", r.Bug, found, r.SeedsRun, float64(r.WallMs)/1000, r.Fired, caught, shr)
	}
	c := sum.Control
	verdict := "nothing found"
	if c.Found {
		verdict = "FOUND " + c.Failure + fmt.Sprintf(" at seed %d", c.Seed)
	}
	fmt.Fprintf(w, "\ncontrol (no bug): %s, %s (%.1fs)\n", plural(c.SeedsRun, "seed"), verdict, float64(c.WallMs)/1000)
	if c.Inconclusive > 0 {
		fmt.Fprintf(w, "  %d control runs were inconclusive (linearizability budget)\n", c.Inconclusive)
	}
	for _, r := range sum.Bugs {
		if r.Masked != "" && !r.Found {
			fmt.Fprintf(w, "  %s is masked, a miss is expected: %s\n", r.Bug, r.Masked)
		}
	}
	for _, r := range sum.Bugs {
		if r.Shrunk != "" {
			fmt.Fprintf(w, "  %s minimized: %s\n", r.Bug, r.Shrunk)
		}
		if r.Reproducer != "" {
			// Only a raftbugs build, such as this one, replays it.
			fmt.Fprintf(w, "    replay: %s replay %s\n", os.Args[0], r.Reproducer)
		}
	}
	fmt.Fprintf(w, "\nresult: %s\n", strings.ToUpper(sum.Result))
}
