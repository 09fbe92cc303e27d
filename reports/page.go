package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

//go:embed page.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// Bounds on the page's lists; what is left out is counted.
const (
	failingMax  = 20
	faultRowMax = 60
	tenureMax   = 40
)

type pageData struct {
	Title, Subtitle, Command string
	Seed                     uint64
	Run                      []kv
	Latency                  []latencyCells
	Failures                 []string
	Visualizations           []Visualization
	Campaign                 *campaignData
	Figures                  []Figure
	Config                   []kv
	Faults                   []faultRow
	FaultsMore               int
	Tenures                  []tenureRow
	TenuresMore              int
}

// kv is a row of a two-column table; Class makes Value a badge.
type kv struct {
	Label, Value, Class, Note string
}

type latencyCells struct {
	Name                      string
	OK, Failed, Unknown, Open int
	P50, P95, P99, P999, Max  string
}

type campaignData struct {
	Runs        int
	Rows        []kv
	Failing     []string
	FailingMore int
	Latency     []latencyCells
}

type faultRow struct {
	Kind, Label, Nodes, Start, End, Length string
}

type tenureRow struct {
	Term                              raft.Term
	Node                              raft.NodeID
	Elected, Committed, Ended, Length string
}

// formatTime prints a virtual time in seconds with millisecond precision.
func formatTime(t clock.Time) string {
	return strconv.FormatFloat(float64(t)/1e9, 'f', 3, 64) + " s"
}

func latencyTable(l *kindLatencies) []latencyCells {
	var out []latencyCells
	for _, r := range l.rows() {
		c := latencyCells{Name: r.Name, OK: r.OK, Failed: r.Failed, Unknown: r.Unknown, Open: r.Open}
		if r.OK > 0 {
			c.P50, c.P95, c.P99 = formatLatency(r.P50), formatLatency(r.P95), formatLatency(r.P99)
			c.P999, c.Max = formatLatency(r.P999), formatLatency(r.Max)
		} else {
			c.P50, c.P95, c.P99, c.P999, c.Max = "—", "—", "—", "—", "—"
		}
		out = append(out, c)
	}
	return out
}

func (b *builder) writePage(path string, idx *Index) error {
	d := pageData{
		Title:          "raftsim report",
		Command:        b.opts.Command,
		Seed:           b.res.Seed,
		Run:            b.runRows(),
		Latency:        latencyTable(b.run.latency),
		Visualizations: idx.Visualizations,
		Figures:        idx.Figures,
		Config:         b.configRows(),
	}
	if b.opts.Scenario != "" {
		d.Title += ": " + b.opts.Scenario
	}
	d.Subtitle = fmt.Sprintf("Timelines from seed %d; distributions across %d seed%s.",
		b.res.Seed, len(b.camp.runs), plural(len(b.camp.runs)))
	for _, f := range b.res.Failures {
		d.Failures = append(d.Failures, f.String())
	}
	if len(b.camp.runs) > 1 {
		d.Campaign = b.campaignData()
	}
	for i, w := range b.res.Faults {
		if i == faultRowMax {
			d.FaultsMore = len(b.res.Faults) - i
			break
		}
		d.Faults = append(d.Faults, faultRow{
			Kind: w.Kind, Label: w.Label, Nodes: nodeList(w.Nodes),
			Start: formatTime(w.Start), End: formatTime(w.End), Length: formatLatency(w.End.Sub(w.Start)),
		})
	}
	for i, t := range b.res.Tenures {
		if i == tenureMax {
			d.TenuresMore = len(b.res.Tenures) - i
			break
		}
		row := tenureRow{Term: t.Term, Node: t.Node, Elected: formatTime(t.Elected), Committed: "never",
			Ended: formatTime(t.Ended), Length: formatLatency(t.Ended.Sub(t.Elected))}
		if t.Committed != 0 {
			row.Committed = formatTime(t.Committed)
		}
		if t.Ended >= b.res.End {
			row.Ended = "still leading"
		}
		d.Tenures = append(d.Tenures, row)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("reports: rendering index.html: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func nodeList(ids []raft.NodeID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(parts, ", ")
}

// verdictRow shows whether a run passed, as sim decided.
func verdictRow(passed bool, failures []failureLine) kv {
	if passed {
		return kv{Label: "verdict", Value: "pass", Class: "pass"}
	}
	return kv{Label: "verdict", Value: "fail", Class: "fail", Note: failureKinds(failures)}
}

// failureKinds counts failures by kind: "liveness ×2, panic".
func failureKinds(failures []failureLine) string {
	var kinds []string
	for _, f := range failures {
		kinds = append(kinds, f.Kind)
	}
	slices.Sort(kinds)
	var parts []string
	for i := 0; i < len(kinds); {
		j := i
		for j < len(kinds) && kinds[j] == kinds[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", kinds[i], j-i))
		} else {
			parts = append(parts, kinds[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}

func linearizabilityRow(lin checker.LinearizabilityResult) kv {
	row := kv{Label: "linearizability", Value: "not checked"}
	switch lin.Verdict {
	case checker.VerdictOK:
		row.Value, row.Class = "ok", "pass"
	case checker.VerdictIllegal:
		row.Value, row.Class = "illegal", "fail"
	case checker.VerdictUnknown:
		row.Value, row.Class = "unknown", "warn"
	}
	switch lin.Verdict {
	case checker.VerdictOK:
		row.Note = fmt.Sprintf("%d operations on %d keys checked", lin.Ops, lin.Keys)
	case checker.VerdictIllegal, checker.VerdictUnknown:
		row.Note = lin.String()
	}
	return row
}

func (b *builder) runRows() []kv {
	r, s := b.run, b.res.Stats
	rows := []kv{}
	if b.opts.Scenario != "" {
		rows = append(rows, kv{Label: "scenario", Value: b.opts.Scenario})
	}
	rows = append(rows,
		kv{Label: "seed", Value: strconv.FormatUint(b.res.Seed, 10)},
		verdictRow(r.passed, r.failures),
		linearizabilityRow(r.lin),
		kv{Label: "virtual time", Value: formatTime(b.res.End)},
		kv{Label: "operations", Value: fmt.Sprintf("%d: %d ok, %d failed, %d unknown, %d open at the end", s.Ops, s.OpsOK, s.OpsFailed, s.OpsUnknown, b.res.OpenAtEnd)},
		kv{Label: "longest window without a successful operation",
			Value: formatLatency(r.gap.Duration()), Note: fmt.Sprintf("from %s to %s", formatTime(r.gap.Start), formatTime(r.gap.End))},
		kv{Label: "elections", Value: fmt.Sprintf("%s, %s elected, %s", countOf(int(s.Elections), "candidacy"),
			countOf(int(s.LeaderChanges), "leader"), countOf(int(s.SplitVotes), "split vote"))},
	)
	first := kv{Label: "first leader elected at", Value: "never"}
	if s.FirstLeader != 0 {
		first.Value = formatTime(s.FirstLeader)
	}
	rows = append(rows, first, b.lossRow(r.losses, r.handovers))
	rows = append(rows, kv{Label: "trace digest", Value: shortDigest(b.res.TraceDigest),
		Note: fmt.Sprintf("%d trace events, %d simulator events", b.res.TraceEvents, b.res.Events)})
	return rows
}

func (b *builder) lossRow(losses []recovery, handovers int) kv {
	row := kv{Label: "leader lost", Value: fmt.Sprintf("%d time%s", len(losses), plural(len(losses)))}
	var parts []string
	for i, l := range losses {
		if i == 8 {
			parts = append(parts, "…")
			break
		}
		if d := l.Duration(); d >= 0 {
			parts = append(parts, fmt.Sprintf("at %s, recovered in %s", formatTime(l.Lost), formatLatency(d)))
		} else {
			parts = append(parts, fmt.Sprintf("at %s, never recovered", formatTime(l.Lost)))
		}
	}
	if handovers > 0 {
		parts = append(parts, fmt.Sprintf("%d handover%s", handovers, plural(handovers)))
	}
	row.Note = strings.Join(parts, "; ")
	return row
}

func shortDigest(d string) string {
	if len(d) > 16 {
		return d[:16] + "…"
	}
	return d
}

// durationStats prints p50, p99 and max of ds (ns).
func durationStats(ds []int64) string {
	if len(ds) == 0 {
		return "—"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("p50 %s, p99 %s, max %s", formatLatency(time.Duration(quantile(s, p50))),
		formatLatency(time.Duration(quantile(s, p99))), formatLatency(time.Duration(s[len(s)-1])))
}

// countStats prints p50, max and total of per-run counts.
func countStats(ns []int64) string {
	s := slices.Clone(ns)
	slices.Sort(s)
	var total int64
	for _, n := range s {
		total += n
	}
	if len(s) == 0 {
		return "—"
	}
	return fmt.Sprintf("p50 %d, max %d per run; %d in all", quantile(s, p50), s[len(s)-1], total)
}

func (b *builder) campaignData() *campaignData {
	runs := b.camp.runs
	d := &campaignData{Runs: len(runs), Latency: latencyTable(b.camp.pooled)}
	passed := 0
	var all []failureLine
	var first, recov, elections, changes, splits []int64
	neverLed, neverRecovered, handovers := 0, 0, 0
	var worst *runSummary
	for _, r := range runs {
		if r.passed {
			passed++
		} else if len(d.Failing) < failingMax {
			line := fmt.Sprintf("seed %d: %d failure%s", r.seed, len(r.failures), plural(len(r.failures)))
			if len(r.failures) > 0 {
				line += "; first: " + r.failures[0].Text
			}
			d.Failing = append(d.Failing, line)
		} else {
			d.FailingMore++
		}
		all = append(all, r.failures...)
		if r.stats.FirstLeader != 0 {
			first = append(first, int64(r.stats.FirstLeader))
		} else {
			neverLed++
		}
		for _, l := range r.losses {
			if d := l.Duration(); d >= 0 {
				recov = append(recov, int64(d))
			} else {
				neverRecovered++
			}
		}
		handovers += r.handovers
		elections = append(elections, int64(r.stats.Elections))
		changes = append(changes, int64(r.stats.LeaderChanges))
		splits = append(splits, int64(r.stats.SplitVotes))
		if worst == nil || r.gap.Duration() > worst.gap.Duration() {
			worst = r
		}
	}
	verdict := kv{Label: "verdicts", Value: fmt.Sprintf("%d of %d passed", passed, len(runs)), Class: "pass"}
	if passed < len(runs) {
		verdict.Class, verdict.Note = "fail", failureKinds(all)
	}
	firstRow := kv{Label: "time to first leader", Value: durationStats(first)}
	if neverLed > 0 {
		firstRow.Note = fmt.Sprintf("%d runs never elected one", neverLed)
	}
	recovRow := kv{Label: "time to recover from a lost leader", Value: durationStats(recov),
		Note: fmt.Sprintf("%d losses", len(recov)+neverRecovered)}
	if neverRecovered > 0 {
		recovRow.Note += fmt.Sprintf(", %d never recovered", neverRecovered)
	}
	if handovers > 0 {
		recovRow.Note += fmt.Sprintf(", %d handovers", handovers)
	}
	d.Rows = []kv{
		verdict,
		{Label: "seeds", Value: seedRange(runs)},
		firstRow,
		recovRow,
		{Label: "elections (candidacies)", Value: countStats(elections)},
		{Label: "leaders elected", Value: countStats(changes)},
		{Label: "split votes", Value: countStats(splits)},
		{Label: "longest window without a successful operation", Value: formatLatency(worst.gap.Duration()),
			Note: fmt.Sprintf("seed %d, from %s to %s", worst.seed, formatTime(worst.gap.Start), formatTime(worst.gap.End))},
	}
	return d
}

// seedRange prints the seeds compactly: "1–100" or "3, 5, 9".
func seedRange(runs []*runSummary) string {
	var parts []string
	for i := 0; i < len(runs); {
		j := i
		for j+1 < len(runs) && runs[j+1].seed == runs[j].seed+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d–%d", runs[i].seed, runs[j].seed))
		} else {
			parts = append(parts, strconv.FormatUint(runs[i].seed, 10))
		}
		if len(parts) == 12 && j+1 < len(runs) {
			parts = append(parts, "…")
			break
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// configRows lists the configuration's main settings; none if unknown.
func (b *builder) configRows() []kv {
	c := b.cfg
	if c.Nodes == 0 {
		return nil
	}
	w := c.Workload
	rows := []kv{
		{Label: "nodes", Value: strconv.Itoa(c.Nodes)},
		{Label: "phases", Value: fmt.Sprintf("faults for %v, then healing for %v", c.Duration, c.HealDuration)},
		{Label: "raft", Value: fmt.Sprintf("tick %v, election %d ticks, heartbeat %d ticks, pre-vote %s, check-quorum %s",
			c.Raft.TickInterval, c.Raft.ElectionTicks, c.Raft.HeartbeatTicks, onOff(!c.Raft.DisablePreVote), onOff(!c.Raft.DisableCheckQuorum))},
		{Label: "network", Value: c.Network.String()},
		{Label: "clients", Value: fmt.Sprintf("%d on %d keys; mix get %d, put %d, append %d, delete %d, cas %d; attempt %v, deadline %v",
			w.Clients, w.Keys, w.Mix.Get, w.Mix.Put, w.Mix.Append, w.Mix.Delete, w.Mix.CAS, w.Attempt, w.Deadline)},
	}
	for i, a := range c.Timeline {
		label := ""
		if i == 0 {
			label = "fault timeline"
		}
		rows = append(rows, kv{Label: label, Value: describeAction(a)})
	}
	return rows
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// describeAction prints a timeline action: "at 2s: crash leader".
func describeAction(a sim.Action) string {
	var parts []string
	switch len(a.Nodes) {
	case 0:
	case 1:
		parts = append(parts, "node "+nodeList(a.Nodes))
	default:
		parts = append(parts, "nodes "+nodeList(a.Nodes))
	}
	if a.Leader {
		parts = append(parts, "the leader")
	}
	for i, g := range a.Groups {
		if i == 0 {
			parts = append(parts, "groups")
		}
		parts = append(parts, "{"+nodeList(g)+"}")
	}
	if a.From != 0 || a.To != 0 {
		parts = append(parts, fmt.Sprintf("link %d→%d", a.From, a.To))
	}
	switch a.Kind {
	case sim.ActLink:
		parts = append(parts, a.Link.String())
	case sim.ActSlowDisk:
		parts = append(parts, fmt.Sprintf("sync %v–%v", a.SyncMin, a.SyncMax))
	case sim.ActClockDrift:
		parts = append(parts, fmt.Sprintf("drift %v", a.Drift))
	case sim.ActClockJump:
		parts = append(parts, fmt.Sprintf("jump %v", a.Jump))
	}
	return strings.TrimSpace(fmt.Sprintf("at %v: %s %s", a.At, a.Kind, strings.Join(parts, " ")))
}
