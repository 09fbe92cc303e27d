package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/raft/disk"
)

// Segment header layout, little endian:
//
//	[0:8)   magic "RAFTSEG\x00"
//	[8:12)  format version (uint32)
//	[12:20) segment sequence number (uint64), equal to the one in the name
//	[20:28) prevBytes (uint64): the size of segment seq-1 when it was sealed
//	[28:32) prevChain (uint32): the checksum chain of segment seq-1 then
//	[32:36) CRC-32C of bytes [0:32)
//
// Segment 1 has prevBytes and prevChain zero. See chain for what the chain
// covers, and doc.go for how recovery uses the link.
const (
	segmentHeaderBytes = 36
	// formatVersion 3 adds the synced record; segments of version 2,
	// which have none, read as before.
	formatVersion         = 3
	formatVersionNoSynced = 2
	segmentSuffix         = ".seg"
	// tempSuffix marks a segment being created. Open deletes such files:
	// a segment is renamed to its final name only once its header is
	// durable, so a crash during creation leaves nothing to recover.
	tempSuffix       = ".tmp"
	segmentNameBytes = 16 + len(segmentSuffix)
	// segmentSeqMax keeps names at 16 digits, so that sorting names sorts
	// sequence numbers.
	segmentSeqMax = 9_999_999_999_999_999
)

// segLink is what a segment's header says of its predecessor, and what a
// seal record says of its own segment: the size it was sealed at and its
// checksum chain at that size.
type segLink struct {
	bytes int64
	chain uint32
}

// chainStart is the checksum chain of a segment holding only header h: the
// header's own checksum, which covers the link to the predecessor, so the
// chain of the last segment vouches for every segment before it.
func chainStart(h []byte) uint32 {
	return crc32.Update(0, castagnoli, h[segmentHeaderBytes-4:segmentHeaderBytes])
}

// chainAdd extends a segment's checksum chain by one frame: by its stored
// CRC, which covers the frame's type and payload. The chain thus covers
// every record of the segment, in order, at the cost of hashing four bytes
// per record.
func chainAdd(chain uint32, frame []byte) uint32 {
	return crc32.Update(chain, castagnoli, frame[4:8])
}

var segmentMagic = [8]byte{'R', 'A', 'F', 'T', 'S', 'E', 'G', 0}

func segmentName(seq uint64) string { return fmt.Sprintf("%016d%s", seq, segmentSuffix) }

func segmentPath(dir string, seq uint64) string { return filepath.Join(dir, segmentName(seq)) }

// parseSegmentName returns the sequence number in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	if len(name) != segmentNameBytes || !strings.HasSuffix(name, segmentSuffix) {
		return 0, false
	}
	digits := name[:16]
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, err == nil && seq >= 1
}

func segmentHeader(seq uint64, prev segLink) []byte {
	h := make([]byte, 0, segmentHeaderBytes)
	h = append(h, segmentMagic[:]...)
	h = binary.LittleEndian.AppendUint32(h, formatVersion)
	h = binary.LittleEndian.AppendUint64(h, seq)
	h = binary.LittleEndian.AppendUint64(h, uint64(prev.bytes))
	h = binary.LittleEndian.AppendUint32(h, prev.chain)
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
}

// checkSegmentHeader returns the predecessor link in h, or why h is not
// the header of segment seq.
func checkSegmentHeader(h []byte, seq uint64) (segLink, string) {
	if len(h) != segmentHeaderBytes {
		return segLink{}, fmt.Sprintf("segment header is %d bytes, want %d", len(h), segmentHeaderBytes)
	}
	if !bytes.Equal(h[:8], segmentMagic[:]) {
		return segLink{}, fmt.Sprintf("bad magic number %q", h[:8])
	}
	want := binary.LittleEndian.Uint32(h[32:])
	if got := crc32.Checksum(h[:32], castagnoli); got != want {
		return segLink{}, fmt.Sprintf("header checksum mismatch: stored %#08x, computed %#08x", want, got)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != formatVersion && v != formatVersionNoSynced {
		return segLink{}, fmt.Sprintf("unsupported format version %d (this build reads %d and %d)", v, formatVersionNoSynced, formatVersion)
	}
	if got := binary.LittleEndian.Uint64(h[12:]); got != seq {
		return segLink{}, fmt.Sprintf("header names segment %d, file name says %d", got, seq)
	}
	prev := segLink{bytes: int64(binary.LittleEndian.Uint64(h[20:])), chain: binary.LittleEndian.Uint32(h[28:])}
	if seq == 1 && prev != (segLink{}) {
		return segLink{}, fmt.Sprintf("segment 1 names a predecessor of %d bytes", prev.bytes)
	}
	// A zero link after segment 1 starts a new chain: a repair wrote the
	// segment to replace every one before it (repair.go).
	if seq > 1 && prev != (segLink{}) && (prev.bytes < segmentHeaderBytes || prev.bytes > SegmentSizeBytesMax+recordPayloadBytesMax+frameHeaderBytes) {
		return segLink{}, fmt.Sprintf("header names a predecessor of %d bytes, impossible for a segment", prev.bytes)
	}
	return prev, ""
}

// listSegments returns the sequence numbers of the segments in dir, in
// order, after deleting segments left half-created by a crash. They must
// run with no gap: a missing file is lost data. They start at 1 unless
// compaction deleted the first ones, which recovery checks against the
// log's dropped records.
func listSegments(fsys disk.FS, dir string) (seqs []uint64, removed []string, err error) {
	des, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des { // ReadDir sorts by name, hence by sequence.
		name := de.Name
		if strings.HasSuffix(name, segmentSuffix+tempSuffix) {
			if err := fsys.Remove(filepath.Join(dir, name)); err != nil {
				return nil, nil, err
			}
			removed = append(removed, name)
			continue
		}
		if !strings.HasSuffix(name, segmentSuffix) {
			continue // Not ours: leave other files alone.
		}
		seq, ok := parseSegmentName(name)
		if !ok || de.IsDir {
			return nil, nil, fmt.Errorf("filestore: %s: not a segment file (want NNNNNNNNNNNNNNNN%s)",
				filepath.Join(dir, name), segmentSuffix)
		}
		if n := len(seqs); n > 0 && seq != seqs[n-1]+1 {
			return nil, nil, &CorruptionError{
				File:   segmentPath(dir, seqs[n-1]+1),
				Reason: fmt.Sprintf("segment file missing (the next one present is %s)", name),
			}
		}
		seqs = append(seqs, seq)
	}
	if len(removed) > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return nil, nil, err
		}
	}
	return seqs, removed, nil
}

// createSegment makes segment seq durable with its header, linked to its
// predecessor by prev, and no records, and returns it open for appending.
// It costs two fsyncs (file and directory), paid once per segment.
func createSegment(fsys disk.FS, dir string, seq uint64, prev segLink) (disk.File, error) {
	if seq > segmentSeqMax {
		return nil, fmt.Errorf("filestore: segment sequence number %d exceeds %d", seq, uint64(segmentSeqMax))
	}
	path := segmentPath(dir, seq)
	tmp := path + tempSuffix
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteAt(segmentHeader(seq, prev), 0)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err == nil && !bugs.Fire(bugs.SkipSegmentDirSync) {
		err = fsys.SyncDir(dir)
	}
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}
