package raft

import "fmt"

// SnapshotMeta describes a snapshot (§7): the last entry it replaces, by
// index and term, and the configuration in force there.
type SnapshotMeta struct {
	Index     Index
	Term      Term
	ConfState ConfState
}

// Snapshot is a node's state as of an index (§7): its metadata and the
// state machine's state after applying every entry up to Meta.Index,
// opaque to the core. Data is immutable once a snapshot exists: the core,
// the storage and messages in flight may all share it.
type Snapshot struct {
	Meta SnapshotMeta
	Data []byte
}

// IsEmpty reports whether s is no snapshot at all (the zero Snapshot).
func (s Snapshot) IsEmpty() bool { return s.Meta.Index == 0 }

func (s Snapshot) String() string {
	return fmt.Sprintf("snapshot %d/%d %v %dB", s.Meta.Term, s.Meta.Index, s.Meta.ConfState, len(s.Data))
}

// SnapshotChunk is a piece of a snapshot in transfer. In MsgSnap it
// carries the bytes [Offset, Offset+len(Data)) of the snapshot's Data,
// which has Total bytes in all; the chunk that ends at Total completes
// the transfer. In MsgSnapResp, Offset is how many bytes of the snapshot
// the follower holds in order (where the next chunk must start) and Data
// is empty.
type SnapshotChunk struct {
	Meta   SnapshotMeta
	Offset uint64
	Total  uint64
	Data   []byte
}

// last reports whether the chunk completes its snapshot.
func (c *SnapshotChunk) last() bool { return c.Offset+uint64(len(c.Data)) == c.Total }
