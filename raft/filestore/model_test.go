package filestore

import (
	"os"
	"testing"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/raft"
)

// TestStoreMatchesModel runs random appends (plain and overwriting), hard
// state updates, syncs, reads, clean restarts and crashes against the
// naive model. A crash drops the process without Close and cuts the last
// segment at a random byte between the last Sync and its end; the store
// must then recover one of the states the model passed through since that
// Sync. Rapid prints the seed and the command that replays a failure.
func TestStoreMatchesModel(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(root, "run")
		if err != nil {
			rt.Fatal(err)
		}
		h := &harness{dir: dir, opts: Options{
			SegmentSizeBytes: rapid.SampledFrom([]int64{100, 512, 4096}).Draw(rt, "segmentSizeBytes"),
		}}
		h.reopen(rt)
		rt.Cleanup(func() {
			if !h.s.closed {
				h.s.Close()
			}
			os.RemoveAll(dir)
		})
		rt.Repeat(map[string]func(*rapid.T){
			"":             h.check,
			"Append":       h.append,
			"SetHardState": h.setHardState,
			"Sync":         h.sync,
			"Read":         h.read,
			"Reopen":       func(rt *rapid.T) { h.must(rt, h.s.Close()); h.reopen(rt) },
			"Crash":        h.crash,
		})
	})
}

type harness struct {
	dir  string
	opts Options
	s    *Store
	m    model
	// pending holds the states since the last Sync, oldest first, one per
	// record written; a crash may leave any of them.
	pending []model
	// syncedSeq and syncedBytes locate the end of the synced data.
	syncedSeq   uint64
	syncedBytes int64
}

func (h *harness) must(rt *rapid.T, err error) {
	if err != nil {
		rt.Fatal(err)
	}
}

// reopen opens the store after a clean Close or a crash; everything Open
// recovers is durable.
func (h *harness) reopen(rt *rapid.T) {
	s, err := Open(h.dir, h.opts)
	h.must(rt, err)
	h.s = s
	h.markSynced()
}

func (h *harness) markSynced() {
	h.pending = []model{h.m.clone()}
	h.syncedSeq, h.syncedBytes = h.s.activeSeq, h.s.activeSize
}

func (h *harness) check(rt *rapid.T) {
	if d := stateDiff(h.s, h.m); d != "" {
		rt.Fatal(d)
	}
}

func (h *harness) append(rt *rapid.T) {
	first := h.m.lastIndex() + 1
	if h.m.lastIndex() > 0 && rapid.IntRange(0, 2).Draw(rt, "overwrite") == 0 {
		first = raft.Index(rapid.IntRange(1, int(h.m.lastIndex())).Draw(rt, "first"))
	}
	n := rapid.IntRange(1, 6).Draw(rt, "n")
	term := raft.Term(rapid.IntRange(1, 5).Draw(rt, "term"))
	ents := make([]raft.Entry, n)
	for i := range ents {
		ents[i] = raft.Entry{
			Term:  term,
			Index: first + raft.Index(i),
			Type:  raft.EntryType(rapid.IntRange(1, 3).Draw(rt, "type")),
			Data:  rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(rt, "data"),
		}
	}
	h.must(rt, h.s.Append(ents))
	h.pending = append(h.pending, h.m.appendStates(ents)...)
}

func (h *harness) setHardState(rt *rapid.T) {
	hs := raft.HardState{
		Term:   raft.Term(rapid.IntRange(0, 5).Draw(rt, "hsTerm")),
		Vote:   raft.NodeID(rapid.IntRange(0, 3).Draw(rt, "hsVote")),
		Commit: raft.Index(rapid.IntRange(0, int(h.m.lastIndex())).Draw(rt, "hsCommit")),
	}
	h.must(rt, h.s.SetHardState(hs))
	h.pending = append(h.pending, h.m.setHardStateStates(hs)...)
}

func (h *harness) sync(rt *rapid.T) {
	h.must(rt, h.s.Sync())
	h.markSynced()
}

func (h *harness) read(rt *rapid.T) {
	last := int(h.m.lastIndex())
	lo := raft.Index(rapid.IntRange(0, last+2).Draw(rt, "lo"))
	hi := raft.Index(rapid.IntRange(0, last+2).Draw(rt, "hi"))
	got, err := h.s.Entries(lo, hi)
	switch {
	case lo < 1:
		if err == nil {
			rt.Fatalf("Entries(%d, %d) succeeded below the first index", lo, hi)
		}
	case int(hi) > last+1 || lo > hi:
		if err == nil {
			rt.Fatalf("Entries(%d, %d) succeeded past the last index %d or with lo > hi", lo, hi, last)
		}
	case err != nil:
		rt.Fatalf("Entries(%d, %d): %v", lo, hi, err)
	default:
		if d := entriesDiff(got, h.m.log[lo-1:hi-1]); d != "" {
			rt.Fatalf("Entries(%d, %d): %s", lo, hi, d)
		}
	}
}

func (h *harness) crash(rt *rapid.T) {
	seq, size := h.s.activeSeq, h.s.activeSize
	floor := int64(segmentHeaderBytes) // Rollover synced all before the segment.
	if seq == h.syncedSeq {
		floor = h.syncedBytes
	}
	cut := rapid.Int64Range(floor, size).Draw(rt, "cut")
	crash(h.s)
	h.must(rt, os.Truncate(segmentPath(h.dir, seq), cut))
	s, err := Open(h.dir, h.opts)
	h.must(rt, err)
	h.s = s
	for i := len(h.pending) - 1; i >= 0; i-- {
		if stateDiff(s, h.pending[i]) == "" {
			if cut == size && i != len(h.pending)-1 {
				rt.Fatalf("crash without loss recovered pending state %d of %d", i, len(h.pending))
			}
			h.m = h.pending[i]
			h.markSynced()
			return
		}
	}
	rt.Fatalf("crash cut %s at %d (synced up to %d, written %d): recovered a state the log never had: %s",
		segmentName(seq), cut, floor, size, stateDiff(s, h.m))
}
