package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/scenarios"
	"github.com/raftsim/raftsim/sim"
)

// failureJSON is one failure in a JSON summary.
type failureJSON struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Message string `json:"message"`
	// TimeNs is the virtual time it was found at; Node the node, if any.
	TimeNs int64  `json:"time_ns"`
	Node   uint64 `json:"node,omitempty"`
}

func failuresJSON(fs []sim.Failure) []failureJSON {
	out := make([]failureJSON, len(fs))
	for i, f := range fs {
		out[i] = failureJSON{Kind: f.Kind.String(), Name: f.Name, Message: f.Message, TimeNs: int64(f.Time), Node: uint64(f.Node)}
	}
	return out
}

// missingJSON is a timeline action that found fewer targets than it names.
type missingJSON struct {
	Action int    `json:"action"`
	Kind   string `json:"kind"`
	TimeNs int64  `json:"time_ns"`
	Reason string `json:"reason"`
}

func missingsJSON(ms []sim.MissingTarget) []missingJSON {
	out := make([]missingJSON, len(ms))
	for i, m := range ms {
		out[i] = missingJSON{Action: m.Action, Kind: m.Kind.String(), TimeNs: int64(m.Time), Reason: m.Reason}
	}
	return out
}

// membershipJSON is one membership action and its outcome.
type membershipJSON struct {
	Action   int      `json:"action"`
	Kind     string   `json:"kind"`
	Nodes    []uint64 `json:"nodes"`
	With     []uint64 `json:"with,omitempty"`
	StartNs  int64    `json:"start_ns"`
	EndNs    int64    `json:"end_ns"`
	Outcome  string   `json:"outcome"`
	Open     bool     `json:"open,omitempty"`
	Attempts int      `json:"attempts"`
	Reason   string   `json:"reason,omitempty"`
}

func membershipsJSON(ms []sim.MembershipChange) []membershipJSON {
	ids := func(in []raft.NodeID) []uint64 {
		out := make([]uint64, len(in))
		for i, id := range in {
			out[i] = uint64(id)
		}
		return out
	}
	out := make([]membershipJSON, len(ms))
	for i, m := range ms {
		out[i] = membershipJSON{Action: m.Action, Kind: m.Kind.String(), Nodes: ids(m.Nodes), StartNs: int64(m.Start), EndNs: int64(m.End),
			Outcome: m.Outcome, Open: m.Open, Attempts: m.Attempts, Reason: m.Reason}
		if len(m.With) > 0 {
			out[i].With = ids(m.With)
		}
	}
	return out
}

// windowJSON is one check's window: its verdict and counts.
type windowJSON struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Result     string `json:"result"`
	FromNs     int64  `json:"from_ns,omitempty"`
	UntilNs    int64  `json:"until_ns,omitempty"`
	OpsOK      uint64 `json:"ops_ok"`
	OpsFailed  uint64 `json:"ops_failed"`
	OpsUnknown uint64 `json:"ops_unknown"`
	Leaders    uint64 `json:"leaders"`
	Commits    uint64 `json:"commits"`
	Messages   uint64 `json:"messages"`
}

func windowsJSON(ws []sim.WindowStats) []windowJSON {
	out := make([]windowJSON, len(ws))
	for i, w := range ws {
		out[i] = windowJSON{Name: w.Name, Kind: w.Kind.String(), Result: windowResult(w),
			OpsOK: w.OpsOK, OpsFailed: w.OpsFailed, OpsUnknown: w.OpsUnknown, Leaders: w.Leaders, Commits: w.Commits, Messages: w.Messages}
		if w.Reached {
			out[i].FromNs, out[i].UntilNs = int64(w.Opened), int64(w.Closed)
		}
	}
	return out
}

func windowResult(w sim.WindowStats) string {
	switch {
	case w.Failed:
		return "failed"
	case !w.Reached:
		return "not reached"
	}
	return "ok"
}

// latencyJSON summarizes the latency of completed operations of one kind.
type latencyJSON struct {
	Count int   `json:"count"`
	P50Us int64 `json:"p50_us"`
	P99Us int64 `json:"p99_us"`
}

// expectedJSON is a scenario's expectation: pass, or find one of the
// named failures (failure names or kinds).
type expectedJSON struct {
	Pass     bool     `json:"pass"`
	Failures []string `json:"failures"`
}

func expectationJSON(e scenarios.Expectation) expectedJSON {
	return expectedJSON{Pass: e.Pass(), Failures: nonNil(e.Failures)}
}

// linearizabilityJSON is the linearizability check's verdict.
type linearizabilityJSON struct {
	// Verdict is ok, illegal, unknown (out of budget) or not-checked.
	Verdict string `json:"verdict"`
	// Reason says why the check did not run, when not-checked.
	Reason string `json:"reason,omitempty"`
	Ops    int    `json:"ops"`
	Keys   int    `json:"keys"`
	// Key is a key with no linearization, when illegal and located.
	Key string `json:"key,omitempty"`
}

func linearizabilityOf(res *sim.Result) linearizabilityJSON {
	lin := res.Linearizability
	if lin.Verdict == 0 {
		reason := "no client operations"
		if !res.Passed() && len(res.History) > 0 {
			reason = "the run stopped at a safety failure"
		}
		return linearizabilityJSON{Verdict: "not-checked", Reason: reason}
	}
	out := linearizabilityJSON{Verdict: lin.Verdict.String(), Ops: lin.Ops, Keys: lin.Keys}
	if lin.Verdict == checker.VerdictIllegal && lin.Located {
		out.Key = lin.Key
	}
	return out
}

// schemaVersion versions every machine-readable output: the JSON Schemas
// in schema/ describe version 1. Adding a field is a change of the
// schema files; renaming or retyping one also bumps the version.
const schemaVersion = 1

// runSummary is what `raftsim run --json` prints; schema/run.v1.json
// describes it.
type runSummary struct {
	SchemaVersion int    `json:"schema_version"`
	Scenario      string `json:"scenario"`
	Seed          uint64 `json:"seed"`
	// Result is "pass" when the run found nothing, "inconclusive" when
	// its only finding is a linearizability check out of budget, "fail"
	// otherwise.
	Result string `json:"result"`
	// Expected is the scenario's expectation; MetExpectation whether the
	// run met it.
	Expected       expectedJSON  `json:"expected"`
	MetExpectation bool          `json:"met_expectation"`
	Failures       []failureJSON `json:"failures"`
	TraceDigest    string        `json:"trace_digest"`
	TraceEvents    uint64        `json:"trace_events"`
	Ops            uint64        `json:"ops"`
	OpsOK          uint64        `json:"ops_ok"`
	OpsFailed      uint64        `json:"ops_failed"`
	OpsUnknown     uint64        `json:"ops_unknown"`
	// OpsOpen counts operations still open when the run ended: neither
	// failed nor unknown, they are counted apart.
	OpsOpen   uint64 `json:"ops_open"`
	VirtualMs int64  `json:"virtual_ms"`
	// FaultPhaseMs is the configured fault phase; StoppedEarly is set when
	// the run ended at a safety failure before its planned end.
	FaultPhaseMs  int64  `json:"fault_phase_ms"`
	StoppedEarly  bool   `json:"stopped_early"`
	Nodes         int    `json:"nodes"`
	LeaderChanges uint64 `json:"leader_changes"`
	Elections     uint64 `json:"elections"`
	SplitVotes    uint64 `json:"split_votes"`
	// Latency is keyed by operation kind (get, put, append, delete, cas).
	Latency         map[string]latencyJSON `json:"latency"`
	Linearizability linearizabilityJSON    `json:"linearizability"`
	// MissingTargets counts timeline actions that found fewer targets
	// than they name (no leader to crash, a named node already down);
	// Missing lists them.
	MissingTargets uint64        `json:"missing_targets"`
	Missing        []missingJSON `json:"missing,omitempty"`
	// Membership lists the membership actions and their outcomes.
	Membership []membershipJSON `json:"membership,omitempty"`
	// Disk counts the disk faults of a run on the file store.
	Disk *diskJSON `json:"disk,omitempty"`
	// Windows holds, per [[check]] block, its verdict and what happened
	// in its window.
	Windows    []windowJSON `json:"windows,omitempty"`
	WallMs     int64        `json:"wall_ms"`
	Reproduce  string       `json:"reproduce"`
	Reproducer string       `json:"reproducer,omitempty"`
}

// runLatencies gives p50 and p99 (nearest rank, in whole microseconds)
// of a run's OK operations by kind, from its summary of every operation:
// the figures latencies gives for its whole history.
func runLatencies(res *sim.Result) map[string]latencyJSON {
	out := map[string]latencyJSON{}
	for k := checker.OpGet; k <= checker.OpCAS; k++ {
		ks := res.Ops.Kind(k)
		if ks.OK == 0 {
			continue
		}
		out[k.String()] = latencyJSON{Count: int(ks.OK),
			P50Us: ks.Quantile(50, 100).Microseconds(), P99Us: ks.Quantile(99, 100).Microseconds()}
	}
	return out
}

// latencies computes p50 and p99 (nearest rank) of OK operations by kind.
func latencies(h []checker.Operation) map[string]latencyJSON {
	byKind := map[string][]int64{}
	for _, op := range h {
		if op.Outcome == checker.OutcomeOK {
			k := op.Kind.String()
			byKind[k] = append(byKind[k], op.Complete-op.Invoke)
		}
	}
	out := map[string]latencyJSON{}
	for k, ds := range byKind {
		slices.Sort(ds)
		out[k] = latencyJSON{Count: len(ds), P50Us: percentile(ds, 50) / 1000, P99Us: percentile(ds, 99) / 1000}
	}
	return out
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func summarize(s *scenarios.Scenario, seed uint64, res *sim.Result, wall time.Duration, reproduce string) runSummary {
	return runSummary{
		SchemaVersion: schemaVersion,
		Scenario:      s.Name, Seed: seed, Result: resultOf(res),
		Expected: expectationJSON(s.Expect), MetExpectation: s.Expect.Check(res) == nil,
		Failures:    failuresJSON(res.Failures),
		TraceDigest: res.TraceDigest, TraceEvents: res.TraceEvents,
		Ops: res.Stats.Ops, OpsOK: res.Stats.OpsOK, OpsFailed: res.Stats.OpsFailed, OpsUnknown: res.Stats.OpsUnknown,
		OpsOpen:   uint64(res.OpenAtEnd),
		VirtualMs: res.End.Duration().Milliseconds(), FaultPhaseMs: s.Config.Duration.Milliseconds(), StoppedEarly: res.Stopped,
		Nodes:         s.Config.Nodes,
		LeaderChanges: res.Stats.LeaderChanges, Elections: res.Stats.Elections, SplitVotes: res.Stats.SplitVotes,
		Latency: runLatencies(res), Linearizability: linearizabilityOf(res),
		MissingTargets: res.Stats.MissingTargets, Missing: missingsJSON(res.Missing), Windows: windowsJSON(res.Windows),
		Membership: membershipsJSON(res.Membership), Disk: diskOf(s, res),
		WallMs: wall.Milliseconds(), Reproduce: reproduce,
	}
}

// resultOf is "pass", "inconclusive" (the only finding is a
// linearizability check that ran out of budget: nothing failed, nothing
// was verified) or "fail".
func resultOf(res *sim.Result) string {
	if res.Passed() {
		return "pass"
	}
	for _, f := range res.Failures {
		if f.Kind != sim.FailureInconclusive {
			return "fail"
		}
	}
	return "inconclusive"
}

// onOff spells a boolean knob.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// printRun writes the summary a person reads at a glance.
func printRun(w io.Writer, s *scenarios.Scenario, sum runSummary, res *sim.Result, verbose bool) {
	cfg := &s.Config
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "  %-16s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "raftsim run: scenario %s, seed %d\n", s.Name, sum.Seed)
	if s.Description != "" {
		fmt.Fprintf(w, "  %s\n", s.Description)
	}
	nodes := fmt.Sprintf("%d nodes", cfg.Nodes)
	if cfg.Voters != 0 && cfg.Voters < cfg.Nodes {
		nodes = fmt.Sprintf("%d nodes (%d voters, %s)", cfg.Nodes, cfg.Voters, plural(cfg.Nodes-cfg.Voters, "spare"))
	}
	row("cluster", "%s, %s reads, PreVote %s, CheckQuorum %s; %d clients on %d keys",
		nodes, cfg.Raft.ReadMode, onOff(!cfg.Raft.DisablePreVote), onOff(!cfg.Raft.DisableCheckQuorum), cfg.Workload.Clients, cfg.Workload.Keys)
	phases := fmt.Sprintf("%v of faults, then healing", cfg.Duration)
	switch {
	case res.Stopped:
		phases = fmt.Sprintf("stopped at the safety failure; %v of faults and then healing were planned", cfg.Duration)
	case res.End < res.HealStart:
		phases = fmt.Sprintf("ended inside its %v of faults", cfg.Duration)
	}
	row("time", "%v virtual (%s), %s, %v wall",
		res.End.Duration().Round(time.Microsecond), phases, plural(res.Events, "event"), time.Duration(sum.WallMs)*time.Millisecond)
	first := "never"
	if res.Stats.FirstLeader != 0 {
		first = "first at " + res.Stats.FirstLeader.Duration().Round(time.Microsecond).String()
	}
	row("leaders", "%d elected (%s), %s, %s", sum.LeaderChanges, first,
		pluralWord(sum.Elections, "candidacy", "candidacies"), plural(sum.SplitVotes, "split vote"))
	row("operations", "%d: %d ok, %d failed, %d unknown, %d open at the end", sum.Ops, sum.OpsOK, sum.OpsFailed, sum.OpsUnknown, sum.OpsOpen)
	var lat []string
	for _, k := range []string{"get", "put", "append", "delete", "cas"} {
		if l, ok := sum.Latency[k]; ok {
			lat = append(lat, fmt.Sprintf("%s %v/%v", k, time.Duration(l.P50Us)*time.Microsecond, time.Duration(l.P99Us)*time.Microsecond))
		}
	}
	if len(lat) > 0 {
		row("latency p50/p99", "%s", strings.Join(lat, "  "))
	}
	printDisk(w, res, sum.Disk)
	for _, w := range sum.Windows {
		span := "never opened"
		if w.FromNs != 0 || w.UntilNs != 0 {
			span = fmt.Sprintf("%v..%v", time.Duration(w.FromNs), time.Duration(w.UntilNs))
		}
		row("check", "%s %s, %s: ops %d ok, %d failed, %d unknown; %s, %s, %s",
			w.Name, strings.ToUpper(w.Result), span, w.OpsOK, w.OpsFailed, w.OpsUnknown,
			plural(w.Leaders, "leader"), plural(w.Commits, "commit"), plural(w.Messages, "message"))
	}
	if len(res.Membership) > 0 {
		row("membership", "%s", membershipText(res))
	}
	if len(res.Missing) > 0 {
		m := res.Missing[0]
		more := ""
		if len(res.Missing) > 1 {
			more = fmt.Sprintf(" and %d more", len(res.Missing)-1)
		}
		row("timeline", "%d of %s found fewer targets than they name: timeline[%d] %s at %v: %s%s",
			len(res.Missing), plural(len(cfg.Timeline), "action"), m.Action, m.Kind, m.Time, m.Reason, more)
	}
	lin := "not checked (" + sum.Linearizability.Reason + ")"
	if res.Linearizability.Verdict != 0 {
		lin = res.Linearizability.String()
	}
	row("linearizability", "%s", lin)
	row("invariants", "%s", verdictOf(res, sim.FailureInvariant, sim.FailurePanic))
	row("liveness", "%s", livenessVerdict(res))
	row("trace digest", "%s", sum.TraceDigest)
	if sum.Result == "pass" {
		row("result", "PASS (expected: %s)", s.Expect)
	} else {
		met := "as expected"
		if !sum.MetExpectation {
			met = "expected: " + s.Expect.String()
		}
		verdict := "FAIL"
		if sum.Result == "inconclusive" {
			verdict = "INCONCLUSIVE: nothing failed, linearizability not verified (try a larger --budget)"
			met = "expected: " + s.Expect.String()
		}
		row("result", "%s (%s)", verdict, met)
		for _, f := range res.Failures {
			fmt.Fprintf(w, "    %s\n", f)
		}
		printTraceTail(w, res, verbose)
	}
	if sum.Reproducer != "" {
		row("reproducer", "%s", sum.Reproducer)
		row("replay", "raftsim replay %s", sum.Reproducer)
	}
	row("reproduce", "%s", sum.Reproduce)
}

// verdictOf says "ok" or lists the failures of the given kinds.
func verdictOf(res *sim.Result, kinds ...sim.FailureKind) string {
	var bad []string
	for _, f := range res.Failures {
		if slices.Contains(kinds, f.Kind) {
			bad = append(bad, f.Name)
		}
	}
	if len(bad) > 0 {
		return "FAILED: " + strings.Join(bad, ", ")
	}
	return "ok"
}

// livenessVerdict is verdictOf for liveness, which a run stopped by a
// broken invariant or a panic never reaches.
func livenessVerdict(res *sim.Result) string {
	v := verdictOf(res, sim.FailureLiveness)
	if v != "ok" || res.LivenessChecked {
		return v
	}
	for _, f := range res.Failures {
		if f.Kind == sim.FailureInvariant || f.Kind == sim.FailurePanic {
			return "not checked (the run stopped at a safety failure)"
		}
	}
	if res.HealStart >= res.End {
		return "not checked (no healing phase)"
	}
	return "not checked (the run ended before the liveness bounds)"
}

// traceTailShort is how many trace events a failure shows without -v.
const traceTailShort = 12

// printTraceTail shows the events before the first safety failure.
func printTraceTail(w io.Writer, res *sim.Result, verbose bool) {
	for _, f := range res.Failures {
		if len(f.TraceTail) == 0 {
			continue
		}
		tail := f.TraceTail
		if !verbose && len(tail) > traceTailShort {
			tail = tail[len(tail)-traceTailShort:]
		}
		fmt.Fprintf(w, "  trace before %s %s (last %s; -v for more, --trace FILE for all):\n", f.Kind, f.Name, plural(len(tail), "event"))
		for i := range tail {
			fmt.Fprintf(w, "    %s\n", tail[i].AppendJSON(nil))
		}
		return
	}
}

// membershipText sums up the membership actions: how many of each
// outcome, and the span from the first start to the last end.
func membershipText(res *sim.Result) string {
	m := res.Membership
	first, last := m[0].Start, m[0].End
	for _, c := range m {
		first, last = min(first, c.Start), max(last, c.End)
	}
	return fmt.Sprintf("%s: %d ok, %d failed, %d unknown; from %v to %v",
		plural(len(m), "change"), res.Stats.MembershipOK, res.Stats.MembershipFailed, res.Stats.MembershipUnknown,
		first.Duration().Round(time.Microsecond), last.Duration().Round(time.Microsecond))
}
