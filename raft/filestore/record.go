package filestore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
)

// recordType tells what a record's payload holds. Types start at 1 so that
// a zeroed frame never decodes as a record.
type recordType uint8

const (
	// recordEntries holds a batch of consecutive entries. Its first index
	// is always the log's last index plus one at the time it was written:
	// overwriting is done by a recordTruncate written before it.
	recordEntries recordType = iota + 1
	// recordHardState holds a whole HardState; the last one read wins.
	recordHardState
	// recordTruncate removes the log suffix starting at its index.
	recordTruncate
	// recordSeal ends a segment that has a successor: it names the
	// successor and repeats the size and checksum chain of the segment
	// before it, which the successor's header holds too. It changes no
	// state; it lets recovery tell a deleted last segment from one never
	// created.
	recordSeal
	// recordSnapshot makes the snapshot file of its index the store's
	// snapshot (§7). If kept is 0 the log held no entry of the snapshot's
	// index and term: it is emptied and continues after the snapshot;
	// if 1, the log is kept whole.
	recordSnapshot
	// recordCompact discards the entries up to its index (at most the
	// snapshot's), and names the term of the entry at it, which becomes
	// the entry before the log.
	recordCompact
	// recordDropped says that every segment up to its sequence number
	// was deleted (or is being deleted) because compaction left nothing
	// live in it, so that recovery can tell them from lost files.
	recordDropped
	// recordSynced precedes every other record written to the active
	// segment, in the same write: it holds the segment's size as of its
	// last successful fsync. Recovery uses it to tell a write a power
	// loss dropped (never synced) from synced data a disk damaged.
	recordSynced
)

func (t recordType) String() string {
	switch t {
	case recordEntries:
		return "entries"
	case recordHardState:
		return "hard-state"
	case recordTruncate:
		return "truncate"
	case recordSeal:
		return "seal"
	case recordSnapshot:
		return "snapshot"
	case recordCompact:
		return "compact"
	case recordDropped:
		return "dropped"
	case recordSynced:
		return "synced"
	}
	return fmt.Sprintf("recordType(%d)", uint8(t))
}

// Frame layout, little endian:
//
//	[0:4)  payload length in bytes (uint32)
//	[4:8)  CRC-32C (Castagnoli) of bytes [8:9+length), the type and payload
//	[8]    record type
//	[9:9+length) payload
const (
	frameHeaderBytes = 9
	// recordPayloadBytesMax bounds every payload, so that a damaged length
	// field cannot make the reader allocate gigabytes. Append splits
	// larger batches over several records.
	recordPayloadBytesMax = 64 << 20

	// hardStatePayloadBytes: term, vote, commit, fence, fence index
	// (uint64 each). Records of the shorter sizes, written before the
	// fence (or its index) existed, read with those zero.
	hardStatePayloadBytes             = 40
	hardStatePayloadBytesNoFenceIndex = 32
	hardStatePayloadBytesNoFence      = 24
	truncatePayloadBytes              = 8  // index: uint64
	sealPayloadBytes                  = 20 // next sequence uint64, sealed bytes uint64, chain uint32
	sealFrameBytes                    = frameHeaderBytes + sealPayloadBytes
	snapshotPayloadBytes              = 17 // index uint64, term uint64, kept uint8
	compactPayloadBytes               = 16 // index uint64, term uint64
	droppedPayloadBytes               = 8  // sequence number uint64
	syncedPayloadBytes                = 8  // durable size of the segment uint64
	syncedFrameBytes                  = frameHeaderBytes + syncedPayloadBytes
	entriesHeaderBytes                = 12 // first index uint64, count uint32
	entryHeaderBytes                  = 13 // term uint64, type uint8, data length uint32

	// EntryDataBytesMax is the largest Entry.Data that fits in a record.
	EntryDataBytesMax = recordPayloadBytesMax - entriesHeaderBytes - entryHeaderBytes
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameError says why bytes do not hold a well-formed frame. The reader
// decides from the position whether that is a torn tail or corruption.
type frameError struct {
	reason string
}

func (e *frameError) Error() string { return e.reason }

// beginFrame appends a frame header for a record of type typ to buf; the
// caller then appends the payload and calls endFrame with the same start.
func beginFrame(buf []byte, typ recordType) (out []byte, start int) {
	start = len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, byte(typ))
	return buf, start
}

// endFrame fills in the length and checksum of the frame at buf[start:].
func endFrame(buf []byte, start int) {
	payloadBytes := len(buf) - start - frameHeaderBytes
	if payloadBytes < 0 || payloadBytes > recordPayloadBytesMax {
		panic(fmt.Sprintf("filestore: payload of %d bytes, limit %d", payloadBytes, recordPayloadBytesMax))
	}
	binary.LittleEndian.PutUint32(buf[start:], uint32(payloadBytes))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+8:], castagnoli))
}

// decodeFrame reads the frame at the start of b. It checks the length
// limit and the checksum but not the payload's structure. n is the size of
// the whole frame. The payload aliases b.
func decodeFrame(b []byte) (typ recordType, payload []byte, n int, err *frameError) {
	if len(b) < frameHeaderBytes {
		return 0, nil, 0, &frameError{fmt.Sprintf("truncated record header: %d of %d bytes", len(b), frameHeaderBytes)}
	}
	payloadBytes := binary.LittleEndian.Uint32(b)
	if payloadBytes > recordPayloadBytesMax {
		return 0, nil, 0, &frameError{fmt.Sprintf("record length %d exceeds the limit of %d", payloadBytes, recordPayloadBytesMax)}
	}
	n = frameHeaderBytes + int(payloadBytes)
	if len(b) < n {
		return 0, nil, 0, &frameError{fmt.Sprintf("truncated record: %d-byte payload, %d bytes present", payloadBytes, len(b)-frameHeaderBytes)}
	}
	want := binary.LittleEndian.Uint32(b[4:])
	if got := crc32.Checksum(b[8:n], castagnoli); got != want && !bugs.Fire(bugs.SkipRecordChecksum) {
		return 0, nil, 0, &frameError{fmt.Sprintf("checksum mismatch: stored %#08x, computed %#08x", want, got)}
	}
	return recordType(b[8]), b[frameHeaderBytes:n], n, nil
}

func appendHardState(buf []byte, hs raft.HardState) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, uint64(hs.Term))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(hs.Vote))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(hs.Commit))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(hs.Fence))
	return binary.LittleEndian.AppendUint64(buf, uint64(hs.FenceIndex))
}

func decodeHardState(p []byte) (raft.HardState, error) {
	if !plausiblePayload(recordHardState, p) {
		return raft.HardState{}, fmt.Errorf("hard-state record of %d bytes, want %d", len(p), hardStatePayloadBytes)
	}
	hs := raft.HardState{
		Term:   raft.Term(binary.LittleEndian.Uint64(p)),
		Vote:   raft.NodeID(binary.LittleEndian.Uint64(p[8:])),
		Commit: raft.Index(binary.LittleEndian.Uint64(p[16:])),
	}
	if len(p) >= hardStatePayloadBytesNoFenceIndex {
		hs.Fence = raft.Term(binary.LittleEndian.Uint64(p[24:]))
	}
	if len(p) == hardStatePayloadBytes {
		hs.FenceIndex = raft.Index(binary.LittleEndian.Uint64(p[32:]))
	}
	return hs, nil
}

func appendTruncate(buf []byte, index raft.Index) []byte {
	return binary.LittleEndian.AppendUint64(buf, uint64(index))
}

func decodeTruncate(p []byte) (raft.Index, error) {
	if len(p) != truncatePayloadBytes {
		return 0, fmt.Errorf("truncate record of %d bytes, want %d", len(p), truncatePayloadBytes)
	}
	index := raft.Index(binary.LittleEndian.Uint64(p))
	if index < firstIndex {
		return 0, fmt.Errorf("truncate record at index %d, below the first index %d", index, firstIndex)
	}
	return index, nil
}

// snapRecord is the payload of a snapshot record.
type snapRecord struct {
	index raft.Index
	term  raft.Term
	kept  bool
}

func appendSnapRecord(buf []byte, r snapRecord) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.index))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(r.term))
	if r.kept {
		return append(buf, 1)
	}
	return append(buf, 0)
}

func decodeSnapRecord(p []byte) (snapRecord, error) {
	if len(p) != snapshotPayloadBytes {
		return snapRecord{}, fmt.Errorf("snapshot record of %d bytes, want %d", len(p), snapshotPayloadBytes)
	}
	r := snapRecord{index: raft.Index(binary.LittleEndian.Uint64(p)), term: raft.Term(binary.LittleEndian.Uint64(p[8:])), kept: p[16] == 1}
	if r.index == 0 || r.term == 0 || p[16] > 1 {
		return snapRecord{}, fmt.Errorf("snapshot record %d/%d (kept %d) is not a snapshot", r.term, r.index, p[16])
	}
	return r, nil
}

func appendCompact(buf []byte, index raft.Index, term raft.Term) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, uint64(index))
	return binary.LittleEndian.AppendUint64(buf, uint64(term))
}

func decodeCompact(p []byte) (raft.Index, raft.Term, error) {
	if len(p) != compactPayloadBytes {
		return 0, 0, fmt.Errorf("compact record of %d bytes, want %d", len(p), compactPayloadBytes)
	}
	index, term := raft.Index(binary.LittleEndian.Uint64(p)), raft.Term(binary.LittleEndian.Uint64(p[8:]))
	if index == 0 || term == 0 {
		return 0, 0, fmt.Errorf("compact record to index %d of term %d", index, term)
	}
	return index, term, nil
}

func appendDropped(buf []byte, seq uint64) []byte {
	return binary.LittleEndian.AppendUint64(buf, seq)
}

func decodeDropped(p []byte) (uint64, error) {
	if len(p) != droppedPayloadBytes {
		return 0, fmt.Errorf("dropped record of %d bytes, want %d", len(p), droppedPayloadBytes)
	}
	seq := binary.LittleEndian.Uint64(p)
	if seq == 0 || seq > segmentSeqMax {
		return 0, fmt.Errorf("dropped record names segment %d", seq)
	}
	return seq, nil
}

// seal is the payload of a seal record.
type seal struct {
	next uint64
	link segLink
}

func appendSeal(buf []byte, sl seal) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, sl.next)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(sl.link.bytes))
	return binary.LittleEndian.AppendUint32(buf, sl.link.chain)
}

func decodeSeal(p []byte) (seal, error) {
	if len(p) != sealPayloadBytes {
		return seal{}, fmt.Errorf("seal record of %d bytes, want %d", len(p), sealPayloadBytes)
	}
	return seal{
		next: binary.LittleEndian.Uint64(p),
		link: segLink{bytes: int64(binary.LittleEndian.Uint64(p[8:])), chain: binary.LittleEndian.Uint32(p[16:])},
	}, nil
}

// entriesPayloadBytes is the payload size of an entries record for ents.
func entriesPayloadBytes(ents []raft.Entry) int {
	n := entriesHeaderBytes
	for i := range ents {
		n += entryHeaderBytes + len(ents[i].Data)
	}
	return n
}

// appendEntries encodes ents, whose indexes the caller has checked to be
// consecutive: only the first index is stored.
func appendEntries(buf []byte, ents []raft.Entry) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, uint64(ents[0].Index))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ents)))
	for i := range ents {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(ents[i].Term))
		buf = append(buf, byte(ents[i].Type))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ents[i].Data)))
		buf = append(buf, ents[i].Data...)
	}
	return buf
}

// entriesHeader returns the first index and count of an entries payload,
// checking only what can be checked without walking the entries.
func entriesHeader(p []byte) (first raft.Index, count int, err error) {
	if len(p) < entriesHeaderBytes+entryHeaderBytes {
		return 0, 0, fmt.Errorf("entries record of %d bytes, below the minimum of %d", len(p), entriesHeaderBytes+entryHeaderBytes)
	}
	first = raft.Index(binary.LittleEndian.Uint64(p))
	count = int(binary.LittleEndian.Uint32(p[8:]))
	if first < firstIndex {
		return 0, 0, fmt.Errorf("entries record starts at index %d, below the first index %d", first, firstIndex)
	}
	if count == 0 || count > (len(p)-entriesHeaderBytes)/entryHeaderBytes {
		return 0, 0, fmt.Errorf("entries record claims %d entries in %d bytes", count, len(p))
	}
	if uint64(first) > math.MaxUint64-uint64(count) {
		return 0, 0, fmt.Errorf("entries record at index %d with %d entries overflows", first, count)
	}
	return first, count, nil
}

// walkEntries checks the structure of an entries payload and, if fn is not
// nil, calls it with each entry in order. Entry.Data aliases p (nil when
// empty). fn may be called for some entries before a structural error in a
// later one is found; callers check the checksum first, so on disk that
// only happens to a record written by a different program.
func walkEntries(p []byte, fn func(e raft.Entry)) (first raft.Index, count int, err error) {
	first, count, err = entriesHeader(p)
	if err != nil {
		return 0, 0, err
	}
	pos := entriesHeaderBytes
	for i := range count {
		if len(p)-pos < entryHeaderBytes {
			return 0, 0, fmt.Errorf("entry %d of %d: header runs past the record end", i+1, count)
		}
		term := raft.Term(binary.LittleEndian.Uint64(p[pos:]))
		typ := raft.EntryType(p[pos+8])
		dataBytes := int(binary.LittleEndian.Uint32(p[pos+9:]))
		pos += entryHeaderBytes
		if dataBytes > len(p)-pos {
			return 0, 0, fmt.Errorf("entry %d of %d: %d data bytes run past the record end", i+1, count, dataBytes)
		}
		if fn != nil {
			var data []byte
			if dataBytes > 0 {
				data = p[pos : pos+dataBytes : pos+dataBytes]
			}
			fn(raft.Entry{Term: term, Index: first + raft.Index(i), Type: typ, Data: data})
		}
		pos += dataBytes
	}
	if pos != len(p) {
		return 0, 0, fmt.Errorf("entries record has %d trailing bytes after %d entries", len(p)-pos, count)
	}
	return first, count, nil
}

// plausiblePayload is a cheap filter, run before the checksum when
// searching damaged bytes for a record: it never rejects a real record.
func plausiblePayload(typ recordType, p []byte) bool {
	switch typ {
	case recordHardState:
		return len(p) == hardStatePayloadBytes || len(p) == hardStatePayloadBytesNoFenceIndex || len(p) == hardStatePayloadBytesNoFence
	case recordTruncate:
		return len(p) == truncatePayloadBytes
	case recordSeal:
		return len(p) == sealPayloadBytes
	case recordSnapshot:
		return len(p) == snapshotPayloadBytes
	case recordCompact:
		return len(p) == compactPayloadBytes
	case recordDropped:
		return len(p) == droppedPayloadBytes
	case recordSynced:
		return len(p) == syncedPayloadBytes
	case recordEntries:
		_, _, err := entriesHeader(p)
		return err == nil
	}
	return false
}

// checkPayload checks the full structure of a payload of any type.
func checkPayload(typ recordType, p []byte) error {
	var err error
	switch typ {
	case recordHardState:
		_, err = decodeHardState(p)
	case recordTruncate:
		_, err = decodeTruncate(p)
	case recordSeal:
		_, err = decodeSeal(p)
	case recordSnapshot:
		_, err = decodeSnapRecord(p)
	case recordCompact:
		_, _, err = decodeCompact(p)
	case recordDropped:
		_, err = decodeDropped(p)
	case recordSynced:
		_, err = decodeSynced(p)
	case recordEntries:
		_, _, err = walkEntries(p, nil)
	default:
		err = fmt.Errorf("unknown record type %d", uint8(typ))
	}
	return err
}

// appendSynced appends a whole synced frame saying that the active
// segment's first size bytes were durable when it was written.
func appendSynced(buf []byte, size int64) []byte {
	buf, start := beginFrame(buf, recordSynced)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(size))
	endFrame(buf, start)
	return buf
}

func decodeSynced(p []byte) (int64, error) {
	if len(p) != syncedPayloadBytes {
		return 0, fmt.Errorf("synced payload is %d bytes, want %d", len(p), syncedPayloadBytes)
	}
	v := binary.LittleEndian.Uint64(p)
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("synced size %d out of range", v)
	}
	return int64(v), nil
}
