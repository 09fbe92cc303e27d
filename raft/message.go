package raft

import "fmt"

// MessageType names a Raft RPC or its response.
type MessageType uint8

const (
	// MsgPreVote asks whether the sender could win an election at Term
	// without anyone changing term (§9.6 of the Raft thesis). Index and
	// LogTerm describe the sender's last entry.
	MsgPreVote MessageType = iota + 1
	MsgPreVoteResp
	// MsgVote is RequestVote (§5.2). Index and LogTerm describe the
	// candidate's last entry, for the up-to-date check (§5.4.1).
	MsgVote
	MsgVoteResp
	// MsgApp is AppendEntries (§5.3): Entries follow the entry at
	// (Index, LogTerm); Commit is the leader's commit index.
	MsgApp
	// MsgAppResp acknowledges MsgApp. On success Index is the highest index
	// known to match the leader. On rejection Index is the rejected
	// MsgApp's Index, and RejectHint/LogTerm locate the follower's
	// conflicting term, so the leader skips a whole term per round trip;
	// Context contextRepair says the follower lost entries it may have
	// acknowledged, and holds none past RejectHint.
	MsgAppResp
	// MsgHeartbeat asserts leadership and carries the commit index, capped
	// at what the follower is known to hold. Context is the leader's
	// heartbeat round, echoed back so that reads can confirm leadership.
	MsgHeartbeat
	MsgHeartbeatResp
	// MsgSnap is InstallSnapshot (§7), one chunk at a time: Snapshot
	// carries the snapshot's metadata and bytes [Offset, Offset+len(Data))
	// of its data. Index and LogTerm repeat the snapshot's last included
	// index and term; Context is the transfer round (see MsgSnapResp).
	MsgSnap
	// MsgSnapResp acknowledges a chunk that did not complete the snapshot:
	// Snapshot.Offset is how many bytes of it the follower holds in order.
	// Reject means the chunk did not start there (a chunk before it was
	// lost, or the follower restarted): the leader resends from Offset.
	// Context echoes the chunk's round, so that the answers to chunks sent
	// before a resend do not cause another. A completed snapshot is
	// answered by a MsgAppResp, once it is durable.
	MsgSnapResp
	// MsgTimeoutNow tells a follower whose log matches the leader's to
	// stand for election at once (§3.10 of the thesis, leadership
	// transfer). Its MsgVotes carry Context contextTransfer, which voters
	// hold no lease against.
	MsgTimeoutNow
)

// contextRepair marks, in a rejecting MsgAppResp's Context, a follower
// whose log lost entries it may have acknowledged (repair.go): the leader
// forgets that it held anything past RejectHint.
const contextRepair = 2

// contextTransfer marks, in MsgVote's Context, an election a leader asked
// for by MsgTimeoutNow.
const contextTransfer = 1

var messageTypeNames = [...]string{
	MsgPreVote:       "PreVote",
	MsgPreVoteResp:   "PreVoteResp",
	MsgVote:          "Vote",
	MsgVoteResp:      "VoteResp",
	MsgApp:           "App",
	MsgAppResp:       "AppResp",
	MsgHeartbeat:     "Heartbeat",
	MsgHeartbeatResp: "HeartbeatResp",
	MsgSnap:          "Snap",
	MsgSnapResp:      "SnapResp",
	MsgTimeoutNow:    "TimeoutNow",
}

// NumMessageTypes bounds the MessageType values, for tables indexed by type.
const NumMessageTypes = len(messageTypeNames)

func (t MessageType) String() string {
	if int(t) < len(messageTypeNames) && messageTypeNames[t] != "" {
		return messageTypeNames[t]
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// IsResponse reports whether t answers a request.
func (t MessageType) IsResponse() bool {
	switch t {
	case MsgPreVoteResp, MsgVoteResp, MsgAppResp, MsgHeartbeatResp, MsgSnapResp:
		return true
	}
	return false
}

// Message is the unit of communication between nodes. Fields that a type
// does not use are zero.
type Message struct {
	Type MessageType
	From NodeID
	To   NodeID
	// Term is the sender's term, except in MsgPreVote where it is the term
	// the sender would campaign in, and MsgPreVoteResp where it echoes it.
	Term    Term
	LogTerm Term
	Index   Index
	Entries []Entry
	Commit  Index
	Reject  bool
	// RejectHint is, in a rejecting MsgAppResp, the highest index at which
	// the follower's log might still match the leader's.
	RejectHint Index
	Context    uint64
	// Snapshot is the chunk of MsgSnap, or the position of MsgSnapResp;
	// nil in every other type. A pointer keeps the messages of the hot
	// path small.
	Snapshot *SnapshotChunk
}

func (m Message) String() string {
	s := fmt.Sprintf("%s %d->%d t%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case MsgPreVote, MsgVote:
		s += fmt.Sprintf(" last=%d/%d", m.LogTerm, m.Index)
		if m.Type == MsgVote && m.Context == contextTransfer {
			s += " transfer"
		}
	case MsgApp:
		s += fmt.Sprintf(" prev=%d/%d ents=%d commit=%d", m.LogTerm, m.Index, len(m.Entries), m.Commit)
	case MsgAppResp:
		s += fmt.Sprintf(" idx=%d", m.Index)
		if m.Reject {
			s += fmt.Sprintf(" reject hint=%d/%d", m.LogTerm, m.RejectHint)
			if m.Context == contextRepair {
				s += " repair"
			}
		}
	case MsgHeartbeat:
		s += fmt.Sprintf(" commit=%d round=%d", m.Commit, m.Context)
	case MsgHeartbeatResp:
		s += fmt.Sprintf(" round=%d", m.Context)
	case MsgPreVoteResp, MsgVoteResp:
		if m.Reject {
			s += " reject"
		}
	case MsgSnap, MsgSnapResp:
		if c := m.Snapshot; c != nil {
			s += fmt.Sprintf(" snap=%d/%d off=%d", c.Meta.Term, c.Meta.Index, c.Offset)
			if m.Type == MsgSnap {
				s += fmt.Sprintf(" len=%d total=%d", len(c.Data), c.Total)
			}
		}
		s += fmt.Sprintf(" round=%d", m.Context)
		if m.Reject {
			s += " reject"
		}
	}
	return s
}
