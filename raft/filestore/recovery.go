package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/raft/disk"
)

const (
	// recoveryReadBytes is the size of the reads recovery issues.
	recoveryReadBytes = 1 << 20
	// tailSearchHashBytesMax bounds the bytes checksummed while searching a
	// damaged tail for a valid record. Hitting it fails Open with a
	// CorruptionError: the damage could not be proven to be a torn write.
	tailSearchHashBytesMax = 1 << 30
)

// RecoveryInfo describes what Open found, for the caller to log.
type RecoveryInfo struct {
	Segments  int // segment files replayed
	Records   int // valid records replayed
	LastIndex raft.Index
	HardState raft.HardState
	// RemovedTempFiles names segment files whose creation a crash
	// interrupted (before their header was durable); Open deleted them.
	RemovedTempFiles []string
	// Resealed names the segment whose rollover a crash interrupted before
	// its seal record was durable (its successor exists and holds no
	// record); Open wrote the seal.
	Resealed string
	// FirstIndex and Snapshot are the first live entry and the index of
	// the snapshot recovered (0: none).
	FirstIndex raft.Index
	Snapshot   raft.Index
	// Removed names files that compaction had made dead and a crash kept
	// from being deleted: segments wholly compacted, snapshot files
	// replaced or never adopted. Open deleted them.
	Removed []string
	// TornFile is the segment whose torn tail Open cut off, or "". The cut
	// removed TornBytes bytes from TornOffset on, for TornReason.
	TornFile   string
	TornOffset int64
	TornBytes  int64
	TornReason string
	// DamageFile is the segment in which Open found damage to data the
	// store had vouched for (a checksum failed before the bytes the last
	// completed Sync made durable), or "". Open kept the log before it,
	// fenced the hard state (HardState.Fence) and rewrote the store;
	// DamageOffset and DamageReason say where and what.
	DamageFile   string
	DamageOffset int64
	DamageReason string
	// Misread describes damage the first reading of the files found and
	// a second did not (a transient misread), or "". Nothing was
	// repaired.
	Misread string
}

// Torn reports whether Open cut off a torn tail.
func (ri RecoveryInfo) Torn() bool { return ri.TornFile != "" }

// Repaired reports whether Open found damage in data it had vouched for,
// and fenced the node to repair its log from a leader.
func (ri RecoveryInfo) Repaired() bool { return ri.DamageFile != "" }

func (ri RecoveryInfo) String() string {
	s := fmt.Sprintf("filestore: recovered %d segments, %d records, last index %d, hard state %+v",
		ri.Segments, ri.Records, ri.LastIndex, ri.HardState)
	if len(ri.RemovedTempFiles) > 0 {
		s += fmt.Sprintf("; removed half-created %v", ri.RemovedTempFiles)
	}
	if ri.Snapshot != 0 {
		s += fmt.Sprintf(", snapshot at %d, first index %d", ri.Snapshot, ri.FirstIndex)
	}
	if len(ri.Removed) > 0 {
		s += fmt.Sprintf("; removed dead %v", ri.Removed)
	}
	if ri.Resealed != "" {
		s += fmt.Sprintf("; finished the interrupted seal of %s", ri.Resealed)
	}
	if ri.Misread != "" {
		s += "; read again after a misread (" + ri.Misread + "): whole"
	}
	if ri.Repaired() {
		s += fmt.Sprintf("; damage in %s at byte %d (%s): kept the log before it, fenced at term %d", ri.DamageFile, ri.DamageOffset, ri.DamageReason, ri.HardState.Fence)
	}
	if ri.Torn() {
		s += fmt.Sprintf("; cut torn tail of %s: %d bytes at byte %d (%s)", ri.TornFile, ri.TornBytes, ri.TornOffset, ri.TornReason)
	}
	return s
}

// recover replays every segment and leaves the last one open as the
// active segment.
func (s *Store) recover() error {
	if err := s.readState(); err != nil {
		return wrapOpenError(s.dir, err)
	}
	seqs, removed, err := listSegments(s.fs, s.dir)
	if err != nil {
		return wrapOpenError(s.dir, err)
	}
	s.recovery.RemovedTempFiles = removed
	if len(seqs) == 0 {
		if err := s.checkNoSnapshots(); err != nil {
			return wrapOpenError(s.dir, err)
		}
		// A new store: the state file first, vouching for nothing, so that
		// from the first Sync on a lost segment is missed.
		s.activeSeq, s.syncedSize = 1, segmentHeaderBytes
		if s.stateKnown == stateValid && s.state != (stateSlot{counter: s.state.counter, seq: 1, synced: segmentHeaderBytes}) {
			return &CorruptionError{File: segmentPath(s.dir, s.state.seq),
				Reason: "segment file missing: the state file vouches for it, and no segment is left"}
		}
		if err := s.saveState(); err != nil {
			return wrapOpenError(s.dir, err)
		}
		f, err := createSegment(s.fs, s.dir, 1, segLink{})
		if err != nil {
			return wrapOpenError(s.dir, err)
		}
		s.active, s.activeSize = f, segmentHeaderBytes
		s.activeChain = chainStart(segmentHeader(1, segLink{}))
		s.segs = []segInfo{{seq: 1}}
		return nil
	}
	if seqs, err = s.dropRebased(seqs); err != nil {
		return wrapOpenError(s.dir, err)
	}
	if last := seqs[len(seqs)-1]; s.stateKnown == stateValid && s.state.seq > last {
		return &CorruptionError{File: segmentPath(s.dir, s.state.seq),
			Reason: fmt.Sprintf("segment file missing: the state file vouches for it, and the last present is %s", segmentName(last))}
	}
	// fail ends recovery on err: a repair, when err is damage in bytes
	// the store had vouched for; the log replayed so far is then what
	// comes before the damage.
	fail := func(err error) error {
		if d := s.asDamage(err); d != nil {
			return wrapOpenError(s.dir, s.repair(d, seqs))
		}
		return wrapOpenError(s.dir, err)
	}
	sc := &scanner{}
	if seqs[0] > 1 {
		// Compaction may have deleted the first segments; the dropped
		// records say how many. Learn that first: replaying a log whose
		// first segments were lost would fail on a symptom.
		if err := s.checkDroppedPrefix(sc, seqs); err != nil {
			return fail(err)
		}
	}
	var prev segLink
	s.replay.started = seqs[0] == 1
	s.replay.baseless = seqs[0] > 1
	for i, seq := range seqs {
		s.segs = append(s.segs, segInfo{seq: seq})
		r := &segReplay{fs: s.fs, dir: s.dir, seq: seq, path: segmentPath(s.dir, seq), last: i == len(seqs)-1, prev: prev, unlinked: i == 0 && seq > 1}
		if !r.last {
			if err := r.peekNext(seqs[i+1], i+1 == len(seqs)-1); err != nil {
				return fail(err)
			}
		}
		if err := s.replaySegment(sc, r); err != nil {
			return fail(err)
		}
		prev = r.link()
	}
	if err := s.finishReplay(seqs[0]); err != nil {
		return fail(err)
	}
	return wrapOpenError(s.dir, s.finishOpen(len(seqs)))
}

// finishOpen makes what recovery found durable, then the state file, and
// deletes what a crash kept compaction from deleting.
func (s *Store) finishOpen(segments int) error {
	// After a process crash the page cache may hold writes that never
	// reached the disk; the node is about to act on what it reads, so make
	// that durable first. Earlier segments were fsynced at rollover.
	s.fsyncs++
	if err := s.active.Sync(); err != nil {
		return err
	}
	s.syncedSize = s.activeSize
	if err := s.saveState(); err != nil {
		return err
	}
	// Everything recovered is durable: finish deletions a crash cut short.
	if err := s.removeLeftovers(); err != nil {
		return err
	}
	s.recovery.Segments = segments
	s.recovery.LastIndex = s.lastIndex
	s.recovery.HardState = s.hardState
	s.recovery.FirstIndex = s.first
	s.recovery.Snapshot = s.snap.Index
	return nil
}

func wrapOpenError(dir string, err error) error {
	if err == nil {
		return nil
	}
	var ce *CorruptionError
	if errors.As(err, &ce) {
		return err // Already names the file.
	}
	return fmt.Errorf("filestore: open %s: %w", dir, err)
}

// replaySegment applies the records of segment r.seq. The last segment is
// kept open for writing, its torn tail (if any) cut off; any other must be
// sealed as its successor's header says (see checkSealed).
func (s *Store) replaySegment(sc *scanner, r *segReplay) (err error) {
	flag := os.O_RDONLY
	if r.last || r.nextEmpty { // A rollover to finish writes a seal.
		flag = os.O_RDWR
	}
	f, err := s.fs.OpenFile(r.path, flag, 0)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil || !r.last {
			err = errors.Join(err, f.Close())
		}
	}()
	size, err := s.replayHeader(f, r)
	if err != nil {
		return err
	}
	if v, ok := s.vouched(r.seq); ok && r.last && size < v {
		return &CorruptionError{File: r.path, Offset: size,
			Reason: fmt.Sprintf("the segment ends at byte %d, but the state file says its first %d bytes were synced", size, v)}
	}
	r.end = segmentHeaderBytes
	if size > segmentHeaderBytes { // Else no records, or a header just rewritten.
		if size, err = s.replayRecords(sc, f, r, size); err != nil {
			return err
		}
	}
	if !r.last {
		return s.checkSealed(f, r)
	}
	// Writes go on after the last good record.
	s.active, s.activeSeq, s.activeSize, s.activeChain = f, r.seq, size, r.chain
	return nil
}

// replayRecords applies the records after the header and returns the size
// of the file, after cutting off a torn tail if there was one.
func (s *Store) replayRecords(sc *scanner, f disk.File, r *segReplay, size int64) (int64, error) {
	sc.reset(io.NewSectionReader(f, segmentHeaderBytes, size-segmentHeaderBytes), segmentHeaderBytes, size, min(size-segmentHeaderBytes, recoveryReadBytes))
	// A synced record is written together with the record it precedes:
	// one alone at the end of the last segment is a torn write.
	mark, markChain := int64(-1), uint32(0)
	for {
		typ, payload, off, ferr, err := sc.next()
		if err == io.EOF && mark >= 0 && r.last {
			r.chain = markChain
			off = mark
			if err := s.cutTail(f, r.path, mark, size-mark, "a synced record without the record written with it"); err != nil {
				return 0, err
			}
		}
		if err == io.EOF {
			if !r.sealed {
				r.end = off
			}
			return off, nil
		}
		if err != nil {
			return 0, err
		}
		if ferr != nil {
			cut := off
			if mark >= 0 && r.last {
				// The synced record written with the bad one goes too.
				cut, r.chain = mark, markChain
			}
			return s.badRecord(f, r, off, cut, ferr)
		}
		n := int64(frameHeaderBytes + len(payload))
		if typ == recordSeal {
			if err := r.sealRecord(payload, off, n, size); err != nil {
				return 0, err
			}
			continue
		}
		if r.sealed {
			return 0, &CorruptionError{File: r.path, Offset: off, Reason: "a record follows the seal record"}
		}
		if err := s.apply(typ, payload, r.seq, off, n); err != nil {
			if v, ok := s.vouched(r.seq); ok && off < v {
				// A whole record where it does not belong: a write
				// the disk misdirected.
				return 0, &damage{file: r.path, seq: r.seq, off: off, reason: err.Error()}
			}
			return 0, &CorruptionError{File: r.path, Offset: off, Reason: err.Error()}
		}
		mark = -1
		if typ == recordSynced {
			mark, markChain = off, r.chain
		}
		r.chain = crc32.Update(r.chain, castagnoli, sc.lastCRC[:])
		if typ != recordSynced {
			s.recovery.Records++
		}
	}
}

// replayHeader checks the segment header, and its link to the predecessor,
// and returns the file size. A last segment shorter than a header whose
// bytes are a prefix of the right header is a torn segment creation: the
// header is written again.
func (s *Store) replayHeader(f disk.File, r *segReplay) (int64, error) {
	size, err := f.Size()
	if err != nil {
		return 0, err
	}
	want := segmentHeader(r.seq, r.prev)
	r.chain = chainStart(want)
	got := make([]byte, min(size, segmentHeaderBytes))
	if _, err := f.ReadAt(got, 0); err != nil {
		return 0, err
	}
	if size < segmentHeaderBytes && r.last && bytes.Equal(got, want[:size]) {
		err := s.cutTail(f, r.path, 0, size, fmt.Sprintf("partial segment header (%d of %d bytes), rewritten", size, segmentHeaderBytes))
		if err == nil {
			_, err = f.WriteAt(want, 0)
		}
		return segmentHeaderBytes, err
	}
	link, reason := checkSegmentHeader(got, r.seq)
	if reason != "" {
		return 0, &CorruptionError{File: r.path, Offset: 0, Reason: reason, checksum: true}
	}
	if r.unlinked {
		// The predecessor was deleted; recover checks that compaction
		// deleted it.
		r.prev = link
		r.chain = chainStart(segmentHeader(r.seq, link))
	}
	if link != r.prev {
		return 0, &CorruptionError{File: r.path, Offset: 0, Reason: fmt.Sprintf("header says segment %d was sealed at %d bytes (chain %#08x), but it was sealed at %d bytes (chain %#08x)",
			r.seq-1, link.bytes, link.chain, r.prev.bytes, r.prev.chain)}
	}
	return size, nil
}

// badRecord decides what a malformed frame at off means. In the last
// segment, if no valid record starts anywhere after its first byte, it is
// the torn tail of an interrupted write: the file is cut at off and the new
// size returned. Anything else is corruption.
//
// A cut starts at cut, the start of the write that holds off (see
// recordSynced).
func (s *Store) badRecord(f disk.File, r *segReplay, off, cut int64, ferr *frameError) (int64, error) {
	path := r.path
	v, vouched := s.vouched(r.seq)
	if !r.last {
		if !r.sealed && r.tornSeal(off) {
			r.end = off
			return off, nil
		}
		if vouched {
			return 0, &damage{file: path, seq: r.seq, off: off, reason: ferr.reason + " in a sealed segment"}
		}
		return 0, &CorruptionError{File: path, Offset: off, Reason: ferr.reason + " (in a segment that is not the last, so not a torn write)"}
	}
	size, err := f.Size()
	if err != nil {
		return 0, err
	}
	if vouched {
		if off < v && !bugs.Fire(bugs.TruncateAtCorruption) {
			return 0, &damage{file: path, seq: r.seq, off: off, reason: fmt.Sprintf("%s, in the first %d bytes, which the state file says were synced", ferr.reason, v)}
		}
		// Past what the last completed Sync vouched for: whatever
		// happened to these bytes, no message depended on them.
		return cut, s.cutTail(f, path, cut, size-cut, ferr.reason+", after the bytes the last completed sync vouched for")
	}
	// Without the state file (a store written before it existed), the
	// bytes themselves must tell a torn write from damage.
	tail := make([]byte, size-off)
	if _, err := f.ReadAt(tail, off); err != nil {
		return 0, err
	}
	rest := tail[1:]
	at, verdict := findRecord(rest, tailSearchHashBytesMax)
	switch verdict {
	case searchFound:
		if lostUnsynced(tail, 1+at, off) || bugs.Fire(bugs.TruncateAtCorruption) {
			return cut, s.cutTail(f, path, cut, size-cut, ferr.reason+
				fmt.Sprintf(", zeros up to a valid record at byte %d written before this one was synced: writes a power loss dropped", off+1+int64(at)))
		}
		return 0, &CorruptionError{File: path, Offset: off,
			Reason: fmt.Sprintf("%s, and a valid record follows at byte %d, so this is not a torn write", ferr.reason, off+1+int64(at))}
	case searchExhausted:
		return 0, &CorruptionError{File: path, Offset: off,
			Reason: fmt.Sprintf("%s, and the %d bytes after it could not be searched for valid records within the limit", ferr.reason, len(rest))}
	}
	return cut, s.cutTail(f, path, cut, size-cut, ferr.reason)
}

// lostUnsynced tells whether tail, the last segment's bytes from offset
// off, where a bad record starts, on, is what a power loss leaves when it
// drops unsynced writes but keeps a later one (disks write back their
// caches in any order): zeros where the dropped writes were, up to the
// valid record at tail[next], and no valid synced record after them
// saying that the bytes at off had been made durable. Synced data that
// was damaged is either not zeros or, once any later write survives,
// covered by its synced record. What remains undecidable is a sector of
// the records of the last fsync zeroed with no later write surviving;
// that reads as dropped writes.
func lostUnsynced(tail []byte, next int, off int64) bool {
	for _, b := range tail[:next] {
		if b != 0 {
			return false
		}
	}
	for pos := next; pos+frameHeaderBytes <= len(tail); {
		typ, payload, n, ferr := decodeFrame(tail[pos:])
		if ferr == nil {
			if v, err := decodeSynced(payload); typ == recordSynced && (err != nil || v > off) {
				return false
			}
			pos += n
			continue
		}
		at, verdict := findRecord(tail[pos+1:], tailSearchHashBytesMax)
		if verdict != searchFound {
			return verdict == searchNone
		}
		pos += 1 + at
	}
	return true
}

// cutTail truncates the file to off and records it. The fsync at the end
// of recovery makes the cut durable.
func (s *Store) cutTail(f disk.File, path string, off, n int64, reason string) error {
	s.recovery.TornFile, s.recovery.TornOffset, s.recovery.TornBytes, s.recovery.TornReason = path, off, n, reason
	return f.Truncate(off)
}

// apply replays one well-formed record into the in-memory state; an error
// means the record contradicts the log so far.
func (s *Store) apply(typ recordType, p []byte, seq uint64, off, size int64) error {
	switch typ {
	case recordEntries:
		first, count, err := walkEntries(p, nil)
		if err != nil {
			return err
		}
		if !s.replay.started {
			// The first entries of a log whose first segments compaction
			// deleted: finishReplay checks that they start where the
			// compaction ended.
			s.replay.started, s.replay.start = true, first
			s.first, s.lastIndex = first, first-1
		}
		if first != s.lastIndex+1 {
			return fmt.Errorf("index gap: entries record starts at index %d but the log ends at %d", first, s.lastIndex)
		}
		s.addRecord(recordLoc{first: first, seq: seq, off: off, size: size}, count)
	case recordHardState:
		hs, err := decodeHardState(p)
		if err != nil {
			return err
		}
		s.hardState = hs
		s.latest[latestHardState] = seq
	case recordTruncate:
		index, err := decodeTruncate(p)
		if err != nil {
			return err
		}
		if !s.replay.started {
			// Of entries in segments missing from the front: finishReplay
			// reports them.
			return nil
		}
		if index > s.lastIndex {
			return fmt.Errorf("truncate record at index %d past the last index %d", index, s.lastIndex)
		}
		if index < s.first && s.replay.baseless {
			// A log replayed from a segment after compacted ones: the
			// truncation cut entries before those seen; the log starts
			// again where it cut.
			s.records = s.records[:0]
			s.first, s.lastIndex, s.replay.start = index, index-1, index
			return nil
		}
		if index < s.first || index <= s.snap.Index {
			return fmt.Errorf("truncate record at index %d, before the log's first index %d or inside the snapshot at %d", index, s.first, s.snap.Index)
		}
		s.truncate(index)
	case recordSynced:
		// Only recovery from damage reads it (lostUnsynced).
		_, err := decodeSynced(p)
		return err
	default:
		return s.applySnapshotRecord(typ, p, seq)
	}
	return nil
}

type searchVerdict uint8

const (
	searchNone searchVerdict = iota + 1
	searchFound
	searchExhausted
)

// findRecord looks for a valid record (well-formed frame, matching
// checksum, well-formed payload) starting at any offset of b. It spends at
// most hashBytesMax bytes of checksumming; cheap plausibility checks come
// first, so random or zeroed bytes cost almost nothing.
func findRecord(b []byte, hashBytesMax int) (int, searchVerdict) {
	for i := 0; i+frameHeaderBytes <= len(b); i++ {
		payloadBytes := binary.LittleEndian.Uint32(b[i:])
		if payloadBytes > recordPayloadBytesMax || int(payloadBytes) > len(b)-i-frameHeaderBytes {
			continue
		}
		end := i + frameHeaderBytes + int(payloadBytes)
		typ, payload := recordType(b[i+8]), b[i+frameHeaderBytes:end]
		if !plausiblePayload(typ, payload) {
			continue
		}
		if hashBytesMax -= end - i - 8; hashBytesMax < 0 {
			return 0, searchExhausted
		}
		if crc32.Checksum(b[i+8:end], castagnoli) != binary.LittleEndian.Uint32(b[i+4:]) {
			continue
		}
		if checkPayload(typ, payload) == nil {
			return i, searchFound
		}
	}
	return 0, searchNone
}

// scanner reads frames from a segment sequentially through one reusable
// buffer, so that recovery allocates nothing per record.
type scanner struct {
	r          io.Reader
	buf        []byte
	start, end int   // buf[start:end] is read but not consumed
	off        int64 // file offset of buf[start]
	size       int64 // of the file: a damaged length field must not make us allocate past it
	eof        bool
	// lastCRC holds the stored checksum of the frame next returned last.
	lastCRC [4]byte
}

// reset starts reading r, at file offset off, with a buffer of at least
// bufBytes (small logs get small buffers; opening one should be cheap).
func (sc *scanner) reset(r io.Reader, off, size, bufBytes int64) {
	sc.r, sc.start, sc.end, sc.off, sc.size, sc.eof = r, 0, 0, off, size, false
	if int64(len(sc.buf)) < bufBytes {
		sc.buf = make([]byte, bufBytes)
	}
}

// next returns the next frame and its offset. A malformed frame is
// reported in ferr; err is io.EOF at a clean end, or a read error. The
// payload is valid until the next call.
func (sc *scanner) next() (typ recordType, payload []byte, off int64, ferr *frameError, err error) {
	off = sc.off
	if err := sc.fill(frameHeaderBytes); err != nil {
		return 0, nil, off, nil, err
	}
	if sc.end-sc.start == 0 {
		return 0, nil, off, nil, io.EOF
	}
	if sc.end-sc.start >= frameHeaderBytes {
		payloadBytes := binary.LittleEndian.Uint32(sc.buf[sc.start:])
		if n := frameHeaderBytes + int64(payloadBytes); payloadBytes <= recordPayloadBytesMax && n <= sc.size-sc.off {
			if err := sc.fill(int(n)); err != nil {
				return 0, nil, off, nil, err
			}
		}
	}
	typ, payload, n, ferr := decodeFrame(sc.buf[sc.start:sc.end])
	if ferr != nil {
		return 0, nil, off, ferr, nil
	}
	copy(sc.lastCRC[:], sc.buf[sc.start+4:sc.start+8])
	sc.start += n
	sc.off += int64(n)
	return typ, payload, off, nil, nil
}

// fill reads until n bytes are buffered or the file ends.
func (sc *scanner) fill(n int) error {
	if sc.end-sc.start >= n || sc.eof {
		return nil
	}
	if n > len(sc.buf)-sc.start {
		buf := sc.buf
		if n > len(buf) {
			buf = make([]byte, max(n, 2*len(buf)))
		}
		sc.end = copy(buf, sc.buf[sc.start:sc.end])
		sc.start, sc.buf = 0, buf
	}
	for sc.end-sc.start < n {
		m, err := sc.r.Read(sc.buf[sc.end:])
		sc.end += m
		if err == io.EOF {
			sc.eof = true
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
