package reports

import (
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// latencyFloorMs keeps zero latencies on log axes.
const latencyFloorMs = 1e-3

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
