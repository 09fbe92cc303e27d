package raft

import (
	"errors"
	"fmt"
)

// ErrProposalDropped is returned when a proposal cannot be accepted now
// (for example the leader's bound on uncommitted entries is reached). The
// proposal was not appended anywhere; retrying later is safe.
var ErrProposalDropped = errors.New("raft: proposal dropped")

// ErrReadDropped is returned when a read request cannot be queued because
// the bound on pending reads is reached.
var ErrReadDropped = errors.New("raft: read request dropped")

// ErrCompacted is returned by Storage when the requested index precedes
// its first retained entry.
var ErrCompacted = errors.New("raft: requested index is compacted")

// ErrSnapshotOutOfDate is returned by Compact for a snapshot no newer
// than the node's latest one (or while the state machine is still to be
// restored from that one).
var ErrSnapshotOutOfDate = errors.New("raft: snapshot is not newer than the latest one")

// ErrCompactUnapplied is returned by Compact for an index the state
// machine has not applied: the core never compacts past it.
var ErrCompactUnapplied = errors.New("raft: compacting past the applied index")

// ErrUnavailable is returned by Storage when the requested index is past
// its last entry.
var ErrUnavailable = errors.New("raft: requested entry is unavailable")

// NotLeaderError is returned by Propose and ReadIndex on a node that is not
// the leader. Leader is the leader this node last heard from, or None; a
// client should retry there.
type NotLeaderError struct {
	Leader NodeID
}

func (e *NotLeaderError) Error() string {
	if e.Leader == None {
		return "raft: not the leader (leader unknown)"
	}
	return fmt.Sprintf("raft: not the leader (try node %d)", e.Leader)
}

// ErrNotLeader matches any *NotLeaderError with errors.Is.
var ErrNotLeader = errors.New("raft: not the leader")

// Is makes errors.Is(err, ErrNotLeader) true for every NotLeaderError.
func (e *NotLeaderError) Is(target error) bool { return target == ErrNotLeader }

// ErrInvalidMessage is returned by Step for a message that is malformed or
// not addressed to this node. The node's state is unchanged.
var ErrInvalidMessage = errors.New("raft: invalid message")

// errConflictsWithCommitted marks a MsgApp that would overwrite a
// committed entry. Only a peer that broke Raft's rules sends one.
var errConflictsWithCommitted = fmt.Errorf("%w: contradicts a committed entry (the sender broke Raft's safety rules)", ErrInvalidMessage)

// ErrConfChangeInProgress is returned by ProposeConfChange while a
// configuration change is under way: an earlier configuration entry is
// not committed yet, the configuration is joint and must be left first,
// or the leader has not yet committed an entry of its own term (the fix
// for the single-server change bug: until then it cannot know that no
// other leader's change is in flight). Nothing was proposed; retrying
// later is safe.
var ErrConfChangeInProgress = errors.New("raft: a configuration change is in progress")

// ErrInvalidConfChange is returned by ProposeConfChange for a change that
// makes no sense in the current configuration: adding a voter that is
// one, removing a node that is no member, leaving a configuration that is
// not joint, removing every voter.
var ErrInvalidConfChange = errors.New("raft: invalid configuration change")

// ErrNotCaughtUp is returned by ProposeConfChange for the promotion of a
// learner whose log is behind the leader's commit index: as a voter it
// would slow every commit down until it caught up (§4.2.1 of the thesis).
// Retry once it has.
var ErrNotCaughtUp = errors.New("raft: the learner has not caught up with the log")

// ErrLeadershipTransfer is returned by Propose and ProposeConfChange
// while the leader is handing leadership over (TransferLeadership), and
// by Propose on a leader that has removed itself from the configuration:
// nothing was proposed, and the next leader takes proposals shortly.
var ErrLeadershipTransfer = errors.New("raft: leadership transfer in progress")

// ErrInvalidTransfer is returned by TransferLeadership for a target that
// is not a voter of the configuration, or this node itself.
var ErrInvalidTransfer = errors.New("raft: invalid leadership transfer target")
