package reports

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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
// dropped, duplicated (and held, if any link was clogged).
func (b *builder) messagesFigure() *figure {
	rows := messageRows(b.res.Network)
	p := b.th.newPlot("Messages by type and fate ("+b.runName()+")", "", "messages")
	p.Y.Tick.Marker = countTicks{short: true}
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
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Type.String()
	}
	barW := vg.Points(min(22, 520/float64(max(len(rows)*len(shown), 1))))
	l := b.th.legend()
	for i, f := range shown {
		vals := make(plotter.Values, len(rows))
		labels := make([]string, len(rows))
		xys := make(plotter.XYs, len(rows))
		for j, r := range rows {
			n := f.count(r.Counters)
			vals[j] = float64(n)
			labels[j] = shortCount(n)
			xys[j] = plotter.XY{X: float64(j), Y: float64(n)}
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			continue
		}
		bars.Color = f.color
		bars.LineStyle.Width = 0
		bars.Offset = barW * (vg.Length(i) - vg.Length(len(shown)-1)/2)
		p.Add(bars)
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err == nil {
			for k := range lbl.TextStyle {
				lbl.TextStyle[k] = b.th.text(7)
				lbl.TextStyle[k].XAlign = draw.XCenter
				lbl.TextStyle[k].Color = colorText
			}
			lbl.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
			p.Add(lbl)
		}
		l.Add(f.name, swatch{f.color})
	}
	if len(rows) > 0 {
		p.NominalX(names...)
		// Each type in a slot of its own, the first flush with the axis.
		p.X.Min, p.X.Max = -0.5, float64(len(rows))-0.5
		p.Y.Padding = 0
	} else {
		b.notePlot(p, "no messages were sent", b.th.text(10))
	}
	p.Y.Min = 0
	// Room above the tallest bar for its label.
	p.Y.Max *= 1.08
	caption := "Copies of Raft messages between nodes, summed over every link, by what became of them. " +
		"Dropped counts every reason: random loss, a cut link at send or on arrival, and a clogged link's full queue. " +
		"Duplicated counts the extra copies the network made; each copy is then delivered or dropped like any other."
	return &figure{
		name: "messages", title: "Messages", caption: caption,
		width: figureWidth, height: 3.6 * vg.Inch,
		draw: func(dc draw.Canvas) { drawWithLegend(dc, p, l, 0) },
	}
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
