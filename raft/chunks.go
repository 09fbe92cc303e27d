package raft

import "fmt"

// Logs are stored in fixed-size chunks, so that appending never copies
// the entries already held (a growing slice would be copied again and
// again, and each copy runs write barriers over pointer-holding entries:
// profiles showed this dominated the commit path). The price is that a
// contiguous view ends at a chunk boundary; callers take what span gives
// them and come back for the rest, as they must anyway for size limits.
const (
	chunkShift = 12
	chunkSize  = 1 << chunkShift
	chunkMask  = chunkSize - 1
)

// chunkedEntries is a list of entries in chunks of chunkSize. Entry i
// lives at position head+i: compaction moves head forward and drops the
// chunks it leaves behind, so the memory of a compacted prefix is freed a
// whole chunk at a time. Every chunk but the last is full. Slices handed
// out by span stay valid and unchanged forever: truncation copies the
// kept part of a chunk instead of writing over it, and compaction writes
// nothing at all (messages in flight may still carry compacted entries).
type chunkedEntries struct {
	chunks [][]Entry
	// head is the position of entry 0 in chunks[0].
	// Invariant: 0 <= head < chunkSize, and head == 0 when n == 0.
	head int
	n    int
}

func (c *chunkedEntries) len() int { return c.n }

// at returns entry i; 0 <= i < len().
func (c *chunkedEntries) at(i int) *Entry {
	p := c.head + i
	return &c.chunks[p>>chunkShift][p&chunkMask]
}

// append adds entries at the end.
func (c *chunkedEntries) append(ents []Entry) {
	for len(ents) > 0 {
		if p := c.head + c.n; p&chunkMask == 0 && p>>chunkShift == len(c.chunks) {
			c.chunks = append(c.chunks, make([]Entry, 0, chunkSize))
		}
		last := &c.chunks[len(c.chunks)-1]
		k := min(len(ents), chunkSize-len(*last))
		*last = append(*last, ents[:k]...)
		c.n += k
		ents = ents[k:]
	}
}

// truncate keeps the first n entries.
func (c *chunkedEntries) truncate(n int) {
	if n < 0 || n > c.n {
		panic(fmt.Sprintf("raft: truncate to %d entries of %d", n, c.n))
	}
	if n == c.n {
		return
	}
	if n == 0 {
		c.reset()
		return
	}
	p := c.head + n
	k, o := p>>chunkShift, p&chunkMask
	if o == 0 {
		clear(c.chunks[k:])
		c.chunks = c.chunks[:k]
	} else {
		kept := make([]Entry, o, chunkSize)
		copy(kept, c.chunks[k][:o])
		clear(c.chunks[k+1:])
		c.chunks = append(c.chunks[:k], kept)
	}
	c.n = n
}

// dropFront discards the first k entries. Chunks wholly before the new
// head are released; the entries themselves are not touched.
func (c *chunkedEntries) dropFront(k int) {
	if k < 0 || k > c.n {
		panic(fmt.Sprintf("raft: drop %d entries of %d", k, c.n))
	}
	if k == c.n {
		c.reset()
		return
	}
	p := c.head + k
	if d := p >> chunkShift; d > 0 {
		clear(c.chunks[:d])
		c.chunks = c.chunks[d:]
	}
	c.head = p & chunkMask
	c.n -= k
}

// reset empties the list, releasing every chunk.
func (c *chunkedEntries) reset() { *c = chunkedEntries{} }

// span returns entries [lo, hi) if they lie in one chunk, or else the
// longest prefix of them that does; it is empty only if lo == hi.
func (c *chunkedEntries) span(lo, hi int) []Entry {
	if lo < 0 || hi > c.n || lo > hi {
		panic(fmt.Sprintf("raft: span [%d, %d) of %d entries", lo, hi, c.n))
	}
	if lo == hi {
		return nil
	}
	plo, phi := c.head+lo, c.head+hi
	k := plo >> chunkShift
	end := min(phi, (k+1)<<chunkShift) - k<<chunkShift
	return c.chunks[k][plo&chunkMask : end : end]
}

// copyRange returns a new slice holding entries [lo, hi).
func (c *chunkedEntries) copyRange(lo, hi int) []Entry {
	out := make([]Entry, 0, hi-lo)
	for lo < hi {
		s := c.span(lo, hi)
		out = append(out, s...)
		lo += len(s)
	}
	return out
}
