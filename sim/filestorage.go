package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/raft/filestore"
)

// fileSegmentBytes is the segment size of a simulated node's file store:
// small, so that a run of a minute rolls over, seals and (with
// compaction) deletes segments, the code paths a 64 MiB default would
// leave untouched.
const fileSegmentBytes = 256 << 10

// fileDir is the directory of a node's store on its own disk.
const fileDir = "/raft"

// fileStorage is raft/filestore, the durable store a real server runs,
// on a simulated disk of its own (raft/disk.Sim) drawing from the node's
// own random stream. A crash ends the process (the disk keeps unsynced
// writes in its page cache), a power loss loses what the disk never made
// durable, and a restart runs filestore.Open's recovery on what is left.
type fileStorage struct {
	// d is the node's disk: it outlives every process, and faults only
	// through what the simulator arms on it.
	d *disk.Sim
	// st is the running process's store; nil while the node is down.
	st *filestore.Store
	// down is what a restart would find, for the checkers while the node
	// is down: read once, from a copy of the disk, when first asked.
	down *heldLog
	// repair is what the last open repaired (repaired), misreadAt what
	// it read wrong once (misread).
	repair, misreadAt string
}

// heldLog is a log as a store presents it: its entries' terms from first
// on, the term before first, its snapshot and its fence.
type heldLog struct {
	first, last raft.Index
	prevTerm    raft.Term
	terms       []raft.Term
	snap        raft.Index
	fenced      bool
	// st is the store opened on the disk's copy, nil if it did not open.
	st *filestore.Store
}

func newFileStorage(cfg disk.SimConfig, rng *rand.Rand) (*fileStorage, error) {
	d, err := disk.NewSim(cfg, rng)
	if err != nil {
		return nil, err
	}
	return &fileStorage{d: d}, nil
}

func (s *fileStorage) open() (raft.Storage, error) {
	st, err := filestore.Open(fileDir, filestore.Options{FS: s.d, SegmentSizeBytes: fileSegmentBytes})
	s.repair, s.misreadAt = "", ""
	if err != nil {
		return nil, err
	}
	if ri := st.Recovery(); ri.Repaired() {
		s.repair = fmt.Sprintf("damage in %s at byte %d (%s): fenced at term %d with the log up to index %d",
			ri.DamageFile, ri.DamageOffset, ri.DamageReason, ri.HardState.Fence, ri.LastIndex)
	}
	s.misreadAt = st.Recovery().Misread
	s.st, s.down = st, nil
	return st, nil
}

func (s *fileStorage) repaired() string { return s.repair }
func (s *fileStorage) misread() string  { return s.misreadAt }

func (s *fileStorage) live() raft.Storage { return s.st }

func (s *fileStorage) disk() *disk.Sim { return s.d }

func (s *fileStorage) diskChanged() { s.down = nil }

// crash ends the process: its open files become stale handles, which is
// why the store is dropped rather than closed (closing would sync).
func (s *fileStorage) crash() {
	s.d.Crash()
	s.st, s.down = nil, nil
}

func (s *fileStorage) powerLoss() {
	s.d.PowerLoss()
	s.st, s.down = nil, nil
}

func (s *fileStorage) lastHeld() raft.Index {
	if s.st != nil {
		last, _ := s.st.LastIndex()
		return last
	}
	return s.held().last
}

func (s *fileStorage) firstHeld() raft.Index {
	if s.st != nil {
		first, _ := s.st.FirstIndex()
		return first
	}
	return s.held().first
}

// term reads a running node's entry back from its store (the checkers
// ask the Raft core instead, see nodeLog), a down node's from what a
// restart would find.
func (s *fileStorage) term(i raft.Index) (raft.Term, bool) {
	if s.st != nil {
		t, ok, err := s.st.Term(i)
		return t, ok && err == nil
	}
	h := s.held()
	switch {
	case i == 0:
		return 0, true
	case i+1 == h.first:
		return h.prevTerm, true
	case i < h.first || i > h.last:
		return 0, false
	}
	return h.terms[i-h.first], true
}

func (s *fileStorage) snapshotIndex() raft.Index {
	if s.st != nil {
		return s.st.SnapshotMeta().Index
	}
	return s.held().snap
}

func (s *fileStorage) fenced() bool {
	if s.st != nil {
		hs, _ := s.st.InitialState()
		return hs.Fence != 0
	}
	return s.held().fenced
}

// heldConfig reads the configuration from the running store, or from
// what a restart would find. A store that does not open holds the
// initial configuration: the restart will report why it does not open.
func (s *fileStorage) heldConfig(initial []raft.NodeID) (raft.ConfState, raft.Index, error) {
	st := s.st
	if st == nil {
		st = s.held().st
	}
	if st == nil {
		return raft.ConfState{Voters: initial}, 0, nil
	}
	return raft.StoredConfig(st, initial)
}

// held opens the store on a copy of the disk, which injects no faults and
// draws nothing from the disk's stream, so that looking changes nothing.
// A store that does not open holds nothing: the restart will report why.
func (s *fileStorage) held() *heldLog {
	if s.down != nil {
		return s.down
	}
	s.down = &heldLog{first: 1}
	st, err := filestore.Open(fileDir, filestore.Options{FS: s.d.Clone(), SegmentSizeBytes: fileSegmentBytes})
	if err != nil {
		// A node whose store does not open votes for no one, as if
		// fenced: one that refuses to start on corruption its disk
		// suffered never does again, and one that cannot write the repair
		// of its damage (a full disk) comes back fenced once it can. The
		// restart reports an error no fault explains.
		s.down.fenced = true
		return s.down
	}
	h, err := readHeld(st)
	if err != nil {
		panic(fmt.Sprintf("sim: reading a store that opened: %v", err))
	}
	h.st = st
	s.down = h
	return h
}

func readHeld(st *filestore.Store) (*heldLog, error) {
	first, _ := st.FirstIndex()
	last, _ := st.LastIndex()
	hs, _ := st.InitialState()
	prev, _, err := st.Term(first - 1)
	if err != nil {
		return nil, err
	}
	h := &heldLog{first: first, last: last, prevTerm: prev, snap: st.SnapshotMeta().Index, fenced: hs.Fence != 0}
	ents, err := st.Entries(first, last+1)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		h.terms = append(h.terms, e.Term)
	}
	return h, nil
}
