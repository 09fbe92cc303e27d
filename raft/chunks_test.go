package raft

import (
	"testing"

	"pgregory.net/rapid"
)

// chunkedEntries behaves like a plain slice, and never changes what it
// handed out.
func TestChunkedEntriesMatchesSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c chunkedEntries
		var ref []Entry
		type handed struct {
			lo   int
			ents []Entry
			want []Entry
		}
		var out []handed
		next := Index(1)
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0, 1:
				k := rapid.IntRange(0, 3*chunkSize).Draw(t, "append")
				var ents []Entry
				for range k {
					ents = append(ents, Entry{Index: next, Term: Term(next % 7)})
					next++
				}
				c.append(ents)
				ref = append(ref, ents...)
			case 2:
				n := rapid.IntRange(0, len(ref)).Draw(t, "truncate")
				c.truncate(n)
				ref = ref[:n]
				next += 1000 // entries written later differ from the ones cut
			case 3:
				if len(ref) == 0 {
					continue
				}
				lo := rapid.IntRange(0, len(ref)-1).Draw(t, "lo")
				hi := rapid.IntRange(lo+1, len(ref)).Draw(t, "hi")
				s := c.span(lo, hi)
				if len(s) == 0 || len(s) > hi-lo {
					t.Fatalf("span(%d, %d) has %d entries", lo, hi, len(s))
				}
				if (c.head+lo)>>chunkShift == (c.head+hi-1)>>chunkShift && len(s) != hi-lo {
					t.Fatalf("span(%d, %d) within one chunk has %d entries", lo, hi, len(s))
				}
				out = append(out, handed{lo, s, append([]Entry(nil), s...)})
			case 4:
				// Compaction drops a prefix; what was handed out stays.
				k := rapid.IntRange(0, len(ref)).Draw(t, "drop")
				c.dropFront(k)
				ref = ref[k:]
			}
			if c.len() != len(ref) {
				t.Fatalf("len %d, want %d", c.len(), len(ref))
			}
			// Compaction frees whole chunks: only the chunks holding live
			// entries are kept.
			if want := (c.head + c.n + chunkSize - 1) >> chunkShift; len(c.chunks) != want {
				t.Fatalf("%d chunks for %d entries from head %d, want %d", len(c.chunks), c.n, c.head, want)
			}
			for i := range ref {
				if c.at(i).Index != ref[i].Index || c.at(i).Term != ref[i].Term {
					t.Fatalf("entry %d is %v, want %v", i, *c.at(i), ref[i])
				}
			}
			if got := c.copyRange(0, len(ref)); len(got) != len(ref) {
				t.Fatalf("copyRange has %d entries, want %d", len(got), len(ref))
			}
			for _, h := range out {
				for i := range h.ents {
					if h.ents[i].Index != h.want[i].Index || h.ents[i].Term != h.want[i].Term {
						t.Fatalf("a handed-out span changed at %d: %v, was %v", h.lo+i, h.ents[i], h.want[i])
					}
				}
			}
		}
	})
}
