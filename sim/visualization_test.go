package sim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// A run whose history is not linearizable writes porcupine's view of the
// offending key, annotated with the run's faults and leader changes. The
// lease-reads-under-drift scenario produces stale reads; with the online
// invariants off, the end-of-run check is what catches them.
func TestIllegalHistoryWritesAnnotatedVisualization(t *testing.T) {
	s, ok := scenarios.Builtin("lease-clock-drift")
	if !ok {
		t.Fatal("no lease-clock-drift scenario")
	}
	cfg := s.ConfigFor(s.Seed)
	cfg.DisableInvariants = true
	cfg.VisualizationPath = filepath.Join(t.TempDir(), "lin.html")
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Linearizability.Verdict != checker.VerdictIllegal {
		t.Fatalf("verdict %v, want illegal (stale lease reads)", res.Linearizability)
	}
	html, err := os.ReadFile(cfg.VisualizationPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"leader ", "isolate"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("visualization lacks the annotation %q", want)
		}
	}
}
