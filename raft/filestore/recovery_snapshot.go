package filestore

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/raftsim/raftsim/raft"
)

// Recovery of snapshots and compaction: the records replayed in order
// rebuild the snapshot and the live log; finishReplay then checks that
// every segment missing from the front was deleted for compaction (a
// dropped record names it) and left no live entry behind, and that the
// snapshot file the log names is whole (its checksum); removeLeftovers
// deletes what a crash kept compaction from deleting.

// replayState is what recovery tracks besides the store's own state.
type replayState struct {
	// started is set once the log's base is known: from the start when
	// segment 1 is present, else at the first entries record (start) or
	// the first snapshot record that replaced the log.
	started bool
	start   raft.Index
	// baseless is set when compaction deleted the first segments: records
	// written before the first segment present was compacted may name
	// state that is gone (a snapshot, entries), and are checked against
	// the final state instead.
	baseless bool
	// compactTerm is the term of the entry at the latest compaction.
	compactTerm raft.Term
}

// applySnapshotRecord replays a snapshot, compact or dropped record.
func (s *Store) applySnapshotRecord(typ recordType, p []byte, seq uint64) error {
	switch typ {
	case recordSnapshot:
		r, err := decodeSnapRecord(p)
		if err != nil {
			return err
		}
		if r.index <= s.snap.Index {
			return fmt.Errorf("snapshot record at index %d, not after the snapshot at %d", r.index, s.snap.Index)
		}
		// (A log replayed from a segment after compacted ones starts at
		// its first entries seen; records written before may name
		// entries before them.)
		below := r.index+1 < s.first && !s.replay.baseless
		if r.kept && s.replay.started && (r.index > s.lastIndex || below) {
			return fmt.Errorf("snapshot record at index %d keeps a log [%d, %d] that does not hold it", r.index, s.first, s.lastIndex)
		}
		if !r.kept {
			s.replay.started = true
		}
		s.adoptSnapshot(r)
		s.latest[latestSnapshot] = seq
	case recordCompact:
		index, term, err := decodeCompact(p)
		if err != nil {
			return err
		}
		if index > s.snap.Index && !s.replay.baseless {
			return fmt.Errorf("compact record to index %d, past the snapshot at %d", index, s.snap.Index)
		}
		if s.replay.started {
			if index > s.lastIndex {
				return fmt.Errorf("compact record to index %d, past the last index %d", index, s.lastIndex)
			}
			s.compactTo(index, term)
		}
		s.compacted = max(s.compacted, index)
		if index == s.compacted {
			s.replay.compactTerm = term
		}
		s.latest[latestCompact] = seq
	case recordDropped:
		d, err := decodeDropped(p)
		if err != nil {
			return err
		}
		if d >= seq {
			return fmt.Errorf("dropped record in segment %d names segment %d, not an earlier one", seq, d)
		}
		s.dropped = max(s.dropped, d)
		s.latest[latestDropped] = seq
	default:
		return fmt.Errorf("unknown record type %d", uint8(typ))
	}
	return nil
}

// finishReplay settles the log once every record is replayed, and checks
// it against the segments missing from the front (first is the first
// present) and against the snapshot file.
func (s *Store) finishReplay(first uint64) error {
	if first > 1 && first > s.dropped+1 {
		return &CorruptionError{File: segmentPath(s.dir, first-1),
			Reason: fmt.Sprintf("segment file missing: the first present is %s, and the log says only segments up to %d were deleted for compaction", segmentName(first), s.dropped)}
	}
	if !s.replay.started {
		// Only state records survive: the log is empty after the
		// snapshot or the compaction.
		base, t := s.compacted, s.replay.compactTerm
		if s.snap.Index > base {
			base, t = s.snap.Index, s.snap.Term
		}
		s.first, s.prevTerm, s.lastIndex = base+1, t, base
	} else if s.compacted+1 > s.first {
		if s.compacted > s.lastIndex {
			return &CorruptionError{File: segmentPath(s.dir, s.activeSeq),
				Reason: fmt.Sprintf("the log is compacted to index %d but ends at %d", s.compacted, s.lastIndex)}
		}
		s.compactTo(s.compacted, s.replay.compactTerm)
	}
	if st := s.replay.start; st > 0 && st-1 > s.compacted && st > s.first {
		return &CorruptionError{File: segmentPath(s.dir, first),
			Reason: fmt.Sprintf("the log starts at index %d, but it is compacted only to %d: the entries between are lost", st, s.compacted)}
	}
	if st := s.replay.start; st > 0 && s.first == st {
		// The log was replayed from its first entries record, after
		// segments compaction deleted: the entry before it is the
		// compaction's last or the snapshot's, and prevTerm its term
		// (the copies keepLatest writes carry it).
		switch st - 1 {
		case s.compacted:
			s.prevTerm = s.replay.compactTerm
		case s.snap.Index:
			s.prevTerm = s.snap.Term
		}
	}
	if s.compacted > s.snap.Index {
		return &CorruptionError{File: segmentPath(s.dir, s.activeSeq),
			Reason: fmt.Sprintf("the log is compacted to index %d, past its snapshot at %d", s.compacted, s.snap.Index)}
	}
	if s.snap.Index == 0 {
		if s.first != firstIndex {
			return &CorruptionError{File: segmentPath(s.dir, first),
				Reason: fmt.Sprintf("the log starts at index %d but names no snapshot", s.first)}
		}
		return s.checkNoSnapshotFile()
	}
	if s.first > s.snap.Index+1 || s.snap.Index > s.lastIndex {
		return &CorruptionError{File: segmentPath(s.dir, s.activeSeq),
			Reason: fmt.Sprintf("the log [%d, %d] does not continue the snapshot at %d", s.first, s.lastIndex, s.snap.Index)}
	}
	snap, err := readSnapshotFile(s.fs, s.dir, s.snap.Index, s.snap.Term)
	if err != nil {
		return err
	}
	s.snap = snap.Meta
	s.replay.started = true
	return nil
}

// checkDroppedPrefix reads the dropped records of every segment present
// (the first of which is not segment 1) and fails if the segments missing
// from the front are more than compaction deleted. Damaged frames end a
// segment's scan; the replay reports them.
func (s *Store) checkDroppedPrefix(sc *scanner, seqs []uint64) error {
	var dropped uint64
	// damaged is the first damage that ended a scan, if any: a dropped
	// record may have been past it.
	var damaged *CorruptionError
	for _, seq := range seqs {
		f, err := s.fs.OpenFile(segmentPath(s.dir, seq), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		size, err := f.Size()
		if err == nil && size >= segmentHeaderBytes && damaged == nil {
			h := make([]byte, segmentHeaderBytes)
			if _, err = f.ReadAt(h, 0); err == nil {
				if _, reason := checkSegmentHeader(h, seq); reason != "" {
					damaged = &CorruptionError{File: segmentPath(s.dir, seq), Reason: reason, checksum: true}
				}
			}
		}
		if err == nil && size > segmentHeaderBytes {
			sc.reset(io.NewSectionReader(f, segmentHeaderBytes, size-segmentHeaderBytes), segmentHeaderBytes, size, min(size-segmentHeaderBytes, recoveryReadBytes))
			for err == nil {
				typ, payload, off, ferr, rerr := sc.next()
				if ferr != nil && damaged == nil {
					damaged = &CorruptionError{File: segmentPath(s.dir, seq), Offset: off, Reason: ferr.reason, checksum: true}
				}
				if rerr != nil || ferr != nil {
					break
				}
				if typ == recordDropped {
					if d, derr := decodeDropped(payload); derr == nil {
						dropped = max(dropped, d)
					}
				}
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if seqs[0] > dropped+1 && damaged != nil && s.asDamage(damaged) != nil {
		damaged.Reason += fmt.Sprintf(", where the record saying %s was deleted for compaction may have been", segmentName(seqs[0]-1))
		return damaged
	}
	if seqs[0] > dropped+1 {
		return &CorruptionError{File: segmentPath(s.dir, seqs[0]-1),
			Reason: fmt.Sprintf("segment file missing: the first present is %s, and the log says only segments up to %d were deleted for compaction", segmentName(seqs[0]), dropped)}
	}
	return nil
}

// checkNoSnapshotFile is for a log that names no snapshot: snapshot files
// may be there (written before a crash kept their record from being
// durable), and are removed with the leftovers.
func (s *Store) checkNoSnapshotFile() error { return nil }

// checkNoSnapshots refuses a directory with snapshot files but no segment:
// a store writes its first segment before any snapshot, so the segments
// were lost, not never written.
func (s *Store) checkNoSnapshots() error {
	snaps, _, err := listSnapshotFiles(s.fs, s.dir)
	if err != nil {
		return err
	}
	if len(snaps) > 0 {
		return &CorruptionError{File: snapshotPath(s.dir, snaps[len(snaps)-1]),
			Reason: "a snapshot file, but no segment: the log was lost"}
	}
	return nil
}

// removeLeftovers deletes what compaction had made dead and a crash kept
// from being deleted: segments up to the dropped one, snapshot files the
// log does not name, half-written snapshot files; then whatever became
// dead with the recovered state (dropCompacted).
func (s *Store) removeLeftovers() error {
	var dead []string
	for len(s.segs) > 1 && s.segs[0].seq <= s.dropped {
		dead = append(dead, segmentPath(s.dir, s.segs[0].seq))
		s.segs = s.segs[1:]
	}
	snaps, temps, err := listSnapshotFiles(s.fs, s.dir)
	if err != nil {
		return err
	}
	for _, i := range snaps {
		if i != s.snap.Index {
			dead = append(dead, snapshotPath(s.dir, i))
		}
	}
	for _, name := range temps {
		dead = append(dead, s.dir+string(os.PathSeparator)+name)
	}
	slices.Sort(dead)
	for _, path := range dead {
		if err := s.fs.Remove(path); err != nil {
			return err
		}
		s.note("remove", path)
	}
	if len(dead) > 0 {
		s.recovery.Removed = dead
		if err := s.fs.SyncDir(s.dir); err != nil {
			return err
		}
	}
	return s.dropCompacted()
}
