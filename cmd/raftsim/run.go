package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/sim"
	"github.com/raftsim/raftsim/sim/export"
)

type runFlags struct {
	scenario string
	seed     uint64
	out      string
	html     string
	history  string
	budget   time.Duration
	// exportTrace and exportOTel name the Chrome trace-event and OTLP
	// span files to write.
	exportTrace, exportOTel string
	// seeds, seedStart and workers run the scenario over many seeds.
	seeds     string
	seedStart uint64
	workers   int
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [--scenario NAME|FILE] [--seed N | --seeds N|A..B]",
		Short: "Run a scenario (the demo when none is named) and summarize it",
		Long: `Run a built-in scenario or a scenario file once, with its default seed or
--seed, and print a summary: leader changes, operations, latency, the
verdicts of the linearizability, invariant and liveness checks, the trace
digest, and the command that repeats the run. A failing run also writes a
reproducer file for 'raftsim replay'.

With --seeds N (N seeds from --seed-start, default 1) or --seeds A..B, run
the scenario on every seed, one worker per core: one line per seed that
did not meet the scenario's expectation (with its reproducer), then the
counts of passed, failed and inconclusive seeds and, per failure, how many
seeds found it. The summary is the same whatever the number of workers.

Exit status: 0 when the run passed as its scenario expects (with --seeds:
every seed did); 1 when it found a failure (even one the scenario expects;
the summary says so) or did not find the failure its scenario expects; 2
for bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScenario(cmd, g, f)
		},
	}
	cmd.Flags().StringVarP(&f.scenario, "scenario", "s", "", "a built-in scenario `NAME` or a scenario FILE (default: "+demoScenario+")")
	cmd.Flags().Uint64Var(&f.seed, "seed", 0, "the seed (default: the scenario's)")
	cmd.Flags().StringVar(&f.out, "out", defaultOutDir, "the `DIR` for reproducer files")
	cmd.Flags().StringVar(&f.html, "html", "", "write porcupine's visualization of the history to `FILE` (on a linearizability failure: of the offending key)")
	cmd.Flags().StringVar(&f.history, "history", "", "write the client history to `FILE` (for 'raftsim check')")
	cmd.Flags().DurationVar(&f.budget, "budget", 10*time.Second, "wall-clock budget of the linearizability check")
	cmd.Flags().StringVar(&f.exportTrace, "export-trace", "", "write the run as Chrome trace-event JSON to `FILE`, for Perfetto (ui.perfetto.dev) or chrome://tracing")
	cmd.Flags().StringVar(&f.exportOTel, "export-otel", "", "write the run as OpenTelemetry (OTLP JSON) spans to `FILE`")
	cmd.Flags().StringVar(&f.seeds, "seeds", "", "run every seed of `N|A..B`: N seeds from --seed-start, or A to B")
	cmd.Flags().Uint64Var(&f.seedStart, "seed-start", 1, "the first seed of --seeds N")
	cmd.Flags().IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers for --seeds")
	return cmd
}

// reproduceCommand is the command line that repeats a run.
func reproduceCommand(arg string, seed uint64) string {
	if arg == "" {
		arg = demoScenario
	}
	if strings.ContainsAny(arg, " \t'\"") {
		arg = strconv.Quote(arg)
	}
	return fmt.Sprintf("raftsim run --scenario %s --seed %d", arg, seed)
}

func runScenario(cmd *cobra.Command, g *globals, f *runFlags) error {
	if cmd.Flags().Changed("seeds") {
		return runScenarioSeeds(cmd, g, f)
	}
	if cmd.Flags().Changed("seed-start") || cmd.Flags().Changed("workers") {
		return usageErrorf("--seed-start and --workers go with --seeds")
	}
	s, err := resolveScenario(f.scenario)
	if err != nil {
		return err
	}
	seed := s.Seed
	if cmd.Flags().Changed("seed") {
		seed = f.seed
	}
	if f.budget <= 0 {
		return usageErrorf("--budget: %v must be positive", f.budget)
	}
	cfg := s.ConfigFor(seed)
	cfg.LinearizabilityBudget = f.budget
	cfg.VisualizationPath = f.html
	trace, out, closer, err := g.openTrace(cmd)
	if err != nil {
		return err
	}
	defer closer.Close()
	cfg.Trace = trace
	var rec *export.Recorder
	if f.exportTrace != "" || f.exportOTel != "" {
		rec = export.NewRecorder()
		if trace != nil {
			cfg.Trace = io.MultiWriter(trace, rec)
		} else {
			cfg.Trace = rec
		}
	}
	var hist *historyFile
	if f.history != "" {
		if hist, err = createHistoryFile(f.history); err != nil {
			return err
		}
		defer hist.discard()
		cfg.HistorySink = hist.write
	}
	start := time.Now()
	res, err := sim.Run(cfg)
	if err != nil {
		return usageErrorf("%s: %v", s.Name, err)
	}
	if err := outputError(res, closer); err != nil {
		return err
	}
	wall := time.Since(start)
	arg := f.scenario
	if arg == "" {
		arg = s.Name
	}
	sum := summarize(s, seed, res, wall, reproduceCommand(arg, seed))
	if !res.Passed() {
		path, err := writeReproducer(f.out, s, seed, res)
		if err != nil {
			return err
		}
		sum.Reproducer = path
	}
	if hist != nil {
		if err := hist.finish(historyMeta(s.Name, seed, res)); err != nil {
			return err
		}
	}
	if err := writeExports(f, rec, res, export.Meta{Scenario: s.Name, Command: reproduceCommand(arg, seed)}); err != nil {
		return err
	}
	if g.json {
		if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
			return err
		}
	} else {
		printRun(out, s, sum, res, g.verbose)
	}
	if !res.Passed() || !sum.MetExpectation {
		return errFailed
	}
	return nil
}

// historyFile writes a run's whole history without holding it in
// memory: the run hands over each operation in invocation order, its line
// goes to a scratch file beside the target, and finish writes the header
// (which says how the run ended) and copies the lines after it.
type historyFile struct {
	path    string
	scratch *os.File
	w       *checker.HistoryWriter
	// err is the first write error; later writes are skipped.
	err error
}

func createHistoryFile(path string) (*historyFile, error) {
	scratch, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, usageErrorf("--history: %v", err)
	}
	return &historyFile{path: path, scratch: scratch, w: checker.NewOperationWriter(scratch)}, nil
}

func (h *historyFile) write(op checker.Operation) {
	if h.err == nil {
		h.err = h.w.Write(op)
	}
}

// finish writes the history file and removes the scratch file.
func (h *historyFile) finish(meta map[string]string) error {
	if h.err == nil {
		h.err = h.w.Flush()
	}
	if h.err == nil {
		_, h.err = h.scratch.Seek(0, io.SeekStart)
	}
	if h.err != nil {
		return fmt.Errorf("--history: %w", h.err)
	}
	file, err := os.Create(h.path)
	if err != nil {
		return usageErrorf("--history: %v", err)
	}
	hw, err := checker.NewHistoryWriter(file, meta)
	if err == nil {
		err = hw.Flush()
	}
	if err == nil {
		_, err = io.Copy(file, h.scratch)
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	return nil
}

// discard removes the scratch file.
func (h *historyFile) discard() {
	h.scratch.Close()
	os.Remove(h.scratch.Name())
}

// historyMeta is the header of a run's history file.
func historyMeta(scenario string, seed uint64, res *sim.Result) map[string]string {
	meta := map[string]string{"scenario": scenario, "seed": strconv.FormatUint(seed, 10)}
	if res.OpenAtEnd > 0 {
		meta["open_at_end"] = strconv.Itoa(res.OpenAtEnd) + " operations were open when the run ended (reads recorded as failed, others as unknown)"
	}
	if res.Stopped {
		for _, f := range res.Failures {
			if f.Kind.IsSafety() {
				meta["stopped"] = "the run stopped at " + f.String() + "; the history ends there"
				break
			}
		}
	}
	return meta
}

// writeExports writes the --export-trace and --export-otel files.
func writeExports(f *runFlags, rec *export.Recorder, res *sim.Result, meta export.Meta) error {
	if rec == nil {
		return nil
	}
	if err := rec.Err(); err != nil {
		return err
	}
	for _, e := range []struct {
		flag, path string
		write      func(io.Writer, *sim.Result, *export.Recorder, export.Meta) error
	}{
		{"--export-trace", f.exportTrace, export.WriteChrome},
		{"--export-otel", f.exportOTel, export.WriteOTLP},
	} {
		if e.path == "" {
			continue
		}
		file, err := os.Create(e.path)
		if err != nil {
			return usageErrorf("%s: %v", e.flag, err)
		}
		w := bufio.NewWriter(file)
		if err := e.write(w, res, rec, meta); err != nil {
			file.Close()
			return fmt.Errorf("%s: %w", e.flag, err)
		}
		if err := w.Flush(); err != nil {
			file.Close()
			return fmt.Errorf("%s: %w", e.flag, err)
		}
		if err := file.Close(); err != nil {
			return fmt.Errorf("%s: %w", e.flag, err)
		}
	}
	return nil
}
