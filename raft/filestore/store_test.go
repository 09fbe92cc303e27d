package filestore

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := mustOpen(t, t.TempDir(), Options{})
	defer s.Close()
	var m model
	checkState(t, s, m)
	for i := range 10 {
		ents := makeEntries(rng, m.lastIndex()+1, 1+rng.IntN(5), raft.Term(i/3+1), 50)
		must(t, s.Append(ents))
		m.appendStates(ents)
		hs := raft.HardState{Term: raft.Term(i/3 + 1), Vote: 2, Commit: m.lastIndex() - 1}
		must(t, s.SetHardState(hs))
		m.hs = hs
		checkState(t, s, m)
	}
	// Every sub-range reads back.
	for lo := raft.Index(1); lo <= m.lastIndex()+1; lo++ {
		for hi := lo; hi <= m.lastIndex()+1; hi++ {
			got, err := s.Entries(lo, hi)
			if err != nil {
				t.Fatalf("Entries(%d, %d): %v", lo, hi, err)
			}
			if d := entriesDiff(got, m.log[lo-1:hi-1]); d != "" {
				t.Fatalf("Entries(%d, %d): %s", lo, hi, d)
			}
		}
	}
	// Returned data is the caller's: changing it changes nothing stored.
	got, err := s.Entries(1, 2)
	must(t, err)
	if len(got[0].Data) > 0 {
		got[0].Data[0] ^= 0xFF
	}
	checkState(t, s, m)
}

func TestEntriesOutOfRange(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	defer s.Close()
	must(t, s.Append(makeEntries(rand.New(rand.NewPCG(1, 2)), 1, 5, 1, 4)))
	tests := []struct {
		lo, hi raft.Index
		want   error
	}{
		{0, 3, raft.ErrCompacted},
		{1, 7, raft.ErrUnavailable},
		{6, 7, raft.ErrUnavailable},
		{4, 3, ErrInvalidArgument},
	}
	for _, tc := range tests {
		if _, err := s.Entries(tc.lo, tc.hi); !errors.Is(err, tc.want) {
			t.Errorf("Entries(%d, %d) = %v, want %v", tc.lo, tc.hi, err, tc.want)
		}
	}
	if got, err := s.Entries(6, 6); err != nil || len(got) != 0 {
		t.Errorf("Entries(6, 6) = %v, %v; want nothing", got, err)
	}
}

func TestAppendRejectsMisuse(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 3))
	must(t, s.Append(makeEntries(rng, 1, 3, 1, 4)))
	gappy := makeEntries(rng, 4, 3, 1, 4)
	gappy[2].Index = 7
	tests := map[string][]raft.Entry{
		"index 0":         makeEntries(rng, 0, 2, 1, 4),
		"gap after last":  makeEntries(rng, 5, 1, 1, 4),
		"not consecutive": gappy,
		"entry too large": {{Term: 1, Index: 4, Type: raft.EntryNormal, Data: make([]byte, EntryDataBytesMax+1)}},
	}
	for name, ents := range tests {
		if err := s.Append(ents); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: Append = %v, want ErrInvalidArgument", name, err)
		}
	}
	must(t, s.Append(nil))
	if last, _ := s.LastIndex(); last != 3 {
		t.Errorf("rejected appends changed the log: last index %d, want 3", last)
	}
	if _, err := Open(t.TempDir(), Options{SegmentSizeBytes: -1}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Open with a negative segment size = %v, want ErrInvalidArgument", err)
	}
}

// TestTruncateAndReappend overwrites suffixes of the log (§5.3), reading
// back after each change and after a restart.
func TestTruncateAndReappend(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 4))
	s := mustOpen(t, dir, Options{})
	var m model
	steps := []struct {
		first raft.Index
		n     int
		term  raft.Term
	}{
		{1, 10, 1},
		{5, 3, 2},  // Overwrites 5..10 with 5..7.
		{8, 2, 2},  // Plain append.
		{9, 1, 3},  // Overwrites the last entry only.
		{10, 4, 3}, // Append again.
		{1, 2, 4},  // Overwrites the whole log.
		{3, 1, 4},
	}
	for _, st := range steps {
		ents := makeEntries(rng, st.first, st.n, st.term, 30)
		must(t, s.Append(ents))
		m.appendStates(ents)
		checkState(t, s, m)
		must(t, s.Sync())
		must(t, s.Close())
		s = mustOpen(t, dir, Options{})
		checkState(t, s, m)
	}
	must(t, s.Close())
}

// TestRolloverReadsAcrossSegments writes through many small segments and
// reads ranges that span them, before and after a restart. One record
// larger than a segment gets a segment of its own.
func TestRolloverReadsAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 5))
	opts := Options{SegmentSizeBytes: 1024}
	s := mustOpen(t, dir, opts)
	var m model
	for i := range 60 {
		n := 1 + rng.IntN(8)
		if i%20 == 10 {
			n = 40 // About 2 KiB: more than a segment.
		}
		ents := makeEntries(rng, m.lastIndex()+1, n, 1, 60)
		must(t, s.Append(ents))
		m.appendStates(ents)
	}
	checkRanges(t, rng, s, m)
	must(t, s.Close())
	segs := segmentFiles(t, dir)
	if len(segs) < 10 {
		t.Fatalf("%d segments, want at least 10", len(segs))
	}
	for i, seg := range segs {
		// The seal record that ends a segment comes on top of the limit.
		records, size := len(frameEnds(t, seg)), len(seg)
		if st := sealStart(t, seg); st >= 0 {
			records, size = records-1, int(st)
		}
		if records > 1 && size > 1024 {
			t.Errorf("segment %d is %d bytes with several records, limit 1024", i+1, size)
		}
	}
	s = mustOpen(t, dir, opts)
	defer s.Close()
	if ri := s.Recovery(); ri.Segments != len(segs) || ri.Torn() {
		t.Errorf("recovery %v, want %d segments and no torn tail", ri, len(segs))
	}
	checkState(t, s, m)
	checkRanges(t, rng, s, m)
}

func checkRanges(t *testing.T, rng *rand.Rand, s *Store, m model) {
	t.Helper()
	for range 200 {
		lo := raft.Index(1 + rng.IntN(len(m.log)))
		hi := lo + raft.Index(rng.IntN(len(m.log)-int(lo)+2))
		got, err := s.Entries(lo, hi)
		if err != nil {
			t.Fatalf("Entries(%d, %d): %v", lo, hi, err)
		}
		if d := entriesDiff(got, m.log[lo-1:hi-1]); d != "" {
			t.Fatalf("Entries(%d, %d): %s", lo, hi, d)
		}
	}
}

func TestRestartRestoresState(t *testing.T) {
	dir := t.TempDir()
	states := buildScript(t, dir)
	s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
	defer s.Close()
	want := states[len(states)-1]
	checkState(t, s, want)
	ri := s.Recovery()
	if ri.Records != len(states)-1 || ri.LastIndex != want.lastIndex() || ri.HardState != want.hs || ri.Torn() {
		t.Errorf("recovery %v, want %d records, last index %d, hard state %+v, no torn tail",
			ri, len(states)-1, want.lastIndex(), want.hs)
	}
}

// TestSetHardStateUnchangedWritesNothing: callers pass the hard state on
// every Ready, so an unchanged one must not grow the log.
func TestSetHardStateUnchangedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	defer s.Close()
	hs := raft.HardState{Term: 2, Vote: 1, Commit: 0}
	must(t, s.SetHardState(hs))
	size := s.activeSize
	must(t, s.SetHardState(hs))
	if s.activeSize != size {
		t.Errorf("unchanged hard state grew the segment from %d to %d bytes", size, s.activeSize)
	}
	must(t, s.SetHardState(raft.HardState{}))
	if got, _ := s.InitialState(); !got.IsZero() {
		t.Errorf("InitialState = %+v after setting the zero state", got)
	}
}

func TestClosedStore(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	must(t, s.Close())
	calls := map[string]error{
		"Close":        s.Close(),
		"Sync":         s.Sync(),
		"Append":       s.Append(makeEntries(rand.New(rand.NewPCG(1, 6)), 1, 1, 1, 1)),
		"SetHardState": s.SetHardState(raft.HardState{Term: 1}),
	}
	_, calls["Entries"] = s.Entries(1, 1)
	_, calls["LastIndex"] = s.LastIndex()
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// TestFailureIsSticky: after a write fails, nothing more is accepted.
func TestFailureIsSticky(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	must(t, s.active.Close()) // Makes the next write fail.
	if err := s.Append(makeEntries(rand.New(rand.NewPCG(1, 7)), 1, 1, 1, 1)); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append to a broken file = %v, want ErrFailed", err)
	}
	if err := s.Sync(); !errors.Is(err, ErrFailed) {
		t.Errorf("Sync after a failed write = %v, want ErrFailed", err)
	}
	if _, err := s.LastIndex(); !errors.Is(err, ErrFailed) {
		t.Errorf("LastIndex after a failed write = %v, want ErrFailed", err)
	}
}

// TestEntriesDetectsDamageAfterOpen: reads re-check checksums, so damage
// done after Open is reported, not returned as data.
func TestEntriesDetectsDamageAfterOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	defer s.Close()
	must(t, s.Append(makeEntries(rand.New(rand.NewPCG(1, 8)), 1, 4, 1, 20)))
	f, err := os.OpenFile(filepath.Join(dir, segmentName(1)), os.O_RDWR, 0)
	must(t, err)
	_, err = f.WriteAt([]byte{0xFF}, segmentHeaderBytes+syncedFrameBytes+frameHeaderBytes+2)
	must(t, errors.Join(err, f.Close()))
	if _, err := s.Entries(2, 3); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Entries over a damaged record = %v, want ErrCorrupt", err)
	}
}

func TestOpenIgnoresOtherFilesRejectsBadNames(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "NOTES"), []byte("hello"), 0o600))
	s := mustOpen(t, dir, Options{})
	must(t, s.Close())
	must(t, os.WriteFile(filepath.Join(dir, "12.seg"), nil, 0o600))
	if _, err := Open(dir, Options{}); err == nil {
		t.Error("Open accepted a badly named segment file")
	}
}
