package filestore

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/raftsim/raftsim/raft"
)

// The state file says what the store vouches for: the hard state and how
// much of the active segment had been made durable when the last Sync
// returned. The segments cannot say it themselves: a record of the last
// Sync whose bytes a disk damaged afterwards reads exactly like a write a
// power loss tore, and only the first must never be cut silently (the
// node may have acknowledged it). So Sync, once the segment's fsync has
// returned, writes the state and fsyncs it before the node may send
// anything that depends on the Sync; recovery then knows which damage
// hit data the node may have vouched for (see doc.go, "Protocol-aware
// recovery").
//
// The file holds four slots, each in a 512-byte sector of its own, in two
// pairs written in turn (pair counter%2, both slots of it in one write):
// a write torn by a power loss leaves the other pair, one Sync older,
// whole; damage to one sector leaves the other copy of the newest state.
// The newest state is in two places besides the log's hard-state records,
// so that no two faults of a disk (one in the state file, one in the log)
// can take the vote the node cast. (A disk whose torn writes take a whole
// 4 KiB sector can damage all four at once; recovery then knows what it
// knew before the state file existed, and refuses damage it cannot place
// rather than guess.) The newest valid slot wins. Slot layout, little
// endian:
//
//	[0:8)   magic "RAFTSTA\x00"
//	[8:12)  version (uint32, 1)
//	[12:20) counter (uint64): the number of slots ever written
//	[20:60) hard state: term, vote, commit, fence, fence index (uint64 each)
//	[60:68) seq (uint64): the active segment
//	[68:76) synced (uint64): the bytes of segment seq that were durable
//	[76:84) last (uint64): the log's last index
//	[84:88) CRC-32C of bytes [0:84)
const (
	stateFileName  = "state"
	stateSlotBytes = 512
	// stateSlots is the number of slots: two pairs.
	stateSlots    = 4
	stateVersion  = 1
	stateSlotUsed = 88
)

var stateMagic = [8]byte{'R', 'A', 'F', 'T', 'S', 'T', 'A', 0}

// stateSlot is one copy of what the store vouches for.
type stateSlot struct {
	counter uint64
	hs      raft.HardState
	seq     uint64
	synced  int64
	// last is the log's last index: the last entry the node may have
	// acknowledged (HardState.FenceIndex, after a repair).
	last raft.Index
}

// stateKnowledge is what recovery learned from the state file.
type stateKnowledge uint8

const (
	// stateMissing: no state file. A store written before the file
	// existed, or one a crash interrupted while being created: recovery
	// knows no more than the segments say.
	stateMissing stateKnowledge = iota
	// stateValid: a slot was read whole.
	stateValid
	// stateLost: the file is there but neither slot is whole, so what
	// the store vouched for is unknown: damage anywhere is refused.
	stateLost
)

func encodeStateSlot(st stateSlot) []byte {
	b := make([]byte, 0, stateSlotUsed)
	b = append(b, stateMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	b = binary.LittleEndian.AppendUint64(b, st.counter)
	b = binary.LittleEndian.AppendUint64(b, uint64(st.hs.Term))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.hs.Vote))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.hs.Commit))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.hs.Fence))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.hs.FenceIndex))
	b = binary.LittleEndian.AppendUint64(b, st.seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(st.synced))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.last))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeStateSlot(b []byte) (stateSlot, bool) {
	if len(b) < stateSlotUsed || [8]byte(b[:8]) != stateMagic ||
		binary.LittleEndian.Uint32(b[8:]) != stateVersion ||
		crc32.Checksum(b[:stateSlotUsed-4], castagnoli) != binary.LittleEndian.Uint32(b[stateSlotUsed-4:]) {
		return stateSlot{}, false
	}
	u := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	st := stateSlot{
		counter: u(12),
		hs: raft.HardState{Term: raft.Term(u(20)), Vote: raft.NodeID(u(28)), Commit: raft.Index(u(36)),
			Fence: raft.Term(u(44)), FenceIndex: raft.Index(u(52))},
		seq:    u(60),
		synced: int64(u(68)),
		last:   raft.Index(u(76)),
	}
	if st.counter == 0 || st.seq == 0 || st.synced < segmentHeaderBytes || st.synced > math.MaxInt64/2 {
		return stateSlot{}, false
	}
	return st, true
}

// statePair returns the two slots of st's pair, as one write: a copy at
// the start of each of two sectors.
func statePair(st stateSlot) []byte {
	b := make([]byte, stateSlotBytes+stateSlotUsed)
	slot := encodeStateSlot(st)
	copy(b, slot)
	copy(b[stateSlotBytes:], slot)
	return b
}

// statePairOffset is where the pair of the slot numbered counter starts.
func statePairOffset(counter uint64) int64 {
	return int64(counter%2) * 2 * stateSlotBytes
}

func statePath(dir string) string { return filepath.Join(dir, stateFileName) }

// readState reads the state file, leaving it open for writing when it is
// there.
func (s *Store) readState() error {
	f, err := s.fs.OpenFile(statePath(s.dir), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.stateKnown = stateMissing
		return nil
	}
	if err != nil {
		return err
	}
	s.stateFile = f
	buf := make([]byte, stateSlots*stateSlotBytes)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	buf = buf[:n]
	s.stateKnown = stateLost
	for slot := range stateSlots {
		lo := slot * stateSlotBytes
		if lo >= len(buf) {
			break
		}
		st, ok := decodeStateSlot(buf[lo:min(lo+stateSlotBytes, len(buf))])
		if ok && int(st.counter%2) == slot/2 && (s.stateKnown != stateValid || st.counter > s.state.counter) {
			s.state, s.stateKnown = st, stateValid
		}
	}
	return nil
}

// vouched returns how many bytes of segment seq the store vouched for at
// its last completed Sync: every byte of a segment before the active one
// then, the synced bytes of that one, and only the header of a later one
// (written since, never vouched for). ok is false when the state file
// does not say.
func (s *Store) vouched(seq uint64) (n int64, ok bool) {
	if s.stateKnown != stateValid {
		return 0, false
	}
	switch {
	case seq < s.state.seq:
		return math.MaxInt64, true
	case seq == s.state.seq:
		return s.state.synced, true
	}
	return segmentHeaderBytes, true
}

// saveState makes the state durable, once the active segment is: the hard
// state written to it and the size it was synced at. It does nothing when
// the state file already says so.
func (s *Store) saveState() error {
	st := stateSlot{counter: s.state.counter + 1, hs: s.hardState, seq: s.activeSeq, synced: s.syncedSize, last: s.lastIndex}
	if s.stateFile != nil && s.stateKnown == stateValid && st.hs == s.state.hs && st.seq == s.state.seq && st.synced == s.state.synced && st.last == s.state.last {
		return nil
	}
	b := statePair(st)
	if s.stateFile == nil {
		if err := s.createStateFile(b, st.counter); err != nil {
			return err
		}
	} else {
		if _, err := s.stateFile.WriteAt(b, statePairOffset(st.counter)); err != nil {
			return err
		}
		s.fsyncs++
		err := s.stateFile.Sync()
		s.note("fsync", statePath(s.dir))
		if err != nil {
			return err
		}
	}
	s.state, s.stateKnown = st, stateValid
	return nil
}

// createStateFile writes the state file's first slot under a temporary
// name, makes it durable, and renames it into place: a crash leaves either
// no state file or a whole one.
func (s *Store) createStateFile(pair []byte, counter uint64) error {
	path := statePath(s.dir)
	tmp := path + tempSuffix
	f, err := s.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(pair, statePairOffset(counter))
	if err == nil {
		s.fsyncs++
		err = f.Sync()
	}
	if err == nil {
		err = s.fs.Rename(tmp, path)
	}
	if err == nil {
		s.fsyncs++
		err = s.fs.SyncDir(s.dir)
	}
	if err != nil {
		return errors.Join(err, f.Close())
	}
	s.note("create", path)
	s.stateFile = f
	return nil
}
