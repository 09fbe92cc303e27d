package filestore

import (
	"errors"
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// ErrSnapshotsUnsupported is returned by ApplySnapshot and Compact: this
// store keeps no snapshot files yet, so it cannot take the place of
// entries. A node on it must run without compaction (Config.SnapshotEvery
// zero, no Compact calls) and cannot install a snapshot from a leader.
var ErrSnapshotsUnsupported = errors.New("filestore: snapshots are not supported yet")

// Snapshot implements raft.Storage: the store holds no snapshot.
func (s *Store) Snapshot() (raft.Snapshot, error) {
	if err := s.usable(); err != nil {
		return raft.Snapshot{}, err
	}
	return raft.Snapshot{}, nil
}

// ApplySnapshot implements raft.Storage by refusing the snapshot.
func (s *Store) ApplySnapshot(snap raft.Snapshot) error {
	return fmt.Errorf("%w: snapshot at index %d", ErrSnapshotsUnsupported, snap.Meta.Index)
}

// Compact implements raft.Storage by refusing to discard entries.
func (s *Store) Compact(index raft.Index) error {
	return fmt.Errorf("%w: compacting to %d", ErrSnapshotsUnsupported, index)
}
