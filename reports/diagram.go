package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
	"github.com/raftsim/raftsim/sim/export"
)

// DefaultDiagramSpan is the length of the message diagram's window.
const DefaultDiagramSpan = 200 * time.Millisecond

// diagramArrowsMax bounds the arrows a diagram draws; a window holding
// more is cut at the end and says so.
const diagramArrowsMax = 3000

// diagramWindow picks the message diagram's window: opts' when set, else
// span around the first failure found at a time, else around the first
// change of leader (the second election; the first when there is only
// one), else the run's start. It returns the window and why it was chosen.
func diagramWindow(res *sim.Result, at, span time.Duration) (from, to clock.Time, why string) {
	if span <= 0 {
		span = DefaultDiagramSpan
	}
	center, why := clock.Time(span/2), "the run's start"
	if at > 0 {
		center, why = clock.Time(at), "the time asked for"
	} else if f, ok := firstTimedFailure(res); ok {
		center, why = f.Time, fmt.Sprintf("the first failure (%s %s)", f.Kind, f.Name)
	} else {
		var leaders []sim.RoleChange
		for _, rc := range res.Roles {
			if rc.Role == raft.RoleLeader {
				leaders = append(leaders, rc)
			}
		}
		switch {
		case len(leaders) > 1:
			center, why = leaders[1].Time, fmt.Sprintf("the first change of leader (node %d, term %d)", leaders[1].Node, leaders[1].Term)
		case len(leaders) == 1:
			center, why = leaders[0].Time, fmt.Sprintf("the first election (node %d, term %d)", leaders[0].Node, leaders[0].Term)
		}
	}
	from = center - clock.Time(span/2)
	from = max(min(from, res.End-clock.Time(span)), 0)
	from -= from % clock.Time(time.Millisecond) // whole milliseconds read better

	to = min(from+clock.Time(span), res.End)
	return from, to, why
}

func firstTimedFailure(res *sim.Result) (sim.Failure, bool) {
	for _, f := range res.Failures {
		if f.Time > 0 && f.Kind != sim.FailureInconclusive {
			return f, true
		}
	}
	return sim.Failure{}, false
}

// recordWindow reruns the timeline run (cfg with its seed) with a
// Recorder kept to the window, and checks that the rerun is the same run.
// The linearizability check is skipped: it reads no message.
func recordWindow(cfg sim.Config, res *sim.Result, from, to clock.Time) ([]export.Copy, error) {
	rec := export.NewRecorder()
	rec.SetWindow(int64(from), int64(to))
	cfg.Seed, cfg.Trace, cfg.VisualizationPath, cfg.SkipLinearizability = res.Seed, rec, "", true
	again, err := sim.Run(cfg)
	if err != nil {
		return nil, fmt.Errorf("reports: rerunning seed %d for the message diagram: %w", res.Seed, err)
	}
	if again.Messages != res.Messages || again.End != res.End {
		return nil, fmt.Errorf("reports: rerunning seed %d for the message diagram gave another run (%d messages to %v, not %d to %v): is Options.Config the runs' configuration?",
			res.Seed, again.Messages.Sent, again.End, res.Messages.Sent, res.End)
	}
	return rec.Copies(), rec.Err()
}

// messageFamilyColor colours an arrow by what its message is for.
func messageFamilyColor(msg string) color.RGBA {
	switch {
	case strings.HasPrefix(msg, "App"), strings.HasPrefix(msg, "Snap"):
		return colorBlue
	case strings.HasPrefix(msg, "Heartbeat"):
		return colorGray
	case strings.HasPrefix(msg, "PreVote"):
		return colorPurpl
	case strings.HasPrefix(msg, "Vote"):
		return colorOrang
	}
	return colorTeal
}

// diagram is a space-time (Lamport) diagram of a window of the timeline
// run: one vertical line per node, time flowing down, an arrow per
// message copy from its send to its delivery or drop.
type diagram struct {
	th       *theme
	from, to clock.Time
	why      string
	nodes    int
	copies   []export.Copy
	roles    []sim.RoleChange
	end      clock.Time
	faults   []sim.FaultWindow
	failures []sim.Failure
	cut      int // copies left out past diagramArrowsMax
}

// Layout of the diagram, in points.
const (
	diagramTop    = vg.Length(64)
	diagramLeft   = vg.Length(70)
	diagramRight  = vg.Length(150)
	diagramBottom = vg.Length(20)
	diagramPerMs  = vg.Length(5.5) // points per virtual millisecond
)

func (b *builder) diagramFigure(copies []export.Copy, from, to clock.Time, why string) *figure {
	nodes := max(b.cfg.Nodes, 1)
	for _, rc := range b.res.Roles {
		nodes = max(nodes, int(rc.Node))
	}
	d := &diagram{th: b.th, from: from, to: to, why: why, nodes: nodes, roles: b.res.Roles, end: b.res.End,
		faults: b.res.Faults, failures: b.res.Failures}
	d.copies = copies
	if len(copies) > diagramArrowsMax {
		d.copies, d.cut = copies[:diagramArrowsMax], len(copies)-diagramArrowsMax
	}
	span := to.Sub(from)
	height := diagramTop + diagramBottom + diagramPerMs*vg.Length(float64(span)/1e6)
	caption := fmt.Sprintf("A space-time diagram of seed %d from %v to %v (the %v around %s): one line per node, time flowing down; "+
		"each arrow is one copy of a message, from its send to its delivery; appends, votes and drops are labelled with their type, term (t) and index (i) "+
		"where there is room (heartbeats and responses are not). "+
		"A red arrow ending in × was dropped, and says why (loss, cut link, partition, crashed receiver); a dashed arrow is a duplicate. "+
		"The band along each node's line is its role; shaded rows are fault windows, red lines failures. "+
		"Every message has an ID in the trace (--trace), shared by its send and each copy's delivery or drop.",
		b.res.Seed, from.Duration(), to.Duration(), span, why)
	if d.cut > 0 {
		caption += fmt.Sprintf(" The window holds %d more message copies than the %d drawn; they are left out.", d.cut, diagramArrowsMax)
	}
	return &figure{name: "message-diagram", title: "Message diagram", caption: caption,
		width: figureWidth, height: height, draw: d.draw}
}

func (d *diagram) x(c draw.Canvas, node uint64) vg.Length {
	w := c.Max.X - c.Min.X - diagramLeft - diagramRight
	return c.Min.X + diagramLeft + w*vg.Length(float64(node)-0.5)/vg.Length(d.nodes)
}

func (d *diagram) y(c draw.Canvas, t int64) vg.Length {
	return c.Max.Y - diagramTop - diagramPerMs*vg.Length(float64(t-int64(d.from))/1e6)
}

func (d *diagram) draw(c draw.Canvas) {
	title := d.th.text(12)
	title.XAlign, title.YAlign = draw.XCenter, draw.YTop
	c.FillText(title, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - 4},
		fmt.Sprintf("Messages from %v to %v, around %s", d.from.Duration(), d.to.Duration(), d.why))
	yTop, yBot := d.y(c, int64(d.from)), d.y(c, int64(d.to))
	d.drawFaults(c, yTop, yBot)
	d.drawAxis(c, yTop, yBot)
	d.drawRoles(c, yTop, yBot)
	labels := &labelSpace{}
	for _, cp := range d.copies {
		d.drawArrow(c, cp, labels)
	}
	d.drawFailures(c)
	d.drawLegend(c)
}

// drawAxis draws the node lines, their names, and time ticks every 10 ms.
func (d *diagram) drawAxis(c draw.Canvas, yTop, yBot vg.Length) {
	name := d.th.text(10)
	name.XAlign, name.YAlign = draw.XCenter, draw.YBottom
	for n := 1; n <= d.nodes; n++ {
		x := d.x(c, uint64(n))
		c.StrokeLine2(draw.LineStyle{Color: colorAxis, Width: vg.Points(0.8)}, x, yTop, x, yBot)
		c.FillText(name, vg.Point{X: x, Y: yTop + 6}, fmt.Sprintf("node %d", n))
	}
	tick := d.th.text(8)
	tick.XAlign, tick.YAlign, tick.Color = draw.XRight, draw.YCenter, colorText
	step := int64(10 * time.Millisecond)
	for t := (int64(d.from) + step - 1) / step * step; t <= int64(d.to); t += step {
		y := d.y(c, t)
		c.StrokeLine2(draw.LineStyle{Color: colorGrid, Width: vg.Points(0.5)}, c.Min.X+diagramLeft-4, y, c.Max.X-diagramRight+20, y)
		c.FillText(tick, vg.Point{X: c.Min.X + diagramLeft - 8, Y: y}, fmt.Sprintf("%.0f ms", float64(t)/1e6))
	}
}

// drawRoles draws each node's role as a band along its line.
func (d *diagram) drawRoles(c draw.Canvas, yTop, yBot vg.Length) {
	for i, rc := range d.roles {
		end := d.end
		for _, next := range d.roles[i+1:] {
			if next.Node == rc.Node {
				end = next.Time
				break
			}
		}
		if end < d.from || rc.Time > d.to {
			continue
		}
		y0, y1 := min(d.y(c, int64(rc.Time)), yTop), max(d.y(c, int64(end)), yBot)
		x := d.x(c, uint64(rc.Node))
		col := styleOfRole(rc.Role).color
		c.FillPolygon(col, rect(x-3, y1, x+3, y0))
		if rc.Role == raft.RoleLeader || rc.Role == raft.RoleCandidate || rc.Role == 0 {
			sty := d.th.text(7)
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
			label := fmt.Sprintf("%s t%d", styleOfRole(rc.Role).name, rc.Term)
			if rc.Role == 0 {
				label = "crashed"
			}
			// A role taken before the window is labelled at its top.
			c.FillText(sty, vg.Point{X: x + 5, Y: y0 - 1}, label)
		}
	}
}

// drawFaults shades each fault window across the diagram, labelled at
// the right.
func (d *diagram) drawFaults(c draw.Canvas, yTop, yBot vg.Length) {
	sty := d.th.text(7)
	sty.XAlign, sty.YAlign, sty.Color = draw.XLeft, draw.YTop, colorText
	var lastLabel vg.Length = yTop + 100
	for _, w := range d.faults {
		if w.End < d.from || w.Start > d.to {
			continue
		}
		y0, y1 := min(d.y(c, int64(w.Start)), yTop), max(d.y(c, int64(w.End)), yBot)
		col := styleOfFault(w.Kind).color
		c.FillPolygon(col, rect(c.Min.X+diagramLeft-4, y1, c.Max.X-diagramRight+20, y0))
		at := min(y0-1, lastLabel-sty.Font.Size-1)
		c.FillText(sty, vg.Point{X: c.Max.X - diagramRight + 24, Y: at}, w.Label)
		lastLabel = at
	}
}

func (d *diagram) drawFailures(c draw.Canvas) {
	sty := d.th.text(8)
	sty.XAlign, sty.YAlign, sty.Color = draw.XLeft, draw.YBottom, colorFailed
	for _, f := range d.failures {
		if f.Time < d.from || f.Time > d.to || f.Time == 0 {
			continue
		}
		y := d.y(c, int64(f.Time))
		c.StrokeLine2(failureStroke, c.Min.X+diagramLeft-4, y, c.Max.X-diagramRight+20, y)
		label := f.Kind.String() + " " + f.Name
		if f.Node != 0 {
			label += fmt.Sprintf(" on node %d", f.Node)
		}
		c.FillText(sty, vg.Point{X: c.Max.X - diagramRight + 24, Y: y + 1}, label)
	}
}

// drawArrow draws one copy: a line from its send to its fate with a
// head, or a red line ending in a cross where it was dropped.
func (d *diagram) drawArrow(c draw.Canvas, cp export.Copy, labels *labelSpace) {
	x0, y0 := d.x(c, cp.From), d.y(c, cp.Sent)
	x1, y1 := d.x(c, cp.To), d.y(c, cp.Fate)
	if cp.Outcome == "drop" && cp.Fate == cp.Sent {
		// Lost at send: a stub a quarter of the way.
		x1, y1 = x0+(x1-x0)/4, y0-vg.Points(6)
	}
	col := messageFamilyColor(cp.Msg)
	style := draw.LineStyle{Color: col, Width: vg.Points(0.8)}
	if cp.Dup {
		style.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	}
	dropped := cp.Outcome == "drop"
	if dropped {
		style.Color = colorFailed
	}
	// Clip to the window's rows.
	top, bot := d.y(c, int64(d.from)), d.y(c, int64(d.to))
	c.StrokeLine2(style, x0, min(max(y0, bot), top), x1, min(max(y1, bot), top))
	if y1 < bot || y1 > top {
		return
	}
	if dropped {
		s := vg.Points(3)
		cross := draw.LineStyle{Color: colorFailed, Width: vg.Points(1.2)}
		c.StrokeLine2(cross, x1-s, y1-s, x1+s, y1+s)
		c.StrokeLine2(cross, x1-s, y1+s, x1+s, y1-s)
	} else {
		arrowHead(c, x0, y0, x1, y1, col)
	}
	if !dropped && (strings.HasPrefix(cp.Msg, "Heartbeat") || strings.HasSuffix(cp.Msg, "Resp") && cp.Msg != "VoteResp" && cp.Msg != "PreVoteResp") {
		// The many routine messages go unlabelled, so that appends,
		// votes and drops keep room for theirs.
		return
	}
	label := fmt.Sprintf("%s t%d", cp.Msg, cp.Term)
	if cp.Index != 0 {
		label += fmt.Sprintf(" i%d", cp.Index)
	}
	if dropped {
		label += " × " + cp.Reason
	}
	sty := d.th.text(6.5)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	if dropped {
		sty.Color = colorFailed
	}
	mid := vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}
	if dropped && cp.Fate == cp.Sent {
		mid = vg.Point{X: x1, Y: y1 - vg.Points(5)}
	}
	if mid.Y > top || mid.Y < bot {
		return
	}
	w, h := sty.Width(label), sty.Font.Size
	box := [4]vg.Length{mid.X - w/2 - 1, mid.Y - h/2, mid.X + w/2 + 1, mid.Y + h/2}
	if !labels.take(box) {
		return
	}
	c.FillPolygon(color.NRGBA{0xff, 0xff, 0xff, 0xd0}, rect(box[0], box[1], box[2], box[3]))
	c.FillText(sty, mid, label)
}

// arrowHead draws a small filled head at (x1, y1) pointing away from
// (x0, y0).
func arrowHead(c draw.Canvas, x0, y0, x1, y1 vg.Length, col color.Color) {
	dx, dy := float64(x1-x0), float64(y1-y0)
	n := max(math.Hypot(dx, dy), 1e-9)
	ux, uy := dx/n, dy/n
	const l, w = 5.0, 2.2
	p := []vg.Point{
		{X: x1, Y: y1},
		{X: x1 - vg.Length(l*ux-w*uy), Y: y1 - vg.Length(l*uy+w*ux)},
		{X: x1 - vg.Length(l*ux+w*uy), Y: y1 - vg.Length(l*uy-w*ux)},
	}
	c.FillPolygon(col, p)
}

// labelSpace keeps the boxes of the labels drawn so far, so that a label
// that would cover another is left out.
type labelSpace struct {
	boxes [][4]vg.Length
}

func (l *labelSpace) take(b [4]vg.Length) bool {
	for _, o := range l.boxes {
		if b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3] {
			return false
		}
	}
	l.boxes = append(l.boxes, b)
	return true
}

// drawLegend names the arrow colours at the top right.
func (d *diagram) drawLegend(c draw.Canvas) {
	sty := d.th.text(8)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	y := c.Max.Y - 30
	x := c.Min.X + diagramLeft
	for _, e := range []struct {
		name string
		col  color.RGBA
	}{{"append / snapshot", colorBlue}, {"heartbeat", colorGray}, {"pre-vote", colorPurpl}, {"vote", colorOrang}, {"dropped ×", colorFailed}} {
		c.StrokeLine2(draw.LineStyle{Color: e.col, Width: vg.Points(1.5)}, x, y, x+14, y)
		c.FillText(sty, vg.Point{X: x + 18, Y: y}, e.name)
		x += 18 + sty.Width(e.name) + 16
	}
	dash := draw.LineStyle{Color: colorBlue, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	c.StrokeLine2(dash, x, y, x+14, y)
	c.FillText(sty, vg.Point{X: x + 18, Y: y}, "duplicate")
}

// sortCopies orders copies by send time, then ID, so that labels placed
// first are the earliest.
func sortCopies(cs []export.Copy) {
	slices.SortStableFunc(cs, func(a, b export.Copy) int {
		if a.Sent != b.Sent {
			return cmp.Compare(a.Sent, b.Sent)
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
