package reports

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
)

// messageRow is the traffic of one message type, summed over links.
type messageRow struct {
	Type raft.MessageType
	netsim.Counters
}

// messageRows sums the timeline run's link counters by message type, in
// type order; types never sent are left out.
func messageRows(stats []netsim.LinkStats) []messageRow {
	var sums [256]netsim.Counters
	for _, s := range stats {
		sums[s.Kind].Add(s.Counters)
	}
	var out []messageRow
	for t := range sums {
		if !sums[t].IsZero() {
			out = append(out, messageRow{Type: raft.MessageType(t), Counters: sums[t]})
		}
	}
	return out
}

// fate is one way a message copy ended, as the messages figure shows it.
type fate struct {
	name  string
	color color.RGBA
	count func(netsim.Counters) uint64
}

var fates = []fate{
	{"delivered", colorBlue, func(c netsim.Counters) uint64 { return c.Delivered }},
	{"dropped", colorRed, func(c netsim.Counters) uint64 { return c.Dropped() }},
	{"duplicated", colorOrang, func(c netsim.Counters) uint64 { return c.Duplicated }},
	{"held by a clog", colorTeal, func(c netsim.Counters) uint64 { return c.Held }},
}

// messagesFigure draws, per message type, how many copies were delivered,
// dropped, duplicated (and held, if any link was clogged), on a log axis
// so that a handful of votes shows beside thousands of appends; each
// type's label also gives the messages of that type per client operation.
func (b *builder) messagesFigure() *figure {
	rows := messageRows(b.res.Network)
	p := b.th.newPlot("Messages by type and fate ("+b.runName()+")", "", "messages (log scale)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logCountTicks{}
	p.Add(yGrid())
	var shown []fate
	for _, f := range fates {
		for _, r := range rows {
			if f.count(r.Counters) > 0 {
				shown = append(shown, f)
				break
			}
		}
	}
	ops := max(b.res.Stats.Ops, 1)
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = fmt.Sprintf("%s\n%s/op", r.Type, perOp(r.Sent, ops))
	}
	slot := 0.8 / float64(max(len(shown), 1)) // of a type's unit width
	bars := logBars{text: b.th.text(7), width: slot}
	top := uint64(1)
	l := b.th.legend()
	for i, f := range shown {
		for j, r := range rows {
			n := f.count(r.Counters)
			top = max(top, n)
			bars.bars = append(bars.bars, logBar{x: float64(j) + slot*(float64(i)-float64(len(shown)-1)/2), n: n, color: f.color})
		}
		l.Add(f.name, swatch{f.color})
	}
	p.Add(bars)
	if len(rows) > 0 {
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.5, float64(len(rows))-0.5
	} else {
		b.notePlot(p, "no messages were sent", b.th.text(10))
	}
	// Whole decades, and one more above the tallest bar for its label.
	p.Y.Min, p.Y.Max = 0.5, math.Pow(10, math.Ceil(math.Log10(float64(top)*1.0001))+0.35)
	p.Y.Padding = 0
	caption := fmt.Sprintf("Copies of Raft messages between nodes, summed over every link, by what became of them, on a log axis "+
		"(a bar of 0 is left out and its label says 0). Under each type: messages of that type sent per client operation (%d operations). "+
		"Dropped counts every reason: random loss, a cut link at send or on arrival, a partition, and a clogged link's full queue. "+
		"Duplicated counts the extra copies the network made; each copy is then delivered or dropped like any other.", b.res.Stats.Ops)
	return &figure{
		name: "messages", title: "Messages", caption: caption,
		width: figureWidth, height: 3.8 * vg.Inch,
		draw: func(dc draw.Canvas) { drawWithLegend(dc, p, l, 0) },
	}
}

// perOp prints n/ops with two significant digits.
func perOp(n, ops uint64) string {
	v := float64(n) / float64(ops)
	switch {
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// logBar is one bar of a log-scale bar chart.
type logBar struct {
	x     float64
	n     uint64
	color color.RGBA
}

// logBars draws bars from the bottom of a log axis up to their count,
// each labelled with it above; a zero count has no bar, only its label.
type logBars struct {
	bars  []logBar
	width float64 // in x units
	text  text.Style
}

func (lb logBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := lb.text
	sty.XAlign, sty.YAlign, sty.Color = draw.XCenter, draw.YBottom, colorText
	for _, bar := range lb.bars {
		x0, x1 := trX(bar.x-lb.width/2), trX(bar.x+lb.width/2)
		top := c.Min.Y
		if bar.n > 0 {
			top = trY(float64(bar.n))
			c.FillPolygon(bar.color, rect(x0+vg.Points(0.5), c.Min.Y, x1-vg.Points(0.5), top))
		}
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: top + vg.Points(1.5)}, shortCount(bar.n))
	}
}

// DataRange covers the bars' slots; the y range is set by the figure.
func (lb logBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 1, 1
	for _, bar := range lb.bars {
		xmin, xmax = min(xmin, bar.x-lb.width/2), max(xmax, bar.x+lb.width/2)
		ymax = max(ymax, float64(bar.n))
	}
	return
}

// logCountTicks labels the powers of ten of a log axis of counts.
type logCountTicks struct{}

func (logCountTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (logTicks{}).Ticks(math.Max(lo, 1), hi) {
		if t.Value >= 1 && t.Value == math.Trunc(t.Value) {
			if t.Label != "" {
				t.Label = shortCount(uint64(t.Value))
			}
			out = append(out, t)
		}
	}
	return out
}

// legendWidth is the strip at the right of single plots that holds the
// legend, outside the data.
const legendWidth = 1.55 * vg.Inch

// drawWithLegend draws p with the legend in a strip at its right; left
// moves the data area's left edge to that distance from the canvas's
// (0: where p puts it), so that stacked time axes line up.
func drawWithLegend(dc draw.Canvas, p *plot.Plot, l plot.Legend, left vg.Length) {
	pc := plotArea(dc)
	if left > 0 {
		own := p.DataCanvas(pc).Min.X - pc.Min.X
		pc = draw.Crop(pc, left-own, 0, 0, 0)
	}
	p.Draw(pc)
	lc := draw.Crop(dc, dc.Max.X-dc.Min.X-legendWidth+vg.Points(10), 0, 0, -vg.Points(26))
	l.Draw(lc)
}

// plotArea is the part of a figure's canvas left of the legend strip.
func plotArea(dc draw.Canvas) draw.Canvas {
	return draw.Crop(dc, vg.Points(4), -legendWidth, vg.Points(2), -vg.Points(4))
}
