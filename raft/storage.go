package raft

// Storage is where a node's durable state lives: its hard state (term,
// vote, commit) and its log. A node reads it once, in NewNode, and keeps
// its own copy of the log in memory from then on; the caller writes to it
// while handling each Ready (see the contract in doc.go).
//
// Writes are not durable until Sync returns nil. An implementation may
// lose any write not followed by a successful Sync when the process
// crashes, but never a synced one, and never a write older than one that
// survived (writes become durable in order).
//
// After a restart, everything a Storage presents to NewNode must be
// durable: it either presents only what is durable, or makes what it
// presents durable before the node reads it. A process that dies leaves
// its unsynced writes in the OS page cache, where a reopened file shows
// them although a power loss can still take them back; the node cannot
// tell them apart, and would vote on them, acknowledge them to a leader
// and apply them. filestore.Open therefore fsyncs what it recovered, and
// MemoryStorage.Reopen models the same.
//
// A Storage that finds, when opened, that it lost entries it may have
// acknowledged (corruption of synced data) presents the log only up to
// the damage and sets HardState.Fence to the node's term, instead of
// failing or hiding the loss; the node repairs from the leader (doc.go,
// "Protocol-aware recovery"). It then persists the fence as part of the
// hard state until the node clears it.
//
// A snapshot (§7) replaces the log up to its index. A Storage holds the
// latest one written, and a log that continues it: the entries after the
// snapshot's index are all held, and some before it may be too, until
// Compact discards them. A compaction becomes durable no earlier than the
// snapshot that covers it, so that no crash can leave a log that neither
// holds an entry nor covers it with a snapshot.
type Storage interface {
	// InitialState returns the hard state last written (after a restart,
	// what survived), or the zero HardState for a node that never ran.
	InitialState() (HardState, error)
	// Snapshot returns the latest snapshot written (after a restart, what
	// survived), or the zero Snapshot.
	Snapshot() (Snapshot, error)
	// FirstIndex is the index of the first entry still held, at most the
	// snapshot's index plus one. It is LastIndex()+1 when the log is
	// empty.
	FirstIndex() (Index, error)
	// LastIndex is the index of the last entry held, or FirstIndex()-1.
	LastIndex() (Index, error)
	// Entries returns the entries in [lo, hi), lo >= FirstIndex and
	// hi <= LastIndex()+1. It returns ErrCompacted or ErrUnavailable for
	// indexes outside the log.
	Entries(lo, hi Index) ([]Entry, error)

	// Append writes entries, whose indexes are consecutive. If the first
	// of them is at or below LastIndex, the log is first truncated so that
	// it ends just before it (a follower overwriting a conflicting suffix,
	// §5.3). The first entry's index must be at most LastIndex()+1.
	// Entries a Node hands out are immutable, so an implementation may
	// keep the slice instead of copying it; callers that pass their own
	// slices must not modify them afterwards.
	Append(entries []Entry) error
	// SetHardState records hs.
	SetHardState(hs HardState) error
	// ApplySnapshot records snap, the state after the entries up to
	// snap.Meta.Index. If the log holds the entry at that index with
	// snap.Meta.Term, it is kept whole (Compact discards its prefix);
	// otherwise every entry is discarded and the log continues at
	// snap.Meta.Index+1 (§7). A snapshot no newer than the one held
	// changes nothing. Snapshot data is immutable: an implementation may
	// keep the slice.
	ApplySnapshot(snap Snapshot) error
	// Compact discards the entries up to index, which must not pass the
	// snapshot's index. The discard becomes durable no earlier than that
	// snapshot: a crash that loses the snapshot brings the entries back.
	// Compacting at or below FirstIndex()-1 changes nothing.
	Compact(index Index) error
	// Sync makes every earlier write durable.
	Sync() error
}

// StateMachine is the replicated application (§5, "replicated state
// machine"). The caller applies every committed entry to it, each exactly
// once, in log order, with no gaps.
type StateMachine interface {
	// Apply executes a committed entry and returns its response. Entries
	// other than EntryNormal carry no command: the state machine only
	// records that it has seen them. Apply must be deterministic: every
	// replica applies the same entries in the same order and must reach
	// the same state and responses.
	Apply(e Entry) []byte
	// AppliedIndex is the index of the last entry whose effect the state
	// machine holds. After a restart the node resumes applying after it, so
	// that no entry is applied twice (Config.Applied).
	AppliedIndex() Index
	// Snapshot returns the whole replicated state as of AppliedIndex, for
	// Node.Compact (§7). Replicas at the same applied index return equal
	// bytes.
	Snapshot() []byte
	// Restore replaces the whole state, applied index included, with one
	// that Snapshot returned, on this replica or another (a snapshot
	// installed from the leader, Ready.RestoreSnapshot). It returns an
	// error, and changes nothing, for bytes that are not such a snapshot.
	Restore(data []byte) error
}
