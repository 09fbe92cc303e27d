package reports

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
)

// This file holds the plotters gonum/plot lacks: shaded fault windows,
// vertical markers, role bands, and a point cloud that stays small in SVG.

// seconds converts virtual time to the x coordinate of timeline plots.
func seconds(t clock.Time) float64 { return float64(t) / 1e9 }

// faultShading shades each fault window over the plot's full height.
type faultShading struct {
	windows []sim.FaultWindow
}

func (f faultShading) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, w := range f.windows {
		x0, x1 := trX(seconds(w.Start)), trX(seconds(w.End))
		// A fault shorter than a point still shows as a hairline.
		x1 = max(x1, x0+vg.Points(1))
		x0, x1 = max(x0, c.Min.X), min(x1, c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(styleOfFault(w.Kind).color, rect(x0, c.Min.Y, x1, c.Max.Y))
	}
}

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// faultKindsOf returns the styles of the fault kinds in windows, in
// legend order.
func faultKindsOf(windows []sim.FaultWindow) []faultStyle {
	var out []faultStyle
	for _, s := range faultStyles {
		for _, w := range windows {
			if w.Kind == s.kind {
				out = append(out, s)
				break
			}
		}
	}
	var others []string
	for _, w := range windows {
		if !slices.ContainsFunc(faultStyles, func(s faultStyle) bool { return s.kind == w.Kind }) {
			others = append(others, w.Kind)
		}
	}
	slices.Sort(others)
	for _, k := range slices.Compact(others) {
		out = append(out, styleOfFault(k))
	}
	return out
}

// vLines draws a vertical line at each x, over the plot's full height.
type vLines struct {
	xs    []float64
	style draw.LineStyle
}

func (v vLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, x := range v.xs {
		px := trX(x)
		if px < c.Min.X || px > c.Max.X {
			continue
		}
		c.StrokeLine2(v.style, px, c.Min.Y, px, c.Max.Y)
	}
}

// Thumbnail draws the line vertically, for legends.
func (v vLines) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)
}

// swatch is a legend thumbnail: a filled box.
type swatch struct{ color color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.color, rect(c.Min.X, c.Min.Y, c.Max.X, c.Max.Y))
}

// square is a legend thumbnail: a filled square of the given side.
type square struct {
	color color.Color
	side  vg.Length
}

func (s square) Thumbnail(c *draw.Canvas) {
	m := c.Center()
	c.FillPolygon(s.color, rect(m.X-s.side/2, m.Y-s.side/2, m.X+s.side/2, m.Y+s.side/2))
}

// cloudCell is the grid, in points, on which opCloud snaps its points.
// It is under half a point's side, so snapping moves a point by less than
// a quarter of its size and the picture does not change; what it buys is
// that points landing on the same cell are drawn once, which keeps an SVG
// of 60,000 operations to the points one can see.
const cloudCell = vg.Length(0.6)

// opCloud draws one point per operation at (x, y), coloured by its
// group; groups are drawn in order, so that later (rarer) ones stay
// visible on top. A point is a small square, drawn as a stroke as long as
// it is wide: in SVG that is "M x,y L x,y" per point, a third of the bytes
// of a circle.
type opCloud struct {
	xs, ys []float64
	groups []int
	colors []color.Color // by group
	side   vg.Length
}

func (o opCloud) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for g, col := range o.colors {
		var cells []uint64
		for i, x := range o.xs {
			if o.groups[i] != g {
				continue
			}
			pt := vg.Point{X: trX(x), Y: trY(o.ys[i])}
			if !c.Contains(pt) {
				continue
			}
			ix := uint64((pt.X - c.Min.X) / cloudCell)
			iy := uint64((pt.Y - c.Min.Y) / cloudCell)
			cells = append(cells, ix<<32|iy)
		}
		if len(cells) == 0 {
			continue
		}
		slices.Sort(cells)
		cells = slices.Compact(cells)
		var path vg.Path
		for _, cell := range cells {
			if o.side >= 2*cloudCell && surrounded(cells, cell) {
				continue
			}
			x := c.Min.X + (vg.Length(cell>>32)+0.5)*cloudCell
			y := c.Min.Y + (vg.Length(cell&math.MaxUint32)+0.5)*cloudCell
			path.Move(vg.Point{X: x - o.side/2, Y: y})
			path.Line(vg.Point{X: x + o.side/2, Y: y})
		}
		c.SetLineStyle(draw.LineStyle{Color: col, Width: o.side})
		c.Stroke(path)
	}
}

// surrounded tells whether all eight cells around cell are in cells
// (sorted). Then cell's square is hidden by theirs and need not be drawn:
// the eight squares, of side at least two cells, cover the middle one.
// All of one outcome's squares are one path, so leaving it out changes no
// pixel.
func surrounded(cells []uint64, cell uint64) bool {
	ix, iy := cell>>32, cell&math.MaxUint32
	if ix == 0 || iy == 0 {
		return false
	}
	for dx := uint64(0); dx <= 2; dx++ {
		for dy := uint64(0); dy <= 2; dy++ {
			if dx == 1 && dy == 1 {
				continue
			}
			if _, ok := slices.BinarySearch(cells, (ix+dx-1)<<32|(iy+dy-1)); !ok {
				return false
			}
		}
	}
	return true
}

// band is one node's role (or a fault) over [start, end) seconds, on row.
type band struct {
	row        float64
	start, end float64
	color      color.Color
	// labels are tried in order; the first that fits is drawn.
	labels []string
}

// bands draws horizontal bars, each labelled inside when its label fits.
type bands struct {
	bands  []band
	height float64 // in rows
	text   text.Style
	// light is the label colour on dark bars.
	light func(color.Color) bool
}

func (b bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, bd := range b.bands {
		x0, x1 := max(trX(bd.start), c.Min.X), min(trX(bd.end), c.Max.X)
		if x1 <= x0 {
			continue
		}
		y0, y1 := trY(bd.row-b.height/2), trY(bd.row+b.height/2)
		c.FillPolygon(bd.color, rect(x0, y0, x1, y1))
		label := ""
		for _, l := range bd.labels {
			if b.text.Width(l)+vg.Points(4) <= x1-x0 {
				label = l
				break
			}
		}
		if label == "" {
			continue
		}
		sty := b.text
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		if b.light != nil && b.light(bd.color) {
			sty.Color = color.White
		}
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, label)
	}
}

// isDark tells whether white text reads better than black on c.
func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	// Integer luma (ITU-R BT.601 weights out of 1000) over 16-bit channels.
	luma := (299*r + 587*g + 114*b) / 1000
	return luma < 0x8000
}
