package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// TestCutAtEveryOffset simulates a crash at every byte of the write
// stream: for each segment k and each offset o, the directory holds
// segments 1..k-1 whole and segment k cut at o (later segments cannot exist
// yet, since a segment is synced before the next is created). Open must
// succeed and recover exactly the state after the records wholly before
// the cut, which is at least everything synced before it; the cut
// must be reported as torn unless it falls on a record boundary; and the
// repaired store must take new writes that survive a restart.
func TestCutAtEveryOffset(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	segs := segmentFiles(t, src)
	if len(segs) < 3 {
		t.Fatalf("script wrote %d segments, want at least 3 to cut across rollovers", len(segs))
	}
	recordsBefore := 0
	for k := range segs {
		ends, before, seal := frameEnds(t, segs[k]), recordsBefore, sealStart(t, segs[k])
		if (seal >= 0) != (k < len(segs)-1) {
			t.Fatalf("segment %d: seal record at %d; want one in every segment but the last", k+1, seal)
		}
		for o := int64(0); o <= int64(len(segs[k])); o++ {
			t.Run(fmt.Sprintf("seg%d/at%d", k+1, o), func(t *testing.T) {
				t.Parallel() // Each case has its own directory; fsyncs overlap.
				kept := slices.Clone(segs[:k+1])
				kept[k] = kept[k][:o]
				dir := t.TempDir()
				writeSegments(t, dir, kept)
				if seal >= 0 && o == int64(len(segs[k])) {
					// The seal is written after the successor is durable:
					// a whole seal with no successor is a deleted file.
					checkCorruption(t, dir, segmentPath(dir, uint64(k+2)), 0, "segment file missing")
					return
				}
				n := before
				good := int64(segmentHeaderBytes)
				for _, end := range ends {
					if end <= o {
						good = end
						if end-1 < seal || seal < 0 {
							n++
						}
					}
				}
				checkCut(t, dir, k+1, o, good, states[n])
			})
		}
		recordsBefore += len(ends)
		if seal >= 0 {
			recordsBefore--
		}
	}
	if recordsBefore != len(states)-1 {
		t.Fatalf("segments hold %d records, the script expects %d", recordsBefore, len(states)-1)
	}
}

// checkCut opens dir, whose last segment seq was cut at o (the last whole
// record ending at good), and checks the recovery against want.
func checkCut(t *testing.T, dir string, seq int, o, good int64, want model) {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err != nil {
		t.Fatalf("Open after a pure truncation: %v", err)
	}
	checkState(t, s, want)
	ri := s.Recovery()
	switch {
	case o < segmentHeaderBytes:
		if !ri.Torn() || ri.TornOffset != 0 || ri.TornBytes != o {
			t.Errorf("partial header: recovery %v, want a torn tail of %d bytes at 0", ri, o)
		}
	case o == good:
		if ri.Torn() {
			t.Errorf("cut on a record boundary reported as torn: %v", ri)
		}
	default:
		if !ri.Torn() || ri.TornFile != segmentPath(dir, uint64(seq)) || ri.TornOffset != good || ri.TornBytes != o-good {
			t.Errorf("recovery %v, want a torn tail of %d bytes at %d", ri, o-good, good)
		}
	}
	next := makeEntries(rand.New(rand.NewPCG(uint64(o), 3)), want.lastIndex()+1, 2, want.hs.Term+1, 8)
	must(t, s.Append(next))
	must(t, s.Close())
	want.log = append(want.log, next...)
	s = mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	defer s.Close()
	checkState(t, s, want)
	if ri := s.Recovery(); ri.Torn() {
		t.Errorf("second Open found a torn tail again: %v", ri)
	}
}

// TestFlipEveryByte flips each byte of each segment in turn. A flip in a
// record that is followed by a valid record, in a record of a segment that
// is not the last, or in a header, must fail Open with a CorruptionError
// naming the file and the record's offset. Only the last record of the log
// is indistinguishable from a torn write: it is cut off, and reported.
func TestFlipEveryByte(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	segs := segmentFiles(t, src)
	for k := range segs {
		ends := frameEnds(t, segs[k])
		if k == len(segs)-1 && len(ends) < 3 {
			t.Fatalf("last segment holds %d records, want a few to flip mid-file", len(ends))
		}
		for i := range segs[k] {
			start := int64(0) // Of the record holding byte i, or of the header.
			lastRecord := false
			for r, end := range ends {
				if int64(i) < end {
					start = int64(segmentHeaderBytes)
					if r > 0 {
						start = ends[r-1]
					}
					lastRecord = r == len(ends)-1
					break
				}
			}
			if i < segmentHeaderBytes {
				start, lastRecord = 0, false
			}
			// A write is a synced record and the record it precedes: a
			// flip in the second is reported at its own start, and one in
			// the synced record leaves a valid record after it, so even in
			// the last write it is corruption, not a torn tail.
			at := start
			if i >= segmentHeaderBytes && recordType(segs[k][start+8]) == recordSynced {
				if int64(i) >= start+syncedFrameBytes {
					at = start + syncedFrameBytes
				} else {
					lastRecord = false
				}
			}
			t.Run(fmt.Sprintf("seg%d/byte%d", k+1, i), func(t *testing.T) {
				t.Parallel()
				dir := writeFlipped(t, segs, k, i)
				if k == len(segs)-1 && lastRecord {
					checkFlippedLast(t, dir, start, states[len(states)-2])
					return
				}
				checkCorruption(t, dir, segmentPath(dir, uint64(k+1)), at, "")
			})
		}
	}
}

func checkFlippedLast(t *testing.T, dir string, start int64, want model) {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err != nil {
		t.Fatalf("Open with the last record damaged: %v", err)
	}
	defer s.Close()
	checkState(t, s, want)
	if ri := s.Recovery(); !ri.Torn() || ri.TornOffset != start {
		t.Errorf("recovery %v, want a torn tail at %d", ri, start)
	}
}

// checkCorruption opens dir and wants a CorruptionError at file and off
// whose reason contains reason.
func checkCorruption(t *testing.T, dir, file string, off int64, reason string) {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err == nil {
		s.Close()
		t.Fatalf("Open succeeded, want a CorruptionError at %s byte %d", file, off)
	}
	var ce *CorruptionError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: %v, want a CorruptionError", err)
	}
	if ce.File != file || ce.Offset != off || !strings.Contains(ce.Reason, reason) {
		t.Fatalf("Open: %v\nwant file %s, byte %d, reason containing %q", err, file, off, reason)
	}
}

// TestCorruption covers damage that no flip of a single byte produces.
func TestCorruption(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	buildScript(t, src)
	segs := segmentFiles(t, src)
	frame := func(typ recordType, payload []byte) []byte {
		buf, start := beginFrame(nil, typ)
		buf = append(buf, payload...)
		endFrame(buf, start)
		return buf
	}
	ents := func(first raft.Index, n int) []byte {
		return frame(recordEntries, appendEntries(nil, makeEntries(rand.New(rand.NewPCG(7, 7)), first, n, 1, 4)))
	}
	oneSegment := func(records ...[]byte) [][]byte {
		return [][]byte{slices.Concat(append([][]byte{segmentHeader(1, segLink{})}, records...)...)}
	}
	e12 := ents(1, 2)
	at := int64(segmentHeaderBytes + len(e12))
	tests := []struct {
		name   string
		segs   [][]byte
		seq    int
		off    int64
		reason string
	}{
		{"missing middle segment", slices.Concat(segs[:1], [][]byte{nil}, segs[2:]), 2, 0, "missing"},
		{"cut inside a segment that is not the last", slices.Concat(segs[:1], [][]byte{segs[1][:len(segs[1])-3]}, segs[2:]), 2,
			lastRecordStart(t, segs[1]), "not the last"},
		{"zeroed header", [][]byte{make([]byte, segmentHeaderBytes)}, 1, 0, "magic"},
		{"short header in a segment that is not the last", slices.Concat([][]byte{segs[0][:10]}, segs[1:]), 1, 0, "header"},
		{"wrong sequence in header", [][]byte{segmentHeader(2, segLink{bytes: segmentHeaderBytes})}, 1, 0, "segment 2"},
		{"index gap", oneSegment(e12, ents(4, 1)), 1, at, "gap"},
		{"index overlap", oneSegment(e12, ents(2, 1)), 1, at, "gap"},
		{"truncate past the end", oneSegment(e12, frame(recordTruncate, appendTruncate(nil, 3))), 1, at, "past the last index"},
		{"truncate at index 0", oneSegment(e12, frame(recordTruncate, appendTruncate(nil, 0))), 1, at, "below the first index"},
		{"unknown record type", oneSegment(e12, frame(9, []byte{1, 2, 3})), 1, at, "unknown record type"},
		{"short hard state", oneSegment(e12, frame(recordHardState, make([]byte, 23))), 1, at, "want 40"},
		// A record whose synced record says the zeros before it had been
		// synced: damage, not writes a power loss dropped.
		{"zeros then a record written after they were synced", oneSegment(e12, make([]byte, 40), appendSynced(nil, at+1), ents(3, 1)), 1, at, "valid record follows"},
		{"garbage then a record", oneSegment(e12, bytes.Repeat([]byte{7}, 40), ents(3, 1)), 1, at, "valid record follows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSegments(t, dir, tc.segs)
			for i, b := range tc.segs {
				if b == nil {
					must(t, os.Remove(segmentPath(dir, uint64(i+1))))
				}
			}
			checkCorruption(t, dir, segmentPath(dir, uint64(tc.seq)), tc.off, tc.reason)
		})
	}
}

// TestTornTailShapes covers tails a crash leaves besides a clean cut: a
// record followed by zeros (the file size grew before the data landed),
// and a record whose last bytes are garbage.
func TestTornTailShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ents := makeEntries(rng, 1, 3, 1, 20)
	frame := func(es []raft.Entry) []byte {
		buf, start := beginFrame(nil, recordEntries)
		buf = appendEntries(buf, es)
		endFrame(buf, start)
		return buf
	}
	good, torn := frame(ents[:2]), frame(ents[2:])
	garbled := slices.Clone(torn)
	garbled[len(garbled)-1] ^= 0xFF
	tails := map[string][]byte{
		"zeros after a whole record": make([]byte, 100),
		"record then zeros":          append(slices.Clone(torn[:12]), make([]byte, 50)...),
		"garbled last bytes":         garbled,
		"length field only":          torn[:3],
	}
	for _, name := range slices.Sorted(maps.Keys(tails)) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeSegments(t, dir, [][]byte{slices.Concat(segmentHeader(1, segLink{}), good, tails[name])})
			s := mustOpen(t, dir, Options{})
			defer s.Close()
			checkState(t, s, model{log: ents[:2]})
			if ri := s.Recovery(); !ri.Torn() || ri.TornOffset != int64(segmentHeaderBytes+len(good)) || ri.TornBytes != int64(len(tails[name])) {
				t.Errorf("recovery %v, want %d bytes cut at %d", ri, len(tails[name]), segmentHeaderBytes+len(good))
			}
		})
	}
}

// TestTempSegmentRemoved: a segment whose creation was interrupted is
// deleted, and the log before it is intact.
func TestTempSegmentRemoved(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	ents := makeEntries(rand.New(rand.NewPCG(5, 6)), 1, 4, 1, 10)
	must(t, s.Append(ents))
	must(t, s.Close())
	tmp := segmentPath(dir, 2) + tempSuffix
	must(t, os.WriteFile(tmp, segmentHeader(2, segLink{bytes: segmentHeaderBytes})[:7], 0o600))
	s = mustOpen(t, dir, Options{})
	defer s.Close()
	checkState(t, s, model{log: ents})
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary segment still there: %v", err)
	}
	if ri := s.Recovery(); len(ri.RemovedTempFiles) != 1 {
		t.Errorf("recovery %v, want one removed temporary file", ri)
	}
}

// lastRecordStart is the offset of the last record of a segment.
func lastRecordStart(t *testing.T, seg []byte) int64 {
	ends := frameEnds(t, seg)
	if len(ends) < 2 {
		return segmentHeaderBytes
	}
	return ends[len(ends)-2]
}

// TestFlipEveryByteRepairs flips each byte of each segment (but its seal)
// in a store with its state file, which vouches for every byte (the store
// was closed after a Sync). Every flip is damage to synced data, the last
// record's included: Open keeps the log before the damaged record (or
// segment, for a header), fences
// the node at its term without losing its vote, and a second Open finds
// the repaired store whole.
func TestFlipEveryByteRepairs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	final := states[len(states)-1].hs
	stateFile, err := os.ReadFile(statePath(src))
	must(t, err)
	segs := segmentFiles(t, src)
	for k := range segs {
		ends := frameEnds(t, segs[k])
		for i := range segs[k] {
			start := int64(segmentHeaderBytes)
			for r, end := range ends {
				if int64(i) < end {
					if r > 0 {
						start = ends[r-1]
					}
					break
				}
			}
			at := start // A flip in a synced record is found there.
			switch {
			case i < segmentHeaderBytes:
				at = 0 // The header: the log ends before the segment.
			case recordType(segs[k][start+8]) == recordSynced && int64(i) >= start+syncedFrameBytes:
				at = start + syncedFrameBytes
			}
			if i >= segmentHeaderBytes && recordType(segs[k][at+8]) == recordSeal {
				continue // Checked against the successor's link: see TestFlipEveryByte.
			}
			t.Run(fmt.Sprintf("seg%d/byte%d", k+1, i), func(t *testing.T) {
				t.Parallel()
				dir := writeFlipped(t, segs, k, i)
				must(t, os.WriteFile(statePath(dir), stateFile, 0o600))
				s, err := Open(dir, Options{SegmentSizeBytes: 256})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				ri := s.Recovery()
				if !ri.Repaired() || ri.DamageFile != segmentPath(dir, uint64(k+1)) || ri.DamageOffset != at {
					t.Fatalf("recovery %v, want damage in %s at byte %d", ri, segmentPath(dir, uint64(k+1)), at)
				}
				got := checkRepaired(t, s, states, final)
				must(t, s.Close())
				s = mustOpen(t, dir, Options{SegmentSizeBytes: 256})
				defer s.Close()
				if ri := s.Recovery(); ri.Repaired() || ri.Torn() {
					t.Fatalf("second Open: %v, want a whole store", ri)
				}
				if again := checkRepaired(t, s, states, final); !slices.EqualFunc(again, got, entriesEqual) {
					t.Fatalf("second Open holds %v, the first %v", again, got)
				}
			})
		}
	}
}

// checkRepaired checks a store repaired after damage: it holds the term
// and vote of final, fenced at that term, and a log some state of the
// script had (the one before the damaged record), with a commit index
// within it. It returns the log.
func checkRepaired(t *testing.T, s *Store, states []model, final raft.HardState) []raft.Entry {
	t.Helper()
	hs, err := s.InitialState()
	must(t, err)
	// The fence covers every entry the node may have acknowledged: at
	// least the log at its last Sync (more, if the log kept was once
	// longer).
	if hs.Term != final.Term || hs.Vote != final.Vote || hs.Fence != final.Term || hs.FenceIndex < states[len(states)-1].lastIndex() {
		t.Fatalf("hard state %+v after repair, want term %d, vote %d, fence %d up to index %d or more", hs, final.Term, final.Vote, final.Term, states[len(states)-1].lastIndex())
	}
	last, err := s.LastIndex()
	must(t, err)
	var got []raft.Entry
	if last > 0 {
		got, err = s.Entries(1, last+1)
		must(t, err)
	}
	if hs.Commit > last {
		t.Fatalf("commit %d past the repaired log's last index %d", hs.Commit, last)
	}
	for _, m := range states {
		if slices.EqualFunc(m.log, got, entriesEqual) && (hs.Commit <= m.hs.Commit || hs.Commit == 0) {
			return got
		}
	}
	t.Fatalf("repaired log %v (commit %d) is no state the store went through", got, hs.Commit)
	return nil
}

func entriesEqual(a, b raft.Entry) bool {
	return a.Index == b.Index && a.Term == b.Term && a.Type == b.Type && bytes.Equal(a.Data, b.Data)
}

// A repaired store is one segment that links to nothing. Damage to it,
// header and all, is repaired again: the log before the damage says
// nothing of where it starts, so none is kept, and the node is fenced
// with the vote it cast.
func TestRepairedStoreDamagedAgain(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	final := states[len(states)-1].hs
	seg := segmentPath(src, 1)
	b, err := os.ReadFile(seg)
	must(t, err)
	b[segmentHeaderBytes+20] ^= 1
	must(t, os.WriteFile(seg, b, 0o600))
	s := mustOpen(t, src, Options{SegmentSizeBytes: 256})
	if !s.Recovery().Repaired() {
		t.Fatalf("recovery %v, want a repair", s.Recovery())
	}
	must(t, s.Close())
	segs := segmentFiles(t, src) // Only the rebuilt one is left, after the old ones.
	if len(segs) != 0 {
		t.Fatalf("segments from 1 still there after a repair: %d", len(segs))
	}
	names, err := filepath.Glob(filepath.Join(src, "*.seg"))
	must(t, err)
	if len(names) != 1 {
		t.Fatalf("segments %v after a repair, want one", names)
	}
	rebuilt, err := os.ReadFile(names[0])
	must(t, err)
	clear(rebuilt[:min(len(rebuilt), 512)]) // A zeroed sector.
	must(t, os.WriteFile(names[0], rebuilt, 0o600))
	s = mustOpen(t, src, Options{SegmentSizeBytes: 256})
	defer s.Close()
	ri := s.Recovery()
	if !ri.Repaired() || ri.DamageFile != names[0] {
		t.Fatalf("recovery %v, want a repair of %s", ri, names[0])
	}
	if got := checkRepaired(t, s, states, final); len(got) != 0 {
		t.Fatalf("kept %d entries of a segment whose header is gone", len(got))
	}
}

// A crash after a repair's segment was renamed into place, before the
// segments it replaces were deleted: the next Open deletes them, and
// finds the repaired store.
func TestRepairInterruptedBeforeDeletion(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	final := states[len(states)-1].hs
	segs := segmentFiles(t, src)
	k := len(segs) / 2
	segs[k][len(segs[k])/2] ^= 0x10
	writeSegments(t, src, segs)
	s := mustOpen(t, src, Options{SegmentSizeBytes: 256})
	want := checkRepaired(t, s, states, final)
	must(t, s.Close())
	writeSegments(t, src, segs) // As if never deleted.
	s = mustOpen(t, src, Options{SegmentSizeBytes: 256})
	defer s.Close()
	ri := s.Recovery()
	if ri.Repaired() || len(ri.Removed) != len(segs) {
		t.Fatalf("recovery %v, want the %d replaced segments removed and no repair", ri, len(segs))
	}
	if got := checkRepaired(t, s, states, final); !slices.EqualFunc(got, want, entriesEqual) {
		t.Fatalf("log %v after the interrupted repair, %v before", got, want)
	}
}

// A damaged snapshot file: the log after it means nothing without it, so
// the repair keeps no entry, and the node is fenced.
func TestDamagedSnapshotRepaired(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	rng := rand.New(rand.NewPCG(7, 7))
	must(t, s.Append(makeEntries(rng, 1, 6, 2, 12)))
	must(t, s.SetHardState(raft.HardState{Term: 2, Vote: 1, Commit: 6}))
	must(t, s.ApplySnapshot(raft.Snapshot{Meta: raft.SnapshotMeta{Index: 4, Term: 2, ConfState: raft.ConfState{Voters: []raft.NodeID{1, 2, 3}}}, Data: []byte("state at 4")}))
	must(t, s.Compact(4))
	must(t, s.Sync())
	must(t, s.Close())
	snap := snapshotPath(dir, 4)
	b, err := os.ReadFile(snap)
	must(t, err)
	b[len(b)-6] ^= 2
	must(t, os.WriteFile(snap, b, 0o600))
	s = mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	defer s.Close()
	ri := s.Recovery()
	if !ri.Repaired() || ri.DamageFile != snap {
		t.Fatalf("recovery %v, want a repair of %s", ri, snap)
	}
	hs, _ := s.InitialState()
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	if hs != (raft.HardState{Term: 2, Vote: 1, Fence: 2, FenceIndex: 6}) || first != 1 || last != 0 || s.SnapshotMeta().Index != 0 {
		t.Fatalf("after repair: hard state %+v, log [%d, %d], snapshot %d; want term 2, vote 1, fence 2 up to index 6, no log, no snapshot", hs, first, last, s.SnapshotMeta().Index)
	}
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Fatalf("the damaged snapshot file is still there: %v", err)
	}
}

// The newest hard state is in two sectors of the state file besides the
// log: with any one sector of the state file zeroed and the log's
// hard-state records lost to damage too, the repair keeps the term and
// vote the node last synced.
func TestStateSurvivesADamagedSectorAndLog(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	final := states[len(states)-1].hs
	segs := segmentFiles(t, src)
	stateFile, err := os.ReadFile(statePath(src))
	must(t, err)
	for sector := range stateSlots {
		dir := t.TempDir()
		damaged := slices.Clone(segs)
		damaged[0] = slices.Clone(segs[0])
		damaged[0][segmentHeaderBytes+12] ^= 1 // The first record: no hard state is left in the log.
		writeSegments(t, dir, damaged)
		st := slices.Clone(stateFile)
		clear(st[sector*stateSlotBytes : min(len(st), (sector+1)*stateSlotBytes)])
		must(t, os.WriteFile(statePath(dir), st, 0o600))
		s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
		if !s.Recovery().Repaired() {
			t.Fatalf("sector %d: recovery %v, want a repair", sector, s.Recovery())
		}
		checkRepaired(t, s, states, final)
		must(t, s.Close())
	}
}

// writeFlipped writes segs, with bit 0x40 of byte i of segment k flipped,
// into a new directory, and returns it.
func writeFlipped(t *testing.T, segs [][]byte, k, i int) string {
	t.Helper()
	flipped := slices.Clone(segs)
	flipped[k] = slices.Clone(segs[k])
	flipped[k][i] ^= 0x40
	dir := t.TempDir()
	writeSegments(t, dir, flipped)
	return dir
}
