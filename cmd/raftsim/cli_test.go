package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/scenarios"
)

// cli runs the command line through cobra, as main does, and returns
// stdout, stderr and the exit status.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb)
	// Nothing a user types may produce a Go stack trace.
	for _, s := range []string{out.String(), errb.String()} {
		if strings.Contains(s, "goroutine ") || strings.Contains(s, "panic:") {
			t.Fatalf("raftsim %s printed a stack trace:\n%s", strings.Join(args, " "), s)
		}
	}
	return out.String(), errb.String(), code
}

func TestRunWithNoFlagsRunsTheDemo(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "run", "--out", dir)
	if code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"scenario demo, seed 1", "leaders", "operations", "latency p50/p99", "linearizability  ok",
		"invariants       ok", "liveness         ok", "trace digest", "PASS", "reproduce        raftsim run --scenario demo --seed 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func TestRunJSONHasTheKeys(t *testing.T) {
	out, _, code := cli(t, "run", "--json", "--scenario", "leader-crash", "--seed", "2", "--out", t.TempDir())
	if code != exitPass {
		t.Fatalf("exit %d: %s", code, out)
	}
	m := decode[map[string]any](t, out)
	for _, k := range []string{"scenario", "seed", "result", "failures", "trace_digest", "ops", "virtual_ms"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	if m["scenario"] != "leader-crash" || m["seed"] != 2.0 || m["result"] != "pass" {
		t.Errorf("scenario %v seed %v result %v", m["scenario"], m["seed"], m["result"])
	}
	if f, ok := m["failures"].([]any); !ok || len(f) != 0 {
		t.Errorf("failures = %#v, want an empty list", m["failures"])
	}
	if m["virtual_ms"] != 5000.0 || m["leader_changes"].(float64) < 2 {
		t.Errorf("virtual_ms %v leader_changes %v", m["virtual_ms"], m["leader_changes"])
	}
}

// A failing run writes a reproducer; replaying it gives the same digest
// and failures, and a tampered one is told apart.
func TestFailureWritesAReproducerThatReplays(t *testing.T) {
	dir := t.TempDir()
	out, _, code := cli(t, "run", "--json", "--scenario", "lease-clock-drift", "--seed", "3", "--out", dir)
	if code != exitFail {
		t.Fatalf("exit %d, want 1 (a failure found): %s", code, out)
	}
	sum := decode[runSummary](t, out)
	if sum.Result != "fail" || !sum.MetExpectation || len(sum.Failures) == 0 || sum.Failures[0].Kind == "" {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Reproducer != filepath.Join(dir, "lease-clock-drift-seed-3.toml") {
		t.Fatalf("reproducer %q", sum.Reproducer)
	}
	rout, _, code := cli(t, "replay", "--json", sum.Reproducer)
	rep := decode[replaySummary](t, rout)
	if code != exitPass || !rep.Reproduced || rep.TraceDigest != sum.TraceDigest || rep.Seed != 3 {
		t.Fatalf("replay exit %d: %+v", code, rep)
	}
	hout, _, _ := cli(t, "replay", sum.Reproducer)
	if !strings.Contains(hout, "reproduced: the same run and the same verdict") {
		t.Fatalf("replay says:\n%s", hout)
	}
	// A reproducer of a run with a planted bug replays only where the
	// bug exists; elsewhere, and for a name no build has, exit 2.
	data, _ := os.ReadFile(sum.Reproducer)
	planted := filepath.Join(dir, "planted.toml")
	os.WriteFile(planted, bytes.Replace(data, []byte("[reproducer]\n"), []byte("[reproducer]\nplanted = \"no-such-bug\"\n"), 1), 0o644)
	_, perr, code := cli(t, "replay", planted)
	if code != exitUsage || !strings.Contains(perr, "[reproducer] planted") || !strings.Contains(perr, "no-such-bug") {
		t.Fatalf("replay with a planted bug: exit %d: %s", code, perr)
	}
	// The recorded digest no longer matches, as after editing the file
	// by hand: the same failure, a different trace, and exit 0.
	bad := filepath.Join(dir, "tampered.toml")
	os.WriteFile(bad, bytes.Replace(data, []byte(sum.TraceDigest), []byte(strings.Repeat("0", 64)), 1), 0o644)
	tout, _, code := cli(t, "replay", bad)
	if code != exitPass || !strings.Contains(tout, "trace digest  DIFFERS") || !strings.Contains(tout, "the same failure, a different trace") {
		t.Fatalf("tampered replay exit %d:\n%s", code, tout)
	}
	// The recorded failure differs: not reproduced, exit 1.
	other := filepath.Join(dir, "other-failure.toml")
	os.WriteFile(other, bytes.Replace(data, []byte(`failures = ["invariant/read-freshness"]`), []byte(`failures = ["invariant/election-safety"]`), 1), 0o644)
	oout, _, code := cli(t, "replay", other)
	if code != exitFail || !strings.Contains(oout, "failures      DIFFER") || !strings.Contains(oout, "NOT reproduced") {
		t.Fatalf("replay of another failure exit %d:\n%s", code, oout)
	}
}

// --trace writes the canonical trace; the same seed gives the same
// digest, another seed another.
func TestTraceFileAndDigest(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.jsonl")
	out1, _, _ := cli(t, "run", "--json", "--scenario", "figure-8", "--seed", "5", "--trace", trace)
	out2, _, _ := cli(t, "run", "--json", "--scenario", "figure-8", "--seed", "5")
	out3, _, _ := cli(t, "run", "--json", "--scenario", "figure-8", "--seed", "6")
	a, b, c := decode[runSummary](t, out1), decode[runSummary](t, out2), decode[runSummary](t, out3)
	if a.TraceDigest != b.TraceDigest || a.TraceDigest == c.TraceDigest {
		t.Fatalf("digests: seed 5 %s and %s, seed 6 %s", a.TraceDigest, b.TraceDigest, c.TraceDigest)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); uint64(n) != a.TraceEvents || !bytes.HasPrefix(data, []byte(`{"seq":1,`)) {
		t.Fatalf("trace has %d lines, the run %d events", n, a.TraceEvents)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each class of bad input gets exit status 2 and a message naming what is
// wrong - file, line and field where a file is at fault.
func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	head := "nodes = 5\nduration = \"2s\"\n"
	file := func(name, text string) string { return writeFile(t, dir, name, text) }
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"run", "--scenario", file("a.toml", head+"nodez = 3\n")}, "a.toml:3: nodez: unknown key"},
		{"wrong type", []string{"run", "--scenario", file("b.toml", head+"[raft]\nprevote = \"yes\"\n")}, "b.toml:4: raft.prevote: is a string, want true or false"},
		{"loss above 1", []string{"run", "--scenario", file("c.toml", head+"[network]\nloss = \"120%\"\n")}, `c.toml:4: network.loss: "120%" is more than 1`},
		{"node outside the cluster", []string{"run", "--scenario", file("d.toml", head+"[[timeline]]\nat = \"1s\"\naction = \"isolate\"\nnodes = [6]\n")}, "d.toml:6: timeline[0].nodes[0]: node 6 is not in the cluster"},
		{"action after the end", []string{"run", "--scenario", file("e.toml", head+"[[timeline]]\nat = \"2500ms\"\naction = \"heal\"\n")}, "e.toml:4: timeline[0].at: 2.5s is not before the end of the fault phase"},
		{"contradictory actions", []string{"run", "--scenario", file("f.toml", head+"[[timeline]]\nat = \"1s\"\naction = \"pause\"\nnodes = [2]\n[[timeline]]\nat = \"1500ms\"\naction = \"pause\"\nnodes = [2]\n")}, "f.toml:10: timeline[1].nodes: node 2 is already paused"},
		{"syntax error", []string{"run", "--scenario", file("g.toml", "nodes = [1,\n")}, "g.toml:"},
		{"missing scenario file", []string{"run", "--scenario", filepath.Join(dir, "none.toml")}, "none.toml: cannot read the scenario: no such file or directory"},
		{"unknown built-in", []string{"run", "--scenario", "no-such-scenario"}, `no built-in scenario and no file named "no-such-scenario"`},
		{"unknown flag", []string{"run", "--shard", "1/2"}, "unknown flag: --shard"},
		{"bad flag value", []string{"run", "--seed", "minus-one"}, `invalid argument "minus-one" for "--seed"`},
		{"extra argument", []string{"run", "leader-crash"}, `unknown command "leader-crash" for "raftsim run"`},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"replay without a file", []string{"replay"}, "accepts 1 arg(s), received 0"},
		{"replay of a missing file", []string{"replay", filepath.Join(dir, "gone.toml")}, "gone.toml: cannot read the scenario"},
		{"replay of a plain scenario", []string{"replay", file("h.toml", head)}, "h.toml: not a reproducer"},
		{"missing history", []string{"check", filepath.Join(dir, "none.jsonl")}, "no such file or directory"},
		{"bad history", []string{"check", file("bad.jsonl", `{"format":"raftsim-history","version":1}`+"\n"+`{"client":"one","seq":1,"kind":"put","key":"x","value":"a","invoke":1,"complete":2,"outcome":"ok"}`+"\n")}, "bad.jsonl:2: client:"},
		{"bad history format flag", []string{"check", "--format", "xml", file("i.jsonl", "")}, "--format"},
		{"bad shard", []string{"fuzz", "--shard", "0/3"}, `--shard: "0/3" is not i/n with 1 <= i <= n`},
		{"shard beyond n", []string{"fuzz", "--shard", "4/3"}, "is not i/n"},
		{"no seeds", []string{"fuzz", "--seeds", "0"}, "--seeds"},
		{"fuzz with --trace", []string{"fuzz", "--seeds", "1", "--trace", filepath.Join(dir, "x")}, "unknown flag: --trace"},
		{"merge of a missing file", []string{"fuzz", "merge", filepath.Join(dir, "nope.json")}, "nope.json: no such file or directory"},
		{"merge of a non-summary", []string{"fuzz", "merge", file("j.json", `{"hello": 1}`)}, "j.json: not a fuzz summary"},
		{"negative shrink runs", []string{"fuzz", "--shrink-runs", "-1"}, "--shrink-runs: -1 is negative"},
		{"seeds past the largest", []string{"fuzz", "--seeds", "2", "--seed-start", "18446744073709551615"}, "2 seeds from 18446744073709551615 is not a range of seeds"},
		{"completion without a shell", []string{"completion"}, "completion: name a shell: bash, fish, powershell, zsh"},
		{"completion of an unknown shell", []string{"completion", "tcsh"}, `completion: unknown shell "tcsh"`},
		{"nodes past the maximum", []string{"run", "--scenario", file("k.toml", "nodes = 16\n")}, "k.toml:1: nodes: 16 is outside [1, 15]"},
		{"clients past the maximum", []string{"run", "--scenario", file("l.toml", head+"[workload]\nclients = 10001\n")}, "l.toml:4: workload.clients: 10001 is outside [0, 10000]"},
		{"scenario nested too deep", []string{"run", "--scenario", file("m.toml", strings.Repeat("a.", 32)+"a = 1\n")}, "m.toml:1: nested more than 32 levels deep (MaxNesting"},
		{"scenario too large", []string{"run", "--scenario", file("n.toml", head+strings.Repeat("#", 1<<20)+"\n")}, "n.toml: larger than 1048576 bytes"},
		{"summary that is no file", []string{"fuzz", "merge", "/dev/zero"}, "/dev/zero: not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := cli(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if !strings.Contains(errs, c.want) {
				t.Fatalf("stderr\n  %s\nlacks %q", errs, c.want)
			}
			if !strings.HasPrefix(errs, "raftsim: ") || strings.Count(errs, "\n") > 3 {
				t.Fatalf("stderr is not a short message:\n%s", errs)
			}
		})
	}
}

func TestListShowVersionCompletion(t *testing.T) {
	out, _, code := cli(t, "list")
	if code != 0 || !strings.Contains(out, "lease-clock-drift") || !strings.Contains(out, "fail with read-freshness ") {
		t.Fatalf("list exit %d:\n%s", code, out)
	}
	jout, _, _ := cli(t, "list", "--json")
	entries := decode[[]listEntry](t, jout)
	if len(entries) != len(scenarios.Builtins()) {
		t.Fatalf("list --json has %d entries", len(entries))
	}
	src, _ := scenarios.BuiltinSource("figure-8")
	if out, _, _ := cli(t, "show", "figure-8"); out != string(src) {
		t.Fatal("show does not print the shipped file")
	}
	canon, _, _ := cli(t, "show", "--canonical", "figure-8")
	if s, err := scenarios.Parse("canon.toml", []byte(canon)); err != nil || s.Name != "figure-8" {
		t.Fatalf("show --canonical: %v", err)
	}
	if out, _, code := cli(t, "version"); code != 0 || !strings.HasPrefix(out, "raftsim "+version) {
		t.Fatalf("version: %q", out)
	}
	if out, _, _ := cli(t, "version", "--json"); decode[buildInfo](t, out).Version != version {
		t.Fatalf("version --json: %s", out)
	}
	if out, _, code := cli(t, "completion", "bash"); code != 0 || !strings.Contains(out, "bash completion") {
		t.Fatalf("completion bash exit %d", code)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	h := filepath.Join(dir, "h.jsonl")
	if _, _, code := cli(t, "run", "--scenario", "happy-path", "--history", h); code != 0 {
		t.Fatal("run failed")
	}
	out, _, code := cli(t, "check", h)
	if code != exitPass || !strings.Contains(out, "linearizable") {
		t.Fatalf("check of a passing run: exit %d\n%s", code, out)
	}
	// x is written "a", then read as "b".
	illegal := writeFile(t, dir, "bad.jsonl", `{"format":"raftsim-history","version":1}
{"client":1,"seq":1,"kind":"put","key":"x","value":"a","invoke":100,"complete":200,"outcome":"ok"}
{"client":2,"seq":1,"kind":"get","key":"x","invoke":300,"complete":400,"outcome":"ok","found":true,"output":"b"}
`)
	html := filepath.Join(dir, "bad.html")
	out, _, code = cli(t, "check", "--html", html, illegal)
	if code != exitFail || !strings.Contains(out, "NOT linearizable") {
		t.Fatalf("check of an illegal history: exit %d\n%s", code, out)
	}
	if st, err := os.Stat(html); err != nil || st.Size() == 0 {
		t.Fatalf("no visualization: %v", err)
	}
	jout, _, _ := cli(t, "check", "--json", illegal)
	if s := decode[checkSummary](t, jout); s.Verdict != "illegal" || s.Key != "x" || s.Result != "fail" {
		t.Fatalf("check --json: %+v", s)
	}
}

func TestExitCode(t *testing.T) {
	if exitCode(nil) != 0 || exitCode(errFailed) != 1 || exitCode(usageErrorf("x")) != 2 || exitCode(os.ErrNotExist) != 2 {
		t.Fatal("exit code mapping")
	}
}

func TestReproduceCommand(t *testing.T) {
	if got := reproduceCommand("", 3); got != "raftsim run --scenario demo --seed 3" {
		t.Fatal(got)
	}
	if got := reproduceCommand("my dir/a.toml", 3); got != `raftsim run --scenario "my dir/a.toml" --seed 3` {
		t.Fatal(got)
	}
}

// The inputs just inside the limits TestBadInputExitsTwo tests from
// outside: the largest seed alone, no minimizing, a named shell.
func TestLimitsJustInside(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := cli(t, "fuzz", "--seeds", "1", "--seed-start", "18446744073709551615", "--shrink-runs", "0", "--out", dir)
	if code == exitUsage || !strings.Contains(out, "seeds 18446744073709551615..18446744073709551615") {
		t.Fatalf("the largest seed: exit %d\n%s%s", code, out, errs)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if out, errs, code := cli(t, "completion", shell); code != exitPass || out == "" {
			t.Fatalf("completion %s: exit %d: %s", shell, code, errs)
		}
	}
}
