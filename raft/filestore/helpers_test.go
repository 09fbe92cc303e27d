package filestore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// model is the naive reference: the state a store must hold.
type model struct {
	hs  raft.HardState
	log []raft.Entry // log[i].Index == i+1
}

func (m model) clone() model {
	return model{hs: m.hs, log: slices.Clone(m.log)}
}

func (m model) lastIndex() raft.Index { return raft.Index(len(m.log)) }

// appendStates applies Append(ents) and returns the state after each record
// the store writes for it: after the truncate record, if any, and after the
// entries record. Test batches are far below the record size limit, so
// there is one entries record.
func (m *model) appendStates(ents []raft.Entry) []model {
	var states []model
	first := ents[0].Index
	if first <= m.lastIndex() {
		m.log = m.log[:first-1]
		states = append(states, m.clone())
	}
	m.log = append(m.log, ents...)
	return append(states, m.clone())
}

// setHardStateStates applies SetHardState(hs) likewise; an unchanged hard
// state writes no record.
func (m *model) setHardStateStates(hs raft.HardState) []model {
	if hs == m.hs {
		return nil
	}
	m.hs = hs
	return []model{m.clone()}
}

// makeEntries returns n entries from index first, of the given term, with
// 0..dataBytesMax random data bytes each.
func makeEntries(rng *rand.Rand, first raft.Index, n int, term raft.Term, dataBytesMax int) []raft.Entry {
	ents := make([]raft.Entry, n)
	for i := range ents {
		data := make([]byte, rng.IntN(dataBytesMax+1))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		ents[i] = raft.Entry{Term: term, Index: first + raft.Index(i), Type: raft.EntryNormal, Data: data}
	}
	return ents
}

// stateDiff returns how the store's state differs from m, or "".
func stateDiff(s *Store, m model) string {
	hs, err := s.InitialState()
	if err != nil {
		return fmt.Sprintf("InitialState: %v", err)
	}
	if hs != m.hs {
		return fmt.Sprintf("hard state %+v, want %+v", hs, m.hs)
	}
	first, err := s.FirstIndex()
	if err != nil || first != 1 {
		return fmt.Sprintf("FirstIndex = %d, %v; want 1", first, err)
	}
	last, err := s.LastIndex()
	if err != nil || last != m.lastIndex() {
		return fmt.Sprintf("LastIndex = %d, %v; want %d", last, err, m.lastIndex())
	}
	got, err := s.Entries(1, last+1)
	if err != nil {
		return fmt.Sprintf("Entries(1, %d): %v", last+1, err)
	}
	return entriesDiff(got, m.log)
}

func entriesDiff(got, want []raft.Entry) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d entries, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Term != w.Term || g.Index != w.Index || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) {
			return fmt.Sprintf("entry %d is %v %x, want %v %x", i, g, g.Data, w, w.Data)
		}
	}
	return ""
}

func checkState(t *testing.T, s *Store, m model) {
	t.Helper()
	if d := stateDiff(s, m); d != "" {
		t.Fatal(d)
	}
}

func mustOpen(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// segmentFiles returns the contents of every segment in dir, in order.
func segmentFiles(t *testing.T, dir string) [][]byte {
	t.Helper()
	var segs [][]byte
	for seq := uint64(1); ; seq++ {
		b, err := os.ReadFile(segmentPath(dir, seq))
		if os.IsNotExist(err) {
			return segs
		}
		must(t, err)
		segs = append(segs, b)
	}
}

// writeSegments lays segs out in dir as segments 1, 2, ...
func writeSegments(t *testing.T, dir string, segs [][]byte) {
	t.Helper()
	must(t, os.MkdirAll(dir, 0o700))
	for i, b := range segs {
		must(t, os.WriteFile(segmentPath(dir, uint64(i+1)), b, 0o600))
	}
}

// frameEnds walks a segment the simplest way the format allows (skip the
// header, then hop from length field to length field) and returns where
// each record ends, seal records included. It shares no code with the
// reader under test.
func frameEnds(t *testing.T, seg []byte) []int64 {
	t.Helper()
	var ends []int64
	off := segmentHeaderBytes
	for off < len(seg) {
		if len(seg)-off < 9 {
			t.Fatalf("frameEnds: %d stray bytes at %d", len(seg)-off, off)
		}
		synced := recordType(seg[off+8]) == recordSynced
		off += 9 + int(binary.LittleEndian.Uint32(seg[off:]))
		if !synced { // A synced record is written with the next one.
			ends = append(ends, int64(off))
		}
	}
	if off != len(seg) {
		t.Fatalf("frameEnds: last frame ends at %d, segment at %d", off, len(seg))
	}
	return ends
}

// sealStart returns the offset of the seal record that ends seg, or -1.
func sealStart(t *testing.T, seg []byte) int64 {
	t.Helper()
	ends := frameEnds(t, seg)
	start := int64(segmentHeaderBytes)
	if len(ends) > 1 {
		start = ends[len(ends)-2]
	}
	if len(ends) == 0 || recordType(seg[start+8]) != recordSeal {
		return -1
	}
	return start
}

// crash drops the store as a killed process would: no fsync, no Close.
func crash(s *Store) {
	s.active.Close()
	s.closed = true
}

// buildScript writes a short log through a fixed script of synced groups,
// with segments small enough to roll over several times, and returns the
// state after each record (states[k] after k records).
func buildScript(t *testing.T, dir string) []model {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	var m model
	states := []model{m.clone()}
	app := func(first raft.Index, n int, term raft.Term) {
		ents := makeEntries(rng, first, n, term, 12)
		must(t, s.Append(ents))
		states = append(states, m.appendStates(ents)...)
	}
	set := func(hs raft.HardState) {
		must(t, s.SetHardState(hs))
		states = append(states, m.setHardStateStates(hs)...)
	}
	app(1, 3, 1)
	set(raft.HardState{Term: 1, Vote: 1})
	must(t, s.Sync())
	app(4, 2, 1)
	set(raft.HardState{Term: 1, Vote: 1, Commit: 3})
	must(t, s.Sync())
	set(raft.HardState{Term: 2, Commit: 3})
	app(4, 3, 2) // Overwrites 4..5.
	must(t, s.Sync())
	app(7, 1, 2)
	must(t, s.Sync())
	set(raft.HardState{Term: 3, Vote: 2, Commit: 5})
	app(6, 2, 3) // Overwrites 6..7.
	app(8, 2, 3)
	set(raft.HardState{Term: 3, Vote: 2, Commit: 8})
	must(t, s.Sync())
	app(1, 1, 4) // Overwrites the whole log.
	app(2, 4, 4)
	must(t, s.Sync())
	set(raft.HardState{Term: 4, Vote: 3, Commit: 2})
	app(6, 1, 4)
	set(raft.HardState{Term: 4, Vote: 3, Commit: 6})
	must(t, s.Sync())
	app(7, 1, 4)
	set(raft.HardState{Term: 4, Vote: 3, Commit: 7})
	must(t, s.Sync())
	app(8, 1, 4)
	must(t, s.Sync())
	must(t, s.Close())
	return states
}
