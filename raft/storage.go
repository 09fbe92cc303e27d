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
type Storage interface {
	// InitialState returns the hard state last written (after a restart,
	// what survived), or the zero HardState for a node that never ran.
	InitialState() (HardState, error)
	// FirstIndex is the index of the first entry still held. It is
	// LastIndex()+1 when the log is empty.
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
}
