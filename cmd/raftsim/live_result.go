package main

import (
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/reports"
	"github.com/raftsim/raftsim/sim"
)

// finishLive checks a live run, prints its summary and writes what was
// asked for.
func finishLive(cmd *cobra.Command, g *globals, f *liveFlags, lr *liveRun, res liveResult) error {
	out := cmd.OutOrStdout()
	hist := checker.History{Meta: map[string]string{"source": "raftsim live", "seed": fmt.Sprint(f.seed)}, Ops: res.history}
	var failures []sim.Failure
	fail := func(kind sim.FailureKind, name, msg string) {
		failures = append(failures, sim.Failure{Kind: kind, Name: name, Message: msg})
	}
	lin, err := checker.CheckLinearizable(hist, checker.LinearizabilityOptions{Budget: f.budget})
	switch {
	case err != nil:
		fail(sim.FailureLinearizability, "history", err.Error())
	case lin.Verdict == checker.VerdictIllegal:
		fail(sim.FailureLinearizability, "linearizability", lin.String())
	case lin.Verdict == checker.VerdictUnknown:
		fail(sim.FailureInconclusive, "linearizability-budget", lin.String())
	}
	seenTwice := checkAppendsOnce(res.history)
	if seenTwice != nil {
		fail(sim.FailureInvariant, seenTwice.Invariant, seenTwice.Message)
	}
	logs, lerr := checkLogs(lr.ids, nodeDirs(lr.cluster))
	switch {
	case lerr != nil:
		fail(sim.FailureInvariant, "durable-log", lerr.Error())
	case logs.Violation != nil:
		fail(sim.FailureInvariant, logs.Violation.Invariant, logs.Violation.Message)
	}
	if !res.recovered && !res.interrupted {
		fail(sim.FailureLiveness, "recovery", res.recoveryNote)
	}
	if res.stopErr != nil {
		fail(sim.FailureLiveness, "clean-stop", res.stopErr.Error())
	}
	if res.interrupted {
		fail(sim.FailureLimit, "interrupted", "the run was interrupted before its end")
	}
	simRes := liveAsResult(f, lr, res, lin, failures)
	printLiveSummary(out, f, lr, res, simRes, logs, seenTwice)
	if f.history != "" {
		if err := writeLiveHistory(f.history, hist); err != nil {
			return usageErrorf("--history: %v", err)
		}
	}
	if f.report != "" {
		if err := writeLiveReport(f, lr, res, simRes, out); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "raftsim live: report: %v\n", err)
			return errFailed
		}
	}
	if len(failures) > 0 {
		return errFailed
	}
	return nil
}

func writeLiveHistory(path string, h checker.History) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := checker.WriteHistory(fh, h); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// liveAsResult presents a live run as a simulator Result, so the same
// report renders it. Times are real nanoseconds since the run's start.
func liveAsResult(f *liveFlags, lr *liveRun, res liveResult, lin checker.LinearizabilityResult, failures []sim.Failure) *sim.Result {
	end := clock.Time(res.end)
	r := &sim.Result{
		Seed: f.seed, End: end, HealStart: clock.Time(res.healStart),
		History: res.history, Roles: res.roles, Tenures: tenures(res.roles, end), Faults: res.faults,
		Linearizability: lin, Failures: failures,
	}
	for _, op := range res.history {
		r.Stats.Ops++
		switch op.Outcome {
		case checker.OutcomeOK:
			r.Stats.OpsOK++
		case checker.OutcomeFail:
			r.Stats.OpsFailed++
		case checker.OutcomeUnknown:
			r.Stats.OpsUnknown++
		}
	}
	for _, rc := range res.roles {
		switch rc.Role {
		case raft.RoleCandidate:
			r.Stats.Elections++
		case raft.RoleLeader:
			r.Stats.LeaderChanges++
			if r.Stats.FirstLeader == 0 {
				r.Stats.FirstLeader = rc.Time
			}
		}
	}
	return r
}

func printLiveSummary(out io.Writer, f *liveFlags, lr *liveRun, res liveResult, r *sim.Result, logs logCheck, seenTwice *checker.Violation) {
	fmt.Fprintf(out, "raftsim live: %d nodes, seed %d, %.1fs (faults %v, heal %v)\n", f.nodes, f.seed, res.end.Seconds(), f.duration, f.heal)
	var kinds []string
	for _, k := range lr.kinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, lr.nem.counts[k]))
	}
	fmt.Fprintf(out, "  faults           %s\n", strings.Join(append(kinds, fmt.Sprintf("(%d windows)", len(res.faults))), ", "))
	fmt.Fprintf(out, "  leaders          %d elected (as seen by polling every %v)\n", r.Stats.LeaderChanges, roleWatchInterval)
	fmt.Fprintf(out, "  operations       %d: %d ok, %d failed, %d unknown\n", r.Stats.Ops, r.Stats.OpsOK, r.Stats.OpsFailed, r.Stats.OpsUnknown)
	lat := latencies(res.history)
	for _, k := range []string{"get", "put", "append", "delete", "cas"} {
		if l, ok := lat[k]; ok {
			fmt.Fprintf(out, "  latency %-8s p50 %6.2fms  p99 %7.2fms  (%d ok)\n", k, float64(l.P50Us)/1000, float64(l.P99Us)/1000, l.Count)
		}
	}
	fmt.Fprintf(out, "  linearizability  %s\n", r.Linearizability.String())
	fmt.Fprintf(out, "  durable logs     commit %v, snapshots at %v; after them %d commands executed, %d retries answered by sessions\n",
		logs.Commits, logs.Snapshots, logs.Executed, logs.Retries)
	replay := "ok"
	if logs.Violation != nil {
		replay = logs.Violation.Invariant + ": " + logs.Violation.Message
	}
	fmt.Fprintf(out, "  log replay       %s (state machine safety, client sessions and snapshot states: every node's snapshot and log through kv)\n", replay)
	atMostOnce := "ok (no read saw an append twice)"
	if seenTwice != nil {
		atMostOnce = seenTwice.Message
	}
	fmt.Fprintf(out, "  at-most-once     %s\n", atMostOnce)
	recovery := "ok"
	if !res.recovered {
		recovery = res.recoveryNote
	}
	fmt.Fprintf(out, "  recovery         %s\n", recovery)
	for _, fl := range r.Failures {
		fmt.Fprintf(out, "  FAILURE          %s %s: %s\n", fl.Kind, fl.Name, fl.Message)
	}
	result := "PASS"
	if len(r.Failures) > 0 {
		result = "FAIL"
	}
	fmt.Fprintf(out, "  result           %s\n", result)
	fmt.Fprintf(out, "  repeat           raftsim live --nodes %d --duration %v --heal %v --faults %s --clients %d --keys %d --seed %d\n",
		f.nodes, f.duration, f.heal, strings.Join(lr.kinds, ","), f.clients, f.keys, f.seed)
}

// simulatorTwin is the simulator's configuration for the same workload,
// Raft timings, loopback link delays and fault windows as a live run.
func simulatorTwin(f *liveFlags, res liveResult) sim.Config {
	cfg := sim.Defaults()
	cfg.Seed = f.seed
	cfg.Nodes = f.nodes
	cfg.Raft.TickInterval, cfg.Raft.ElectionTicks, cfg.Raft.HeartbeatTicks = liveTick, liveElectionTicks, liveHeartbeatTicks
	// Loopback through the proxy: tens to hundreds of microseconds.
	base := netsim.Reliable(netsim.Uniform(50*time.Microsecond, 500*time.Microsecond))
	cfg.Network = base
	cfg.Workload = liveWorkloadConfig(f)
	cfg.Workload.Latency = 100 * time.Microsecond
	cfg.Disk = sim.DiskConfig{SyncMin: liveSyncMin, SyncMax: liveSyncMax}
	cfg.Duration = res.healStart
	cfg.HealDuration = f.heal
	// The bounds must fit in the healing phase (sim.Config.Validate).
	cfg.Liveness.LeaderWithin = min(cfg.Liveness.LeaderWithin, f.heal)
	cfg.Liveness.ProgressWithin = min(cfg.Liveness.ProgressWithin, f.heal)
	for _, w := range res.faults {
		at, until := time.Duration(w.Start), min(time.Duration(w.End), res.healStart-time.Millisecond)
		if at >= res.healStart || until <= at {
			continue
		}
		var begin, end []sim.Action
		switch w.Kind {
		case "crash":
			begin = []sim.Action{{Kind: sim.ActCrash, Nodes: w.Nodes}}
			end = []sim.Action{{Kind: sim.ActRestart, Nodes: w.Nodes}}
		case "pause":
			begin = []sim.Action{{Kind: sim.ActPause, Nodes: w.Nodes}}
			end = []sim.Action{{Kind: sim.ActResume, Nodes: w.Nodes}}
		case "partition":
			if strings.HasPrefix(w.Label, "cut") {
				for _, o := range allNodes(f.nodes) {
					if o != w.Nodes[0] {
						begin = append(begin, sim.Action{Kind: sim.ActCutOneWay, From: w.Nodes[0], To: o})
					}
				}
			} else {
				begin = []sim.Action{{Kind: sim.ActIsolate, Nodes: w.Nodes}}
			}
			end = []sim.Action{{Kind: sim.ActHeal}}
		case "network":
			d := labelDelay(w.Label)
			slow := netsim.Reliable(netsim.Uniform(d+50*time.Microsecond, d+500*time.Microsecond))
			begin = []sim.Action{{Kind: sim.ActLink, Link: slow}}
			end = []sim.Action{{Kind: sim.ActLink, Link: base}}
		}
		for _, a := range begin {
			a.At = at
			cfg.Timeline = append(cfg.Timeline, a)
		}
		for _, a := range end {
			a.At = until
			cfg.Timeline = append(cfg.Timeline, a)
		}
	}
	slices.SortStableFunc(cfg.Timeline, func(a, b sim.Action) int { return int(a.At - b.At) })
	return cfg
}

// The simulated fsync latency of the twin run: about what an append and
// fsync of the file store costs on the 2-core development machines
// (go test -bench AppendSync ./raft/filestore/).
const (
	liveSyncMin = 500 * time.Microsecond
	liveSyncMax = 3 * time.Millisecond
)

// labelDelay reads the delay back from a latency window's label, "add
// 79ms latency to every link"; 0 if there is none.
func labelDelay(label string) time.Duration {
	f := strings.Fields(label)
	if len(f) < 2 || f[0] != "add" {
		return 0
	}
	d, err := time.ParseDuration(f[1])
	if err != nil {
		return 0
	}
	return d
}

func allNodes(n int) []raft.NodeID {
	ids := make([]raft.NodeID, n)
	for i := range ids {
		ids[i] = raft.NodeID(i + 1)
	}
	return ids
}

// writeLiveReport writes DIR/live (the live run), DIR/sim (the
// simulator's run of the same workload, timings and faults) and
// DIR/index.html with their latency CDFs side by side.
func writeLiveReport(f *liveFlags, lr *liveRun, res liveResult, r *sim.Result, out io.Writer) error {
	liveIdx, err := reports.Write(r, nil, reports.Options{OutDir: filepath.Join(f.report, "live"), Scenario: "live",
		Command: fmt.Sprintf("raftsim live --nodes %d --duration %v --seed %d --report %s", f.nodes, f.duration, f.seed, f.report)})
	if err != nil {
		return err
	}
	twin := simulatorTwin(f, res)
	if err := twin.Validate(); err != nil {
		return fmt.Errorf("the simulator twin: %w", err)
	}
	twinRes, err := sim.Run(twin)
	if err != nil {
		return fmt.Errorf("the simulator twin: %w", err)
	}
	simIdx, err := reports.Write(twinRes, nil, reports.Options{OutDir: filepath.Join(f.report, "sim"), Scenario: "simulated twin", Config: twin})
	if err != nil {
		return err
	}
	page := comparisonPage(res.history, twinRes.History, figurePNG(liveIdx, "latency-cdf"), figurePNG(simIdx, "latency-cdf"))
	if err := os.WriteFile(filepath.Join(f.report, "index.html"), []byte(page), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "  report           %s (live/, sim/, and the latency CDFs side by side)\n", filepath.Join(f.report, "index.html"))
	return nil
}

func figurePNG(idx *reports.Index, name string) string {
	for _, fig := range idx.Figures {
		if fig.Name == name {
			return fig.PNG
		}
	}
	return ""
}

// comparisonPage puts the two runs' latency percentiles in one table and
// their CDF plots side by side.
func comparisonPage(live, simulated []checker.Operation, livePNG, simPNG string) string {
	lv, sv := latencies(live), latencies(simulated)
	var b strings.Builder
	b.WriteString("<!doctype html><meta charset=utf-8><title>raftsim live vs simulator</title>\n")
	b.WriteString("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}img{width:49%}</style>\n")
	b.WriteString("<h1>Latency: live cluster vs the simulator's twin run</h1>\n")
	b.WriteString("<p>The same workload, Raft timings and fault windows; the live run on real processes, TCP and fsync; " +
		"the twin in the simulator with loopback-like link delays and the disk model. Full reports: " +
		"<a href=live/index.html>live</a>, <a href=sim/index.html>simulator</a>.</p>\n")
	b.WriteString("<table><tr><th>kind<th>live ok<th>live p50 ms<th>live p99 ms<th>sim ok<th>sim p50 ms<th>sim p99 ms</tr>\n")
	for _, k := range []string{"get", "put", "append", "delete", "cas"} {
		l, s := lv[k], sv[k]
		fmt.Fprintf(&b, "<tr><td>%s<td>%d<td>%.2f<td>%.2f<td>%d<td>%.2f<td>%.2f</tr>\n", html.EscapeString(k),
			l.Count, float64(l.P50Us)/1000, float64(l.P99Us)/1000, s.Count, float64(s.P50Us)/1000, float64(s.P99Us)/1000)
	}
	b.WriteString("</table>\n")
	fmt.Fprintf(&b, "<p><img src=\"live/%s\" alt=\"live latency CDF\"> <img src=\"sim/%s\" alt=\"simulated latency CDF\"></p>\n",
		html.EscapeString(livePNG), html.EscapeString(simPNG))
	return b.String()
}
