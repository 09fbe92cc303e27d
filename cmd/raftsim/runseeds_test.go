package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flakyScript fails its check on some seeds and not others: a node drawn
// from the seed crashes, and when it is the leader every node up moves to
// a new term, which the check forbids.
const flakyScript = `
nodes = 3
duration = "1500ms"
heal_duration = "1s"
[liveness]
leader_within = "1s"
progress_within = "1s"
[workload]
clients = 2
[[timeline]]
at = "0s"
wait = "leader"
within = "1s"
as = "elected"
[[timeline]]
after = "300ms"
action = "crash"
random = 1
[[check]]
term_stable = true
name = "node-2-term"
nodes = [2]
from = "elected"
`

// run --seeds runs every seed, lists the failing ones with their
// reproducers, counts them by failure, and the summary does not depend on
// the number of workers.
func TestRunSeeds(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "flaky.toml", flakyScript)
	var sums []seedsSummary
	for _, workers := range []string{"1", "2"} {
		out, errs, code := cli(t, "run", "--json", "--scenario", file, "--seeds", "1..12", "--workers", workers, "--out", dir)
		if code != exitFail {
			t.Fatalf("exit %d: %s%s", code, out, errs)
		}
		mustValidate(t, "run-seeds", out)
		var sum seedsSummary
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	a, b := sums[0], sums[1]
	if a.Fingerprint != b.Fingerprint || a.Failed != b.Failed || len(a.Failures) != len(b.Failures) {
		t.Fatalf("1 worker and 2 differ: %+v / %+v", a, b)
	}
	if a.Runs != 12 || a.SeedStart != 1 || a.Failed == 0 || a.Passed == 0 || a.Passed+a.Failed != 12 {
		t.Fatalf("summary %+v: the check fails on some seeds only", a)
	}
	if len(a.ByFailure) != 1 || a.ByFailure[0].Failure != "check/node-2-term" || a.ByFailure[0].Seeds != a.Failed {
		t.Fatalf("by failure %+v", a.ByFailure)
	}
	for i, r := range a.Failures {
		if i > 0 && r.Seed <= a.Failures[i-1].Seed {
			t.Fatalf("failures not in seed order: %+v", a.Failures)
		}
		// Each reproducer replays to the same failure.
		if out, errs, code := cli(t, "replay", r.Reproducer); code != exitPass {
			t.Fatalf("replay %s: exit %d\n%s%s", r.Reproducer, code, out, errs)
		}
	}
	// The text summary: one line per failing seed, then the counts.
	out, _, code := cli(t, "run", "--scenario", file, "--seeds", "12", "--out", dir)
	if code != exitFail {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	failing := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "  seed ") {
			failing++
			if !strings.Contains(l, ": FAIL check/node-2-term; replay: raftsim replay "+filepath.Join(dir, "flaky-seed-")) {
				t.Errorf("seed line %q", l)
			}
		}
	}
	if uint64(failing) != a.Failed || !strings.Contains(out, "check/node-2-term in ") || !strings.Contains(out, "result FAIL") {
		t.Fatalf("summary:\n%s", out)
	}
}

// A scenario every seed passes exits 0; one that expects a failure
// passes on the seeds that find it.
func TestRunSeedsPass(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "run", "--scenario", "lease-clock-drift", "--seeds", "3", "--seed-start", "5", "--out", dir)
	if code != exitPass || !strings.Contains(out, "seeds 5..7 (expected: fail with read-freshness)") ||
		!strings.Contains(out, "3 passed, 0 failed, 0 inconclusive") || !strings.Contains(out, "result PASS") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("reproducers written for seeds that met the expectation: %v", entries)
	}
}

func TestRunSeedsBadInput(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--seeds", "0"}, `--seeds: "0" is not a count of seeds`},
		{[]string{"--seeds", "x"}, `--seeds: "x" is not a count of seeds (N) or a range (A..B)`},
		{[]string{"--seeds", "5..1"}, `--seeds: "5..1" ends before it starts`},
		{[]string{"--seeds", "1..x"}, `--seeds: "1..x" is not a range of seeds`},
		{[]string{"--seeds", "1..200000000"}, "is more than 100000000 seeds"},
		{[]string{"--seeds", "1..3", "--seed-start", "2"}, "--seeds 1..3 names its first seed: leave out --seed-start"},
		{[]string{"--seeds", "3", "--seed-start", "18446744073709551615"}, "run past the largest seed"},
		{[]string{"--seeds", "3", "--seed", "4"}, "--seed applies to one run, not to --seeds"},
		{[]string{"--seeds", "3", "--html", "x.html"}, "--html applies to one run"},
		{[]string{"--seeds", "3", "--trace", "t.jsonl"}, "--trace applies to one run"},
		{[]string{"--seeds", "3", "--workers", "0"}, "--workers: 0 must be positive"},
		{[]string{"--seed-start", "3"}, "--seed-start and --workers go with --seeds"},
	}
	for _, c := range cases {
		args := append([]string{"run", "--scenario", "happy-path", "--out", t.TempDir()}, c.args...)
		out, errs, code := cli(t, args...)
		if code != exitUsage || !strings.Contains(errs, c.msg) {
			t.Errorf("raftsim %s: exit %d, %q%q; want 2 and %q", strings.Join(args, " "), code, out, errs, c.msg)
		}
	}
}

// fuzz takes the same seed forms: --seeds N --seed-start S, or A..B.
func TestFuzzSeedForms(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "fuzz", "--json", "--seeds", "3..4", "--workers", "1", "--out", dir)
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	var a, b fuzzSummary
	json.Unmarshal([]byte(out), &a)
	out, _, _ = cli(t, "fuzz", "--json", "--seeds", "2", "--seed-start", "3", "--workers", "1", "--out", dir)
	json.Unmarshal([]byte(out), &b)
	if a.SeedStart != 3 || a.Seeds != 2 || a.Fingerprint != b.Fingerprint {
		t.Fatalf("3..4 gave %+v, 2 from 3 %+v", a, b)
	}
	if _, errs, code := cli(t, "fuzz", "--seeds", "3..4", "--seed-start", "2"); code != exitUsage || !strings.Contains(errs, "--seeds 3..4 names its first seed") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
