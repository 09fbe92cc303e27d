package filestore

import (
	"fmt"
	"os"

	"github.com/raftsim/raftsim/raft"
)

// Snapshots and compaction (§7). A snapshot lives in its own file
// (snapfile.go), written and made durable before the segment record that
// adopts it; compaction is a segment record too. Both take effect, like
// every write, durably at the next Sync, and only after that Sync does
// the store delete what they made dead: sealed segments whose entries are
// all compacted, and snapshot files a newer snapshot replaced. So a crash
// at any point leaves either the state before them or the state after,
// with every entry that the durable snapshot does not cover still on
// disk. Before deleting segments, the store copies into the active
// segment any latest hard-state, snapshot, compact or dropped record that
// lives in them, and writes a dropped record naming them: recovery then
// tells segments deleted for compaction from lost ones.

// segInfo is a segment present on disk.
type segInfo struct {
	seq uint64
	// maxIndex is the highest entry index the segment holds (0: none).
	maxIndex raft.Index
}

// The kinds of records whose latest copy must survive segment deletion.
const (
	latestHardState = iota
	latestSnapshot
	latestCompact
	latestDropped
	latestKinds
)

// note tells the test hook about a file operation.
func (s *Store) note(op, path string) {
	if s.hook != nil {
		s.hook(op, path)
	}
}

// SnapshotMeta returns the metadata of the store's snapshot (zero
// without one) without reading its file: for callers that only need its
// index, such as a simulator checking what a node holds.
func (s *Store) SnapshotMeta() raft.SnapshotMeta { return s.snap }

// Snapshot returns the store's snapshot, read back from its file and
// checked against its checksum, or the zero Snapshot.
func (s *Store) Snapshot() (raft.Snapshot, error) {
	if err := s.usable(); err != nil {
		return raft.Snapshot{}, err
	}
	if s.snap.Index == 0 {
		return raft.Snapshot{}, nil
	}
	return readSnapshotFile(s.fs, s.dir, s.snap.Index, s.snap.Term)
}

// ApplySnapshot records snap (see raft.Storage): its file is made durable
// at once, then a snapshot record adopts it; the record is durable at the
// next Sync. A snapshot not newer than the one held changes nothing.
func (s *Store) ApplySnapshot(snap raft.Snapshot) error {
	if err := s.usable(); err != nil {
		return err
	}
	meta := snap.Meta
	if meta.Index == 0 || meta.Term == 0 {
		return fmt.Errorf("%w: snapshot %d/%d has no index or term", ErrInvalidArgument, meta.Term, meta.Index)
	}
	if meta.Index <= s.snap.Index {
		return nil
	}
	t, held, err := s.termAt(meta.Index)
	if err != nil {
		return err
	}
	kept := held && t == meta.Term
	if err := writeSnapshotFile(s.fs, s.dir, snap, s.note); err != nil {
		return s.fail(err)
	}
	buf, start := beginFrame(s.wbuf[:0], recordSnapshot)
	buf = appendSnapRecord(buf, snapRecord{index: meta.Index, term: meta.Term, kept: kept})
	endFrame(buf, start)
	seq, _, err := s.writeFrame(buf)
	if err != nil {
		return err
	}
	s.latest[latestSnapshot] = seq
	if s.snap.Index != 0 {
		s.staleSnaps = append(s.staleSnaps, s.snap.Index)
	}
	s.adoptSnapshot(snapRecord{index: meta.Index, term: meta.Term, kept: kept})
	s.snap.ConfState = meta.ConfState
	return nil
}

// adoptSnapshot applies a snapshot record to the log in memory.
func (s *Store) adoptSnapshot(r snapRecord) {
	s.snap = raft.SnapshotMeta{Index: r.index, Term: r.term}
	if !r.kept {
		// §7: the log does not hold the snapshot's last entry; it is
		// replaced whole.
		s.records = s.records[:0]
		s.first, s.prevTerm, s.lastIndex = r.index+1, r.term, r.index
	}
}

// Compact discards the entries up to index (see raft.Storage) with a
// compact record, durable at the next Sync; the segments it leaves dead
// are deleted after that Sync.
func (s *Store) Compact(index raft.Index) error {
	if err := s.usable(); err != nil {
		return err
	}
	if index > s.snap.Index {
		return fmt.Errorf("%w: compacting to %d, past the snapshot at %d", ErrInvalidArgument, index, s.snap.Index)
	}
	if index < s.first {
		return nil
	}
	t, _, err := s.termAt(index)
	if err != nil {
		return err
	}
	buf, start := beginFrame(s.wbuf[:0], recordCompact)
	buf = appendCompact(buf, index, t)
	endFrame(buf, start)
	seq, _, err := s.writeFrame(buf)
	if err != nil {
		return err
	}
	s.latest[latestCompact] = seq
	s.compactTo(index, t)
	return nil
}

// compactTo drops the entries up to index, whose term is t, in memory.
func (s *Store) compactTo(index raft.Index, t raft.Term) {
	s.compacted = max(s.compacted, index)
	if index < s.first {
		return
	}
	// Drop the records whose entries all lie at or below index.
	k := 0
	for k+1 < len(s.records) && s.records[k+1].first <= index+1 {
		k++
	}
	if k+1 == len(s.records) && s.lastIndex <= index {
		k = len(s.records)
	}
	s.records = append(s.records[:0], s.records[k:]...)
	s.first, s.prevTerm = index+1, t
}

// termAt returns the term of the entry at index and whether the store
// knows it: the entry before the log, or a live entry read back.
// Term returns the term of the entry at index, or of the entry just
// before FirstIndex (which compaction or a snapshot keeps), and false
// for an index outside the log. It reads an entry back from disk.
func (s *Store) Term(index raft.Index) (raft.Term, bool, error) {
	if err := s.usable(); err != nil {
		return 0, false, err
	}
	return s.termAt(index)
}

func (s *Store) termAt(index raft.Index) (raft.Term, bool, error) {
	switch {
	case index+1 == s.first:
		return s.prevTerm, true, nil
	case index < s.first || index > s.lastIndex:
		return 0, false, nil
	}
	ents, err := s.Entries(index, index+1)
	if err != nil {
		return 0, false, err
	}
	return ents[0].Term, true, nil
}

// dropCompacted deletes what durable compactions and snapshots left dead:
// the sealed segments, oldest first, whose entries are all compacted, and
// replaced snapshot files. Called once everything written is durable.
func (s *Store) dropCompacted() error {
	n := 0
	for s.compacted > 0 && n < len(s.segs)-1 && s.segs[n].maxIndex <= s.compacted {
		n++
	}
	if n > 0 {
		last := s.segs[n-1].seq
		if err := s.keepLatest(last); err != nil {
			return err
		}
		for _, sg := range s.segs[:n] {
			path := segmentPath(s.dir, sg.seq)
			err := s.fs.Remove(path)
			s.note("remove", path)
			if err != nil {
				return err
			}
		}
		s.segs = append(s.segs[:0], s.segs[n:]...)
		s.fsyncs++
		err := s.fs.SyncDir(s.dir)
		s.note("fsync-dir", s.dir)
		if err != nil {
			return err
		}
	}
	if len(s.staleSnaps) > 0 {
		for _, i := range s.staleSnaps {
			path := snapshotPath(s.dir, i)
			if err := s.fs.Remove(path); err != nil && !os.IsNotExist(err) {
				return err
			}
			s.note("remove", path)
		}
		s.staleSnaps = s.staleSnaps[:0]
		s.fsyncs++
		err := s.fs.SyncDir(s.dir)
		s.note("fsync-dir", s.dir)
		return err
	}
	return nil
}

// keepLatest makes the deletion of the segments up to last safe: the
// latest hard-state, snapshot and compact records living there are
// copied into the active segment, a dropped record names last, and all
// of it is synced before any file goes.
func (s *Store) keepLatest(last uint64) error {
	s.keeping = true
	defer func() { s.keeping = false }()
	write := func(kind int, typ recordType, payload func([]byte) []byte) error {
		buf, start := beginFrame(s.wbuf[:0], typ)
		buf = payload(buf)
		endFrame(buf, start)
		seq, _, err := s.writeFrame(buf)
		if err == nil {
			s.latest[kind] = seq
		}
		return err
	}
	if seq := s.latest[latestHardState]; seq != 0 && seq <= last {
		if err := write(latestHardState, recordHardState, func(b []byte) []byte { return appendHardState(b, s.hardState) }); err != nil {
			return err
		}
	}
	if seq := s.latest[latestSnapshot]; seq != 0 && seq <= last {
		// The log after the snapshot lives on: a copy keeps it.
		r := snapRecord{index: s.snap.Index, term: s.snap.Term, kept: true}
		if err := write(latestSnapshot, recordSnapshot, func(b []byte) []byte { return appendSnapRecord(b, r) }); err != nil {
			return err
		}
	}
	if seq := s.latest[latestCompact]; seq != 0 && seq <= last {
		if err := write(latestCompact, recordCompact, func(b []byte) []byte { return appendCompact(b, s.first-1, s.prevTerm) }); err != nil {
			return err
		}
	}
	if err := write(latestDropped, recordDropped, func(b []byte) []byte { return appendDropped(b, last) }); err != nil {
		return err
	}
	s.dropped = last
	s.fsyncs++
	err := s.active.Sync()
	s.note("fsync", segmentPath(s.dir, s.activeSeq))
	if err != nil {
		return err
	}
	s.dirty, s.syncedSize = false, s.activeSize
	return s.saveState()
}
