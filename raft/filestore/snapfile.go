package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// Snapshot file layout, little endian:
//
//	[0:8)   magic "RAFTSNP\x00"
//	[8:12)  format version (uint32, now 1)
//	[12:20) index (uint64): the snapshot's last included entry
//	[20:28) term (uint64) of that entry
//	[28:32) configuration length c (uint32), then c bytes: raft.EncodeConfState
//	then    data length d (uint64), then d bytes of state machine data
//	last 4  CRC-32C (Castagnoli) of every byte before it
//
// The file is named by its index, NNNNNNNNNNNNNNNN.snap, and written
// whole under a temporary name, fsynced, renamed and the directory
// fsynced, before the segment record that makes it the store's snapshot
// is written: a snapshot record always names a durable file.
const (
	snapshotSuffix       = ".snap"
	snapshotNameBytes    = 16 + len(snapshotSuffix)
	snapshotVersion      = 1
	snapshotHeaderBytes  = 32
	snapshotTrailerBytes = 4
	// SnapshotBytesMax bounds a snapshot file, so that a damaged size
	// cannot make Open allocate without limit.
	SnapshotBytesMax = 1<<30 + 1<<20
)

var snapshotMagic = [8]byte{'R', 'A', 'F', 'T', 'S', 'N', 'P', 0}

func snapshotName(index raft.Index) string {
	return fmt.Sprintf("%016d%s", uint64(index), snapshotSuffix)
}

func snapshotPath(dir string, index raft.Index) string {
	return filepath.Join(dir, snapshotName(index))
}

// parseSnapshotName returns the index in a snapshot file name.
func parseSnapshotName(name string) (raft.Index, bool) {
	if len(name) != snapshotNameBytes || !strings.HasSuffix(name, snapshotSuffix) {
		return 0, false
	}
	for i := range 16 {
		if name[i] < '0' || name[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(name[:16], 10, 64)
	return raft.Index(n), err == nil && n >= 1
}

// encodeSnapshot lays out a snapshot file.
func encodeSnapshot(snap raft.Snapshot) []byte {
	cs := raft.EncodeConfState(snap.Meta.ConfState)
	b := make([]byte, 0, snapshotHeaderBytes+len(cs)+8+len(snap.Data)+snapshotTrailerBytes)
	b = append(b, snapshotMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, snapshotVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(snap.Meta.Index))
	b = binary.LittleEndian.AppendUint64(b, uint64(snap.Meta.Term))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cs)))
	b = append(b, cs...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(snap.Data)))
	b = append(b, snap.Data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeSnapshot reads a snapshot file's bytes, or says why they are not
// one (the offset of the damage, and the reason).
func decodeSnapshot(b []byte) (raft.Snapshot, int64, string) {
	if len(b) < snapshotHeaderBytes+8+snapshotTrailerBytes {
		return raft.Snapshot{}, 0, fmt.Sprintf("snapshot file of %d bytes is too short", len(b))
	}
	body := b[:len(b)-snapshotTrailerBytes]
	if want, got := binary.LittleEndian.Uint32(b[len(body):]), crc32.Checksum(body, castagnoli); got != want {
		return raft.Snapshot{}, int64(len(body)), fmt.Sprintf("snapshot checksum mismatch: stored %#08x, computed %#08x", want, got)
	}
	if !bytes.Equal(b[:8], snapshotMagic[:]) {
		return raft.Snapshot{}, 0, fmt.Sprintf("bad snapshot magic number %q", b[:8])
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != snapshotVersion {
		return raft.Snapshot{}, 8, fmt.Sprintf("unsupported snapshot format version %d (this build reads %d)", v, snapshotVersion)
	}
	var snap raft.Snapshot
	snap.Meta.Index = raft.Index(binary.LittleEndian.Uint64(b[12:]))
	snap.Meta.Term = raft.Term(binary.LittleEndian.Uint64(b[20:]))
	csBytes := uint64(binary.LittleEndian.Uint32(b[28:]))
	rest := body[snapshotHeaderBytes:]
	if csBytes > uint64(len(rest)) {
		return raft.Snapshot{}, 28, fmt.Sprintf("configuration of %d bytes runs past the file", csBytes)
	}
	cs, err := raft.DecodeConfState(rest[:csBytes])
	if err != nil {
		return raft.Snapshot{}, snapshotHeaderBytes, "configuration: " + err.Error()
	}
	snap.Meta.ConfState = cs
	rest = rest[csBytes:]
	if len(rest) < 8 {
		return raft.Snapshot{}, int64(len(body) - len(rest)), "data length runs past the file"
	}
	dataBytes := binary.LittleEndian.Uint64(rest)
	if dataBytes != uint64(len(rest)-8) {
		return raft.Snapshot{}, int64(len(body) - len(rest)), fmt.Sprintf("data length %d, but %d bytes follow", dataBytes, len(rest)-8)
	}
	if dataBytes > 0 {
		snap.Data = rest[8:]
	}
	if snap.Meta.Index == 0 || snap.Meta.Term == 0 {
		return raft.Snapshot{}, 12, fmt.Sprintf("snapshot %d/%d has no index or term", snap.Meta.Term, snap.Meta.Index)
	}
	return snap, 0, ""
}

// writeSnapshotFile makes snap durable in its file: written whole under a
// temporary name, fsynced, renamed, and the directory fsynced.
func writeSnapshotFile(fsys disk.FS, dir string, snap raft.Snapshot, hook func(op, path string)) error {
	path := snapshotPath(dir, snap.Meta.Index)
	tmp := path + tempSuffix
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(encodeSnapshot(snap), 0)
	hook("write", tmp)
	if err == nil {
		err = f.Sync()
		hook("fsync", tmp)
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = fsys.Rename(tmp, path)
		hook("rename", path)
	}
	if err == nil {
		err = fsys.SyncDir(dir)
		hook("fsync-dir", dir)
	}
	return err
}

// readSnapshotFile reads and checks the snapshot file of index, which a
// snapshot record of term names.
func readSnapshotFile(fsys disk.FS, dir string, index raft.Index, term raft.Term) (raft.Snapshot, error) {
	path := snapshotPath(dir, index)
	fi, err := fsys.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return raft.Snapshot{}, &CorruptionError{File: path, Reason: fmt.Sprintf("snapshot file missing: the log names the snapshot at index %d", index)}
	}
	if err != nil {
		return raft.Snapshot{}, err
	}
	if fi.Size > SnapshotBytesMax {
		return raft.Snapshot{}, &CorruptionError{File: path, Reason: fmt.Sprintf("snapshot file of %d bytes, more than the %d a snapshot may take", fi.Size, SnapshotBytesMax)}
	}
	b, err := readFile(fsys, path, fi.Size)
	if err != nil {
		return raft.Snapshot{}, err
	}
	snap, off, reason := decodeSnapshot(b)
	if reason != "" {
		return raft.Snapshot{}, &CorruptionError{File: path, Offset: off, Reason: reason, checksum: true}
	}
	if snap.Meta.Index != index || snap.Meta.Term != term {
		return raft.Snapshot{}, &CorruptionError{File: path, Offset: 12,
			Reason: fmt.Sprintf("file holds snapshot %d/%d, the log names %d/%d", snap.Meta.Term, snap.Meta.Index, term, index)}
	}
	return snap, nil
}

// listSnapshotFiles returns the indexes of the snapshot files in dir, in
// order, and the names of half-written ones.
func listSnapshotFiles(fsys disk.FS, dir string) (indexes []raft.Index, temps []string, err error) {
	des, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des {
		name := de.Name
		if strings.HasSuffix(name, snapshotSuffix+tempSuffix) {
			temps = append(temps, name)
			continue
		}
		if i, ok := parseSnapshotName(name); ok && !de.IsDir {
			indexes = append(indexes, i)
		}
	}
	return indexes, temps, nil
}

// readFile reads the size bytes of the file at path.
func readFile(fsys disk.FS, path string, size int64) ([]byte, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	_, err = f.ReadAt(b, 0)
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("%s: %w", path, io.ErrUnexpectedEOF)
	}
	return b, errors.Join(err, f.Close())
}
