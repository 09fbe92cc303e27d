package disk

import (
	"math/rand/v2"
	"os"
	"testing"

	"pgregory.net/rapid"
)

// After any sequence of writes, truncations and fsyncs, a power loss
// leaves every byte either as the last successful fsync left it or as
// some unsynced write put it (or zero, where a file grew or a write was
// torn), and leaves untouched every synced byte no unsynced operation
// covers. Checked against a naive model of the file.
func TestSimPowerLossProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		s, err := NewSim(SimConfig{SectorBytes: 64}, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			rt.Fatal(err)
		}
		if err := s.MkdirAll("/d", 0o700); err != nil {
			rt.Fatal(err)
		}
		f, err := s.OpenFile("/d/f", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			rt.Fatal(err)
		}
		if err := s.SyncDir("/d"); err != nil {
			rt.Fatal(err)
		}
		var durable []byte
		var pending []pendingOp
		for i := range rapid.IntRange(0, 30).Draw(rt, "ops") {
			size, _ := f.Size()
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0, 1, 2:
				off := rapid.Int64Range(0, size+100).Draw(rt, "off")
				data := make([]byte, rapid.IntRange(1, 200).Draw(rt, "len"))
				for j := range data {
					data[j] = byte(i + 1)
				}
				if _, err := f.WriteAt(data, off); err != nil {
					rt.Fatal(err)
				}
				pending = append(pending, pendingOp{off: off, data: data})
			case 3:
				n := rapid.Int64Range(0, size+50).Draw(rt, "size")
				if err := f.Truncate(n); err != nil {
					rt.Fatal(err)
				}
				pending = append(pending, pendingOp{trunc: true, size: n})
			default:
				if err := f.Sync(); err != nil {
					rt.Fatal(err)
				}
				for _, op := range pending {
					durable = op.apply(durable)
				}
				pending = nil
			}
		}
		s.PowerLoss()
		g, err := s.OpenFile("/d/f", os.O_RDONLY, 0)
		if err != nil {
			rt.Fatal(err)
		}
		n, _ := g.Size()
		got := make([]byte, n)
		_, _ = g.ReadAt(got, 0)
		untouched := spans{}.add(0, int64(len(durable)))
		for _, op := range pending {
			if op.trunc {
				untouched = untouched.remove(op.size, 1<<62)
			} else {
				untouched = untouched.remove(op.off, op.off+int64(len(op.data)))
			}
		}
		for b := range int64(len(got)) {
			var old byte
			if b < int64(len(durable)) {
				old = durable[b]
			}
			if untouched.covers(b, b+1) {
				if got[b] != old {
					rt.Fatalf("synced byte %d changed from %d to %d", b, old, got[b])
				}
				continue
			}
			ok := got[b] == old || got[b] == 0
			for _, op := range pending {
				if !op.trunc && b >= op.off && b < op.off+int64(len(op.data)) && op.data[b-op.off] == got[b] {
					ok = true
				}
			}
			if !ok {
				rt.Fatalf("byte %d is %d: neither synced, nor written, nor zero", b, got[b])
			}
		}
		if int64(len(got)) < untouched.bytes() && len(untouched) > 0 && untouched[len(untouched)-1].hi > int64(len(got)) {
			rt.Fatalf("the file is %d bytes, shorter than its synced, untouched bytes reach (%v)", len(got), untouched)
		}
	})
}

func TestSpans(t *testing.T) {
	var s spans
	s = s.add(10, 20).add(30, 40).add(20, 30)
	if len(s) != 1 || s[0] != (span{10, 40}) {
		t.Fatalf("merging adjacent spans: %v", s)
	}
	s = s.remove(15, 25)
	if len(s) != 2 || s[0] != (span{10, 15}) || s[1] != (span{25, 40}) {
		t.Fatalf("remove: %v", s)
	}
	if !s.overlaps(14, 16) || s.overlaps(15, 25) || !s.covers(26, 40) || s.covers(14, 26) {
		t.Fatalf("overlaps/covers wrong on %v", s)
	}
	if s.bytes() != 20 || s.nth(5) != 25 || s.nth(0) != 10 {
		t.Fatalf("bytes/nth wrong on %v", s)
	}
}
