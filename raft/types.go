package raft

import "fmt"

// NodeID names a member of the cluster. The zero value, None, names no node.
type NodeID uint64

// None is the NodeID of no node: no vote cast, no leader known.
const None NodeID = 0

// Term is a Raft term (§5.1). Terms only grow.
type Term uint64

// Index is the position of an entry in the log. Index 0 is the empty prefix
// that precedes every log; the first real entry has index 1.
type Index uint64

// Role is the part a node currently plays in the protocol.
type Role uint8

// Roles start at 1 so that the zero Role is invalid and caught.
const (
	RoleFollower Role = iota + 1
	RolePreCandidate
	RoleCandidate
	RoleLeader
)

func (r Role) String() string {
	switch r {
	case RoleFollower:
		return "follower"
	case RolePreCandidate:
		return "pre-candidate"
	case RoleCandidate:
		return "candidate"
	case RoleLeader:
		return "leader"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// EntryType tells what a log entry carries.
type EntryType uint8

const (
	// EntryNormal carries an opaque command for the state machine.
	EntryNormal EntryType = iota + 1
	// EntryNoop is appended by every new leader so that it can commit an
	// entry of its own term (§5.4.2, §8). It is applied like every entry;
	// the state machine only records its index.
	EntryNoop
	// EntryConfig carries a cluster configuration (§6): the encoded voter
	// set. Configurations travel through the log like commands.
	EntryConfig
)

func (t EntryType) String() string {
	switch t {
	case EntryNormal:
		return "normal"
	case EntryNoop:
		return "noop"
	case EntryConfig:
		return "config"
	}
	return fmt.Sprintf("EntryType(%d)", uint8(t))
}

// Entry is one record of the replicated log.
type Entry struct {
	Term  Term
	Index Index
	Type  EntryType
	Data  []byte
}

// entryOverheadBytes approximates the fixed size of an entry on the wire;
// it keeps batches of empty entries bounded by MaxBytesPerMsg as well.
const entryOverheadBytes = 24

// size is the number of bytes an entry counts for in message size limits.
func (e *Entry) size() uint64 { return entryOverheadBytes + uint64(len(e.Data)) }

func (e Entry) String() string {
	return fmt.Sprintf("%d/%d %s %dB", e.Term, e.Index, e.Type, len(e.Data))
}

// HardState is the state a node must persist before it answers any message
// that depends on it (§5, Figure 2): the current term, the vote cast in it,
// and the commit index (persisted so that restarts do not re-learn it).
type HardState struct {
	Term   Term
	Vote   NodeID
	Commit Index
	// Fence is nonzero on a node whose storage lost entries it may have
	// acknowledged (to corruption, found at recovery): the storage sets it
	// to the term the node was in, and the node grants no vote and stands
	// in no election until its log holds an entry of a later term
	// received from a leader, when it clears it (see doc.go, "Protocol-
	// aware recovery"). Zero on a node that never lost anything.
	Fence Term
	// FenceIndex, on a fenced node, is the last index it may have
	// acknowledged before the loss (0: unknown). The fence also lifts
	// once a leader's MsgApp has matched the log up to it.
	FenceIndex Index
}

// IsZero reports whether hs is the state of a node that never ran.
func (hs HardState) IsZero() bool { return hs == HardState{} }

// SoftState is volatile state that callers observe but need not persist.
type SoftState struct {
	Role   Role
	Leader NodeID
}

// ReadState is a completed linearizable read request: once the state
// machine has applied Index, the read identified by ID may be served from
// local state.
type ReadState struct {
	ID    uint64
	Index Index
}
