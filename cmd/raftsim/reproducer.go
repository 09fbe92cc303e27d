package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// defaultOutDir is where reproducers go unless --out says otherwise.
const defaultOutDir = "raftsim-failures"

// failureIDs names a result's failures as reproducers record them.
func failureIDs(res *sim.Result) []string {
	ids := make([]string, len(res.Failures))
	for i, f := range res.Failures {
		ids[i] = scenarios.FailureID(f)
	}
	return ids
}

// writeReproducer writes a scenario file for a failing run: the scenario
// with the run's seed, and what the run found, so `raftsim replay` can
// confirm it. It returns the file's path.
func writeReproducer(dir string, s *scenarios.Scenario, seed uint64, res *sim.Result) (string, error) {
	r := s.WithSeed(seed)
	r.Reproducer = &scenarios.Reproducer{Version: versionString(), TraceDigest: res.TraceDigest, Failures: failureIDs(res), Planted: plantedBug()}
	path := filepath.Join(dir, fmt.Sprintf("%s-seed-%d.toml", s.Name, seed))
	var b strings.Builder
	fmt.Fprintf(&b, "# raftsim reproducer: scenario %s, seed %d found %s.\n", s.Name, seed, strings.Join(r.Reproducer.Failures, ", "))
	if p := r.Reproducer.Planted; p != "" {
		fmt.Fprintf(&b, "# The run had the Raft bug %q planted: replay it with a raftsim built with -tags raftbugs.\n", p)
	}
	fmt.Fprintf(&b, "# Replay it with: raftsim replay %s\n", path)
	return path, writeScenarioFile(path, b.String(), r)
}

// writeUnchecked writes the scenario of a run whose linearizability check
// ran out of budget, to be run again with a larger one. It is no
// reproducer: the verdict depends on the budget, not only on the run.
func writeUnchecked(dir string, s *scenarios.Scenario, seed uint64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("%s-seed-%d-inconclusive.toml", s.Name, seed))
	header := fmt.Sprintf("# raftsim: the linearizability check of scenario %s, seed %d, ran out of budget.\n"+
		"# Check it with more: raftsim run --scenario %s --budget 10m\n", s.Name, seed, path)
	return path, writeScenarioFile(path, header, s.WithSeed(seed))
}

func writeScenarioFile(path, header string, s *scenarios.Scenario) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	data := header + fmt.Sprintf("# Written by raftsim %s.\n", versionString()) + string(scenarios.Encode(s))
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
