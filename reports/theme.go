package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// theme is the look shared by a report's figures: one font, subset to
// the characters the report draws, and one palette.
type theme struct {
	handler text.Plain
	face    font.Font
}

// baseRunes are the characters figures draw besides user-supplied names.
const baseRunes = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`" +
	"abcdefghijklmnopqrstuvwxyz{|}~µ×–—…→≤≥−·"

// newTheme subsets the font to baseRunes and the runes of extra (the
// scenario name, which titles show).
func newTheme(extra string) (*theme, error) {
	runes := []rune(baseRunes + extra)
	slices.Sort(runes)
	runes = slices.Compact(runes)
	ttf, err := subsetFont(liberationsansregular.TTF, runes)
	if err != nil {
		return nil, fmt.Errorf("reports: subsetting the font: %w", err)
	}
	parsed, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("reports: parsing the font subset: %w", err)
	}
	face := font.Font{Typeface: "raftsim-report", Variant: "Sans"}
	cache := font.NewCache(font.Collection{{Font: face, Face: parsed}})
	return &theme{handler: text.Plain{Fonts: cache}, face: face}, nil
}

// text returns a text style of the given size in points.
func (t *theme) text(size float64) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(t.face, font.Length(size)),
		Handler: t.handler,
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
	}
}

// newPlot returns a plot with the theme's fonts, a title and axis labels.
func (t *theme) newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.TextHandler = t.handler
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(t.face, 12)
	p.Title.TextStyle.Handler = t.handler
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(t.face, 10)
		a.Label.TextStyle.Handler = t.handler
		a.Tick.Label.Font = font.From(t.face, 9)
		a.Tick.Label.Handler = t.handler
		a.Tick.Length = vg.Points(4)
		a.LineStyle.Color = colorAxis
		a.Tick.LineStyle.Color = colorAxis
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	p.Legend = t.legend()
	return p
}

// legend returns an empty legend in the theme's font.
func (t *theme) legend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(t.face, 9)
	l.TextStyle.Handler = t.handler
	l.ThumbnailWidth = vg.Points(14)
	l.Padding = vg.Points(2)
	l.Top = true
	l.Left = true
	return l
}

// Colours: a palette in the spirit of Tableau 10, which stays apart for
// the common colour-vision deficiencies, with faults as light tints so
// that the data stays readable on top of them.
var (
	colorAxis  = color.RGBA{0x55, 0x55, 0x55, 0xff}
	colorGrid  = color.RGBA{0xe3, 0xe3, 0xe3, 0xff}
	colorText  = color.RGBA{0x33, 0x33, 0x33, 0xff}
	colorBlue  = color.RGBA{0x4e, 0x79, 0xa7, 0xff}
	colorRed   = color.RGBA{0xe1, 0x57, 0x59, 0xff}
	colorOrang = color.RGBA{0xf2, 0x8e, 0x2b, 0xff}
	colorGreen = color.RGBA{0x59, 0xa1, 0x4f, 0xff}
	colorPurpl = color.RGBA{0xb0, 0x7a, 0xa1, 0xff}
	colorTeal  = color.RGBA{0x76, 0xb7, 0xb2, 0xff}
	colorBrown = color.RGBA{0x9c, 0x75, 0x5f, 0xff}
	colorGray  = color.RGBA{0x79, 0x70, 0x6e, 0xff}

	// Outcomes of operations.
	colorOK      = colorBlue
	colorFailed  = colorRed
	colorUnknown = colorOrang

	// Roles of nodes.
	colorFollower  = color.RGBA{0xc6, 0xd4, 0xe3, 0xff}
	colorPreCand   = color.RGBA{0xfb, 0xd3, 0x9d, 0xff}
	colorCandidate = colorOrang
	colorLeader    = colorGreen
	colorDown      = color.RGBA{0x4a, 0x4a, 0x4a, 0xff}

	colorHeal = color.RGBA{0x22, 0x22, 0x22, 0xff}
)

// kindColors colour the operation kinds, in opKinds order.
var kindColors = []color.RGBA{colorBlue, colorGreen, colorPurpl, colorBrown, colorTeal}

// faultStyle is how a kind of fault is shaded.
type faultStyle struct {
	kind  string
	label string
	color color.NRGBA
}

// faultStyles lists the fault kinds sim records, in legend order; a kind
// not listed is shaded grey.
var faultStyles = []faultStyle{
	{"crash", "crash", color.NRGBA{0xe1, 0x57, 0x59, 0x38}},
	{"partition", "partition", color.NRGBA{0xb0, 0x7a, 0xa1, 0x40}},
	{"pause", "pause", color.NRGBA{0xed, 0xc9, 0x48, 0x50}},
	{"clog", "clog", color.NRGBA{0x76, 0xb7, 0xb2, 0x48}},
	{"network", "link change", color.NRGBA{0x9c, 0x75, 0x5f, 0x30}},
	{"disk", "slow disk", color.NRGBA{0x79, 0x70, 0x6e, 0x30}},
	{"clock", "clock fault", color.NRGBA{0xff, 0x9d, 0xa7, 0x40}},
}

func styleOfFault(kind string) faultStyle {
	for _, s := range faultStyles {
		if s.kind == kind {
			return s
		}
	}
	return faultStyle{kind, kind, color.NRGBA{0x80, 0x80, 0x80, 0x30}}
}

// logTicks marks a log axis: every power of ten is labelled, and 2 and 5
// times it too when the axis spans less than three decades; the other
// integer multiples are minor ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	dense := math.Log10(hi/lo) < 3
	var ticks []plot.Tick
	// A log axis of 24 decades is absurd here; the bound keeps the loop
	// finite whatever the data.
	first := math.Floor(math.Log10(lo))
	for e := first; e <= math.Ceil(math.Log10(hi)) && e < first+24; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (dense && (m == 2 || m == 5)) {
				t.Label = formatNumber(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// formatNumber prints a tick value without exponent or trailing zeros.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// plainTicks are gonum's default ticks labelled with no more digits than
// they need: "2.5" and "125", not "2.50" and "125.00".
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := (plot.DefaultTicks{}).Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			// Round away float noise (0.30000000000000004) first.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(ticks[i].Value, 'g', 10, 64), 64)
			ticks[i].Label = formatNumber(v)
		}
	}
	return ticks
}

// countTicks marks an axis of counts with integer ticks only, labelled
// "40k" rather than "40000" when short is set.
type countTicks struct{ short bool }

func (c countTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		switch {
		case t.Label == "":
		case c.short && t.Value >= 0:
			t.Label = shortCount(uint64(t.Value))
		default:
			t.Label = formatNumber(t.Value)
		}
		out = append(out, t)
	}
	return out
}

// shortCount prints a count in at most four characters: 950, 12.3k, 4.5M.
func shortCount(n uint64) string {
	switch {
	case n < 1000:
		return strconv.FormatUint(n, 10)
	case n < 10_000:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64), ".0") + "k"
	case n < 1_000_000:
		return strconv.FormatUint((n+500)/1000, 10) + "k"
	case n < 10_000_000:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64), ".0") + "M"
	}
	return strconv.FormatUint((n+500_000)/1_000_000, 10) + "M"
}
