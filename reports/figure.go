package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one plot of a report, written as PNG and as SVG.
type Figure struct {
	// Name is the file stem: Name.png and Name.svg.
	Name string
	// Title heads the figure on the page; Caption says how to read it.
	Title, Caption string
	// PNG and SVG are the file names, relative to the output directory.
	PNG, SVG string
	// WidthPx and HeightPx are the PNG's size in pixels.
	WidthPx, HeightPx int
}

// figure is a figure before rendering: its size and how to draw it.
type figure struct {
	name, title, caption string
	width, height        vg.Length
	draw                 func(dc draw.Canvas)
}

// Figure widths: the page shows them at their pixel size at 96 DPI.
const (
	figureWidth = 11 * vg.Inch
)

// pixels is the size of a length at dpi, as vgimg rounds it.
func pixels(l vg.Length, dpi int) int {
	return int(l/vg.Inch*vg.Length(dpi) + 0.5)
}

// render writes f as PNG at dpi and as SVG with its font embedded, and
// returns its description.
func (f *figure) render(dir string, dpi int) (Figure, error) {
	out := Figure{
		Name: f.name, Title: f.title, Caption: f.caption,
		PNG: f.name + ".png", SVG: f.name + ".svg",
		WidthPx: pixels(f.width, dpi), HeightPx: pixels(f.height, dpi),
	}

	img := vgimg.NewWith(vgimg.UseWH(f.width, f.height), vgimg.UseDPI(dpi))
	f.draw(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return out, fmt.Errorf("reports: encoding %s: %w", out.PNG, err)
	}
	if b := img.Image().Bounds(); b.Dx() != out.WidthPx || b.Dy() != out.HeightPx {
		panic(fmt.Sprintf("reports: %s is %dx%d pixels, want %dx%d", out.PNG, b.Dx(), b.Dy(), out.WidthPx, out.HeightPx))
	}
	if err := os.WriteFile(filepath.Join(dir, out.PNG), buf.Bytes(), 0o644); err != nil {
		return out, fmt.Errorf("reports: %w", err)
	}

	svg := vgsvg.NewWith(vgsvg.UseWH(f.width, f.height), vgsvg.EmbedFonts(true))
	f.draw(draw.New(svg))
	buf.Reset()
	if _, err := svg.WriteTo(&buf); err != nil {
		return out, fmt.Errorf("reports: encoding %s: %w", out.SVG, err)
	}
	if err := os.WriteFile(filepath.Join(dir, out.SVG), buf.Bytes(), 0o644); err != nil {
		return out, fmt.Errorf("reports: %w", err)
	}
	return out, nil
}
