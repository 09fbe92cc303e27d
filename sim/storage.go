package sim

import (
	"math/rand/v2"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// nodeStorage is a node's durable storage as the simulator drives it: the
// raft.Storage the running process writes to, what a crash and a power
// loss do to it, and what a restart reads. It also shows the log it holds
// to the checkers while the node is down: the log the node would restart
// with.
type nodeStorage interface {
	// open is a restart's first step: it returns the storage the new
	// process hands raft.NewNode, presenting only durable state
	// (raft.Storage's restart contract), or why it cannot be opened.
	open() (raft.Storage, error)
	// live is the running process's storage (after open).
	live() raft.Storage
	// crash ends the process: unsynced writes stay, not durable.
	crash()
	// powerLoss ends the process and loses what was not durable.
	powerLoss()
	// disk is the simulated disk under the store, or nil (MemoryStorage).
	disk() *disk.Sim
	// diskChanged says the disk changed under a store that is down (a
	// fault hit it): what a restart would find must be read again.
	diskChanged()

	// The log the node holds, or would restart with while down, for the
	// checkers: its last and first index (the entries before the first
	// are in its snapshot), an entry's term, its snapshot's index, and
	// whether the node repairs its log (raft.HardState.Fence).
	lastHeld() raft.Index
	firstHeld() raft.Index
	term(i raft.Index) (raft.Term, bool)
	snapshotIndex() raft.Index
	fenced() bool
	// heldConfig is the configuration the node would restart with, and
	// the index of the entry that set it (raft.StoredConfig), for the
	// membership checks; initial is Config.Voters.
	heldConfig(initial []raft.NodeID) (raft.ConfState, raft.Index, error)
	// repaired says what damage the last open found in data the store
	// had vouched for, and repaired by fencing the node
	// (filestore.RecoveryInfo.Repaired), or "".
	repaired() string
	// misread says what damage the last open found on a first reading
	// of the files and not on a second (filestore.RecoveryInfo.Misread),
	// or "".
	misread() string
}

// newNodeStorage returns a node's storage of the kind the run asks for;
// rng drives a file store's simulated disk.
func newNodeStorage(kind StoreKind, cfg disk.SimConfig, rng *rand.Rand) (nodeStorage, error) {
	if kind == StoreFile {
		return newFileStorage(cfg, rng)
	}
	return newMemStorage(), nil
}

// memStorage is raft.MemoryStorage: fast, and faultless but for losing
// unsynced writes in a power loss.
type memStorage struct{ m *raft.MemoryStorage }

func newMemStorage() *memStorage { return &memStorage{m: raft.NewMemoryStorage()} }

func (s *memStorage) open() (raft.Storage, error) {
	s.m.Reopen()
	return s.m, nil
}

func (s *memStorage) live() raft.Storage                  { return s.m }
func (s *memStorage) crash()                              { s.m.Crash() }
func (s *memStorage) powerLoss()                          { s.m.PowerLoss() }
func (s *memStorage) lastHeld() raft.Index                { return s.m.LastHeld() }
func (s *memStorage) firstHeld() raft.Index               { return s.m.FirstHeld() }
func (s *memStorage) term(i raft.Index) (raft.Term, bool) { return s.m.Term(i) }
func (s *memStorage) snapshotIndex() raft.Index           { return s.m.SnapshotIndex() }
func (s *memStorage) fenced() bool                        { return false }
func (s *memStorage) disk() *disk.Sim                     { return nil }
func (s *memStorage) diskChanged()                        {}
func (s *memStorage) repaired() string                    { return "" }
func (s *memStorage) misread() string                     { return "" }
func (s *memStorage) heldConfig(initial []raft.NodeID) (raft.ConfState, raft.Index, error) {
	return s.m.HeldConfig(initial)
}
