package filestore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// A store knows what it wrote: with every write synced (buildScript ends
// synced), deleting any one segment file must fail Open with a
// CorruptionError naming the missing file, never recover less. Deleting
// the last segment used to leave a valid-looking shorter log.
func TestDeletedSegmentFailsOpen(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	buildScript(t, src)
	segs := segmentFiles(t, src)
	for k := range segs {
		t.Run(fmt.Sprintf("seg%d", k+1), func(t *testing.T) {
			dir := t.TempDir()
			writeSegments(t, dir, segs)
			must(t, os.Remove(segmentPath(dir, uint64(k+1))))
			checkCorruption(t, dir, segmentPath(dir, uint64(k+1)), 0, "missing")
		})
	}
}

// A sealed segment (any but the last) cut anywhere - at every record
// boundary, in particular just before its trailing hard-state records,
// which used to bring back an older hard state without an error - fails
// Open with a CorruptionError naming that segment.
func TestCutSealedSegmentFailsOpen(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	buildScript(t, src)
	segs := segmentFiles(t, src)
	for k := range segs[:len(segs)-1] {
		ends := frameEnds(t, segs[k])
		seal := sealStart(t, segs[k])
		for o := range int64(len(segs[k])) {
			t.Run(fmt.Sprintf("seg%d/at%d", k+1, o), func(t *testing.T) {
				t.Parallel()
				cut := slices.Clone(segs)
				cut[k] = cut[k][:o]
				dir := t.TempDir()
				writeSegments(t, dir, cut)
				err := openErr(t, dir)
				var ce *CorruptionError
				if !errors.As(err, &ce) || ce.File != segmentPath(dir, uint64(k+1)) {
					t.Fatalf("Open: %v, want a CorruptionError naming %s", err, segmentName(uint64(k+1)))
				}
				if o >= segmentHeaderBytes && o < seal && slices.Contains(ends, o) && !strings.Contains(ce.Reason, "it was cut") {
					t.Errorf("cut at the record boundary %d: reason %q, want it to say the segment was cut", o, ce.Reason)
				}
			})
		}
	}
}

// Swapping two segment files, or putting another store's segment in the
// place of one, fails Open with a CorruptionError naming one of the files
// involved.
func TestSwappedSegmentsFailOpen(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	buildScript(t, src)
	segs := segmentFiles(t, src)
	for i := range segs {
		for j := i + 1; j < len(segs); j++ {
			t.Run(fmt.Sprintf("swap%d-%d", i+1, j+1), func(t *testing.T) {
				swapped := slices.Clone(segs)
				swapped[i], swapped[j] = swapped[j], swapped[i]
				dir := t.TempDir()
				writeSegments(t, dir, swapped)
				checkCorruptionIn(t, dir, i+1, j+1)
			})
		}
	}
	other := filepath.Join(t.TempDir(), "other")
	s := mustOpen(t, other, Options{SegmentSizeBytes: 256})
	rng := rand.New(rand.NewPCG(9, 9))
	for first := raft.Index(1); first < 40; first += 3 {
		must(t, s.Append(makeEntries(rng, first, 3, 1, 12)))
	}
	must(t, s.Close())
	foreign := segmentFiles(t, other)
	for k := range min(len(segs), len(foreign)) {
		t.Run(fmt.Sprintf("foreign%d", k+1), func(t *testing.T) {
			replaced := slices.Clone(segs)
			replaced[k] = foreign[k]
			dir := t.TempDir()
			writeSegments(t, dir, replaced)
			checkCorruptionIn(t, dir, k, k+1)
		})
	}
}

// A crash between creating a segment and sealing the one before it
// leaves the older one unsealed (or its seal torn) and the new one empty.
// Open finishes the seal, loses nothing, and reports it once.
func TestInterruptedRolloverIsFinished(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	states := buildScript(t, src)
	segs := segmentFiles(t, src)
	records := 0
	for k := range segs[:len(segs)-1] {
		seal := sealStart(t, segs[k])
		records += len(frameEnds(t, segs[k])) - 1
		for _, keep := range []int64{0, 5, sealFrameBytes - 1} {
			t.Run(fmt.Sprintf("seg%d/seal%d", k+1, keep), func(t *testing.T) {
				crashed := slices.Clone(segs[:k+2])
				crashed[k] = crashed[k][:seal+keep]
				crashed[k+1] = crashed[k+1][:segmentHeaderBytes]
				dir := t.TempDir()
				writeSegments(t, dir, crashed)
				s := mustOpen(t, dir, Options{SegmentSizeBytes: 256})
				checkState(t, s, states[records])
				if ri := s.Recovery(); ri.Resealed != segmentPath(dir, uint64(k+1)) {
					t.Errorf("recovery %v, want %s resealed", ri, segmentName(uint64(k+1)))
				}
				must(t, s.Close())
				s = mustOpen(t, dir, Options{SegmentSizeBytes: 256})
				defer s.Close()
				checkState(t, s, states[records])
				if ri := s.Recovery(); ri.Resealed != "" || ri.Torn() {
					t.Errorf("second Open repaired again: %v", ri)
				}
			})
		}
		// Without its seal, a segment whose successor holds records lost
		// the seal to damage, not to a crash.
		t.Run(fmt.Sprintf("seg%d/lost", k+1), func(t *testing.T) {
			damaged := slices.Clone(segs)
			damaged[k] = damaged[k][:seal]
			dir := t.TempDir()
			writeSegments(t, dir, damaged)
			checkCorruption(t, dir, segmentPath(dir, uint64(k+1)), seal, "seal was lost")
		})
	}
}

// openErr opens dir and returns the error, closing a store that opened.
func openErr(t *testing.T, dir string) error {
	t.Helper()
	s, err := Open(dir, Options{SegmentSizeBytes: 256})
	if err == nil {
		s.Close()
		return errors.New("Open succeeded")
	}
	return err
}

// checkCorruptionIn wants Open to fail with a CorruptionError naming one
// of the segments seqs (0 stands for none).
func checkCorruptionIn(t *testing.T, dir string, seqs ...int) {
	t.Helper()
	err := openErr(t, dir)
	var ce *CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("Open: %v, want a CorruptionError", err)
	}
	for _, k := range seqs {
		if k > 0 && ce.File == segmentPath(dir, uint64(k)) {
			return
		}
	}
	t.Fatalf("Open: %v, want a CorruptionError naming one of segments %v", err, seqs)
}
