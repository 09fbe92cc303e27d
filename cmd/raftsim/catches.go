//go:build raftbugs

package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// catches: which planted bugs each scenario catches (text only: it is a
// maintainers' table, not a machine interface). For each planted bug
// in turn, and for the correct core, every scenario runs on every seed;
// a seed catches the bug when its run does not meet the scenario's
// expectation. The table says, per scenario and bug, how many seeds did
// and with which failure first. Built-in scenarios are checked against
// the correct core too: a seed that fails there is a defect of the
// scenario or the core, not a catch.
//
// Each bug's row is printed as soon as its campaign ends, so a long
// campaign shows its results as it goes. Every cell (a scenario under a
// bug) is bounded: by its seeds, by a wall-clock budget after which it
// starts no more seeds, and each run by an event bound (a bug can make a
// cluster send messages without end); a bound that was hit is reported
// in the row and the table.

func init() { extraCommands = append(extraCommands, newCatchesCmd) }

type catchesFlags struct {
	scenarios []string
	seeds     string
	seedStart uint64
	workers   int
	only      []string
	budget    time.Duration
	// cellBudget bounds the wall time of one cell; maxEvents each run.
	cellBudget time.Duration
	maxEvents  uint64
}

// catchCell is one scenario under one bug (or the correct core).
type catchCell struct {
	Scenario, Bug string
	// Caught counts the seeds whose run did not meet the expectation;
	// Inconclusive those only a linearizability check out of budget kept
	// from passing. First is the first such seed, Failure its first
	// failure ("kind/name").
	Caught, Inconclusive, Seeds uint64
	First                       uint64
	Failure                     string
	// Run counts the seeds run: fewer than Seeds when the cell's wall
	// budget ran out (OutOfTime). Bounded counts the runs that reached
	// the event bound before any other failure: neither a pass nor a
	// catch.
	Run, Bounded uint64
	OutOfTime    bool
	Wall         time.Duration
}

type catchesSummary struct {
	SeedStart, Seeds uint64
	Scenarios, Bugs  []string
	Cells            []catchCell
	// Missed lists the bugs no scenario caught.
	Missed []string
	// CorrectFailures counts the seeds that failed with no bug planted.
	CorrectFailures uint64
}

func newCatchesCmd(g *globals) *cobra.Command {
	f := &catchesFlags{}
	cmd := &cobra.Command{
		Use:   "catches --scenario NAME|FILE ... [--seeds N|A..B] [--bug NAME ...]",
		Short: "Which planted bugs each scenario catches, over many seeds (raftbugs builds only)",
		Long: `Run each scenario on every seed with each planted Raft bug switched on in
turn, and with none: a seed catches a bug when its run does not meet the
scenario's expectation. Prints, per scenario, the correct core's failing
seeds (there should be none) and per bug how many seeds caught it and with
which failure; then the bugs no scenario caught.

Exit status 0 when the correct core met every scenario's expectation on
every seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return catches(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.scenarios, "scenario", nil, "a scenario `NAME` or FILE (repeatable; a name ending in * takes every built-in with that prefix)")
	fl.StringVar(&f.seeds, "seeds", "200", "the seeds: `N` from --seed-start, or A..B")
	fl.Uint64Var(&f.seedStart, "seed-start", 1, "the first seed of --seeds N")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers")
	fl.StringSliceVar(&f.only, "bug", nil, "only these planted bugs (names, repeatable)")
	fl.DurationVar(&f.budget, "budget", 10*time.Second, "wall-clock budget of each linearizability check")
	fl.DurationVar(&f.cellBudget, "cell-budget", 5*time.Minute, "wall-clock budget of one scenario under one bug: no seed starts after it (reported)")
	fl.Uint64Var(&f.maxEvents, "max-events", catchesMaxEvents, "most events of one run, if the scenario allows more (a run that reaches it is reported, not counted as a catch)")
	return cmd
}

// catchesScenarios resolves --scenario, expanding "lab3*" to built-ins.
func catchesScenarios(args []string) ([]*scenarios.Scenario, error) {
	var out []*scenarios.Scenario
	for _, a := range args {
		if prefix, ok := strings.CutSuffix(a, "*"); ok {
			n := len(out)
			for _, s := range scenarios.Builtins() {
				if strings.HasPrefix(s.Name, prefix) {
					out = append(out, s)
				}
			}
			if len(out) == n {
				return nil, usageErrorf("--scenario: no built-in scenario starts with %q", prefix)
			}
			continue
		}
		s, err := resolveScenario(a)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, usageErrorf("--scenario: name at least one scenario")
	}
	return out, nil
}

func catches(cmd *cobra.Command, g *globals, f *catchesFlags) error {
	if f.workers < 1 || f.budget <= 0 || f.cellBudget <= 0 || f.maxEvents == 0 {
		return usageErrorf("--workers, --budget, --cell-budget and --max-events must be positive")
	}
	span, err := parseSeedSpan(f.seeds, f.seedStart, cmd.Flags().Changed("seed-start"))
	if err != nil {
		return err
	}
	list, err := catchesScenarios(f.scenarios)
	if err != nil {
		return err
	}
	catalog := bugs.Catalog
	if len(f.only) > 0 {
		catalog = nil
		for _, name := range f.only {
			b, _ := bugs.ByName(name)
			in, ok := bugs.InfoOf(b)
			if !ok {
				return usageErrorf("--bug: no planted bug %q", name)
			}
			catalog = append(catalog, in)
		}
	}
	log := cmd.ErrOrStderr()
	sum := catchesSummary{SeedStart: span.start, Seeds: span.count}
	for _, s := range list {
		sum.Scenarios = append(sum.Scenarios, s.Name)
	}
	variants := append([]string{""}, func() []string {
		var names []string
		for _, in := range catalog {
			names = append(names, in.Name)
		}
		return names
	}()...)
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "raftsim catches: %d scenarios, seeds %d..%d, %d planted bugs (each cell within %v, each run within %d events)\n",
		len(list), span.start, span.start+span.count-1, len(catalog), f.cellBudget, f.maxEvents)
	for _, bug := range variants {
		b, _ := bugs.ByName(bug)
		bugs.Set(b)
		start := time.Now()
		var row []catchCell
		for _, s := range list {
			cell, err := catchCellRun(s, bug, span, f)
			if err != nil {
				bugs.Set(bugs.None)
				return err
			}
			row = append(row, cell)
			if bug == "" {
				sum.CorrectFailures += cell.Caught + cell.Bounded
			}
		}
		bugs.Set(bugs.None)
		sum.Cells = append(sum.Cells, row...)
		name := bug
		if name == "" {
			name = "none (correct core)"
		} else {
			sum.Bugs = append(sum.Bugs, bug)
		}
		printCatchRow(w, name, row, time.Since(start))
		fmt.Fprintf(log, "catches: %-28s %d scenarios x %d seeds in %v\n", name, len(list), span.count, time.Since(start).Round(time.Second))
	}
	for _, bug := range sum.Bugs {
		if !slices.ContainsFunc(sum.Cells, func(c catchCell) bool { return c.Bug == bug && c.Caught > 0 }) {
			sum.Missed = append(sum.Missed, bug)
		}
	}
	printCatches(w, &sum)
	if sum.CorrectFailures > 0 {
		return errFailed
	}
	return nil
}

// catchesMaxEvents is the default bound of one run's events: twenty times
// the most a correct run of a ported classic scenario takes (about
// 550,000, lab3c-reliable-churn); a planted bug that makes a leader probe
// without end sends millions of messages a virtual second.
const catchesMaxEvents = 10_000_000

// catchCellRun runs scenario s on the seeds of span with the bug planted
// now, until they or the cell's wall budget run out.
func catchCellRun(s *scenarios.Scenario, bug string, span seedSpan, f *catchesFlags) (catchCell, error) {
	cell := catchCell{Scenario: s.Name, Bug: bug, Seeds: span.count}
	if cell.Bug == "" {
		cell.Bug = "none"
	}
	type outcome struct {
		verdict string
		failure string
	}
	var firstPos uint64
	start := time.Now()
	err := parallelSeeds(span.seeds(), f.workers, func(seed uint64) (outcome, error) {
		cfg := s.ConfigFor(seed)
		cfg.LinearizabilityBudget = f.budget
		if cfg.MaxEvents == 0 || cfg.MaxEvents > f.maxEvents {
			cfg.MaxEvents = f.maxEvents
		}
		res, err := sim.Run(cfg)
		if err != nil {
			return outcome{}, usageErrorf("%s, seed %d: %v", s.Name, seed, err)
		}
		if s.Expect.Check(res) == nil {
			return outcome{verdict: "pass"}, nil
		}
		o := outcome{verdict: "fail"}
		if s.Expect.Pass() && seedVerdict(res) == "inconclusive" {
			o.verdict = "inconclusive"
		}
		if len(res.Failures) > 0 {
			o.failure = scenarios.FailureID(res.Failures[0])
			if res.Failures[0].Kind == sim.FailureLimit {
				o.verdict = "bounded"
			}
		}
		return o, nil
	}, func(pos uint64, o outcome) bool {
		// The counts do not depend on the order the runs finish in; the
		// first failure is the one at the lowest seed.
		switch o.verdict {
		case "fail":
			if cell.Caught == 0 || pos < firstPos {
				firstPos, cell.First, cell.Failure = pos, span.start+pos, o.failure
			}
			cell.Caught++
		case "inconclusive":
			cell.Inconclusive++
		case "bounded":
			cell.Bounded++
		}
		cell.Run++
		if time.Since(start) >= f.cellBudget && cell.Run < span.count {
			cell.OutOfTime = true
			return false
		}
		return true
	})
	cell.Wall = time.Since(start)
	return cell, err
}

// printCatchRow prints one bug's (or the correct core's) results over
// every scenario as soon as they are known: the scenarios that caught it,
// with their counts and first failures, and every bound that was hit.
func printCatchRow(w io.Writer, name string, row []catchCell, wall time.Duration) {
	var caught, bounds []string
	scen, seeds, run := 0, uint64(0), uint64(0)
	for _, c := range row {
		run += c.Run
		seeds += c.Caught
		if c.Caught > 0 {
			scen++
			caught = append(caught, fmt.Sprintf("%s %d/%d (%s)", c.Scenario, c.Caught, c.Run, c.Failure))
		}
		if c.OutOfTime {
			bounds = append(bounds, fmt.Sprintf("%s stopped by its budget after %d of %d seeds (%v)", c.Scenario, c.Run, c.Seeds, c.Wall.Round(time.Second)))
		}
		if c.Bounded > 0 {
			bounds = append(bounds, fmt.Sprintf("%s: %d runs reached the event bound", c.Scenario, c.Bounded))
		}
	}
	verb := "caught by"
	if name == "none (correct core)" {
		verb = "failed"
	}
	fmt.Fprintf(w, "row: %s: %s %d of %d scenarios, %d of %d runs (%v): %s\n", name, verb, scen, len(row), seeds, run,
		wall.Round(100*time.Millisecond), orNone(strings.Join(caught, ", ")))
	for _, b := range bounds {
		fmt.Fprintf(w, "  bound: %s\n", b)
	}
}

func printCatches(w io.Writer, sum *catchesSummary) {
	fmt.Fprintf(w, "\nraftsim catches: %d scenarios, seeds %d..%d, %d planted bugs\n", len(sum.Scenarios), sum.SeedStart, sum.SeedStart+sum.Seeds-1, len(sum.Bugs))
	for _, name := range sum.Scenarios {
		var caught []string
		correct := ""
		for _, c := range sum.Cells {
			if c.Scenario != name {
				continue
			}
			switch {
			case c.Bug == "none":
				correct = fmt.Sprintf("%d/%d", c.Run-c.Caught-c.Inconclusive-c.Bounded, c.Run)
			case c.Caught > 0:
				caught = append(caught, fmt.Sprintf("%s %d (%s)", c.Bug, c.Caught, c.Failure))
			}
		}
		fmt.Fprintf(w, "  %s: correct core passes %s; catches %s\n", name, correct, orNone(strings.Join(caught, ", ")))
	}
	fmt.Fprintf(w, "  caught by no scenario: %s\n", orNone(strings.Join(sum.Missed, ", ")))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
