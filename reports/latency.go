package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// latencyFloorMs keeps zero latencies on log axes.
const latencyFloorMs = 1e-3

// cdfSamples bounds the points of a CDF curve, whatever the number of
// operations: the curve is sampled at this many log-spaced latencies.
const cdfSamples = 240

// ms converts nanoseconds to the milliseconds latency axes use.
func ms(ns int64) float64 { return max(float64(ns)/1e6, latencyFloorMs) }

// formatLatency prints a latency with three significant digits at most.
func formatLatency(d time.Duration) string {
	m := float64(d) / 1e6
	switch {
	case d < 0:
		return "—"
	case m < 10:
		return strconv.FormatFloat(m, 'f', 2, 64) + " ms"
	case m < 100:
		return strconv.FormatFloat(m, 'f', 1, 64) + " ms"
	case m < 1000:
		return strconv.FormatFloat(m, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(m/1000, 'f', 2, 64) + " s"
}

// cdfFigure draws the CDF of the latency of OK operations, one panel per
// kind (and all kinds together), pooled over the campaign's runs.
func (b *builder) cdfFigure() *figure {
	lat := b.camp.pooled
	type panel struct {
		name   string
		sorted []int64
		color  int
	}
	panels := []panel{{"all kinds", lat.ok[0], -1}}
	for i, k := range opKinds {
		if len(lat.ok[i+1]) > 0 {
			panels = append(panels, panel{k.String(), lat.ok[i+1], i})
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		if len(p.sorted) > 0 {
			lo, hi = min(lo, ms(p.sorted[0])), max(hi, ms(p.sorted[len(p.sorted)-1]))
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	if hi <= lo*1.5 {
		hi = lo * 1.5
	}
	cols := 3
	rows := (len(panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, pn := range panels {
		c := colorGray
		if pn.color >= 0 {
			c = kindColors[pn.color]
		}
		plots[i/cols][i%cols] = b.cdfPanel(pn.name, pn.sorted, lo, hi, c)
	}
	seeds := len(b.camp.runs)
	caption := "Cumulative distribution of the latency (invocation to completion) of operations that completed OK, " +
		"on a log axis; dashed lines mark p50, p99 and p99.9. Failed operations and those with an unknown outcome are left out."
	if seeds > 1 {
		caption += fmt.Sprintf(" Pooled over %d seeds.", seeds)
	}
	return &figure{
		name: "latency-cdf", title: "Latency distribution by operation kind", caption: caption,
		width: figureWidth, height: vg.Length(rows) * 2.9 * vg.Inch,
		draw: func(dc draw.Canvas) {
			tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(18), PadY: vg.Points(14),
				PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
			canvases := plot.Align(plots, tiles, dc)
			for r := range plots {
				for c, p := range plots[r] {
					if p != nil {
						p.Draw(canvases[r][c])
					}
				}
			}
		},
	}
}

// cdfPanel plots the CDF of one kind's sorted latencies (ns) over [lo,
// hi] ms.
func (b *builder) cdfPanel(name string, sorted []int64, lo, hi float64, c color.RGBA) *plot.Plot {
	title := fmt.Sprintf("%s (%s ok operations)", name, shortCount(uint64(len(sorted))))
	p := b.th.newPlot(title, "latency (ms, log scale)", "fraction ≤ latency")
	p.Title.TextStyle.Font.Size = 10
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(yGrid())
	if len(sorted) == 0 {
		return p
	}
	if line, err := plotter.NewLine(cdfPoints(sorted, lo, hi)); err == nil {
		line.Color, line.Width = c, vg.Points(1.5)
		p.Add(line)
	}
	p.Add(percentileMarks{sorted: sorted, text: b.th.text(8), color: c})
	return p
}

// cdfPoints samples the empirical CDF of sorted (ns) at cdfSamples
// log-spaced latencies in [lo, hi] ms.
func cdfPoints(sorted []int64, lo, hi float64) plotter.XYs {
	n := float64(len(sorted))
	pts := make(plotter.XYs, 0, cdfSamples+1)
	ratio := math.Log(hi / lo)
	for i := range cdfSamples + 1 {
		x := lo * math.Exp(ratio*float64(i)/cdfSamples)
		limit := int64(x * 1e6)
		k, _ := slices.BinarySearch(sorted, limit+1) // values <= limit
		pts = append(pts, plotter.XY{X: x, Y: float64(k) / n})
	}
	return pts
}

// percentileMarks draws dashed lines at p50, p99 and p99.9 of sorted, each
// labelled with its value.
type percentileMarks struct {
	sorted []int64
	text   text.Style
	color  color.RGBA
}

func (m percentileMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	line := draw.LineStyle{Color: colorText, Width: vg.Points(0.6), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	// Where each label goes, as a fraction of the panel's height and a
	// side of its line, then a fallback on the other side. Above-left of
	// a CDF and below-right of it are empty, so p50 goes above-left and
	// the tail percentiles below-right.
	places := []struct {
		pc              percentile
		height, height2 float64 // primary and fallback
		left            bool
	}{{p50, 0.75, 0.12, true}, {p99, 0.55, 0.55, false}, {p999, 0.32, 0.32, false}}
	ts := m.text
	ts.Color, ts.YAlign = colorText, draw.YCenter
	type label struct {
		at   vg.Point
		text string
		left bool
	}
	var labels []label
	for _, pl := range places {
		v := quantile(m.sorted, pl.pc)
		x := trX(ms(v))
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		y := trY(float64(pl.pc.num) / float64(pl.pc.den))
		c.StrokeLine2(line, x, c.Min.Y, x, y)
		c.DrawGlyph(draw.GlyphStyle{Color: m.color, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}, vg.Point{X: x, Y: y})
		text := pl.pc.name + " " + formatLatency(time.Duration(v))
		w, gap := ts.Width(text), vg.Points(3)
		left, height := pl.left, pl.height
		if left && x-gap-w < c.Min.X || !left && x+gap+w > c.Max.X {
			left, height = !left, pl.height2
		}
		at := vg.Point{X: x + gap, Y: c.Min.Y + (c.Max.Y-c.Min.Y)*vg.Length(height)}
		if left {
			at.X = x - gap - w
		}
		labels = append(labels, label{at, text, left})
	}
	// Labels go over every line, each on a light box, so that a line
	// passing under a label does not strike it through.
	h := ts.Font.Size
	for _, l := range labels {
		w := ts.Width(l.text)
		c.FillPolygon(color.NRGBA{0xff, 0xff, 0xff, 0xe0},
			rect(l.at.X-vg.Points(1.5), l.at.Y-h/2-vg.Points(1), l.at.X+w+vg.Points(1.5), l.at.Y+h/2))
		c.FillText(ts, l.at, l.text)
	}
}

// yGrid draws light horizontal grid lines.
func yGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color = colorGrid
	g.Horizontal.Width = vg.Points(0.5)
	return g
}

// timeline is what the timeline figures share: the run's span, faults,
// leader elections and the start of healing.
type timeline struct {
	end     clock.Time
	faults  []sim.FaultWindow
	leaders []float64 // seconds at which a leader was elected
	healAt  float64   // seconds; 0 when unknown
}

func (b *builder) timeline() timeline {
	t := timeline{end: b.res.End, faults: b.res.Faults}
	for _, rc := range b.res.Roles {
		if rc.Role == raft.RoleLeader {
			t.leaders = append(t.leaders, seconds(rc.Time))
		}
	}
	if h := b.res.HealStart; h > 0 && h < b.res.End {
		t.healAt = seconds(h)
	}
	return t
}

var (
	leaderLine = draw.LineStyle{Color: colorGreen, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}
	healLine   = draw.LineStyle{Color: colorHeal, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(1), vg.Points(2)}}
)

// decorate adds the fault shading to p (drawn first, under the data) and
// returns the plotters to draw over the data: leader lines and the start
// of healing.
func (t timeline) decorate(p *plot.Plot, leaders bool) []plot.Plotter {
	p.X.Min, p.X.Max = 0, seconds(t.end)
	p.Add(faultShading{windows: t.faults})
	var over []plot.Plotter
	if leaders && len(t.leaders) > 0 {
		over = append(over, vLines{xs: t.leaders, style: leaderLine})
	}
	if t.healAt > 0 {
		over = append(over, vLines{xs: []float64{t.healAt}, style: healLine})
	}
	return over
}

// legendEntries adds the timeline's shared legend entries.
func (t timeline) legendEntries(l *plot.Legend, leaders bool) {
	for _, s := range faultKindsOf(t.faults) {
		l.Add(s.label, swatch{s.color})
	}
	if leaders && len(t.leaders) > 0 {
		l.Add("leader elected", vLines{style: leaderLine})
	}
	if t.healAt > 0 {
		l.Add("healing begins", vLines{style: healLine})
	}
}

// latencyTimelineFigure draws one point per operation of the timeline run:
// x its invocation, y its latency, coloured by outcome.
func (b *builder) latencyTimelineFigure(t timeline) (*plot.Plot, plot.Legend) {
	ops := b.res.History
	p := b.th.newPlot("Latency of each operation ("+b.runName()+")",
		"virtual time of invocation (s)", "latency (ms, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	over := t.decorate(p, true)
	cloud := opCloud{side: vg.Points(2.4)}
	lo, hi := math.Inf(1), math.Inf(-1)
	var seen [4]bool
	for _, op := range ops {
		y := ms(op.Complete - op.Invoke)
		cloud.xs = append(cloud.xs, seconds(clock.Time(op.Invoke)))
		cloud.ys = append(cloud.ys, y)
		cloud.outcomes = append(cloud.outcomes, op.Outcome)
		lo, hi = min(lo, y), max(hi, y)
		if op.Outcome <= checker.OutcomeUnknown {
			seen[op.Outcome] = true
		}
	}
	if len(ops) == 0 {
		lo, hi = 1, 10
	}
	// Whole decades keep the log axis labelled at both ends.
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.0001)))
	p.Add(yGrid(), cloud)
	p.Add(over...)

	l := b.th.legend()
	for _, oc := range outcomeOrder {
		if seen[oc.outcome] {
			l.Add(oc.name, square{oc.color, vg.Points(5)})
		}
	}
	t.legendEntries(&l, true)
	return p, l
}

// throughputBucket is the width of a throughput bar.
const throughputBucket = 100 * time.Millisecond

// throughputFigure counts the operations completed per 100 ms.
func (b *builder) throughputFigure(t timeline) (*plot.Plot, plot.Legend) {
	ok, notOK := throughput(b.res.History, b.res.End, throughputBucket)
	p := b.th.newPlot("Operations completed per 100 ms ("+b.runName()+")",
		"virtual time of completion (s)", "operations / 100 ms")
	over := t.decorate(p, true)
	p.Y.Min = 0
	p.Y.Tick.Marker = countTicks{}
	p.Add(yGrid())
	l := b.th.legend()
	for _, s := range []struct {
		name   string
		counts []int
		color  color.RGBA
		always bool
	}{{"ok", ok, colorOK, true}, {"failed or unknown", notOK, colorFailed, false}} {
		pts := make(plotter.XYs, 0, len(s.counts)+1)
		nonzero := false
		for i, n := range s.counts {
			pts = append(pts, plotter.XY{X: (time.Duration(i) * throughputBucket).Seconds(), Y: float64(n)})
			nonzero = nonzero || n > 0
		}
		if !nonzero && !s.always {
			continue
		}
		pts = append(pts, plotter.XY{X: seconds(b.res.End), Y: pts[len(pts)-1].Y})
		line, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		line.StepStyle = plotter.PostStep
		line.Color, line.Width = s.color, vg.Points(1.2)
		p.Add(line)
		l.Add(s.name, line)
	}
	p.Add(over...)
	t.legendEntries(&l, true)
	return p, l
}
