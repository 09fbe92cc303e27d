package filestore

import (
	"fmt"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// benchEntries returns n entries of 100 data bytes.
func benchEntries(n int) []raft.Entry {
	ents := make([]raft.Entry, n)
	for i := range ents {
		data := make([]byte, 100)
		for j := range data {
			data[j] = byte(i + j)
		}
		ents[i] = raft.Entry{Term: 1, Type: raft.EntryNormal, Data: data}
	}
	return ents
}

// BenchmarkAppendSync measures durable appends: one Append of a batch of
// 100-byte entries and one Sync (one fsync) per iteration, as a node does
// per Ready.
func BenchmarkAppendSync(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := mustOpen(b, b.TempDir(), Options{})
			defer s.Close()
			ents := benchEntries(batch)
			next := raft.Index(1)
			fsyncs0, iterations := s.fsyncs, 0
			for b.Loop() {
				for i := range ents {
					ents[i].Index = next + raft.Index(i)
				}
				must(b, s.Append(ents))
				must(b, s.Sync())
				next += raft.Index(batch)
				iterations++
			}
			seconds := b.Elapsed().Seconds()
			b.ReportMetric(float64(iterations*batch)/seconds, "entries/s")
			b.ReportMetric(float64(s.fsyncs-fsyncs0)/seconds, "fsyncs/s")
		})
	}
}

// BenchmarkRecovery measures Open of a log of 1,000,000 100-byte entries,
// written in batches of 64 (about 113 MB in two segments). The files are
// in the page cache after the first iteration, so this is the CPU cost of
// recovery, not the disk's read speed.
func BenchmarkRecovery(b *testing.B) {
	const entriesTotal, batch = 1_000_000, 64
	dir := b.TempDir()
	s := mustOpen(b, dir, Options{})
	ents := benchEntries(batch)
	for next := raft.Index(1); next <= entriesTotal; next += batch {
		n := min(batch, entriesTotal+1-int(next))
		for i := range n {
			ents[i].Index = next + raft.Index(i)
		}
		must(b, s.Append(ents[:n]))
	}
	must(b, s.Close())
	b.ReportAllocs()
	iterations := 0
	for b.Loop() {
		s := mustOpen(b, dir, Options{})
		if last, _ := s.LastIndex(); last != entriesTotal {
			b.Fatalf("recovered last index %d, want %d", last, entriesTotal)
		}
		must(b, s.Close())
		iterations++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(iterations), "s/op")
}
