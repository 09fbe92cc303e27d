package raft

import (
	"fmt"
	"slices"
)

// ConfState is a cluster configuration as a snapshot records it: the
// membership in force at the snapshot's last included entry (§7: the
// snapshot carries "the latest configuration as of the last included
// index", since the entries that set it are gone from the log).
//
// The core runs a fixed set of voters today. The other fields are the
// shapes that learners and joint consensus (§6) take, so that a snapshot
// format holding them needs no change when the core learns them; until
// then they must be empty (NewNode and Step refuse a snapshot that uses
// them). Every list is sorted, without duplicates.
type ConfState struct {
	// Voters are the voting members; during a joint change, those of the
	// incoming configuration (C_new).
	Voters []NodeID
	// Learners receive the log but neither vote nor count for commitment.
	Learners []NodeID
	// VotersOutgoing are the voters of the outgoing configuration (C_old)
	// during a joint change, and empty outside one.
	VotersOutgoing []NodeID
	// LearnersNext are nodes that are voters in VotersOutgoing and become
	// learners when the joint change ends.
	LearnersNext []NodeID
}

// Equal reports whether two configurations have the same members in the
// same roles.
func (cs ConfState) Equal(o ConfState) bool {
	return slices.Equal(cs.Voters, o.Voters) && slices.Equal(cs.Learners, o.Learners) &&
		slices.Equal(cs.VotersOutgoing, o.VotersOutgoing) && slices.Equal(cs.LearnersNext, o.LearnersNext)
}

// clone returns a deep copy, so that a snapshot's configuration never
// aliases the node's.
func (cs ConfState) clone() ConfState {
	return ConfState{
		Voters: slices.Clone(cs.Voters), Learners: slices.Clone(cs.Learners),
		VotersOutgoing: slices.Clone(cs.VotersOutgoing), LearnersNext: slices.Clone(cs.LearnersNext),
	}
}

// validate checks what the core can run: at least one voter, at most
// maxVoters, each list sorted and unique, and none of the fields the core
// does not support yet.
func (cs ConfState) validate() error {
	if len(cs.Voters) == 0 {
		return fmt.Errorf("configuration has no voters")
	}
	if len(cs.Voters) > maxVoters {
		return fmt.Errorf("configuration has %d voters, at most %d", len(cs.Voters), maxVoters)
	}
	for i, v := range cs.Voters {
		if v == None {
			return fmt.Errorf("configuration lists node 0 among its voters")
		}
		if i > 0 && cs.Voters[i-1] >= v {
			return fmt.Errorf("configuration voters %v are not sorted and unique", cs.Voters)
		}
	}
	if len(cs.Learners) > 0 || len(cs.VotersOutgoing) > 0 || len(cs.LearnersNext) > 0 {
		return fmt.Errorf("configuration uses learners or a joint change (%+v), which this core does not support yet", cs)
	}
	return nil
}

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
	return fmt.Sprintf("snapshot %d/%d voters %v %dB", s.Meta.Term, s.Meta.Index, s.Meta.ConfState.Voters, len(s.Data))
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
