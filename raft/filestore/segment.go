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
)

// Segment header layout, little endian:
//
//	[0:8)   magic "RAFTSEG\x00"
//	[8:12)  format version (uint32)
//	[12:20) segment sequence number (uint64), equal to the one in the name
//	[20:24) CRC-32C of bytes [0:20)
const (
	segmentHeaderBytes = 24
	formatVersion      = 1
	segmentSuffix      = ".seg"
	// tempSuffix marks a segment being created. Open deletes such files:
	// a segment is renamed to its final name only once its header is
	// durable, so a crash during creation leaves nothing to recover.
	tempSuffix       = ".tmp"
	segmentNameBytes = 16 + len(segmentSuffix)
	// segmentSeqMax keeps names at 16 digits, so that sorting names sorts
	// sequence numbers.
	segmentSeqMax = 9_999_999_999_999_999
)

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

func segmentHeader(seq uint64) []byte {
	h := make([]byte, 0, segmentHeaderBytes)
	h = append(h, segmentMagic[:]...)
	h = binary.LittleEndian.AppendUint32(h, formatVersion)
	h = binary.LittleEndian.AppendUint64(h, seq)
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
}

// checkSegmentHeader returns why h is not the header of segment seq, or "".
func checkSegmentHeader(h []byte, seq uint64) string {
	if len(h) != segmentHeaderBytes {
		return fmt.Sprintf("segment header is %d bytes, want %d", len(h), segmentHeaderBytes)
	}
	if !bytes.Equal(h[:8], segmentMagic[:]) {
		return fmt.Sprintf("bad magic number %q", h[:8])
	}
	want := binary.LittleEndian.Uint32(h[20:])
	if got := crc32.Checksum(h[:20], castagnoli); got != want {
		return fmt.Sprintf("header checksum mismatch: stored %#08x, computed %#08x", want, got)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != formatVersion {
		return fmt.Sprintf("unsupported format version %d (this build reads %d)", v, formatVersion)
	}
	if got := binary.LittleEndian.Uint64(h[12:]); got != seq {
		return fmt.Sprintf("header names segment %d, file name says %d", got, seq)
	}
	return ""
}

// listSegments returns the sequence numbers of the segments in dir, in
// order, after deleting segments left half-created by a crash. They must
// run 1, 2, 3, ... with no gap: a missing file is lost data.
func listSegments(dir string) (seqs []uint64, removed []string, err error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des { // ReadDir sorts by name, hence by sequence.
		name := de.Name()
		if strings.HasSuffix(name, segmentSuffix+tempSuffix) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, nil, err
			}
			removed = append(removed, name)
			continue
		}
		if !strings.HasSuffix(name, segmentSuffix) {
			continue // Not ours: leave other files alone.
		}
		seq, ok := parseSegmentName(name)
		if !ok || de.IsDir() {
			return nil, nil, fmt.Errorf("filestore: %s: not a segment file (want NNNNNNNNNNNNNNNN%s)",
				filepath.Join(dir, name), segmentSuffix)
		}
		if want := uint64(len(seqs)) + 1; seq != want {
			return nil, nil, &CorruptionError{
				File:   segmentPath(dir, want),
				Reason: fmt.Sprintf("segment file missing (the next one present is %s)", name),
			}
		}
		seqs = append(seqs, seq)
	}
	if len(removed) > 0 {
		if err := syncDir(dir); err != nil {
			return nil, nil, err
		}
	}
	return seqs, removed, nil
}

// createSegment makes segment seq durable with its header and no records,
// and returns it open for appending. It costs two fsyncs (file and
// directory), paid once per segment.
func createSegment(dir string, seq uint64) (*os.File, error) {
	if seq > segmentSeqMax {
		return nil, fmt.Errorf("filestore: segment sequence number %d exceeds %d", seq, uint64(segmentSeqMax))
	}
	path := segmentPath(dir, seq)
	tmp := path + tempSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(segmentHeader(seq))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// syncDir makes the creation, renaming and deletion of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
