package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/raft/disk"
)

// firstIndex is the index of the first entry of a log never compacted.
const firstIndex raft.Index = 1

const (
	// DefaultSegmentSizeBytes is the segment size used when
	// Options.SegmentSizeBytes is zero.
	DefaultSegmentSizeBytes = 64 << 20
	// SegmentSizeBytesMax bounds Options.SegmentSizeBytes.
	SegmentSizeBytesMax = 1 << 30
	// writeBufferBytesKept bounds the encoding buffer kept between writes,
	// so that one huge batch does not pin its size forever.
	writeBufferBytesKept = 1 << 20
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// SegmentSizeBytes is the size at which the active segment is sealed:
	// a record that would take it past this size goes to a new segment,
	// unless the active one holds no record yet (so a single record larger
	// than the limit still fits somewhere) or the record is one of the
	// few small ones (at most four) copied there before compacted
	// segments are deleted. Zero means
	// DefaultSegmentSizeBytes; at most SegmentSizeBytesMax.
	SegmentSizeBytes int64
	// FS is the file system the store does all its I/O through; nil
	// means the operating system's (disk.OS). The simulator passes a
	// simulated disk (disk.Sim).
	FS disk.FS
	// hook, for tests, sees every file operation the store makes.
	hook func(op, path string)
}

// Store is a durable raft.Storage kept in append-only segment files in one
// directory. It is not safe for concurrent use; the Raft node that owns it
// calls it from one goroutine. At most one Store may have a directory open.
type Store struct {
	fs           disk.FS
	dir          string
	segmentBytes int64

	// active is the last segment, the one writes go to.
	active    disk.File
	activeSeq uint64
	// Invariant: activeSize is the size of the active file, and
	// activeSize >= segmentHeaderBytes.
	activeSize int64
	// dirty is true when a write has reached the active file since its
	// last fsync.
	dirty bool
	// Invariant: the first syncedSize bytes of the active segment are
	// durable (its last successful fsync covered them); every write
	// states it in a synced record (see writeFrame).
	syncedSize int64
	// mbuf holds a synced record and the frame it precedes, for one write.
	mbuf []byte
	// keeping is true while keepLatest copies records into the active
	// segment: they stay there even past segmentBytes (a few dozen
	// bytes), since rolling over then would seal a segment of nothing
	// but those copies, dead at once, and the next deletion would copy
	// them again.
	keeping bool
	// Invariant: activeChain is the checksum chain (see chainAdd) of the
	// active segment's header and every frame written to it.
	activeChain uint32

	hardState raft.HardState
	// records locates each entries record that still holds live entries,
	// in log order; record i holds the entries
	// [records[i].first, records[i+1].first), the last one up to lastIndex,
	// of which those from first on are live (the first record may begin
	// before first: compaction drops whole records only).
	// Invariant: records[0].first <= first when lastIndex >= first;
	// records[i].first < records[i+1].first; records[last].first <= lastIndex.
	records []recordLoc
	// first is the first live entry; the entries before it are compacted,
	// or replaced by the snapshot (snapshot.go).
	// Invariant: first-1 <= lastIndex; first == firstIndex without a
	// snapshot, else first-1 <= snap.Index <= lastIndex.
	first raft.Index
	// prevTerm is the term of the entry at first-1 (0 at index 0).
	prevTerm  raft.Term
	lastIndex raft.Index
	// snap is the metadata of the store's snapshot, whose data is in its
	// snapshot file; zero without one.
	snap raft.SnapshotMeta
	// compacted is the index of the latest compaction (0: none).
	// Invariant: compacted <= snap.Index.
	compacted raft.Index
	// segs lists the segments present, oldest first, the active one
	// last, with the highest entry index each holds: a sealed segment
	// whose entries are all compacted can be deleted.
	segs []segInfo
	// dropped is the highest segment deleted for compaction (0: none).
	dropped uint64
	// latest names the segments holding the latest hard-state, snapshot,
	// compact and dropped records: deleting a segment must not lose them.
	latest [latestKinds]uint64
	// staleSnaps are snapshot files a newer snapshot replaced; they go
	// once the newer one's record is durable.
	staleSnaps []raft.Index
	// hook, set by tests, sees every file operation (op, path).
	hook func(op, path string)
	// replay is the state of recovery (recovery_snapshot.go).
	replay replayState
	// reread is set on the second reading of the files at Open, which
	// repairs the damage the first one found (repair.go).
	reread bool
	// stateFile holds what the store vouches for (state.go); state is
	// its newest slot, as read or last written, when stateKnown is
	// stateValid.
	stateFile  disk.File
	state      stateSlot
	stateKnown stateKnowledge

	// err, once set, is returned by every call (see ErrFailed).
	err      error
	closed   bool
	wbuf     []byte
	recovery RecoveryInfo
	// fsyncs counts fsync calls, for benchmarks.
	fsyncs int
}

// recordLoc is where an entries record lives on disk. The store keeps only
// these in memory, not the entries: the Raft node keeps its own copy of the
// log and reads Entries once, at start, so a second copy would double the
// memory for nothing. It also makes recovery allocation-free per record.
type recordLoc struct {
	first raft.Index
	seq   uint64
	off   int64 // of the frame in its segment
	size  int64 // of the whole frame
}

var _ raft.Storage = (*Store)(nil)

// Open opens the store in dir, creating dir and an empty log if needed,
// and recovers its state (see the recovery rules in doc.go). It returns a
// *CorruptionError if the files hold damage other than a torn tail.
func Open(dir string, opts Options) (*Store, error) {
	if opts.SegmentSizeBytes < 0 || opts.SegmentSizeBytes > SegmentSizeBytesMax {
		return nil, fmt.Errorf("%w: Options.SegmentSizeBytes %d not in [0, %d]",
			ErrInvalidArgument, opts.SegmentSizeBytes, SegmentSizeBytesMax)
	}
	fsys := opts.FS
	if fsys == nil {
		fsys = disk.OS{}
	}
	if err := makeDir(fsys, dir); err != nil {
		return nil, fmt.Errorf("filestore: open %s: %w", dir, err)
	}
	// Damage is read twice before it is repaired: a read that returned
	// wrong bytes once (a transient misread) must not cost the node its
	// log. Recovery writes nothing before it finds damage but what it
	// would write again (see recover).
	misread := ""
	for reread := false; ; reread = true {
		s := &Store{dir: dir, segmentBytes: opts.SegmentSizeBytes, first: firstIndex, lastIndex: firstIndex - 1, hook: opts.hook, fs: fsys, reread: reread}
		if s.segmentBytes == 0 {
			s.segmentBytes = DefaultSegmentSizeBytes
		}
		err := s.recover()
		if err == nil {
			if !s.recovery.Repaired() {
				s.recovery.Misread = misread
			}
			return s, nil
		}
		if s.active != nil {
			err = errors.Join(err, s.active.Close())
		}
		if s.stateFile != nil {
			err = errors.Join(err, s.stateFile.Close())
		}
		var re *rereadError
		if !errors.As(err, &re) || reread {
			return nil, err
		}
		misread = re.d.Error()
	}
}

// makeDir creates dir if it is missing, durably: a log whose directory
// entry a crash can undo is not durable either.
func makeDir(fsys disk.FS, dir string) error {
	if _, err := fsys.Stat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(filepath.Clean(dir)))
}

// Recovery describes what Open found, for the caller to log.
func (s *Store) Recovery() RecoveryInfo { return s.recovery }

// Close syncs outstanding writes and closes the store.
func (s *Store) Close() error {
	if s.closed {
		return ErrClosed
	}
	var err error
	if s.err == nil {
		err = s.Sync()
	}
	s.closed = true
	if s.stateFile != nil {
		err = errors.Join(err, s.stateFile.Close())
	}
	if s.active == nil { // A rollover failed half-way.
		return err
	}
	return errors.Join(err, s.active.Close())
}

// usable returns the error every call must return before doing anything.
func (s *Store) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// fail makes err sticky: after a failed write or fsync, the state of the
// file is unknown.
func (s *Store) fail(err error) error {
	s.err = fmt.Errorf("%w: %w", ErrFailed, err)
	return s.err
}

// InitialState returns the latest hard state written (after Open, the
// latest one that survived on disk).
func (s *Store) InitialState() (raft.HardState, error) {
	if err := s.usable(); err != nil {
		return raft.HardState{}, err
	}
	return s.hardState, nil
}

// FirstIndex returns the index of the first live entry: 1, or one past
// the latest compaction or the snapshot that replaced the log.
func (s *Store) FirstIndex() (raft.Index, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	return s.first, nil
}

// LastIndex returns the index of the last entry, 0 for an empty log.
func (s *Store) LastIndex() (raft.Index, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	return s.lastIndex, nil
}

// SetHardState records hs. Writing the hard state already recorded is a
// no-op, so callers may pass it on every Ready.
func (s *Store) SetHardState(hs raft.HardState) error {
	if err := s.usable(); err != nil {
		return err
	}
	if hs == s.hardState {
		return nil
	}
	buf, start := beginFrame(s.wbuf[:0], recordHardState)
	buf = appendHardState(buf, hs)
	endFrame(buf, start)
	seq, _, err := s.writeFrame(buf)
	if err != nil {
		return err
	}
	s.hardState = hs
	s.latest[latestHardState] = seq
	return nil
}

// Append writes ents (see raft.Storage). An Append that starts at or below
// LastIndex first writes a truncate record, then the entries; a crash in
// between leaves the truncated log, which is a prefix of the writes and
// safe for Raft, since a conflicting suffix was never committed.
func (s *Store) Append(ents []raft.Entry) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.checkAppend(ents); err != nil || len(ents) == 0 {
		return err
	}
	first := ents[0].Index
	if first <= s.lastIndex {
		buf, start := beginFrame(s.wbuf[:0], recordTruncate)
		buf = appendTruncate(buf, first)
		endFrame(buf, start)
		if _, _, err := s.writeFrame(buf); err != nil {
			return err
		}
		s.truncate(first)
	}
	for len(ents) > 0 {
		// Fill a record up to the payload limit; checkAppend made sure one
		// entry always fits.
		n, payloadBytes := 0, entriesHeaderBytes
		for n < len(ents) && payloadBytes+entryHeaderBytes+len(ents[n].Data) <= recordPayloadBytesMax {
			payloadBytes += entryHeaderBytes + len(ents[n].Data)
			n++
		}
		buf, start := beginFrame(s.wbuf[:0], recordEntries)
		buf = appendEntries(buf, ents[:n])
		endFrame(buf, start)
		seq, off, err := s.writeFrame(buf)
		if err != nil {
			return err
		}
		s.addRecord(recordLoc{first: ents[0].Index, seq: seq, off: off, size: int64(len(buf))}, n)
		ents = ents[n:]
	}
	return nil
}

func (s *Store) checkAppend(ents []raft.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	first := ents[0].Index
	if first < s.first || first <= s.snap.Index {
		return fmt.Errorf("%w: Append at index %d, below the first index %d or inside the snapshot at %d", ErrInvalidArgument, first, s.first, s.snap.Index)
	}
	if first > s.lastIndex+1 {
		return fmt.Errorf("%w: Append at index %d would leave a gap after the last index %d",
			ErrInvalidArgument, first, s.lastIndex)
	}
	for i := range ents {
		if ents[i].Index != first+raft.Index(i) {
			return fmt.Errorf("%w: Append entries not consecutive: entry %d has index %d, want %d",
				ErrInvalidArgument, i, ents[i].Index, first+raft.Index(i))
		}
		if len(ents[i].Data) > EntryDataBytesMax {
			return fmt.Errorf("%w: entry %d has %d data bytes, limit %d",
				ErrInvalidArgument, ents[i].Index, len(ents[i].Data), EntryDataBytesMax)
		}
	}
	return nil
}

// addRecord notes an entries record of count entries that continues the log.
func (s *Store) addRecord(loc recordLoc, count int) {
	if loc.first != s.lastIndex+1 {
		panic(fmt.Sprintf("filestore: entries record at index %d after last index %d", loc.first, s.lastIndex))
	}
	if n := len(s.records); n > 0 && s.records[n-1].first >= loc.first {
		panic(fmt.Sprintf("filestore: entries record at index %d after a record at %d", loc.first, s.records[n-1].first))
	}
	s.records = append(s.records, loc)
	s.lastIndex += raft.Index(count)
	if k := len(s.segs) - 1; k >= 0 && s.segs[k].seq == loc.seq {
		s.segs[k].maxIndex = max(s.segs[k].maxIndex, s.lastIndex)
	}
}

// truncate drops the entries from index on, in memory.
func (s *Store) truncate(index raft.Index) {
	if index < s.first || index > s.lastIndex {
		panic(fmt.Sprintf("filestore: truncate at %d outside [%d, %d]", index, s.first, s.lastIndex))
	}
	for len(s.records) > 0 && s.records[len(s.records)-1].first >= index {
		s.records = s.records[:len(s.records)-1]
	}
	s.lastIndex = index - 1
}

// writeFrame appends one encoded frame to the active segment, first
// rolling over to a new segment if the frame would overflow it.
func (s *Store) writeFrame(frame []byte) (seq uint64, off int64, err error) {
	if cap(frame) <= writeBufferBytesKept {
		s.wbuf = frame[:0]
	}
	if s.activeSize+syncedFrameBytes+int64(len(frame)) > s.segmentBytes && s.activeSize > segmentHeaderBytes && !s.keeping {
		if err := s.rollover(); err != nil {
			return 0, 0, s.fail(err)
		}
	}
	// The synced record goes in the same write as the frame: a power
	// loss keeps or drops both, so every record that survives says how
	// much of the segment was durable when it was written.
	s.mbuf = appendSynced(s.mbuf[:0], s.syncedSize)
	mark := len(s.mbuf)
	s.mbuf = append(s.mbuf, frame...)
	if cap(s.mbuf) > writeBufferBytesKept {
		defer func() { s.mbuf = nil }()
	}
	off = s.activeSize
	n, err := s.active.WriteAt(s.mbuf, off)
	s.note("write", segmentPath(s.dir, s.activeSeq))
	s.activeSize += int64(n)
	s.dirty = true
	if err != nil {
		return 0, 0, s.fail(err)
	}
	s.activeChain = chainAdd(chainAdd(s.activeChain, s.mbuf[:mark]), frame)
	return s.activeSeq, off + int64(mark), nil
}

// rollover seals the active segment and starts the next one, in an order
// that leaves recovery able to check every step:
//
//  1. fsync the active segment: recovery treats a bad record in any
//     segment but the last as corruption, so a segment must be whole on
//     disk before a later one can exist;
//  2. create the next segment, durably, with a header holding the sealed
//     segment's size and checksum chain;
//  3. append a seal record to the old segment and fsync it. From then on a
//     missing next segment is lost data, not an interrupted rollover.
//
// A crash between 2 and 3 leaves an unsealed segment followed by an empty
// one; Open finishes the seal.
func (s *Store) rollover() error {
	if s.dirty {
		s.fsyncs++
		if err := s.active.Sync(); err != nil {
			return err
		}
		s.note("fsync", segmentPath(s.dir, s.activeSeq))
		s.dirty = false
	}
	link := segLink{bytes: s.activeSize, chain: s.activeChain}
	next, err := createSegment(s.fs, s.dir, s.activeSeq+1, link)
	s.fsyncs += 2
	if err != nil {
		return err
	}
	s.note("create", segmentPath(s.dir, s.activeSeq+1))
	old := s.active
	s.active = nil
	if err := writeSeal(old, seal{next: s.activeSeq + 1, link: link}); err != nil {
		return errors.Join(err, old.Close(), next.Close())
	}
	s.note("fsync", segmentPath(s.dir, s.activeSeq))
	s.fsyncs++
	if err := old.Close(); err != nil {
		return errors.Join(err, next.Close())
	}
	s.active, s.activeSeq, s.activeSize = next, s.activeSeq+1, segmentHeaderBytes
	s.syncedSize = segmentHeaderBytes
	s.activeChain = chainStart(segmentHeader(s.activeSeq, link))
	s.segs = append(s.segs, segInfo{seq: s.activeSeq})
	return nil
}

// writeSeal appends the seal record sl at the current end of f, which
// must be sl.link.bytes, and fsyncs it.
func writeSeal(f disk.File, sl seal) error {
	buf, start := beginFrame(make([]byte, 0, sealFrameBytes), recordSeal)
	buf = appendSeal(buf, sl)
	endFrame(buf, start)
	if _, err := f.WriteAt(buf, sl.link.bytes); err != nil {
		return err
	}
	return f.Sync()
}

// Sync makes every earlier write durable; the node may send messages that
// depend on them once it returns nil.
func (s *Store) Sync() error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.dirty {
		s.fsyncs++
		err := s.active.Sync()
		s.note("fsync", segmentPath(s.dir, s.activeSeq))
		if err != nil && !bugs.Fire(bugs.IgnoreSyncError) {
			return s.fail(err)
		}
		s.dirty = false
		s.syncedSize = s.activeSize
	}
	// What the node may now send depends on these writes: the state file
	// says so durably before Sync returns (state.go).
	if err := s.saveState(); err != nil {
		return s.fail(err)
	}
	// Everything written is durable: what compaction left behind may go.
	if err := s.dropCompacted(); err != nil {
		return s.fail(err)
	}
	return nil
}

// Entries returns the entries in [lo, hi), read back from disk and
// checked against their checksums. The caller owns the result: its Data
// shares no memory with the store (the entries of one segment share one
// read buffer, which stays alive while any of them is referenced).
func (s *Store) Entries(lo, hi raft.Index) ([]raft.Entry, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if lo < s.first {
		return nil, fmt.Errorf("filestore: Entries(%d, %d): %w (first index %d)", lo, hi, raft.ErrCompacted, s.first)
	}
	if hi > s.lastIndex+1 {
		return nil, fmt.Errorf("filestore: Entries(%d, %d): %w (last index %d)", lo, hi, raft.ErrUnavailable, s.lastIndex)
	}
	if lo > hi {
		return nil, fmt.Errorf("%w: Entries(%d, %d) with lo > hi", ErrInvalidArgument, lo, hi)
	}
	if lo == hi {
		return nil, nil
	}
	return s.entriesOf(s.records, s.lastIndex, lo, hi)
}

// entriesOf returns the entries in [lo, hi) of the log whose entries
// records are recs and whose last index is last; Entries reads the
// store's log, repair (repair.go) the one it replaces.
func (s *Store) entriesOf(recs []recordLoc, last, lo, hi raft.Index) ([]raft.Entry, error) {
	out := make([]raft.Entry, 0, hi-lo)
	a, b := recordFor(recs, lo), recordFor(recs, hi-1)
	for a <= b {
		// Read the records of one segment with one read.
		z := a
		for z < b && recs[z+1].seq == recs[a].seq {
			z++
		}
		var err error
		if out, err = s.readRecords(recs, last, out, a, z, lo, hi); err != nil {
			return nil, err
		}
		a = z + 1
	}
	if raft.Index(len(out)) != hi-lo {
		panic(fmt.Sprintf("filestore: Entries(%d, %d) collected %d entries", lo, hi, len(out)))
	}
	return out, nil
}

// recordFor returns the position in recs of the record holding index.
func recordFor(recs []recordLoc, index raft.Index) int {
	return sort.Search(len(recs), func(i int) bool { return recs[i].first > index }) - 1
}

// readRecords appends to out the entries in [lo, hi) of records a..z of
// recs, which all live in one segment; last is the log's last index.
func (s *Store) readRecords(recs []recordLoc, last raft.Index, out []raft.Entry, a, z int, lo, hi raft.Index) ([]raft.Entry, error) {
	seq := recs[a].seq
	base := recs[a].off
	span := make([]byte, recs[z].off+recs[z].size-base)
	path := segmentPath(s.dir, seq)
	if err := s.readSegmentAt(seq, span, base); err != nil {
		return nil, fmt.Errorf("filestore: read %s: %w", path, err)
	}
	for i := a; i <= z; i++ {
		rec := recs[i]
		end := last + 1
		if i+1 < len(recs) {
			end = recs[i+1].first
		}
		typ, payload, n, ferr := decodeFrame(span[rec.off-base:])
		var reason string
		switch {
		case ferr != nil:
			reason = ferr.reason
		case typ != recordEntries || int64(n) != rec.size:
			reason = fmt.Sprintf("%s record of %d bytes where an entries record of %d bytes was", typ, n, rec.size)
		}
		if reason != "" {
			return nil, &CorruptionError{File: path, Offset: rec.off, Reason: "changed since Open: " + reason}
		}
		first, _, err := walkEntries(payload, func(e raft.Entry) {
			if e.Index >= lo && e.Index < hi && e.Index < end {
				out = append(out, e)
			}
		})
		if err == nil && first != rec.first {
			err = fmt.Errorf("record starts at index %d, want %d", first, rec.first)
		}
		if err != nil {
			return nil, &CorruptionError{File: path, Offset: rec.off, Reason: "changed since Open: " + err.Error()}
		}
	}
	return out, nil
}

func (s *Store) readSegmentAt(seq uint64, buf []byte, off int64) error {
	if seq == s.activeSeq {
		_, err := s.active.ReadAt(buf, off)
		return err
	}
	f, err := s.fs.OpenFile(segmentPath(s.dir, seq), os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.ReadAt(buf, off)
	return errors.Join(err, f.Close())
}
