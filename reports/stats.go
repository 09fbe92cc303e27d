package reports

import (
	"cmp"
	"slices"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// This file holds the summary statistics a report shows. They describe
// what a run did; none of them is a verdict.

// percentile is a quantile as an integer ratio, so that a value is picked
// by integer arithmetic and never depends on float rounding.
type percentile struct {
	name     string
	num, den int64
}

var (
	p50  = percentile{"p50", 50, 100}
	p95  = percentile{"p95", 95, 100}
	p99  = percentile{"p99", 99, 100}
	p999 = percentile{"p99.9", 999, 1000}
)

// quantile returns the nearest-rank percentile of sorted (ascending): the
// smallest value such that at least num/den of the values are at or below
// it. Zero when there are no values.
func quantile(sorted []int64, p percentile) int64 {
	n := int64(len(sorted))
	if n == 0 {
		return 0
	}
	rank := (p.num*n + p.den - 1) / p.den // ceil(n * num / den)
	rank = max(rank, 1)
	return sorted[rank-1]
}

// latencyRow summarizes one operation kind (or all of them) in one run or
// pooled over many.
type latencyRow struct {
	// Name is the kind ("get") or "all".
	Name                      string
	OK, Failed, Unknown, Open int
	// Percentiles and Max of the latency of OK operations.
	P50, P95, P99, P999, Max time.Duration
}

// opKinds lists the operation kinds in the order reports show them.
var opKinds = [...]checker.OpKind{checker.OpGet, checker.OpPut, checker.OpAppend, checker.OpDelete, checker.OpCAS}

// kindLatencies holds the sorted latencies (ns) of OK operations and the
// outcome counts, per kind; index 0 pools every kind. Operations still
// open when the run ended are counted in open, apart from failed and
// unknown ones, as the run summary counts them.
type kindLatencies struct {
	ok     [len(opKinds) + 1][]int64
	failed [len(opKinds) + 1]int
	unsure [len(opKinds) + 1]int
	open   [len(opKinds) + 1]int
}

// kindIndex maps an operation kind to its slot in kindLatencies.
func kindIndex(k checker.OpKind) int {
	i := slices.Index(opKinds[:], k)
	return i + 1 // an unknown kind (-1) pools into "all" only
}

// latenciesOf summarizes ops, whose last openAtEnd operations were still
// open when the run ended (see sim.Result.OpenAtEnd).
func latenciesOf(ops []checker.Operation, openAtEnd int) *kindLatencies {
	var l kindLatencies
	closed := len(ops) - openAtEnd
	for k, op := range ops {
		slots, n := [2]int{0, kindIndex(op.Kind)}, 2
		if slots[1] == 0 {
			n = 1 // a kind outside opKinds counts in "all" only
		}
		for _, i := range slots[:n] {
			switch {
			case k >= closed:
				l.open[i]++
			case op.Outcome == checker.OutcomeOK:
				l.ok[i] = append(l.ok[i], op.Complete-op.Invoke)
			case op.Outcome == checker.OutcomeFail:
				l.failed[i]++
			default:
				l.unsure[i]++
			}
		}
	}
	for i := range l.ok {
		slices.Sort(l.ok[i])
	}
	return &l
}

// poolLatencies pools the operations of many runs.
func poolLatencies(all []*kindLatencies) *kindLatencies {
	var p kindLatencies
	for i := range p.ok {
		n := 0
		for _, l := range all {
			n += len(l.ok[i])
		}
		p.ok[i] = make([]int64, 0, n)
		for _, l := range all {
			p.ok[i] = append(p.ok[i], l.ok[i]...)
			p.failed[i] += l.failed[i]
			p.unsure[i] += l.unsure[i]
			p.open[i] += l.open[i]
		}
		slices.Sort(p.ok[i])
	}
	return &p
}

// rows returns one row per kind that has operations, then "all".
func (l *kindLatencies) rows() []latencyRow {
	var out []latencyRow
	row := func(i int, name string) latencyRow {
		s := l.ok[i]
		r := latencyRow{Name: name, OK: len(s), Failed: l.failed[i], Unknown: l.unsure[i], Open: l.open[i]}
		if len(s) > 0 {
			r.P50 = time.Duration(quantile(s, p50))
			r.P95 = time.Duration(quantile(s, p95))
			r.P99 = time.Duration(quantile(s, p99))
			r.P999 = time.Duration(quantile(s, p999))
			r.Max = time.Duration(s[len(s)-1])
		}
		return r
	}
	for i, k := range opKinds {
		if len(l.ok[i+1])+l.failed[i+1]+l.unsure[i+1]+l.open[i+1] > 0 {
			out = append(out, row(i+1, k.String()))
		}
	}
	return append(out, row(0, "all"))
}

// span is an interval of virtual time.
type span struct {
	Start, End clock.Time
}

func (s span) Duration() time.Duration { return s.End.Sub(s.Start) }

// longestGap returns the longest span of [0, end] in which no operation
// completed successfully (outcome OK), counting from the run's start and
// to its end; the earliest of equal spans.
func longestGap(ops []checker.Operation, end clock.Time) span {
	done := make([]clock.Time, 0, len(ops)+1)
	for _, op := range ops {
		if op.Outcome == checker.OutcomeOK {
			done = append(done, min(clock.Time(op.Complete), end))
		}
	}
	slices.Sort(done)
	done = append(done, end)
	best := span{}
	prev := clock.Time(0)
	for _, t := range done {
		if t-prev > best.End-best.Start {
			best = span{prev, t}
		}
		prev = max(prev, t)
	}
	return best
}

// recovery is a loss of leadership: the leader of Term (Node) stopped
// leading at Lost while no later leader had yet committed, and the
// cluster recovered when a leader of a later term first committed an
// entry of its term (Recovered; 0 if that never happened).
type recovery struct {
	Node      raft.NodeID
	Term      raft.Term
	Lost      clock.Time
	Recovered clock.Time
}

// Duration is how long the recovery took; -1 if the cluster never
// recovered.
func (r recovery) Duration() time.Duration {
	if r.Recovered == 0 {
		return -1
	}
	return r.Recovered.Sub(r.Lost)
}

// recoveries finds the losses of leadership in tenures: each tenure that
// ended before the run's end, unless it ended inside an earlier loss not
// yet recovered from, or a leader of a later term had already committed
// (a handover: counted in handovers, not as a loss).
func recoveries(tenures []sim.Tenure, end clock.Time) (losses []recovery, handovers int) {
	ts := slices.Clone(tenures)
	slices.SortStableFunc(ts, func(a, b sim.Tenure) int { return cmp.Compare(a.Term, b.Term) })
	// covered: the cluster is in a loss until then.
	var covered clock.Time
	for i, t := range ts {
		if t.Ended >= end || t.Ended < covered {
			continue
		}
		next := clock.Time(0) // the first commit of a later term
		for _, u := range ts[i+1:] {
			if u.Term > t.Term && u.Committed != 0 && (next == 0 || u.Committed < next) {
				next = u.Committed
			}
		}
		if next != 0 && next <= t.Ended {
			handovers++
			continue
		}
		losses = append(losses, recovery{Node: t.Node, Term: t.Term, Lost: t.Ended, Recovered: next})
		if next == 0 {
			break // every later tenure ends inside this loss
		}
		covered = next
	}
	return losses, handovers
}
