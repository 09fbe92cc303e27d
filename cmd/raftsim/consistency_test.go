package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/checker"
)

// --trace - writes the trace to standard output and the summary to
// standard error; with --json both would share stdout, so it is refused.
func TestTraceToStdout(t *testing.T) {
	out, errs, code := cli(t, "run", "--scenario", "happy-path", "--trace", "-")
	if code != exitPass {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 100 || !strings.HasPrefix(lines[0], `{"seq":1,`) || !strings.Contains(lines[len(lines)-1], `"ev":"phase","text":"end"`) {
		t.Fatalf("stdout is not the trace: %d lines, first %q", len(lines), lines[0])
	}
	if !strings.Contains(errs, "trace digest") || strings.Contains(out, "trace digest") {
		t.Fatalf("the summary is not on stderr alone:\n%s", errs)
	}
	_, errs, code = cli(t, "run", "--json", "--trace", "-")
	if code != exitUsage || !strings.Contains(errs, "both write to standard output") {
		t.Fatalf("--json --trace -: exit %d, %q", code, errs)
	}
}

// A command is offered only the global flags it acts on.
func TestGlobalFlagsOnlyWhereUsed(t *testing.T) {
	for _, tt := range []struct {
		args []string
		flag string
	}{
		{[]string{"fuzz", "--seeds", "1", "--trace", "x"}, "--trace"},
		{[]string{"report", "--trace", "x"}, "--trace"},
		{[]string{"show", "--json", "demo"}, "--json"},
		{[]string{"check", "-v", "x"}, "-v"},
		{[]string{"list", "--trace", "x"}, "--trace"},
	} {
		_, errs, code := cli(t, tt.args...)
		if code != exitUsage || !strings.Contains(errs, "unknown") || !strings.Contains(errs, strings.TrimLeft(tt.flag, "-")) {
			t.Errorf("raftsim %s: exit %d, %q; want an unknown flag", strings.Join(tt.args, " "), code, errs)
		}
	}
	help, _, _ := cli(t, "run", "--help")
	if !strings.Contains(help, "--trace FILE") || !strings.Contains(help, "--json") || !strings.Contains(help, "--verbose") {
		t.Fatalf("run --help lacks its global flags:\n%s", help)
	}
	help, _, _ = cli(t, "list", "--help")
	if strings.Contains(help, "--trace") || strings.Contains(help, "--verbose") {
		t.Fatalf("list --help offers flags it ignores:\n%s", help)
	}
}

func TestCompletionOfNames(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "run", "--scenario", "lea"}, []string{"leader-crash\t", "lease-clock-drift\t"}},
		{[]string{"__complete", "report", "--scenario", "fig"}, []string{"figure-8\t"}},
		{[]string{"__complete", "show", "happy"}, []string{"happy-path\t"}},
		{[]string{"__complete", "check", "--format", ""}, checker.FormatNames()},
		{[]string{"__complete", "check", "--format", "jep"}, []string{"jepsen-etcd", "jepsen-edn"}},
	} {
		out, _, code := cli(t, tt.args...)
		for _, w := range tt.want {
			if code != exitPass || !strings.Contains(out, w) {
				t.Errorf("raftsim %s: exit %d, want %q in\n%s", strings.Join(tt.args, " "), code, w, out)
			}
		}
	}
	if out, _, _ := cli(t, "__complete", "check", "--format", "jep"); strings.Contains(out, "raftsim") {
		t.Errorf("--format jep completes to names without the prefix:\n%s", out)
	}
}

// A run stopped by a safety failure says so in its timing, writes its
// history (annotated) and visualization, and its tables agree.
func TestStoppedRunTellsTheTruth(t *testing.T) {
	dir := t.TempDir()
	html, hist := filepath.Join(dir, "v.html"), filepath.Join(dir, "h.jsonl")
	out, _, code := cli(t, "run", "--scenario", "lease-clock-drift", "--out", dir, "--html", html, "--history", hist)
	if code != exitFail {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "stopped at the safety failure") || strings.Contains(out, "of faults, then healing") {
		t.Fatalf("the time line does not say the run stopped:\n%s", out)
	}
	if !strings.Contains(out, "linearizability  not checked (the run stopped at a safety failure)") {
		t.Fatalf("linearizability line:\n%s", out)
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "read-freshness") {
		t.Fatalf("--html of a stopped run: %v (the failure should be marked)", err)
	}
	h, err := checker.Load(hist, checker.FormatAuto)
	if err != nil || !strings.Contains(h.Meta["stopped"], "invariant read-freshness") || h.Meta["open_at_end"] == "" {
		t.Fatalf("--history of a stopped run: %v, meta %v", err, h.Meta)
	}
	js, _, _ := cli(t, "run", "--json", "--scenario", "lease-clock-drift", "--out", dir)
	sum := decode[runSummary](t, js)
	if !sum.StoppedEarly || sum.OpsOpen == 0 || sum.Ops != sum.OpsOK+sum.OpsFailed+sum.OpsUnknown+sum.OpsOpen {
		t.Fatalf("counts do not add up: %+v", sum)
	}
	if !strings.Contains(out, "unknown, "+strconv.FormatUint(sum.OpsOpen, 10)+" open at the end") {
		t.Fatalf("the human summary's open count differs from ops_open %d:\n%s", sum.OpsOpen, out)
	}
	// A passing run writes its visualization too.
	pass := filepath.Join(dir, "pass.html")
	if _, _, code := cli(t, "run", "--scenario", "happy-path", "--html", pass); code != exitPass {
		t.Fatalf("happy-path exit %d", code)
	}
	if _, err := os.Stat(pass); err != nil {
		t.Fatalf("--html of a passing run: %v", err)
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{plural(1, "run"), "1 run"},
		{plural(0, "run"), "0 runs"},
		{plural(uint64(2), "split vote"), "2 split votes"},
		{pluralWord(1, "candidacy", "candidacies"), "1 candidacy"},
		{pluralWord(3, "candidacy", "candidacies"), "3 candidacies"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// The README's debugging steps, on the built-in failing scenario, as
// written there.
func TestREADMEDebuggingSteps(t *testing.T) {
	dir := t.TempDir()
	js, _, _ := cli(t, "run", "--json", "--scenario", "lease-clock-drift", "--out", dir)
	repro := decode[runSummary](t, js).Reproducer
	// 1. replay confirms the digest and the failures.
	if out, _, code := cli(t, "replay", repro); code != exitPass || !strings.Contains(out, "reproduced: the same run and the same verdict") {
		t.Fatalf("step 1: exit %d\n%s", code, out)
	}
	// 2. the whole trace, and the events before the first safety failure.
	trace := filepath.Join(dir, "trace.jsonl")
	out, _, _ := cli(t, "run", "--scenario", repro, "--trace", trace, "-v", "--out", dir)
	data, err := os.ReadFile(trace)
	if err != nil || !strings.Contains(out, "trace before invariant read-freshness (last 40 events") ||
		strings.Count(string(data), "\n") < 1000 || !strings.Contains(string(data), `"ev":"violation"`) {
		t.Fatalf("step 2: %v\n%s", err, out)
	}
	// 3. --html and --history: see TestStoppedRunTellsTheTruth; the
	// history checks.
	hist := filepath.Join(dir, "h.jsonl")
	cli(t, "run", "--scenario", repro, "--history", hist, "--out", dir)
	if out, _, code := cli(t, "check", hist); code != exitPass || !strings.Contains(out, "linearizable") {
		t.Fatalf("step 3: check exit %d\n%s", code, out)
	}
}

// run --export-trace and --export-otel write files the viewers read.
func TestExportTrace(t *testing.T) {
	dir := t.TempDir()
	chrome, otlp := filepath.Join(dir, "t.json"), filepath.Join(dir, "o.json")
	if _, errs, code := cli(t, "run", "--scenario", "leader-crash", "--export-trace", chrome, "--export-otel", otlp); code != exitPass {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var c struct {
		TraceEvents []struct {
			Ph string `json:"ph"`
		} `json:"traceEvents"`
	}
	var o struct {
		ResourceSpans []any `json:"resourceSpans"`
	}
	data, _ := os.ReadFile(chrome)
	if err := json.Unmarshal(data, &c); err != nil || len(c.TraceEvents) < 1000 {
		t.Fatalf("chrome export: %v, %d events", err, len(c.TraceEvents))
	}
	data, _ = os.ReadFile(otlp)
	if err := json.Unmarshal(data, &o); err != nil || len(o.ResourceSpans) != 6 {
		t.Fatalf("otlp export: %v, %d resources (want 5 nodes and the clients)", err, len(o.ResourceSpans))
	}
	if _, errs, code := cli(t, "run", "--export-trace", filepath.Join(dir, "missing", "t.json")); code != exitUsage || !strings.Contains(errs, "--export-trace") {
		t.Fatalf("unwritable export: exit %d, %q", code, errs)
	}
}
