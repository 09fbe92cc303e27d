package reports

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// cdfSamples bounds the points of a CDF curve, whatever the number of
// operations: the curve is sampled at this many quantiles, evenly spaced
// on the tail axis.
const cdfSamples = 240

// tailDecadesMax bounds the tail axis at p99.99.
const tailDecadesMax = 4

// tail maps a quantile q in [0, 1) to the tail axis: -log10(1 - q), so
// that 0, 90%, 99%, 99.9% are evenly spaced and the tail, where latency
// trouble lives, gets as much room as the body.
func tail(q float64) float64 { return -math.Log10(max(1-q, math.Pow(10, -tailDecadesMax))) }

// tailScale is the gonum normalizer of the tail axis.
type tailScale struct{}

func (tailScale) Normalize(lo, hi, x float64) float64 {
	a, b := tail(lo), tail(hi)
	return (tail(x) - a) / (b - a)
}

// tailTicks label the tail axis at 0, 50%, 90%, 99%, ...
type tailTicks struct{}

func (tailTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range []struct {
		q     float64
		label string
	}{{0, "0"}, {0.5, "p50"}, {0.9, "p90"}, {0.99, "p99"}, {0.999, "p99.9"}, {0.9999, "p99.99"}} {
		if t.q >= lo && t.q <= hi*(1+1e-12) {
			out = append(out, plot.Tick{Value: t.q, Label: t.label})
		}
	}
	return out
}

// tailPoints samples the latency (ms) at cdfSamples+1 quantiles of sorted
// (ns), evenly spaced on the tail axis up to top.
func tailPoints(sorted []int64, top float64) plotter.XYs {
	n := len(sorted)
	pts := make(plotter.XYs, 0, cdfSamples+1)
	for i := range cdfSamples + 1 {
		q := 1 - math.Pow(10, -tail(top)*float64(i)/cdfSamples)
		k := min(max(int(math.Ceil(q*float64(n)))-1, 0), n-1)
		pts = append(pts, plotter.XY{X: ms(sorted[k]), Y: q})
	}
	return pts
}

// cdfFigure overlays the latency CDFs of OK operations, one curve per
// kind and one for all kinds, pooled over the campaign's runs: latency on
// a log axis, the quantile on the tail axis.
func (b *builder) cdfFigure() *figure {
	lat := b.camp.pooled
	p := b.th.newPlot("Latency CDF by operation kind", "latency (ms, log scale)", "quantile (tail scale)")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Y.Scale, p.Y.Tick.Marker = tailScale{}, tailTicks{}
	l := b.th.legend()
	all := lat.ok[0]
	top := 0.5
	if n := len(all); n > 1 {
		// The tail axis reaches the quantile the data can show: with n
		// values, 1 - 1/n.
		top = 1 - math.Pow(10, -min(math.Floor(math.Log10(float64(n))), tailDecadesMax))
		top = max(top, 0.5)
	}
	p.Y.Min, p.Y.Max = 0, top
	p.Add(xGrid(), yGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	add := func(name string, sorted []int64, c draw.LineStyle) {
		if len(sorted) == 0 {
			return
		}
		lo, hi = min(lo, ms(sorted[0])), max(hi, ms(sorted[len(sorted)-1]))
		line, err := plotter.NewLine(tailPoints(sorted, top))
		if err != nil {
			return
		}
		line.LineStyle = c
		p.Add(line)
		l.Add(fmt.Sprintf("%s (%s)", name, shortCount(uint64(len(sorted)))), line)
	}
	add("all kinds", all, draw.LineStyle{Color: colorHeal, Width: vg.Points(2.2)})
	for i, k := range opKinds {
		add(k.String(), lat.ok[i+1], draw.LineStyle{Color: kindColors[i], Width: vg.Points(1.3)})
	}
	if math.IsInf(lo, 0) {
		b.notePlot(p, "no operation completed OK", b.th.text(10))
	} else {
		p.X.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		p.X.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.0001)))
	}
	seeds := len(b.camp.runs)
	caption := "Latency (invocation to completion) of the operations that completed OK, one curve per kind: " +
		"the y axis is the quantile on a tail scale (p50, p90, p99 and p99.9 evenly spaced), so the tail gets as much room as the body; " +
		"read across from p99 to find each kind's 99th percentile. Failed operations, those with an unknown outcome " +
		"and those still open at the end are left out; the tables give them."
	if seeds > 1 {
		caption += fmt.Sprintf(" Pooled over %d seeds.", seeds)
	}
	return &figure{
		name: "latency-cdf", title: "Latency distribution by operation kind", caption: caption,
		width: figureWidth, height: 3.8 * vg.Inch,
		draw: func(dc draw.Canvas) { drawWithLegend(dc, p, l, 0) },
	}
}
