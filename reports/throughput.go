package reports

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
)

// throughputBucket is the narrowest throughput bucket; a long run gets
// wider ones, a multiple of it, so that a plot has about
// throughputBuckets of them and stays readable.
const (
	throughputBucket  = 100 * time.Millisecond
	throughputBuckets = 60
)

// throughputWidth is the bucket width for a run that ends at end.
func throughputWidth(end clock.Time) time.Duration {
	n := (end.Duration() + throughputBuckets*throughputBucket - 1) / (throughputBuckets * throughputBucket)
	return max(time.Duration(n), 1) * throughputBucket
}

// throughputMinPart is the shortest last bucket drawn, as a fraction of a
// full one: a sliver holds too few completions to say anything.
const throughputMinPart = 5 // percent

// rateSeries is the throughput of one kind and outcome, in operations per
// second, one value per bucket.
type rateSeries struct {
	kind    int // index in opKinds
	outcome checker.Outcome
	rates   []float64
}

// throughputRates counts the completions of each kind and outcome per
// bucket of width over [0, end] and turns them into rates per second,
// each bucket divided by its own width: the last bucket, cut short by the
// run's end, is neither a dip nor dropped, unless it is under
// throughputMinPart of a bucket. Operations still open at the end (the
// last openAtEnd of ops) never completed and are not counted. Series
// without a completion are left out; ok series come first, in opKinds
// order, then failed, then unknown. The buckets' start times are returned
// with them (seconds), and the end of the last one.
func throughputRates(ops []checker.Operation, openAtEnd int, end clock.Time, width time.Duration) ([]rateSeries, []float64) {
	n := int(end.Duration() / width)
	if rest := end.Duration() - time.Duration(n)*width; rest*100 >= width*throughputMinPart {
		n++
	}
	n = max(n, 1)
	type slot struct {
		kind    int
		outcome checker.Outcome
	}
	counts := map[slot][]int{}
	for _, op := range ops[:len(ops)-openAtEnd] {
		b := int(time.Duration(op.Complete) / width)
		k := kindIndex(op.Kind) - 1
		if b < 0 || b >= n || k < 0 {
			continue
		}
		s := slot{k, op.Outcome}
		if counts[s] == nil {
			counts[s] = make([]int, n)
		}
		counts[s][b]++
	}
	edges := make([]time.Duration, n+1)
	starts := make([]float64, n+1)
	for i := range starts {
		edges[i] = min(time.Duration(i)*width, end.Duration())
		starts[i] = edges[i].Seconds()
	}
	var out []rateSeries
	for _, oc := range []checker.Outcome{checker.OutcomeOK, checker.OutcomeFail, checker.OutcomeUnknown} {
		for k := range opKinds {
			c := counts[slot{k, oc}]
			if c == nil {
				continue
			}
			rs := rateSeries{kind: k, outcome: oc, rates: make([]float64, n)}
			for i, v := range c {
				rs.rates[i] = float64(v) * float64(time.Second) / float64(edges[i+1]-edges[i])
			}
			out = append(out, rs)
		}
	}
	return out, starts
}

// outcomeDashes tells outcomes apart in a plot whose colours are kinds.
var outcomeDashes = map[checker.Outcome][]vg.Length{
	checker.OutcomeOK:      nil,
	checker.OutcomeFail:    {vg.Points(5), vg.Points(2)},
	checker.OutcomeUnknown: {vg.Points(1.5), vg.Points(1.5)},
}

// throughputFigure draws the completions per second of each kind and
// outcome over the timeline run.
func (b *builder) throughputFigure(t timeline) (*plot.Plot, plot.Legend) {
	series, starts := throughputRates(b.res.History, b.res.OpenAtEnd, b.res.End, throughputWidth(b.res.End))
	p := b.th.newPlot("Completions per second, by kind and outcome ("+b.runName()+")",
		"virtual time of completion (s)", "operations / s")
	over := t.decorate(p, true)
	p.Y.Min = 0
	p.Y.Tick.Marker = countTicks{short: true}
	p.Add(yGrid())
	l := b.th.legend()
	for _, s := range series {
		pts := make(plotter.XYs, 0, len(s.rates)+1)
		for i, r := range s.rates {
			pts = append(pts, plotter.XY{X: starts[i], Y: r})
		}
		pts = append(pts, plotter.XY{X: starts[len(s.rates)], Y: s.rates[len(s.rates)-1]})
		line, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		line.StepStyle = plotter.PostStep
		line.Color = kindColors[s.kind]
		line.Width = vg.Points(1.2)
		line.Dashes = outcomeDashes[s.outcome]
		if s.outcome != checker.OutcomeOK {
			line.Width = vg.Points(1.6)
		}
		p.Add(line)
		l.Add(fmt.Sprintf("%s %s", opKinds[s.kind], outcomeWord(s.outcome)), line)
	}
	p.Add(over...)
	t.legendEntries(&l, true)
	return p, l
}

// outcomeWord names an outcome in legends.
func outcomeWord(o checker.Outcome) string {
	switch o {
	case checker.OutcomeOK:
		return "ok"
	case checker.OutcomeFail:
		return "failed"
	}
	return "unknown"
}

// colorOf is a kind's colour with another alpha.
func colorOf(kind int, alpha uint8) color.NRGBA {
	c := kindColors[kind]
	return color.NRGBA{c.R, c.G, c.B, alpha}
}
