package reports

import (
	"bytes"
	"encoding/binary"
	"testing"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The subset draws every kept rune exactly as the whole font does: same
// advance, same outline, same kerning; it is a fraction of the size; and
// it is a well-formed font (checksums included), composite glyphs too.
func TestSubsetFontKeepsGlyphs(t *testing.T) {
	src := liberationsansregular.TTF
	runes := []rune(baseRunes + "éÅñçü")
	sub, err := subsetFont(src, runes)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) > len(src)/10 {
		t.Fatalf("subset is %d bytes of the font's %d", len(sub), len(src))
	}
	whole, err := sfnt.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	part, err := sfnt.Parse(sub)
	if err != nil {
		t.Fatalf("subset does not parse: %v", err)
	}
	var b1, b2 sfnt.Buffer
	ppem := fixed.I(int(whole.UnitsPerEm()))
	composites := 0
	for _, r := range runes {
		g1, _ := whole.GlyphIndex(&b1, r)
		g2, err := part.GlyphIndex(&b2, r)
		if err != nil || (g1 == 0) != (g2 == 0) {
			t.Fatalf("%q: glyph %d in the font, %d (%v) in the subset", r, g1, g2, err)
		}
		if g1 == 0 {
			continue
		}
		a1, _ := whole.GlyphAdvance(&b1, g1, ppem, font.HintingNone)
		a2, err := part.GlyphAdvance(&b2, g2, ppem, font.HintingNone)
		if err != nil || a1 != a2 {
			t.Fatalf("%q: advance %v, subset %v (%v)", r, a1, a2, err)
		}
		s1, err1 := whole.LoadGlyph(&b1, g1, ppem, nil)
		s1 = append(sfnt.Segments(nil), s1...)
		s2, err2 := part.LoadGlyph(&b2, g2, ppem, nil)
		if err1 != nil || err2 != nil || len(s1) != len(s2) {
			t.Fatalf("%q: outline of %d segments (%v), subset %d (%v)", r, len(s1), err1, len(s2), err2)
		}
		for i := range s1 {
			if s1[i] != s2[i] {
				t.Fatalf("%q: segment %d is %v, subset %v", r, i, s1[i], s2[i])
			}
		}
		if isComposite(t, src, int(g1)) {
			composites++
		}
	}
	if composites == 0 {
		t.Fatalf("no composite glyph among the runes: the renumbering of components went untested")
	}
	for _, pair := range [][2]rune{{'A', 'V'}, {'T', 'o'}, {'L', 'T'}, {'1', '1'}} {
		g1a, _ := whole.GlyphIndex(&b1, pair[0])
		g1b, _ := whole.GlyphIndex(&b1, pair[1])
		g2a, _ := part.GlyphIndex(&b2, pair[0])
		g2b, _ := part.GlyphIndex(&b2, pair[1])
		k1, err1 := whole.Kern(&b1, g1a, g1b, ppem, font.HintingNone)
		k2, err2 := part.Kern(&b2, g2a, g2b, ppem, font.HintingNone)
		if k1 != k2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("kern %q: %v (%v), subset %v (%v)", pair, k1, err1, k2, err2)
		}
	}
	if g, _ := part.GlyphIndex(&b2, '⌘'); g != 0 {
		t.Fatalf("a rune not asked for maps to glyph %d", g)
	}
	// The whole file sums to the magic number, as head's
	// checkSumAdjustment promises.
	if sum := checksum(sub); sum != 0xB1B0AFBA {
		t.Fatalf("font checksum %#x, want 0xB1B0AFBA", sum)
	}
	again, _ := subsetFont(src, runes)
	if !bytes.Equal(sub, again) {
		t.Fatal("subsetting twice gives different bytes")
	}
}

// isComposite tells whether glyph g of the font src is a composite.
func isComposite(t *testing.T, src []byte, g int) bool {
	tables, err := readTables(src)
	if err != nil {
		t.Fatal(err)
	}
	head, maxp := tables["head"], tables["maxp"]
	offsets, err := glyphOffsets(tables["loca"], int(binary.BigEndian.Uint16(maxp[4:])), binary.BigEndian.Uint16(head[50:]) == 1, len(tables["glyf"]))
	if err != nil {
		t.Fatal(err)
	}
	data := tables["glyf"][offsets[g]:offsets[g+1]]
	return len(data) >= 2 && int16(binary.BigEndian.Uint16(data)) < 0
}

func TestSubsetFontRejectsGarbage(t *testing.T) {
	for _, src := range [][]byte{nil, []byte("not a font at all"), liberationsansregular.TTF[:400]} {
		if _, err := subsetFont(src, []rune("abc")); err == nil {
			t.Errorf("%d bytes of garbage: no error", len(src))
		}
	}
}
