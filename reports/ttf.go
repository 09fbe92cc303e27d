package reports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/image/font/sfnt"
)

// This file subsets a TrueType font to the glyphs a report draws. Every SVG
// embeds its font so that it renders the same anywhere; embedding all of
// Liberation Sans would add 550 KB (base64) to each file, the subset
// about 15 KB.
//
// The subset keeps the outlines, advances and kerning pairs of the kept
// glyphs, renumbered densely from 0 (.notdef), and drops what a renderer
// can do without: hinting (fpgm, prep, cvt and each glyph's
// instructions), glyph names (post becomes version 3), and the OpenType
// layout tables, whose glyph IDs the renumbering would invalidate.

// glyphsMax bounds the glyphs a subset may hold; a report draws far fewer.
const glyphsMax = 4096

// Composite glyph flags (TrueType 'glyf' table).
const (
	compArgsAreWords    = 0x0001
	compHaveScale       = 0x0008
	compMoreComponents  = 0x0020
	compHaveXYScale     = 0x0040
	compHaveTwoByTwo    = 0x0080
	compHaveInstruction = 0x0100
)

var errBadFont = errors.New("reports: malformed TrueType font")

// subsetFont returns src reduced to the glyphs of runes (and the glyphs
// their composites use). Runes the font lacks are left out: they draw as
// .notdef, as they would with the whole font.
func subsetFont(src []byte, runes []rune) ([]byte, error) {
	tables, err := readTables(src)
	if err != nil {
		return nil, err
	}
	head, maxp, hhea := tables["head"], tables["maxp"], tables["hhea"]
	loca, glyf, hmtx := tables["loca"], tables["glyf"], tables["hmtx"]
	if len(head) < 54 || len(maxp) < 6 || len(hhea) < 36 || loca == nil || glyf == nil || hmtx == nil {
		return nil, fmt.Errorf("%w: a required table is missing or short", errBadFont)
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	offsets, err := glyphOffsets(loca, numGlyphs, binary.BigEndian.Uint16(head[50:]) == 1, len(glyf))
	if err != nil {
		return nil, err
	}
	keep, cmap, err := selectGlyphs(src, runes, glyf, offsets)
	if err != nil {
		return nil, err
	}
	newID := func(old uint16) uint16 {
		i, ok := slices.BinarySearch(keep, old)
		if !ok {
			panic(fmt.Sprintf("reports: glyph %d is not in the subset", old))
		}
		return uint16(i)
	}

	out := map[string][]byte{}
	if out["glyf"], out["loca"], err = subsetGlyphs(glyf, offsets, keep, newID); err != nil {
		return nil, err
	}
	if out["hmtx"], err = subsetMetrics(hmtx, int(binary.BigEndian.Uint16(hhea[34:])), numGlyphs, keep); err != nil {
		return nil, err
	}
	for i := range cmap {
		cmap[i][1] = newID(cmap[i][1])
	}
	out["cmap"] = buildCmap(cmap)
	if k := tables["kern"]; k != nil {
		if kern := subsetKern(k, keep); kern != nil {
			out["kern"] = kern
		}
	}

	out["head"] = slices.Clone(head)
	binary.BigEndian.PutUint32(out["head"][8:], 0)  // checkSumAdjustment, set last
	binary.BigEndian.PutUint16(out["head"][50:], 1) // long loca offsets
	out["maxp"] = slices.Clone(maxp)
	binary.BigEndian.PutUint16(out["maxp"][4:], uint16(len(keep)))
	if len(maxp) >= 32 {
		// No glyph keeps its instructions.
		binary.BigEndian.PutUint16(out["maxp"][26:], 0)
	}
	out["hhea"] = slices.Clone(hhea)
	binary.BigEndian.PutUint16(out["hhea"][34:], uint16(len(keep)))
	if p := tables["post"]; len(p) >= 32 {
		out["post"] = slices.Clone(p[:32])
		binary.BigEndian.PutUint32(out["post"], 0x00030000)
	}
	for _, tag := range []string{"OS/2", "name", "gasp"} {
		if t := tables[tag]; t != nil {
			out[tag] = t
		}
	}
	return assembleFont(out), nil
}

// selectGlyphs returns the glyphs to keep, by old ID, sorted: .notdef,
// those of runes, and their components; and the (rune, old glyph) pairs
// of the character map.
func selectGlyphs(src []byte, runes []rune, glyf []byte, offsets []int) (keep []uint16, cmap [][2]uint16, err error) {
	f, err := sfnt.Parse(src)
	if err != nil {
		return nil, nil, fmt.Errorf("reports: parsing font: %w", err)
	}
	var buf sfnt.Buffer
	keep = []uint16{0}
	for _, r := range runes {
		g, err := f.GlyphIndex(&buf, r)
		if err != nil {
			return nil, nil, fmt.Errorf("reports: glyph of %q: %w", r, err)
		}
		if g != 0 && r <= 0xFFFF {
			keep = append(keep, uint16(g))
			cmap = append(cmap, [2]uint16{uint16(r), uint16(g)})
		}
	}
	keep, err = closeComposites(keep, glyf, offsets)
	return keep, cmap, err
}

// subsetGlyphs returns glyf and (long) loca tables holding the kept
// glyphs, renumbered by newID, without instructions.
func subsetGlyphs(glyf []byte, offsets []int, keep []uint16, newID func(uint16) uint16) (newGlyf, newLoca []byte, err error) {
	newLoca = make([]byte, 0, 4*(len(keep)+1))
	for _, old := range keep {
		newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))
		g, err := stripGlyph(glyf[offsets[old]:offsets[old+1]], newID)
		if err != nil {
			return nil, nil, fmt.Errorf("glyph %d: %w", old, err)
		}
		newGlyf = append(newGlyf, g...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
	}
	newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))
	return newGlyf, newLoca, nil
}

// readTables returns the font's tables by tag.
func readTables(src []byte) (map[string][]byte, error) {
	if len(src) < 12 {
		return nil, fmt.Errorf("%w: %d bytes", errBadFont, len(src))
	}
	if v := binary.BigEndian.Uint32(src); v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("%w: version %#x is not TrueType outlines", errBadFont, v)
	}
	n := int(binary.BigEndian.Uint16(src[4:]))
	if len(src) < 12+16*n {
		return nil, fmt.Errorf("%w: table directory of %d tables is cut short", errBadFont, n)
	}
	tables := map[string][]byte{}
	for i := range n {
		rec := src[12+16*i:]
		tag := string(rec[:4])
		off, length := uint64(binary.BigEndian.Uint32(rec[8:])), uint64(binary.BigEndian.Uint32(rec[12:]))
		if off+length > uint64(len(src)) {
			return nil, fmt.Errorf("%w: table %q [%d, +%d) is outside the file", errBadFont, tag, off, length)
		}
		tables[tag] = src[off : off+length]
	}
	return tables, nil
}

// glyphOffsets decodes loca: glyph g spans glyf[offsets[g]:offsets[g+1]].
func glyphOffsets(loca []byte, numGlyphs int, long bool, glyfLen int) ([]int, error) {
	size := 2
	if long {
		size = 4
	}
	if len(loca) < size*(numGlyphs+1) {
		return nil, fmt.Errorf("%w: loca holds %d bytes for %d glyphs", errBadFont, len(loca), numGlyphs)
	}
	offsets := make([]int, numGlyphs+1)
	for i := range offsets {
		if long {
			offsets[i] = int(binary.BigEndian.Uint32(loca[4*i:]))
		} else {
			offsets[i] = 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
		}
		if offsets[i] > glyfLen || (i > 0 && offsets[i] < offsets[i-1]) {
			return nil, fmt.Errorf("%w: loca[%d] = %d is out of order or beyond glyf (%d bytes)", errBadFont, i, offsets[i], glyfLen)
		}
	}
	return offsets, nil
}

// closeComposites adds the components of composite glyphs to keep, and
// returns it sorted without duplicates.
func closeComposites(keep []uint16, glyf []byte, offsets []int) ([]uint16, error) {
	work := slices.Clone(keep)
	seen := map[uint16]bool{}
	var out []uint16
	for len(work) > 0 {
		g := work[len(work)-1]
		work = work[:len(work)-1]
		if seen[g] {
			continue
		}
		if int(g)+1 >= len(offsets) {
			return nil, fmt.Errorf("%w: glyph %d is beyond the %d glyphs", errBadFont, g, len(offsets)-1)
		}
		if len(out) == glyphsMax {
			return nil, fmt.Errorf("reports: font subset exceeds %d glyphs", glyphsMax)
		}
		seen[g] = true
		out = append(out, g)
		data := glyf[offsets[g]:offsets[g+1]]
		_, err := componentsEnd(data, func(at int) {
			work = append(work, binary.BigEndian.Uint16(data[at+2:]))
		})
		if err != nil {
			return nil, fmt.Errorf("glyph %d: %w", g, err)
		}
	}
	slices.Sort(out)
	return out, nil
}

// componentsEnd calls fn with the offset in g of each component record
// (flags, then glyph index) of a composite glyph g, and returns the
// offset just past the last one; it does nothing for a simple glyph.
func componentsEnd(g []byte, fn func(at int)) (end int, err error) {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return 0, nil
	}
	p := 10
	for range glyphsMax { // a component per iteration, bounded
		if p+4 > len(g) {
			return 0, fmt.Errorf("%w: composite glyph cut short", errBadFont)
		}
		flags := binary.BigEndian.Uint16(g[p:])
		fn(p)
		p += 4
		if flags&compArgsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&compHaveScale != 0:
			p += 2
		case flags&compHaveXYScale != 0:
			p += 4
		case flags&compHaveTwoByTwo != 0:
			p += 8
		}
		if p > len(g) {
			return 0, fmt.Errorf("%w: composite glyph cut short", errBadFont)
		}
		if flags&compMoreComponents == 0 {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: composite glyph has more than %d components", errBadFont, glyphsMax)
}

// stripGlyph returns a copy of glyph g without hinting instructions, its
// components renumbered by newID.
func stripGlyph(g []byte, newID func(uint16) uint16) ([]byte, error) {
	if len(g) == 0 {
		return nil, nil
	}
	if len(g) < 10 {
		return nil, fmt.Errorf("%w: glyph of %d bytes", errBadFont, len(g))
	}
	contours := int16(binary.BigEndian.Uint16(g))
	if contours >= 0 {
		at := 10 + 2*int(contours) // instructionLength
		if at+2 > len(g) {
			return nil, fmt.Errorf("%w: simple glyph cut short", errBadFont)
		}
		n := int(binary.BigEndian.Uint16(g[at:]))
		if at+2+n > len(g) {
			return nil, fmt.Errorf("%w: instructions run past the glyph", errBadFont)
		}
		out := slices.Clone(g[:at+2])
		binary.BigEndian.PutUint16(out[at:], 0)
		return append(out, g[at+2+n:]...), nil
	}
	out := slices.Clone(g)
	end, err := componentsEnd(out, func(at int) {
		flags := binary.BigEndian.Uint16(out[at:])
		binary.BigEndian.PutUint16(out[at:], flags&^compHaveInstruction)
		binary.BigEndian.PutUint16(out[at+2:], newID(binary.BigEndian.Uint16(out[at+2:])))
	})
	if err != nil {
		return nil, err
	}
	return out[:end], nil
}

// subsetMetrics returns hmtx for the kept glyphs, every one with a full
// (advance, left side bearing) record.
func subsetMetrics(hmtx []byte, numHMetrics, numGlyphs int, keep []uint16) ([]byte, error) {
	if numHMetrics < 1 || numHMetrics > numGlyphs || len(hmtx) < 4*numHMetrics+2*(numGlyphs-numHMetrics) {
		return nil, fmt.Errorf("%w: hmtx of %d bytes for %d metrics and %d glyphs", errBadFont, len(hmtx), numHMetrics, numGlyphs)
	}
	out := make([]byte, 0, 4*len(keep))
	for _, g := range keep {
		var adv, lsb uint16
		if int(g) < numHMetrics {
			adv, lsb = binary.BigEndian.Uint16(hmtx[4*g:]), binary.BigEndian.Uint16(hmtx[4*g+2:])
		} else {
			adv = binary.BigEndian.Uint16(hmtx[4*(numHMetrics-1):])
			lsb = binary.BigEndian.Uint16(hmtx[4*numHMetrics+2*(int(g)-numHMetrics):])
		}
		out = binary.BigEndian.AppendUint16(out, adv)
		out = binary.BigEndian.AppendUint16(out, lsb)
	}
	return out, nil
}

// buildCmap returns a cmap with one Windows Unicode BMP (3, 1) format 4
// subtable mapping pairs of (rune, glyph).
func buildCmap(pairs [][2]uint16) []byte {
	slices.SortFunc(pairs, func(a, b [2]uint16) int { return int(a[0]) - int(b[0]) })
	pairs = slices.CompactFunc(pairs, func(a, b [2]uint16) bool { return a[0] == b[0] })
	// Segments of consecutive runes with consecutive glyphs, then the
	// required final segment 0xFFFF.
	type segment struct{ start, end, delta uint16 }
	var segs []segment
	for _, p := range pairs {
		if p[0] == 0xFFFF {
			continue
		}
		delta := p[1] - p[0] // modulo 65536, as the format defines
		if n := len(segs); n > 0 && segs[n-1].end+1 == p[0] && segs[n-1].delta == delta {
			segs[n-1].end = p[0]
			continue
		}
		segs = append(segs, segment{p[0], p[0], delta})
	}
	segs = append(segs, segment{0xFFFF, 0xFFFF, 1})

	n := len(segs)
	searchRange, entrySelector := searchParams(n, 2)
	length := 16 + 8*n
	var sub []byte
	for _, v := range []int{4, length, 0, 2 * n, searchRange, entrySelector, 2*n - searchRange} {
		sub = binary.BigEndian.AppendUint16(sub, uint16(v))
	}
	for _, s := range segs {
		sub = binary.BigEndian.AppendUint16(sub, s.end)
	}
	sub = binary.BigEndian.AppendUint16(sub, 0) // reservedPad
	for _, s := range segs {
		sub = binary.BigEndian.AppendUint16(sub, s.start)
	}
	for _, s := range segs {
		sub = binary.BigEndian.AppendUint16(sub, s.delta)
	}
	for range segs {
		sub = binary.BigEndian.AppendUint16(sub, 0) // idRangeOffset
	}
	// Header: version 0, one subtable (3, 1) at offset 12.
	out := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12}
	return append(out, sub...)
}

// searchParams returns the binary-search fields of a table of n entries of
// unit bytes: (searchRange, entrySelector).
func searchParams(n, unit int) (int, int) {
	pow, log := 1, 0
	for pow*2 <= n {
		pow *= 2
		log++
	}
	return pow * unit, log
}

// subsetKern keeps the format-0 pairs of a version-0 kern table whose
// glyphs are both kept, renumbered; nil if none remain.
func subsetKern(kern []byte, keep []uint16) []byte {
	if len(kern) < 4 || binary.BigEndian.Uint16(kern) != 0 {
		return nil
	}
	var subtables [][]byte
	p := 4
	for range int(binary.BigEndian.Uint16(kern[2:])) {
		if p+14 > len(kern) {
			break
		}
		length := int(binary.BigEndian.Uint16(kern[p+2:]))
		coverage := binary.BigEndian.Uint16(kern[p+4:])
		nPairs := int(binary.BigEndian.Uint16(kern[p+6:]))
		if coverage>>8 != 0 || p+14+6*nPairs > len(kern) {
			p += length
			continue
		}
		var kept [][3]uint16
		for i := range nPairs {
			rec := kern[p+14+6*i:]
			l, lok := slices.BinarySearch(keep, binary.BigEndian.Uint16(rec))
			r, rok := slices.BinarySearch(keep, binary.BigEndian.Uint16(rec[2:]))
			if lok && rok {
				kept = append(kept, [3]uint16{uint16(l), uint16(r), binary.BigEndian.Uint16(rec[4:])})
			}
		}
		p += max(length, 14+6*nPairs)
		if len(kept) == 0 {
			continue
		}
		// Renumbering keeps the order of the kept glyphs, so the pairs
		// stay sorted by (left, right) as the format requires.
		sr, es := searchParams(len(kept), 6)
		var sub []byte
		for _, v := range []int{0, 14 + 6*len(kept), int(coverage), len(kept), sr, es, 6*len(kept) - sr} {
			sub = binary.BigEndian.AppendUint16(sub, uint16(v))
		}
		for _, k := range kept {
			sub = binary.BigEndian.AppendUint16(sub, k[0])
			sub = binary.BigEndian.AppendUint16(sub, k[1])
			sub = binary.BigEndian.AppendUint16(sub, k[2])
		}
		subtables = append(subtables, sub)
	}
	if len(subtables) == 0 {
		return nil
	}
	out := binary.BigEndian.AppendUint16(nil, 0)
	out = binary.BigEndian.AppendUint16(out, uint16(len(subtables)))
	for _, s := range subtables {
		out = append(out, s...)
	}
	return out
}

// assembleFont writes the tables, sorted by tag and 4-byte aligned, with
// their checksums and head's checkSumAdjustment.
func assembleFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	n := len(tags)
	sr, es := searchParams(n, 16)
	out := binary.BigEndian.AppendUint32(nil, 0x00010000)
	for _, v := range []int{n, sr, es, 16*n - sr} {
		out = binary.BigEndian.AppendUint16(out, uint16(v))
	}
	off := 12 + 16*n
	var body []byte
	headAt := -1
	for _, tag := range tags {
		t := tables[tag]
		if tag == "head" {
			headAt = off + len(body)
		}
		out = append(out, tag...)
		out = binary.BigEndian.AppendUint32(out, checksum(t))
		out = binary.BigEndian.AppendUint32(out, uint32(off+len(body)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(t)))
		body = append(body, t...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	out = append(out, body...)
	if headAt >= 0 {
		binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	}
	return out
}

// checksum is the TrueType table checksum: the sum of big-endian uint32s,
// the last one zero-padded.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
