package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/reports"
	"github.com/raftsim/raftsim/sim"
)

type reportFlags struct {
	scenario string
	seed     uint64
	seeds    uint64
	out      string
	workers  int
	budget   time.Duration
	// diagramAt and diagramSpan place the message diagram's window.
	diagramAt, diagramSpan time.Duration
}

// addReportCommand adds `raftsim report`: plots and a page for a run, and
// distributions across seeds.
func addReportCommand(root *cobra.Command, g *globals) {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report [--scenario NAME|FILE] [--seed N | --seeds N] --out DIR",
		Short: "Simulate a scenario and write plots and an HTML report",
		Long: `Run a scenario and render, with gonum/plot, latency CDFs per operation kind,
latency and throughput over time with faults and leader changes marked,
each node's role over time, election statistics and message counts, as PNG
and SVG, plus DIR/index.html that summarizes the run and links everything.

Timelines come from one seed (--seed, or the scenario's). With --seeds N the
scenario also runs on seeds S..S+N-1 (S = --seed, or 1), in parallel, for
distributions across seeds. The same flags give byte-identical files.

Exit status 0 once the report is written (the page shows the verdicts), 2
for bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return report(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.scenario, "scenario", "s", "", "a built-in scenario `NAME` or a scenario FILE (default: "+demoScenario+")")
	fl.Uint64Var(&f.seed, "seed", 0, "the seed of the timelines (default: the scenario's)")
	fl.Uint64Var(&f.seeds, "seeds", 0, "also run this many seeds for distributions")
	fl.StringVar(&f.out, "out", "raftsim-report", "the `DIR` the report is written to")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers for --seeds")
	fl.DurationVar(&f.budget, "budget", 10*time.Second, "wall-clock budget of each linearizability check")
	fl.DurationVar(&f.diagramAt, "diagram-at", 0, "centre the message diagram at this virtual `TIME` (default: the first failure, else the first change of leader)")
	fl.DurationVar(&f.diagramSpan, "diagram-span", reports.DefaultDiagramSpan, "the message diagram's window of virtual time")
	root.AddCommand(cmd)
}

func report(cmd *cobra.Command, g *globals, f *reportFlags) error {
	if f.workers < 1 || f.budget <= 0 {
		return usageErrorf("--workers and --budget must be positive")
	}
	if f.diagramAt < 0 || f.diagramSpan <= 0 || f.diagramSpan > 10*time.Second {
		return usageErrorf("--diagram-at must not be negative, and --diagram-span must be in (0, 10s]")
	}
	if f.out == "" {
		return usageErrorf("--out: the report needs a directory")
	}
	s, err := resolveScenario(f.scenario)
	if err != nil {
		return err
	}
	first := s.Seed
	if cmd.Flags().Changed("seed") {
		first = f.seed
	}
	seeds := []uint64{first}
	if f.seeds > 0 {
		start := uint64(1)
		if cmd.Flags().Changed("seed") {
			start = f.seed
		}
		if f.seeds > maxReportSeeds {
			return usageErrorf("--seeds: %d is more than a report's %d seeds (it keeps a summary of every run; raftsim fuzz takes more)", f.seeds, maxReportSeeds)
		}
		if start+f.seeds-1 < start {
			return usageErrorf("--seeds: %d seeds from seed %d pass the largest seed, %d", f.seeds, start, uint64(math.MaxUint64))
		}
		seeds = seeds[:0]
		for i := range f.seeds {
			seeds = append(seeds, start+i)
		}
		first = seeds[0]
	}
	begin := time.Now()
	var camp reports.Campaign
	timeline, err := runReportSeeds(s.ConfigFor, seeds, f, &camp)
	if err != nil {
		return err
	}
	var c *reports.Campaign
	if len(seeds) > 1 {
		c = &camp
	}
	idx, err := reports.Write(timeline, c, reports.Options{
		OutDir: f.out, Scenario: s.Name, Config: s.ConfigFor(first), DiagramAt: f.diagramAt, DiagramSpan: f.diagramSpan,
		Command: "raftsim " + strings.Join(os.Args[1:], " "),
	})
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if g.json {
		return writeJSON(cmd.OutOrStdout(), map[string]any{
			"scenario": s.Name, "seeds": seeds, "page": idx.Page, "files": idx.Files,
		})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "raftsim report: %s, %s in %v\n  wrote %s (%s)\n",
		s.Name, plural(len(seeds), "seed"), time.Since(begin).Round(time.Millisecond), idx.Page, plural(len(idx.Files), "file"))
	return nil
}

// maxReportSeeds bounds --seeds: the report keeps a summary of every run
// (latency histograms, failures) and lists every seed, so its memory grows
// with the count.
const maxReportSeeds = 10_000

// runReportSeeds runs the seeds on parallel workers (runs share nothing),
// adds every result to the campaign as it comes (the campaign keeps a few
// bytes per operation, so a hundred long runs fit in memory), and returns
// the first seed's result, whose timelines the report draws.
func runReportSeeds(configFor func(uint64) sim.Config, seeds []uint64, f *reportFlags, camp *reports.Campaign) (*sim.Result, error) {
	var timeline *sim.Result
	run := func(seed uint64) (*sim.Result, error) {
		cfg := configFor(seed)
		cfg.LinearizabilityBudget = f.budget
		res, err := sim.Run(cfg)
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", seed, err)
		}
		return res, nil
	}
	// Campaign sorts its runs by seed, so the order of Add does not show
	// in the report.
	// report's seeds are consecutive.
	span := seedSeq{first: seeds[0], step: 1, count: uint64(len(seeds))}
	err := parallelSeeds(span, f.workers, run, func(pos uint64, res *sim.Result) bool {
		camp.Add(res)
		if pos == 0 {
			timeline = res
		}
		return true
	})
	return timeline, err
}
