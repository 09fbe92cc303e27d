package reports

import (
	"slices"
	"testing"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

func TestQuantile(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1) // 1..100
	}
	thousand := make([]int64, 1000)
	for i := range thousand {
		thousand[i] = int64(i + 1)
	}
	for _, c := range []struct {
		name   string
		sorted []int64
		p      percentile
		want   int64
	}{
		{"empty", nil, p50, 0},
		{"one value", []int64{7}, p999, 7},
		{"two values p50 is the lower", []int64{1, 2}, p50, 1},
		{"two values p99 is the upper", []int64{1, 2}, p99, 2},
		{"1..100 p50", hundred, p50, 50},
		{"1..100 p95", hundred, p95, 95},
		{"1..100 p99", hundred, p99, 99},
		{"1..100 p99.9 rounds up to the max", hundred, p999, 100},
		{"1..1000 p99.9", thousand, p999, 999},
		{"ties", []int64{5, 5, 5, 9}, p50, 5},
		{"p100", hundred, percentile{"max", 1, 1}, 100},
		{"p0 is the min", hundred, percentile{"min", 0, 1}, 1},
	} {
		if got := quantile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: quantile(%s) = %d, want %d", c.name, c.p.name, got, c.want)
		}
	}
}

// okOp is an OK put that completes at complete (ms) after 1 ms.
func okOp(complete int64) checker.Operation {
	ms := int64(time.Millisecond)
	return checker.Operation{Kind: checker.OpPut, Key: "k", Value: "v", Invoke: (complete - 1) * ms, Complete: complete * ms, Outcome: checker.OutcomeOK}
}

func TestLongestGap(t *testing.T) {
	ms := clock.Time(time.Millisecond)
	failed := okOp(50)
	failed.Outcome = checker.OutcomeFail
	for _, c := range []struct {
		name string
		ops  []checker.Operation
		end  clock.Time
		want span
	}{
		{"no operations: the whole run", nil, 100 * ms, span{0, 100 * ms}},
		{"from the start", []checker.Operation{okOp(60), okOp(70)}, 100 * ms, span{0, 60 * ms}},
		{"to the end", []checker.Operation{okOp(10), okOp(20)}, 100 * ms, span{20 * ms, 100 * ms}},
		{"in the middle", []checker.Operation{okOp(10), okOp(80), okOp(90)}, 100 * ms, span{10 * ms, 80 * ms}},
		{"unsorted input", []checker.Operation{okOp(90), okOp(10), okOp(80)}, 100 * ms, span{10 * ms, 80 * ms}},
		{"failed operations do not count", []checker.Operation{okOp(10), failed, okOp(90)}, 100 * ms, span{10 * ms, 90 * ms}},
		{"ties: the earliest", []checker.Operation{okOp(30), okOp(60), okOp(90)}, 120 * ms, span{0, 30 * ms}},
		{"completion at the end", []checker.Operation{okOp(40), okOp(100)}, 100 * ms, span{40 * ms, 100 * ms}},
	} {
		got := longestGap(c.ops, c.end)
		if got != c.want {
			t.Errorf("%s: longestGap = [%v, %v], want [%v, %v]", c.name, got.Start, got.End, c.want.Start, c.want.End)
		}
	}
}

func TestRecoveries(t *testing.T) {
	ms := clock.Time(time.Millisecond)
	end := 1000 * ms
	tenure := func(term uint64, elected, committed, ended clock.Time) sim.Tenure {
		return sim.Tenure{Node: 1, Term: raft.Term(term), Elected: elected, Committed: committed, Ended: ended}
	}
	for _, c := range []struct {
		name      string
		tenures   []sim.Tenure
		want      []time.Duration // -1: never recovered
		handovers int
	}{
		{"one leader throughout", []sim.Tenure{tenure(1, 100*ms, 110*ms, end)}, nil, 0},
		{"crash then a new leader commits",
			[]sim.Tenure{tenure(1, 100*ms, 110*ms, 300*ms), tenure(2, 450*ms, 460*ms, end)},
			[]time.Duration{160 * time.Millisecond}, 0},
		{"a leader that never commits is part of the same loss",
			[]sim.Tenure{tenure(1, 100*ms, 110*ms, 300*ms), tenure(2, 350*ms, 0, 400*ms), tenure(3, 500*ms, 520*ms, end)},
			[]time.Duration{220 * time.Millisecond}, 0},
		{"handover: the successor committed before the old leader stepped down",
			[]sim.Tenure{tenure(1, 100*ms, 110*ms, 500*ms), tenure(2, 400*ms, 420*ms, end)},
			nil, 1},
		{"never recovered",
			[]sim.Tenure{tenure(1, 100*ms, 110*ms, 300*ms), tenure(2, 350*ms, 0, 400*ms)},
			[]time.Duration{-1}, 0},
		{"two separate losses, tenures out of order",
			[]sim.Tenure{tenure(3, 700*ms, 705*ms, end), tenure(1, 100*ms, 110*ms, 200*ms), tenure(2, 300*ms, 310*ms, 600*ms)},
			[]time.Duration{110 * time.Millisecond, 105 * time.Millisecond}, 0},
	} {
		losses, handovers := recoveries(c.tenures, end)
		var got []time.Duration
		for _, l := range losses {
			got = append(got, l.Duration())
		}
		if !slices.Equal(got, c.want) || handovers != c.handovers {
			t.Errorf("%s: recoveries %v with %d handovers, want %v with %d", c.name, got, handovers, c.want, c.handovers)
		}
	}
}

func TestThroughput(t *testing.T) {
	ms := clock.Time(time.Millisecond)
	unknown := okOp(150)
	unknown.Outcome = checker.OutcomeUnknown
	open := okOp(260)
	open.Outcome = checker.OutcomeFail
	ops := []checker.Operation{okOp(10), okOp(99), okOp(100), unknown, okOp(250), open}
	series, starts := throughputRates(ops, 1, 250*ms, 100*time.Millisecond)
	// Buckets of 100, 100 and 50 ms: the last is divided by its own width.
	if want := []float64{0, 0.1, 0.2, 0.25}; !slices.Equal(starts, want) {
		t.Fatalf("bucket starts %v, want %v", starts, want)
	}
	if len(series) != 2 || series[0].outcome != checker.OutcomeOK || series[1].outcome != checker.OutcomeUnknown {
		t.Fatalf("series %+v, want get ok and get unknown (the open operation is not counted)", series)
	}
	if want := []float64{20, 10, 20}; !slices.Equal(series[0].rates, want) {
		t.Errorf("ok per second %v, want %v", series[0].rates, want)
	}
	if want := []float64{0, 10, 0}; !slices.Equal(series[1].rates, want) {
		t.Errorf("unknown per second %v, want %v", series[1].rates, want)
	}
	if w := throughputWidth(15 * clock.Time(time.Second)); w != 300*time.Millisecond {
		t.Errorf("bucket of a 15 s run: %v, want 300ms", w)
	}
	if w := throughputWidth(5 * clock.Time(time.Second)); w != 100*time.Millisecond {
		t.Errorf("bucket of a 5 s run: %v, want 100ms", w)
	}
	// A last bucket under 5% of a bucket is left out.
	if _, starts := throughputRates(ops, 1, 204*ms, 100*time.Millisecond); len(starts) != 3 {
		t.Errorf("a 4 ms last bucket was kept: starts %v", starts)
	}
}

func TestLatencyRows(t *testing.T) {
	ms := int64(time.Millisecond)
	var ops []checker.Operation
	for i := int64(1); i <= 100; i++ {
		ops = append(ops, checker.Operation{Kind: checker.OpGet, Key: "k", Invoke: 0, Complete: i * ms, Outcome: checker.OutcomeOK})
	}
	ops = append(ops,
		checker.Operation{Kind: checker.OpPut, Key: "k", Value: "v", Invoke: 0, Complete: 500 * ms, Outcome: checker.OutcomeUnknown},
		checker.Operation{Kind: checker.OpCAS, Key: "k", Value: "v", Expected: "w", Invoke: 0, Complete: 7 * ms, Outcome: checker.OutcomeOK},
		checker.Operation{Kind: checker.OpCAS, Key: "k", Value: "v", Expected: "w", Invoke: 0, Complete: 9 * ms, Outcome: checker.OutcomeFail},
		// Open at the end: closed as failed, counted as open.
		checker.Operation{Kind: checker.OpGet, Key: "k", Invoke: 0, Complete: 900 * ms, Outcome: checker.OutcomeFail},
	)
	rows := latenciesOf(ops, 1).rows()
	want := []latencyRow{
		{Name: "get", OK: 100, Open: 1, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, P999: 100 * time.Millisecond, Max: 100 * time.Millisecond},
		{Name: "put", Unknown: 1},
		{Name: "cas", OK: 1, Failed: 1, P50: 7 * time.Millisecond, P95: 7 * time.Millisecond, P99: 7 * time.Millisecond, P999: 7 * time.Millisecond, Max: 7 * time.Millisecond},
		{Name: "all", OK: 101, Failed: 1, Unknown: 1, Open: 1, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, P999: 100 * time.Millisecond, Max: 100 * time.Millisecond},
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", rows, want)
	}
	// Pooling two runs equals one run of both histories.
	pooled := poolLatencies([]*kindLatencies{latenciesOf(ops[:50], 0), latenciesOf(ops[50:], 1)}).rows()
	if !slices.Equal(pooled, want) {
		t.Errorf("pooled rows\n%+v\nwant\n%+v", pooled, want)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-1, "—"}, {0, "0.00 ms"}, {843 * time.Microsecond, "0.84 ms"}, {12340 * time.Microsecond, "12.3 ms"},
		{221 * time.Millisecond, "221 ms"}, {1250 * time.Millisecond, "1.25 s"}, {5 * time.Second, "5.00 s"},
	} {
		if got := formatLatency(c.d); got != c.want {
			t.Errorf("formatLatency(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	for _, c := range []struct {
		n    uint64
		want string
	}{{0, "0"}, {950, "950"}, {1840, "1.8k"}, {8000, "8k"}, {12345, "12k"}, {37_600, "38k"}, {4_500_000, "4.5M"}, {12_000_000, "12M"}} {
		if got := shortCount(c.n); got != c.want {
			t.Errorf("shortCount(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	seeds := func(ss ...uint64) []*runSummary {
		var out []*runSummary
		for _, s := range ss {
			out = append(out, &runSummary{seed: s})
		}
		return out
	}
	for _, c := range []struct {
		runs []*runSummary
		want string
	}{
		{seeds(1), "1"}, {seeds(1, 2, 3), "1–3"}, {seeds(1, 2, 5, 7, 8), "1–2, 5, 7–8"},
	} {
		if got := seedRange(c.runs); got != c.want {
			t.Errorf("seedRange = %q, want %q", got, c.want)
		}
	}
	fl := []failureLine{{Kind: "liveness"}, {Kind: "panic"}, {Kind: "liveness"}}
	if got := failureKinds(fl); got != "liveness ×2, panic" {
		t.Errorf("failureKinds = %q", got)
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	if got, want := labels(1, 1000), []string{"1", "10", "100", "1000"}; !slices.Equal(got, want) {
		t.Errorf("labels over 3 decades %v, want %v", got, want)
	}
	if got, want := labels(3, 60), []string{"5", "10", "20", "50"}; !slices.Equal(got, want) {
		t.Errorf("labels over 1.3 decades %v, want %v", got, want)
	}
	if got := (logTicks{}).Ticks(0, 10); got != nil {
		t.Errorf("ticks from 0: %v", got)
	}
}
