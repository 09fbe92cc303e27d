package filestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftsim/raftsim/raft"
)

// Protocol-aware recovery in the store: what Open does when it finds
// damage in data the store had vouched for (see doc.go, and raft's doc.go
// for the rules the node follows then).

// rebuildBytesMax bounds the segment repair writes: a log longer than
// this is repaired shorter (a fenced node takes the rest from its
// leader), so that the segment stays one a later Open accepts.
const rebuildBytesMax = SegmentSizeBytesMax / 2

// damage is corruption found in bytes the store had vouched for (state.go):
// the node may have acknowledged what they held. Recovery repairs it
// rather than refusing to start or cutting it off silently.
type damage struct {
	file   string
	seq    uint64
	off    int64
	reason string
}

func (d *damage) Error() string {
	return fmt.Sprintf("damage in %s at byte %d: %s", d.file, d.off, d.reason)
}

// rereadError asks Open to read the files again before it repairs d.
type rereadError struct{ d *damage }

func (e *rereadError) Error() string {
	return "filestore: " + e.d.Error() + ": to read again before repairing"
}

// asDamage returns err as damage to repair, or nil: a *damage, or a
// CorruptionError of bytes that failed their checksum where the store had
// vouched for them. Files missing, cut or swapped are not damage a disk
// does by itself: Open refuses them.
func (s *Store) asDamage(err error) *damage {
	var d *damage
	if errors.As(err, &d) {
		return d
	}
	var ce *CorruptionError
	if !errors.As(err, &ce) || !ce.checksum {
		return nil
	}
	if strings.HasSuffix(ce.File, snapshotSuffix) {
		// Snapshot files are durable before a record names them.
		if s.stateKnown != stateValid {
			return nil
		}
		return &damage{file: ce.File, off: ce.Offset, reason: ce.Reason}
	}
	seq, ok := parseSegmentName(filepath.Base(ce.File))
	if !ok {
		return nil
	}
	if v, ok := s.vouched(seq); !ok || ce.Offset >= v {
		return nil
	}
	return &damage{file: ce.File, seq: seq, off: ce.Offset, reason: ce.Reason}
}

// repair settles a log whose replay stopped at damage d, in one of the
// segments seqs: the log before the damage is what the store can still
// vouch for. The hard state keeps the newest term and vote the store
// knows of (the state file's, written after every Sync: the node never
// votes twice in a term), its commit index falls back to the last one
// recorded before the damage (entries after it may have been overwritten
// since, in the part lost), and it is fenced: the node grants no vote
// until it has repaired its log from a leader (raft's doc.go). The store
// is then rewritten as one new segment, and the damaged ones deleted.
func (s *Store) repair(d *damage, seqs []uint64) error {
	if !s.reread {
		return &rereadError{d}
	}
	before := s.hardState
	heldLast := s.lastIndex
	// The terms the store held, for the fence: a store may hold entries of
	// a term its hard state never reached (a test's, or one a power loss
	// took the hard state of), and keep none of them.
	heldTerm := s.snap.Term
	if lt, _, err := s.termAt(s.lastIndex); err == nil {
		heldTerm = max(heldTerm, lt)
	}
	if err := s.finishReplay(seqs[0]); err != nil {
		// What comes before the damage is no log on its own (the damage
		// took the records that said where it starts): keep nothing.
		// The node takes its whole log, or a snapshot, from the leader.
		s.records, s.first, s.prevTerm, s.lastIndex = nil, firstIndex, 0, firstIndex-1
		s.snap, s.compacted = raft.SnapshotMeta{}, 0
		before = raft.HardState{Term: before.Term, Vote: before.Vote, Fence: before.Fence}
		d.reason += fmt.Sprintf("; the log before it is not whole (%v), so none is kept", err)
	}
	hs := s.state.hs
	if before.Term > hs.Term || before.Term == hs.Term && hs.Vote == raft.None {
		hs.Term, hs.Vote = before.Term, before.Vote
	}
	lastTerm, _, err := s.termAt(s.lastIndex)
	if err != nil {
		return err
	}
	hs.Commit = max(s.snap.Index, s.first-1, min(before.Commit, s.lastIndex))
	hs.Fence = max(hs.Fence, before.Fence, hs.Term, lastTerm, heldTerm)
	// The last index the node may have acknowledged: the log's at the last
	// Sync (acknowledgements follow Syncs), or at an earlier repair.
	hs.FenceIndex = max(hs.FenceIndex, before.FenceIndex, s.state.last, heldLast)
	if err := s.rebuild(seqs, hs); err != nil {
		return err
	}
	s.recovery.DamageFile, s.recovery.DamageOffset, s.recovery.DamageReason = d.file, d.off, d.reason
	return s.finishOpen(1)
}

// rebuild writes the store's state - the log from its first entry, the
// snapshot, the compaction and hard state hs - into segment last+1 (seqs
// are the segments present), whose header links to nothing, and deletes
// every older segment. The new segment becomes durable under a temporary
// name and is renamed whole: a crash before that leaves the damaged store
// to repair again; after it, recovery sees a last segment that links to
// nothing and deletes the older ones first (dropRebased).
func (s *Store) rebuild(seqs []uint64, hs raft.HardState) (err error) {
	seq := seqs[len(seqs)-1] + 1
	if seq > segmentSeqMax {
		return fmt.Errorf("filestore: segment sequence number %d exceeds %d", seq, uint64(segmentSeqMax))
	}
	if s.active != nil { // The damage was found after the replay.
		if err := s.active.Close(); err != nil {
			return err
		}
		s.active = nil
	}
	path := segmentPath(s.dir, seq)
	tmp := path + tempSuffix
	f, err := s.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, f.Close())
			s.active = nil
		}
	}()
	header := segmentHeader(seq, segLink{})
	if _, err := f.WriteAt(header, 0); err != nil {
		return err
	}
	recs, last, first, snap := s.records, s.lastIndex, s.first, s.snap
	s.active, s.activeSeq, s.activeSize, s.syncedSize = f, seq, segmentHeaderBytes, segmentHeaderBytes
	s.activeChain, s.dirty = chainStart(header), true
	s.segs = []segInfo{{seq: seq}}
	s.records, s.lastIndex, s.snap = nil, first-1, raft.SnapshotMeta{}
	s.keeping = true // One segment, however long: see rebuildBytesMax.
	defer func() { s.keeping = false }()
	for i := range recs {
		lo, hi := max(recs[i].first, first), last+1
		if i+1 < len(recs) {
			hi = recs[i+1].first
		}
		if lo >= hi {
			continue
		}
		if s.activeSize+recs[i].size > rebuildBytesMax {
			break
		}
		ents, err := s.entriesOf(recs, last, lo, hi)
		if err != nil {
			return err
		}
		if err := s.Append(ents); err != nil {
			return err
		}
	}
	if snap.Index > s.lastIndex {
		return &CorruptionError{File: path, Reason: fmt.Sprintf("the log to repair is longer than %d bytes up to its snapshot at %d", rebuildBytesMax, snap.Index)}
	}
	s.snap = snap
	write := func(kind int, typ recordType, payload []byte) error {
		buf, start := beginFrame(s.wbuf[:0], typ)
		buf = append(buf, payload...)
		endFrame(buf, start)
		_, _, err := s.writeFrame(buf)
		if err == nil {
			s.latest[kind] = seq
		}
		return err
	}
	if snap.Index != 0 {
		// The log holds the snapshot's entry, or starts right after it.
		if err := write(latestSnapshot, recordSnapshot, appendSnapRecord(nil, snapRecord{index: snap.Index, term: snap.Term, kept: true})); err != nil {
			return err
		}
		if first > firstIndex {
			if err := write(latestCompact, recordCompact, appendCompact(nil, first-1, s.prevTerm)); err != nil {
				return err
			}
			s.compacted = max(s.compacted, first-1)
		}
	}
	s.hardState = raft.HardState{} // Written whatever it was.
	if err := s.SetHardState(hs); err != nil {
		return err
	}
	if err := write(latestDropped, recordDropped, appendDropped(nil, seq-1)); err != nil {
		return err
	}
	s.dropped = seq - 1
	s.segs[0].maxIndex = s.lastIndex
	s.fsyncs++
	if err := f.Sync(); err != nil {
		return err
	}
	s.dirty, s.syncedSize = false, s.activeSize
	if err := s.fs.Rename(tmp, path); err != nil {
		return err
	}
	s.fsyncs++
	if err := s.fs.SyncDir(s.dir); err != nil {
		return err
	}
	s.note("create", path)
	return s.removeSegments(seqs)
}

// removeSegments deletes segments seqs, which a rebuilt segment replaced.
func (s *Store) removeSegments(seqs []uint64) error {
	for _, q := range seqs {
		p := segmentPath(s.dir, q)
		if err := s.fs.Remove(p); err != nil {
			return err
		}
		s.note("remove", p)
		s.recovery.Removed = append(s.recovery.Removed, p)
	}
	s.fsyncs++
	return s.fs.SyncDir(s.dir)
}

// dropRebased finishes a repair a crash interrupted: when the last segment
// links to nothing, it was written by rebuild and replaces every segment
// before it, which are deleted. It returns the segments left.
func (s *Store) dropRebased(seqs []uint64) ([]uint64, error) {
	n := len(seqs)
	if n < 2 {
		return seqs, nil
	}
	f, err := s.fs.OpenFile(segmentPath(s.dir, seqs[n-1]), os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	h := make([]byte, segmentHeaderBytes)
	_, rerr := f.ReadAt(h, 0)
	if err := f.Close(); err != nil {
		return nil, err
	}
	if rerr != nil {
		return seqs, nil // Too short for a header: the replay says why.
	}
	if link, reason := checkSegmentHeader(h, seqs[n-1]); reason != "" || link != (segLink{}) {
		return seqs, nil
	}
	if err := s.removeSegments(seqs[:n-1]); err != nil {
		return nil, err
	}
	return seqs[n-1:], nil
}
