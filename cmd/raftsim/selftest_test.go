//go:build raftbugs

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/scenarios"
)

// With a planted bug, fuzz finds it, minimizes the failing scenario and
// writes a reproducer that replays the same failure.
func TestFuzzMinimizesAndReplaysAPlantedBug(t *testing.T) {
	bugs.Set(bugs.NoRetryDedup)
	defer bugs.Set(bugs.None)
	dir := t.TempDir()
	out, errs, code := cli(t, "fuzz", "--seeds", "2", "--workers", "1", "--out", dir, "--shrink-runs", "60")
	if code != exitFail {
		t.Fatalf("fuzz with a planted bug: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "minimized:") {
		t.Errorf("no minimization reported:\n%s", errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-min-seed-*.toml"))
	if len(files) == 0 {
		t.Fatalf("no minimized reproducer in %s", dir)
	}
	s, err := scenarios.Load(files[0])
	if err != nil {
		t.Fatal(err)
	}
	orig := scenarios.Generate(1, scenarios.GenerateOptions{})
	if len(s.Config.Timeline) > len(orig.Config.Timeline) {
		t.Errorf("minimized timeline has %d actions, the original %d", len(s.Config.Timeline), len(orig.Config.Timeline))
	}
	out, errs, code = cli(t, "replay", files[0])
	if code != exitPass {
		t.Fatalf("replay of the minimized reproducer: exit %d\n%s%s", code, out, errs)
	}
	_ = os.Remove(files[0])
}

func TestSelftestJSONSchema(t *testing.T) {
	out, errs, code := cli(t, "selftest", "--json", "--bug", "vote-without-log-check", "--control-seeds", "4", "--budget", "30s", "--out", t.TempDir())
	if code != exitPass {
		t.Fatalf("selftest: exit %d\n%s%s", code, out, errs)
	}
	mustValidate(t, "selftest", out)
}

func TestSelftestFindsABug(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "selftest", "--bug", "vote-without-log-check", "--control-seeds", "4", "--budget", "30s", "--out", dir)
	if code != exitPass {
		t.Fatalf("selftest: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "1 of 1 planted bugs found, 0 masked") || !strings.Contains(out, "nothing found") {
		t.Fatalf("selftest output:\n%s", out)
	}
	// The minimized failure is written down, names its planted bug, and
	// replays with the bug switched back on (selftest has switched it off).
	files, _ := filepath.Glob(filepath.Join(dir, "vote-without-log-check-generated-*-min-seed-*.toml"))
	if len(files) != 1 {
		t.Fatalf("reproducers in %s: %v", dir, files)
	}
	s, err := scenarios.Load(files[0])
	if err != nil || s.Reproducer == nil || s.Reproducer.Planted != "vote-without-log-check" {
		t.Fatalf("reproducer %s: %v, %+v", files[0], err, s)
	}
	rout, rerr, code := cli(t, "replay", files[0])
	if code != exitPass || !strings.Contains(rout, "reproduced") || bugs.Active() != bugs.None {
		t.Fatalf("replay: exit %d, bug %v after it\n%s%s", code, bugs.Active(), rout, rerr)
	}
	_, errs, code = cli(t, "selftest", "--bug", "no-such-bug")
	if code != exitUsage || !strings.Contains(errs, "no planted bug") {
		t.Fatalf("unknown bug: exit %d, %q", code, errs)
	}
}
