package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
)

// Groups of the latency timeline's points, in drawing order: OK
// operations by kind (opKinds order), then the rarer outcomes on top.
const (
	groupUnknown = len(opKinds) + iota
	groupFailed
	groupOpen
	groupCount
)

// latencyTimelineFigure draws one point per operation of the timeline run
// (x its invocation, y its latency), OK operations coloured by kind and
// the others by outcome, with the quantile lines of each window over the
// OK operations of all kinds and the safety failures marked.
func (b *builder) latencyTimelineFigure(t timeline) (*plot.Plot, plot.Legend) {
	ops := b.res.History
	p := b.th.newPlot("Latency of each operation ("+b.runName()+")",
		"virtual time of invocation (s)", "latency (ms, log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	over := t.decorate(p, true)
	colors := make([]color.Color, groupCount)
	for k := range opKinds {
		colors[k] = colorOf(k, 0xa0)
	}
	colors[groupUnknown], colors[groupFailed], colors[groupOpen] = colorUnknown, colorFailed, colorGray
	cloud := opCloud{side: vg.Points(2.4), colors: colors}
	lo, hi := math.Inf(1), math.Inf(-1)
	var seen [groupCount]bool
	closed := len(ops) - b.res.OpenAtEnd
	for i, op := range ops {
		y := ms(op.Complete - op.Invoke)
		g := kindIndex(op.Kind) - 1
		switch {
		case i >= closed:
			g = groupOpen
		case op.Outcome == checker.OutcomeFail:
			g = groupFailed
		case op.Outcome == checker.OutcomeUnknown:
			g = groupUnknown
		case g < 0:
			continue
		}
		cloud.xs = append(cloud.xs, seconds(clock.Time(op.Invoke)))
		cloud.ys = append(cloud.ys, y)
		cloud.groups = append(cloud.groups, g)
		lo, hi = min(lo, y), max(hi, y)
		seen[g] = true
	}
	if len(cloud.xs) == 0 {
		lo, hi = 1, 10
	}
	// Whole decades keep the log axis labelled at both ends.
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.0001)))
	p.Add(yGrid(), cloud)
	l := b.th.legend()
	for g, name := range []string{"get", "put", "append", "delete", "cas", "unknown outcome", "failed", "open at the end"} {
		if seen[g] {
			l.Add(name, square{colors[g], vg.Points(5)})
		}
	}
	for _, q := range b.quantileLines(ops[:closed], -1, seconds(b.res.End)) {
		p.Add(q.line)
		l.Add(q.name+" (all kinds)", q.line)
	}
	if marks := b.failureMarks(); len(marks.failures) > 0 {
		over = append(over, marks)
		l.Add("safety failure", vLines{style: failureStroke})
	}
	if key := b.offendingKey(); key != "" {
		rings := keyRings{style: draw.GlyphStyle{Color: colorFailed, Radius: vg.Points(3.2), Shape: draw.RingGlyph{}}}
		for _, op := range ops[:closed] {
			if op.Key == key && op.Outcome == checker.OutcomeOK {
				rings.pts = append(rings.pts, plotter.XY{X: seconds(clock.Time(op.Invoke)), Y: ms(op.Complete - op.Invoke)})
			}
		}
		over = append(over, rings)
		l.Add("ops on key "+key+" (not linearizable)", rings)
	}
	p.Add(over...)
	t.legendEntries(&l, true)
	return p, l
}

// quantileLine is one quantile of latency per window, as a step line.
type quantileLine struct {
	name string
	line segLine
}

// segLine is a line broken where a point's Y is NaN.
type segLine struct {
	xys   plotter.XYs
	style draw.LineStyle
}

func (s segLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var pts []vg.Point
	flush := func() {
		if len(pts) > 1 {
			c.StrokeLines(s.style, c.ClipLinesXY(pts)...)
		}
		pts = pts[:0]
	}
	for _, xy := range s.xys {
		if math.IsNaN(xy.Y) {
			flush()
			continue
		}
		pts = append(pts, vg.Point{X: trX(xy.X), Y: trY(xy.Y)})
	}
	flush()
}

// DataRange leaves the gaps out.
func (s segLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, xy := range s.xys {
		if !math.IsNaN(xy.Y) {
			xmin, xmax, ymin, ymax = min(xmin, xy.X), max(xmax, xy.X), min(ymin, xy.Y), max(ymax, xy.Y)
		}
	}
	return
}

func (s segLine) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(s.style, c.Min.X, y, c.Max.X, y)
}

// quantileWindows is how many windows the quantile lines split a run into.
const quantileWindows = 40

var quantileStyles = []struct {
	pc     percentile
	name   string
	width  float64
	dashes []vg.Length
}{
	{p50, "p50", 1.6, nil},
	{p95, "p95", 1.2, []vg.Length{vg.Points(5), vg.Points(2)}},
	{p99, "p99", 1.2, []vg.Length{vg.Points(1.5), vg.Points(1.5)}},
	{percentile{"max", 1, 1}, "max", 0.7, nil},
}

// quantileLines computes, per window of invocation time, the p50, p95,
// p99 and max latency of the OK operations of kind (an index in opKinds;
// -1 for all), the way Jepsen's latency-quantiles plots do. Windows
// without an operation leave a gap.
func (b *builder) quantileLines(ops []checker.Operation, kind int, endS float64) []quantileLine {
	width := max(endS/quantileWindows, 0.01)
	n := int(math.Ceil(endS / width))
	buckets := make([][]int64, n)
	for _, op := range ops {
		if op.Outcome != checker.OutcomeOK || kind >= 0 && kindIndex(op.Kind)-1 != kind {
			continue
		}
		w := min(int(seconds(clock.Time(op.Invoke))/width), n-1)
		buckets[w] = append(buckets[w], op.Complete-op.Invoke)
	}
	for i := range buckets {
		slices.Sort(buckets[i])
	}
	c := colorHeal
	if kind >= 0 {
		c = kindColors[kind]
	}
	var out []quantileLine
	for _, qs := range quantileStyles {
		var pts plotter.XYs
		for i, bk := range buckets {
			x0, x1 := float64(i)*width, min(float64(i+1)*width, endS)
			if len(bk) == 0 {
				if len(pts) > 0 {
					pts = append(pts, plotter.XY{X: x0, Y: math.NaN()})
				}
				continue
			}
			v := ms(quantile(bk, qs.pc))
			pts = append(pts, plotter.XY{X: x0, Y: v}, plotter.XY{X: x1, Y: v})
		}
		if len(pts) == 0 {
			continue
		}
		line := segLine{xys: pts, style: draw.LineStyle{Color: c, Width: vg.Points(qs.width), Dashes: qs.dashes}}
		out = append(out, quantileLine{qs.name, line})
	}
	return out
}

var failureStroke = draw.LineStyle{Color: colorFailed, Width: vg.Points(1.4)}

// failureMarks draws a red line at each safety failure of the timeline
// run, labelled with its name (and node) at the top of the plot.
type failureMarks struct {
	failures []sim.Failure
	text     text.Style
}

func (b *builder) failureMarks() failureMarks {
	m := failureMarks{text: b.th.text(8)}
	for _, f := range b.res.Failures {
		if (f.Kind == sim.FailureInvariant || f.Kind == sim.FailurePanic) && f.Time > 0 {
			m.failures = append(m.failures, f)
		}
	}
	return m
}

func (m failureMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, f := range m.failures {
		x := trX(seconds(f.Time))
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		c.StrokeLine2(failureStroke, x, c.Min.Y, x, c.Max.Y)
		label := f.Name
		if f.Node != 0 {
			label += fmt.Sprintf(" (node %d)", f.Node)
		}
		sty := m.text
		sty.Color, sty.YAlign, sty.XAlign = colorFailed, draw.YTop, draw.XRight
		at := vg.Point{X: x - vg.Points(3), Y: c.Max.Y - vg.Points(2)}
		if w := sty.Width(label); x-w-vg.Points(3) < c.Min.X {
			sty.XAlign, at.X = draw.XLeft, x+vg.Points(3)
		}
		c.FillText(sty, at, label)
	}
}

func (m failureMarks) Thumbnail(c *draw.Canvas) { vLines{style: failureStroke}.Thumbnail(c) }

// offendingKey is the key a linearizability failure was located on.
func (b *builder) offendingKey() string {
	lin := b.res.Linearizability
	if lin.Verdict == checker.VerdictIllegal && lin.Located {
		return lin.Key
	}
	return ""
}

// keyRings circles points.
type keyRings struct {
	pts   plotter.XYs
	style draw.GlyphStyle
}

func (k keyRings) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, pt := range k.pts {
		at := vg.Point{X: trX(pt.X), Y: trY(pt.Y)}
		if c.Contains(at) {
			c.DrawGlyph(k.style, at)
		}
	}
}

func (k keyRings) Thumbnail(c *draw.Canvas) { c.DrawGlyph(k.style, c.Center()) }

// quantilesFigure draws, per operation kind, the p50, p95, p99 and max
// latency of its OK operations per window of the timeline run, one panel
// per kind on a shared log axis.
func (b *builder) quantilesFigure() *figure {
	ops := b.res.History[:len(b.res.History)-b.res.OpenAtEnd]
	endS := seconds(b.res.End)
	t := b.timeline()
	var plots [][]*plot.Plot
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, kind := range opKinds {
		lines := b.quantileLines(ops, k, endS)
		if len(lines) == 0 {
			continue
		}
		p := b.th.newPlot(kind.String(), "", "ms")
		p.Title.TextStyle.Font.Size = 10
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		t.decorate(p, false)
		p.Add(yGrid())
		for _, q := range lines {
			p.Add(q.line)
			for _, pt := range q.line.xys {
				if !math.IsNaN(pt.Y) {
					lo, hi = min(lo, pt.Y), max(hi, pt.Y)
				}
			}
		}
		plots = append(plots, []*plot.Plot{p})
	}
	if len(plots) == 0 {
		return nil
	}
	for _, row := range plots {
		row[0].Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		row[0].Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.0001)))
	}
	plots[len(plots)-1][0].X.Label.Text = "virtual time of invocation (s)"
	l := b.th.legend()
	for _, qs := range quantileStyles {
		l.Add(qs.name, segLine{style: draw.LineStyle{Color: colorHeal, Width: vg.Points(qs.width), Dashes: qs.dashes}})
	}
	caption := fmt.Sprintf("Latency quantiles of the operations of seed %d that completed OK, per kind, "+
		"in %d windows of invocation time (Jepsen's latency-quantiles): p50, p95, p99 and the maximum of each window. "+
		"Shaded: fault windows. A gap is a window in which no operation of that kind was invoked and completed OK.",
		b.res.Seed, quantileWindows)
	return &figure{
		name: "latency-quantiles", title: "Latency quantiles over time, by kind", caption: caption,
		width: figureWidth, height: vg.Length(len(plots))*1.25*vg.Inch + 0.5*vg.Inch,
		draw: func(dc draw.Canvas) {
			pc := plotArea(dc)
			tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(2)}
			canvases := plot.Align(plots, tiles, pc)
			for r := range plots {
				plots[r][0].Draw(canvases[r][0])
			}
			l.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-legendWidth+vg.Points(10), 0, 0, -vg.Points(26)))
		},
	}
}
