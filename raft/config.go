package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// ReadMode selects how the leader confirms a linearizable read.
type ReadMode uint8

const (
	// ReadIndex confirms leadership with a quorum round of heartbeats
	// before serving each batch of reads (§8). Safe whatever the clocks do.
	ReadIndex ReadMode = iota + 1
	// ReadLease serves reads without a round trip while the leader holds a
	// lease: less than an election timeout (minus LeaseDriftTicks) since a
	// quorum acknowledged a heartbeat. It relies on every clock advancing at
	// about the same rate. UNSAFE when clock drift exceeds what
	// LeaseDriftTicks allows for: a follower whose clock runs fast can elect
	// a new leader while the old one still serves reads, and those reads
	// can be stale. Requires CheckQuorum.
	ReadLease
)

func (m ReadMode) String() string {
	switch m {
	case ReadIndex:
		return "read-index"
	case ReadLease:
		return "lease"
	}
	return fmt.Sprintf("ReadMode(%d)", uint8(m))
}

// Config sets up a Node. Zero-valued numeric fields take the defaults
// documented on each; everything else must be set.
type Config struct {
	// ID is this node's identity. Must not be None.
	ID NodeID
	// Voters is the initial cluster configuration. It is used until the
	// log carries a configuration entry (§6) or the storage a snapshot,
	// and is the same on every node of a cluster. A node that is not
	// among them (a spare, to be added later) starts as no member: it
	// never stands for election until a configuration that makes it a
	// voter reaches its log.
	Voters []NodeID
	// Storage holds the durable state. NewNode reads it once.
	Storage Storage
	// Applied is the index of the last entry the state machine has
	// applied (StateMachine.AppliedIndex() after a restart). Entries up to
	// it are not handed out for applying again.
	Applied Index
	// Rand draws the randomized election timeouts. Each node needs its
	// own, seeded source so that runs repeat.
	Rand *rand.Rand

	// ElectionTicks is the minimum election timeout T; each timeout is
	// drawn from [T, 2T) (§5.2). Default 10.
	ElectionTicks int
	// HeartbeatTicks is the leader's heartbeat interval. Must be less than
	// ElectionTicks. Default 1.
	HeartbeatTicks int
	// DisablePreVote turns off the PreVote phase. PreVote is on by default:
	// a node that was partitioned away and rejoins cannot force a term
	// change and depose a healthy leader.
	DisablePreVote bool
	// DisableCheckQuorum turns off CheckQuorum. With it on (the default) a
	// leader that has not heard from a quorum for an election timeout steps
	// down, and a follower that heard from a leader within the minimum
	// election timeout ignores vote requests.
	DisableCheckQuorum bool

	// MaxEntriesPerMsg bounds the entries of one MsgApp. Default 64.
	MaxEntriesPerMsg int
	// MaxBytesPerMsg bounds the entry payload of one MsgApp; a single
	// larger entry is still sent alone. Default 1 MiB.
	MaxBytesPerMsg uint64
	// MaxInflightMsgs bounds the unacknowledged MsgApps to one follower in
	// the pipelined (replicate) state. Default 256.
	MaxInflightMsgs int
	// MaxUncommittedEntries bounds the leader's uncommitted log tail;
	// proposals past it return ErrProposalDropped. Default 4096.
	MaxUncommittedEntries int
	// MaxPendingReads bounds the reads waiting for confirmation; more
	// return ErrReadDropped. Default 4096.
	MaxPendingReads int

	// SnapshotEvery is the compaction policy: SnapshotDue reports true once
	// the state machine has applied this many entries since the latest
	// snapshot. Zero turns the policy off (the caller may still Compact).
	SnapshotEvery int
	// SnapshotKeep is how many entries Compact keeps before a snapshot's
	// index, so that a follower lagging by fewer catches up by entries
	// rather than by a snapshot. Default 0.
	SnapshotKeep int
	// SnapshotChunkBytes is the size of the chunks a snapshot is sent in
	// (MsgSnap). Default 1 MiB.
	SnapshotChunkBytes uint64
	// MaxInflightSnapshotChunks bounds the unacknowledged chunks of a
	// snapshot transfer to one follower. Default 4.
	MaxInflightSnapshotChunks int
	// MaxSnapshotBytes bounds the snapshot a follower accepts: it holds
	// the chunks in memory until the last arrives. Default 1 GiB.
	MaxSnapshotBytes uint64

	// ReadMode is ReadIndex (the default) or ReadLease.
	ReadMode ReadMode
	// LeaseDriftTicks is subtracted from the election timeout to bound a
	// read lease, as a margin for clock drift. Only for ReadLease;
	// must be below ElectionTicks. Zero means no margin at all.
	LeaseDriftTicks int
}

// validate fills in defaults and checks the rest.
func (c *Config) validate() error {
	if c.ID == None {
		return errors.New("raft: config: ID must not be 0")
	}
	if len(c.Voters) == 0 {
		return errors.New("raft: config: Voters is empty")
	}
	if len(c.Voters) > maxMembers {
		return fmt.Errorf("raft: config: %d voters, at most %d", len(c.Voters), maxMembers)
	}
	seen := make(map[NodeID]bool, len(c.Voters))
	for _, v := range c.Voters {
		if v == None {
			return errors.New("raft: config: Voters contains node 0")
		}
		if seen[v] {
			return fmt.Errorf("raft: config: Voters lists node %d twice", v)
		}
		seen[v] = true
	}
	if c.Storage == nil {
		return errors.New("raft: config: Storage is nil")
	}
	if c.Rand == nil {
		return errors.New("raft: config: Rand is nil (each node needs a seeded source for election timeouts)")
	}
	setDefault(&c.ElectionTicks, 10)
	setDefault(&c.HeartbeatTicks, 1)
	setDefault(&c.MaxEntriesPerMsg, 64)
	setDefault(&c.MaxInflightMsgs, 256)
	setDefault(&c.MaxUncommittedEntries, 4096)
	setDefault(&c.MaxPendingReads, 4096)
	setDefault(&c.MaxInflightSnapshotChunks, 4)
	if c.MaxBytesPerMsg == 0 {
		c.MaxBytesPerMsg = 1 << 20
	}
	if c.SnapshotChunkBytes == 0 {
		c.SnapshotChunkBytes = 1 << 20
	}
	if c.MaxSnapshotBytes == 0 {
		c.MaxSnapshotBytes = 1 << 30
	}
	if c.ReadMode == 0 {
		c.ReadMode = ReadIndex
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"ElectionTicks", c.ElectionTicks}, {"HeartbeatTicks", c.HeartbeatTicks},
		{"MaxEntriesPerMsg", c.MaxEntriesPerMsg}, {"MaxInflightMsgs", c.MaxInflightMsgs},
		{"MaxUncommittedEntries", c.MaxUncommittedEntries}, {"MaxPendingReads", c.MaxPendingReads},
		{"SnapshotEvery", c.SnapshotEvery}, {"SnapshotKeep", c.SnapshotKeep},
		{"MaxInflightSnapshotChunks", c.MaxInflightSnapshotChunks},
	} {
		if f.v < 0 {
			return fmt.Errorf("raft: config: %s is %d, must be positive", f.name, f.v)
		}
	}
	if c.HeartbeatTicks >= c.ElectionTicks {
		return fmt.Errorf("raft: config: HeartbeatTicks (%d) must be less than ElectionTicks (%d)", c.HeartbeatTicks, c.ElectionTicks)
	}
	switch c.ReadMode {
	case ReadIndex:
	case ReadLease:
		if c.DisableCheckQuorum {
			return errors.New("raft: config: ReadLease requires CheckQuorum")
		}
		if c.LeaseDriftTicks < 0 || c.LeaseDriftTicks >= c.ElectionTicks {
			return fmt.Errorf("raft: config: LeaseDriftTicks is %d, must be in [0, ElectionTicks=%d)", c.LeaseDriftTicks, c.ElectionTicks)
		}
	default:
		return fmt.Errorf("raft: config: unknown ReadMode %d", c.ReadMode)
	}
	c.Voters = slices.Clone(c.Voters)
	slices.Sort(c.Voters)
	return nil
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}
