package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// replaySummary is what `raftsim replay --json` prints.
// schema/replay.v1.json describes it.
type replaySummary struct {
	SchemaVersion    int           `json:"schema_version"`
	File             string        `json:"file"`
	Scenario         string        `json:"scenario"`
	Seed             uint64        `json:"seed"`
	Result           string        `json:"result"`
	Reproduced       bool          `json:"reproduced"`
	SameDigest       bool          `json:"same_digest"`
	SameFailures     bool          `json:"same_failures"`
	ExpectedDigest   string        `json:"expected_digest"`
	TraceDigest      string        `json:"trace_digest"`
	ExpectedFailures []string      `json:"expected_failures"`
	FailureIDs       []string      `json:"failure_ids"`
	Failures         []failureJSON `json:"failures"`
	WrittenBy        string        `json:"written_by"`
	Version          string        `json:"version"`
	Ops              uint64        `json:"ops"`
	VirtualMs        int64         `json:"virtual_ms"`
	WallMs           int64         `json:"wall_ms"`
}

func newReplayCmd(g *globals) *cobra.Command {
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Rerun a reproducer and confirm the same trace and verdict",
		Long: `Rerun the run a reproducer file records (its scenario and seed) and compare:
the trace digest must be the same, byte for byte, and so must the failures.

Exit status: 0 when the same failures reproduce (with the same trace, or,
for a file edited by hand, a different one: the output says which); 1
when the failures differ; 2 when FILE is not a valid reproducer.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return replay(cmd, g, args[0], budget)
		},
	}
	cmd.Flags().DurationVar(&budget, "budget", 10*time.Second, "wall-clock budget of the linearizability check")
	return cmd
}

func replay(cmd *cobra.Command, g *globals, file string, budget time.Duration) error {
	if budget <= 0 {
		return usageErrorf("--budget: %v must be positive", budget)
	}
	s, err := scenarios.Load(file)
	if err != nil {
		return err
	}
	rep := s.Reproducer
	if rep == nil {
		return usageErrorf("%s: not a reproducer (it has no [reproducer] table); run it with 'raftsim run --scenario %s'", file, file)
	}
	if rep.Planted != "" {
		undo, err := plantBug(rep.Planted)
		if err != nil {
			return usageErrorf("%s: [reproducer] planted: %v", file, err)
		}
		defer undo()
	}
	cfg := s.ConfigFor(s.Seed)
	cfg.LinearizabilityBudget = budget
	trace, out, closer, err := g.openTrace(cmd)
	if err != nil {
		return err
	}
	defer closer.Close()
	cfg.Trace = trace
	start := time.Now()
	res, err := sim.Run(cfg)
	if err != nil {
		return usageErrorf("%s: %v", file, err)
	}
	if err := outputError(res, closer); err != nil {
		return err
	}
	ids := failureIDs(res)
	sum := replaySummary{
		SchemaVersion: schemaVersion, File: file, Scenario: s.Name, Seed: s.Seed, Result: resultOf(res),
		SameDigest: res.TraceDigest == rep.TraceDigest, SameFailures: slices.Equal(ids, rep.Failures),
		ExpectedDigest: rep.TraceDigest, TraceDigest: res.TraceDigest,
		ExpectedFailures: nonNil(rep.Failures), FailureIDs: nonNil(ids), Failures: failuresJSON(res.Failures),
		WrittenBy: rep.Version, Version: versionString(),
		Ops: res.Stats.Ops, VirtualMs: res.End.Duration().Milliseconds(), WallMs: time.Since(start).Milliseconds(),
	}
	// The failure reproduces when the same failures are found, whether
	// or not the trace is the same: a reproducer edited by hand (a
	// shorter timeline, another seed) keeps its failure and changes its
	// trace.
	sum.Reproduced = sum.SameFailures && len(ids) > 0
	if g.json {
		if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
			return err
		}
	} else {
		printReplay(out, sum, res, g.verbose)
	}
	if !sum.Reproduced {
		return errFailed
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func printReplay(w io.Writer, sum replaySummary, res *sim.Result, verbose bool) {
	fmt.Fprintf(w, "raftsim replay: %s (scenario %s, seed %d)\n", sum.File, sum.Scenario, sum.Seed)
	if sum.WrittenBy != sum.Version {
		fmt.Fprintf(w, "  note: written by raftsim %s; this is %s\n", sum.WrittenBy, sum.Version)
	}
	if sum.SameDigest {
		fmt.Fprintf(w, "  trace digest  same: %s\n", sum.TraceDigest)
	} else {
		fmt.Fprintf(w, "  trace digest  DIFFERS: recorded %s, now %s\n", sum.ExpectedDigest, sum.TraceDigest)
	}
	list := func(ids []string) string {
		if len(ids) == 0 {
			return "none (a pass)"
		}
		return strings.Join(ids, ", ")
	}
	if sum.SameFailures {
		fmt.Fprintf(w, "  failures      same: %s\n", list(sum.FailureIDs))
	} else {
		fmt.Fprintf(w, "  failures      DIFFER: recorded %s, now %s\n", list(sum.ExpectedFailures), list(sum.FailureIDs))
	}
	for _, f := range res.Failures {
		fmt.Fprintf(w, "    %s\n", f)
	}
	printTraceTail(w, res, verbose)
	switch {
	case sum.Reproduced && sum.SameDigest:
		fmt.Fprintln(w, "reproduced: the same run and the same verdict")
	case sum.Reproduced:
		fmt.Fprintln(w, "reproduced: the same failure, a different trace (the file was edited, or raftsim changed since it was written)")
	default:
		fmt.Fprintln(w, "NOT reproduced: the run differs from the recorded one (a change in raftsim since, or a lost determinism)")
	}
}
