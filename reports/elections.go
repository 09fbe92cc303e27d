package reports

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// roleStyle is how a role is drawn; Role 0 is a crashed node.
type roleStyle struct {
	role  raft.Role
	name  string
	color color.RGBA
}

var roleStyles = []roleStyle{
	{raft.RoleFollower, "follower", colorFollower},
	{raft.RolePreCandidate, "pre-candidate", colorPreCand},
	{raft.RoleCandidate, "candidate", colorCandidate},
	{raft.RoleLeader, "leader", colorLeader},
	{0, "down (crashed)", colorDown},
}

func styleOfRole(r raft.Role) roleStyle {
	for _, s := range roleStyles {
		if s.role == r {
			return s
		}
	}
	return roleStyle{r, r.String(), colorGray}
}

// rolesFigure draws each node's role over the timeline run as a band,
// leaders labelled with their term, and a track of the fault windows.
func (b *builder) rolesFigure(t timeline) (*plot.Plot, plot.Legend) {
	p := b.th.newPlot("Role of each node, with leader terms ("+b.runName()+")", "virtual time (s)", "")
	over := t.decorate(p, false)
	nodes := b.cfg.Nodes
	for _, rc := range b.res.Roles {
		nodes = max(nodes, int(rc.Node))
	}
	row := func(id raft.NodeID) float64 { return float64(nodes - int(id) + 1) } // node 1 on top
	var ticks []plot.Tick
	for id := 1; id <= nodes; id++ {
		ticks = append(ticks, plot.Tick{Value: row(raft.NodeID(id)), Label: "node " + strconv.Itoa(id)})
	}
	bs := bands{height: 0.62, text: b.th.text(8), light: isDark}
	var seen [5]bool
	// Roles is in time order; a node's band lasts until its next change.
	last := make([]int, nodes+1) // last[id]: index in bs.bands of the node's open band, or -1
	for i := range last {
		last[i] = -1
	}
	for _, rc := range b.res.Roles {
		if k := last[rc.Node]; k >= 0 {
			bs.bands[k].end = seconds(rc.Time)
		}
		st := styleOfRole(rc.Role)
		bd := band{row: row(rc.Node), start: seconds(rc.Time), end: seconds(b.res.End), color: st.color}
		switch rc.Role {
		case raft.RoleLeader:
			bd.labels = []string{fmt.Sprintf("leader, term %d", rc.Term), fmt.Sprintf("term %d", rc.Term), fmt.Sprintf("t%d", rc.Term)}
		case raft.RoleCandidate:
			bd.labels = []string{fmt.Sprintf("candidate, term %d", rc.Term), fmt.Sprintf("t%d", rc.Term)}
		case raft.RolePreCandidate:
			// A pre-candidate asks whether it could win term rc.Term+1
			// without changing its own term yet.
			bd.labels = []string{"pre-vote"}
		case 0:
			bd.labels = []string{"down"}
		}
		last[rc.Node] = len(bs.bands)
		bs.bands = append(bs.bands, bd)
		if rc.Role <= raft.RoleLeader {
			seen[rc.Role] = true
		}
	}
	p.Add(bs)
	if len(t.faults) > 0 {
		top := float64(nodes + 1)
		p.Add(b.faultTrack(t.faults, top))
		ticks = append(ticks, plot.Tick{Value: top, Label: "faults"})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = 0.5, float64(len(ticks))+0.5
	p.Y.Tick.Length = 0
	p.Add(over...)

	l := b.th.legend()
	for _, s := range roleStyles {
		if seen[s.role] {
			l.Add(s.name, swatch{s.color})
		}
	}
	t.legendEntries(&l, false)
	return p, l
}

// faultTrack draws the fault windows as labelled bands on row. Windows
// that overlap in time go to separate lanes, stacked within the row, so
// that neither bands nor their labels are drawn over each other; a label
// that does not fit its band is shortened or left out.
func (b *builder) faultTrack(faults []sim.FaultWindow, row float64) bands {
	var laneEnd []clock.Time
	lanes := make([]int, len(faults))
	for i, w := range faults {
		lane := 0
		for lane < len(laneEnd) && laneEnd[lane] > w.Start {
			lane++
		}
		if lane == len(laneEnd) {
			laneEnd = append(laneEnd, 0)
		}
		// A fault shorter than a hairline still takes its lane for one.
		laneEnd[lane] = max(w.End, w.Start+1)
		lanes[i] = lane
	}
	n := max(len(laneEnd), 1)
	const trackHeight = 0.8
	track := bands{height: trackHeight / float64(n) * 0.9, text: b.th.text(min(8, 16/float64(n)+2))}
	for i, w := range faults {
		c := styleOfFault(w.Kind).color
		c.A = 0x90
		labels := []string{w.Label}
		if !strings.ContainsAny(w.Label, "[0123456789") && len(w.Nodes) > 0 {
			labels = []string{w.Label + " [" + nodeList(w.Nodes) + "]", w.Label}
		}
		if kind := w.Kind; kind != w.Label {
			labels = append(labels, kind)
		}
		// Lane 0 on top.
		y := row + trackHeight/2 - (float64(lanes[i])+0.5)*trackHeight/float64(n)
		track.bands = append(track.bands, band{row: y, start: seconds(w.Start), end: seconds(w.End), color: c, labels: labels})
	}
	return track
}

// electionsFigure shows, across the campaign's runs, the time to the first
// leader, the time to recover from the loss of a leader, and the number
// of elections, leader changes and split votes per run.
func (b *builder) electionsFigure() *figure {
	first, recov, never := b.electionTimes()
	var elections, changes, splits []float64
	for _, r := range b.camp.runs {
		elections = append(elections, float64(r.stats.Elections))
		changes = append(changes, float64(r.stats.LeaderChanges))
		splits = append(splits, float64(r.stats.SplitVotes))
	}
	runs := len(b.camp.runs)
	note := b.th.text(10)
	hist := func(title string, vs []float64, empty string) *plot.Plot {
		p := b.th.newPlot(title, "time (ms)", "runs")
		if len(vs) == 0 {
			return b.notePlot(p, empty, note)
		}
		if len(vs) < histMin {
			return b.stripPlot(p, vs)
		}
		h, err := plotter.NewHist(plotter.Values(vs), histBins(len(vs)))
		if err != nil {
			return b.notePlot(p, err.Error(), note)
		}
		h.FillColor, h.LineStyle.Color, h.LineStyle.Width = colorBlue, color.White, vg.Points(0.5)
		p.Add(yGrid(), h)
		p.Y.Tick.Marker = countTicks{}
		return p
	}
	pFirst := hist(fmt.Sprintf("Time to first leader (%s)", countOf(len(first), "run")), first,
		fmt.Sprintf("no leader was elected in %s", countOf(runs, "run")))
	pRecov := hist(fmt.Sprintf("Time to recover: leader lost → new leader commits (%s)", countOf(len(recov), "loss")), recov,
		fmt.Sprintf("no leader was lost in %s", countOf(runs, "run")))
	if len(recov) > 0 {
		pRecov.Y.Label.Text = "losses"
	}

	pTimes := b.th.newPlot("Time to first leader and to recover", "time (ms)", "")
	pCounts := b.th.newPlot(fmt.Sprintf("Per run (%s)", countOf(runs, "run")), "count per run", "")
	pTimes.Add(xGrid())
	pCounts.Add(xGrid())
	pCounts.X.Tick.Marker = countTicks{}
	addBoxes(pTimes, []string{"first leader", "recovery"}, [][]float64{first, recov})
	addBoxes(pCounts, []string{"elections", "leaders elected", "split votes"}, [][]float64{elections, changes, splits})

	caption := "Across runs: how long a cluster took to elect its first leader, and how long it took to recover " +
		"after losing its leader — from the moment the leader stopped leading to the first commit by a leader of a later term. " +
		"A leader that stepped down after its successor had already committed is a handover, not a loss. " +
		"Boxes span the quartiles with the median marked; whiskers reach 1.5 × the interquartile range."
	if never > 0 {
		caption += fmt.Sprintf(" %d losses never recovered before the run ended; they are left out.", never)
	}
	plots := [][]*plot.Plot{{pFirst, pRecov}, {pTimes, pCounts}}
	return &figure{
		name: "elections", title: "Elections across runs", caption: caption,
		width: figureWidth, height: 5.6 * vg.Inch,
		draw: func(dc draw.Canvas) {
			tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Points(24), PadY: vg.Points(18),
				PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}
			canvases := plot.Align(plots, tiles, dc)
			for r := range plots {
				for c, p := range plots[r] {
					p.Draw(canvases[r][c])
				}
			}
		},
	}
}

// electionTimes returns, across the campaign, the time to the first
// leader of each run that had one and the time of each recovery from a
// lost leader (ms), and the number of losses never recovered from.
func (b *builder) electionTimes() (first, recov []float64, never int) {
	for _, r := range b.camp.runs {
		if r.stats.FirstLeader != 0 {
			first = append(first, ms(int64(r.stats.FirstLeader)))
		}
		for _, l := range r.losses {
			if d := l.Duration(); d >= 0 {
				recov = append(recov, ms(int64(d)))
			} else {
				never++
			}
		}
	}
	return first, recov, never
}

// histMin is the fewest values drawn as a histogram; fewer are drawn as
// points, since a histogram of one run is one giant bar.
const histMin = 5

// stripPlot draws each value as a labelled point on p's x axis.
func (b *builder) stripPlot(p *plot.Plot, vs []float64) *plot.Plot {
	xys := make(plotter.XYs, len(vs))
	labels := make([]string, len(vs))
	for i, v := range vs {
		xys[i] = plotter.XY{X: v, Y: 0.5}
		labels[i] = formatLatency(time.Duration(v * 1e6))
	}
	if s, err := plotter.NewScatter(xys); err == nil {
		s.GlyphStyle = draw.GlyphStyle{Color: colorBlue, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Add(s)
	}
	if lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels}); err == nil {
		for i := range lb.TextStyle {
			lb.TextStyle[i] = b.th.text(8)
			lb.TextStyle[i].XAlign = draw.XCenter
		}
		lb.Offset = vg.Point{Y: vg.Points(7)}
		p.Add(lb)
	}
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = plot.ConstantTicks(nil)
	p.Y.Label.Text = ""
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	pad := max((hi-lo)*0.3, hi*0.1, 1)
	p.X.Min, p.X.Max = max(lo-pad, 0), hi+pad
	p.Title.Text += ": too few for a histogram, one point each"
	return p
}

// countOf spells a count with its noun: "1 run", "3 runs", "1 loss",
// "2 candidacies".
func countOf(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "s"):
		return fmt.Sprintf("%d %ses", n, noun)
	case strings.HasSuffix(noun, "cy"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// histBins picks the number of histogram bins for n values.
func histBins(n int) int {
	return min(max(int(math.Ceil(math.Sqrt(float64(n)))), 1), 20)
}

// addBoxes adds a horizontal box plot per series, names on the y axis;
// an empty series gets its name only.
func addBoxes(p *plot.Plot, names []string, series [][]float64) {
	for i, vs := range series {
		if len(vs) == 0 {
			continue
		}
		box, err := plotter.NewBoxPlot(vg.Points(18), float64(i), plotter.Values(vs))
		if err != nil {
			continue
		}
		box.Horizontal = true
		box.FillColor = colorFollower
		box.MedianStyle.Width = vg.Points(2)
		box.MedianStyle.Color = colorBlue
		box.GlyphStyle.Radius = vg.Points(1.8)
		p.Add(box)
	}
	p.NominalY(names...)
	// Half a row of margin keeps the outer boxes off the axes.
	p.Y.Min, p.Y.Max = -0.6, float64(len(names))-0.4
	if p.X.Min > 0 && !math.IsInf(p.X.Min, 0) {
		p.X.Min = 0
	}
	// Room right of the largest value, so that its box is not cut in half.
	if !math.IsInf(p.X.Max, 0) {
		p.X.Max += max((p.X.Max-p.X.Min)*0.04, 0.1)
	}
}

// xGrid draws light vertical grid lines.
func xGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Horizontal.Color = nil
	g.Vertical.Color = colorGrid
	g.Vertical.Width = vg.Points(0.5)
	return g
}

// notePlot turns p into a panel that only says msg.
func (b *builder) notePlot(p *plot.Plot, msg string, sty text.Style) *plot.Plot {
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(noteText{msg: msg, text: sty})
	return p
}

// noteText writes a message in the middle of a plot.
type noteText struct {
	msg  string
	text text.Style
}

func (n noteText) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := n.text
	sty.Color = colorGray
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, c.Center(), n.msg)
}
