package raft

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Node is one Raft replica as a deterministic state machine. It does no
// I/O and reads no clock: the caller feeds it ticks, messages, proposals
// and read requests, and carries out the Ready batches it returns (see the
// contract in doc.go). A Node is not safe for concurrent use.
type Node struct {
	id  NodeID
	cfg Config

	// Invariant: term never decreases.
	term Term
	// vote is the candidate this node voted for in term, or None.
	vote NodeID
	// fence is nonzero while the node repairs a log that lost entries it
	// may have acknowledged (repair.go): it then grants no vote and
	// stands in no election.
	// Invariant: fence == 0 or the log holds no entry of a term after it.
	fence Term
	// fenceIndex is HardState.FenceIndex: with the fence, the last index
	// the node may have acknowledged before its storage lost entries.
	fenceIndex Index
	// repairMatch is, on a fenced node, the last index its log is known
	// to share with the leader of term repairTerm: up to the last entry
	// of a MsgApp of that term it accepted (repair.go, commitCap).
	repairMatch Index
	repairTerm  Term
	role        Role
	// lead is the leader of term as far as this node knows, or None.
	lead NodeID
	log  *raftLog

	// conf is the configuration in force: the latest in the log
	// (membership.go), set by the entry at (confIndex, confTerm), or the
	// base of confs (term 0). prs and votes are indexed like its sorted
	// members, so no map order ever reaches a message; self is this
	// node's position there, or -1 when it is no member.
	conf      ConfState
	confIndex Index
	confTerm  Term
	confs     confLog
	// nIn and nOut are the sizes of the two voter halves (nOut is 0
	// outside a joint configuration); leaving counts the members of prs
	// that the configuration removed and the leader still replicates to
	// until the change commits (applyConf).
	nIn, nOut int
	leaving   int
	self      int
	prs       []progress
	// votes[i] is 0 (no answer), 1 (granted) or -1 (rejected).
	votes []int8

	// transferee is the node a leadership transfer is handing over to,
	// or None (leadership.go); transferElapsed counts the ticks since it
	// began. transferSent records that this leader sent MsgTimeoutNow in
	// its term, which ends its read lease (read.go).
	transferee      NodeID
	transferElapsed int
	transferSent    bool

	electionElapsed  int
	heartbeatElapsed int
	// electionTimeout is the current randomized timeout in [T, 2T).
	electionTimeout int
	// ticks counts every Tick since NewNode; read leases are measured in it.
	ticks uint64

	// needFlush asks the next Ready to send appends and start read rounds
	// for work queued since the last one, so many proposals share a MsgApp.
	needFlush bool
	// round numbers the leader's heartbeat broadcasts (see read.go).
	round      uint64
	roundTicks [roundHistory]uint64
	reads      []readRequest

	// recv is a snapshot being received from the leader (transfer.go).
	recv snapshotReceive

	msgs       []Message
	spareMsgs  []Message
	readStates []ReadState
	spareReads []ReadState

	prevHS HardState
	prevSS SoftState
	// readyOut is true between Ready and Advance.
	readyOut bool
}

// NewNode starts or restarts a node from its Storage.
func NewNode(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	hs, err := cfg.Storage.InitialState()
	if err != nil {
		return nil, fmt.Errorf("raft: reading hard state: %w", err)
	}
	l, err := newRaftLog(cfg.Storage)
	if err != nil {
		return nil, err
	}
	base := ConfState{Voters: cfg.Voters}
	if l.snap != nil {
		// The snapshot records the configuration at its index (§7); it
		// supersedes the initial one.
		base = l.snap.Meta.ConfState.clone()
		if err := base.validate(); err != nil {
			return nil, fmt.Errorf("raft: stored snapshot: %w", err)
		}
	}
	fence := hs.Fence
	if fence != 0 && l.lastTerm() > fence {
		fence = 0 // repaired before the restart (repair.go)
	}
	if hs.Commit > l.lastIndex() {
		if fence == 0 {
			return nil, fmt.Errorf("raft: stored commit index %d is past the stored log's last index %d", hs.Commit, l.lastIndex())
		}
		// The storage lost committed entries: the node learns the commit
		// index again as it repairs.
		hs.Commit = l.lastIndex()
	}
	if lt := l.lastTerm(); lt > hs.Term {
		// A power loss may keep a Ready's entries and lose its hard state
		// (a disk writes back in any order). That Ready was never synced,
		// so nothing it held left the node: no vote and no message of term
		// lt was sent. The node takes up term lt having voted for no one,
		// as if it had just heard of the term.
		hs.Term, hs.Vote = lt, None
	}
	if err := l.restoreApplied(hs.Commit, cfg.Applied, fence != 0); err != nil {
		return nil, err
	}
	n := &Node{
		id:    cfg.ID,
		cfg:   cfg,
		term:  hs.Term,
		vote:  hs.Vote,
		fence: fence,
		log:   l,
	}
	if fence != 0 {
		n.fenceIndex = hs.FenceIndex
	}
	if (l.lastTerm() != hs.Term || hs.Vote != None) && bugs.Fire(bugs.TermFromLog) {
		n.term, n.vote = l.lastTerm(), None
	}
	n.confs = confLog{base: base, baseIndex: l.snapIndex()}
	if err := n.loadConfs(); err != nil {
		return nil, err
	}
	n.refreshConfig()
	n.prevHS = HardState{Term: n.term, Vote: n.vote, Commit: l.committed, Fence: hs.Fence, FenceIndex: hs.FenceIndex}
	n.becomeFollower(n.term, None)
	n.resetElectionTimer()
	n.prevSS = n.softState()
	return n, nil
}

// ID returns the node's identity.
func (n *Node) ID() NodeID { return n.id }

// Tick advances the node's logical clock by one tick.
func (n *Node) Tick() {
	n.ticks++
	if n.role == RoleLeader {
		n.tickLeader()
	} else {
		n.tickElection()
	}
	n.settle()
	n.checkInvariants()
}

// Propose appends a command to the leader's log and returns the index and
// term it was given. The command is committed if and when an entry with
// that index and term is committed. On a follower it returns a
// *NotLeaderError naming the known leader.
func (n *Node) Propose(data []byte) (Index, Term, error) {
	if n.role != RoleLeader {
		return 0, 0, &NotLeaderError{Leader: n.lead}
	}
	if n.transferee != None {
		return 0, 0, ErrLeadershipTransfer
	}
	if !n.promotable() {
		// It removed itself: it hands over once the removal commits, and
		// an entry no voter holds then would delay that (stepDownRemoved).
		return 0, 0, fmt.Errorf("%w: the leader is leaving the configuration", ErrLeadershipTransfer)
	}
	if int(n.log.lastIndex()-n.log.committed) >= n.cfg.MaxUncommittedEntries {
		return 0, 0, ErrProposalDropped
	}
	idx := n.log.lastIndex() + 1
	if last := idx - 1; last > n.log.committed && bugs.On(bugs.LeaderReusesIndex) {
		if t, _ := n.log.term(last); t == n.term && bugs.Fire(bugs.LeaderReusesIndex) {
			// The new command takes the index of the last uncommitted one.
			n.log.truncateAndAppend([]Entry{{Term: n.term, Index: last, Type: EntryNormal, Data: data}})
			n.needFlush = true
			return last, n.term, nil
		}
	}
	n.appendEntry(Entry{Term: n.term, Index: idx, Type: EntryNormal, Data: data})
	n.settle()
	n.checkInvariants()
	return idx, n.term, nil
}

// ReadIndex asks for a linearizable read identified by id. When it is
// safe, a ReadState{id, index} appears in a Ready; the caller then serves
// the read from the state machine once it has applied index. On a
// follower it returns a *NotLeaderError. A read still pending when the
// node loses leadership is dropped; the caller learns of it from the
// SoftState change.
func (n *Node) ReadIndex(id uint64) error {
	if n.role != RoleLeader {
		return &NotLeaderError{Leader: n.lead}
	}
	return n.startRead(id)
}

// Step hands the node a message from a peer. It returns an error wrapping
// ErrInvalidMessage, and leaves the log untouched, for a message that is
// malformed or that contradicts this node's committed entries; the latter
// means some node broke Raft's rules and is worth reporting loudly.
func (n *Node) Step(m Message) error {
	if err := n.checkMessage(m); err != nil {
		return err
	}
	err := n.step(m)
	n.settle()
	n.checkInvariants()
	return err
}

// Ready is a batch of work for the caller, who must, in this order:
//  1. persist: write Snapshot (if not empty, Storage.ApplySnapshot),
//     HardState (if not zero) and Entries to Storage, then compact the
//     storage up to Compact (if not zero, Storage.Compact), then Sync if
//     MustSync;
//  2. send Messages;
//  3. apply: if RestoreSnapshot, reset the state machine to
//     Snapshot.Data; then apply CommittedEntries, in order, and serve
//     ReadStates whose index has been applied;
//  4. call Advance.
//
// The slices belong to the node again after Advance.
type Ready struct {
	// SoftState is the node's role and leader, when they changed.
	SoftState *SoftState
	// HardState is the state to persist, or zero when unchanged.
	HardState HardState
	// Snapshot, when not empty, is to be stored before Entries, which
	// follow it. It is either one the node made (Compact), whose state
	// the state machine holds already, or one received from the leader
	// (§7), which replaces the log unless the log holds its last entry:
	// then RestoreSnapshot is set.
	Snapshot Snapshot
	// RestoreSnapshot asks step 3 to reset the state machine to Snapshot
	// before applying CommittedEntries, which continue after its index.
	// It is also set after a restart whose Config.Applied is below the
	// stored snapshot; storing the same snapshot again changes nothing.
	RestoreSnapshot bool
	// Compact, when not zero, lets storage discard its entries up to this
	// index (Storage.Compact). It never passes the latest snapshot's
	// index, and the storage makes the discard durable no earlier than
	// that snapshot.
	Compact Index
	// Entries are to be appended to Storage (truncating any conflicting
	// suffix there, see Storage.Append).
	Entries []Entry
	// CommittedEntries are to be applied. They may include entries of this
	// same Ready's Entries, which step 1 made durable.
	CommittedEntries []Entry
	// Messages may be sent only once step 1 is done: they vouch for it
	// (a vote granted, an append acknowledged, a snapshot installed).
	Messages []Message
	// ReadStates are completed read requests (see ReadIndex).
	ReadStates []ReadState
	// MustSync is true when the hard state's term or vote changed, entries
	// were written or a snapshot from the leader was: then step 1 ends
	// with Storage.Sync.
	MustSync bool

	// appliedFloor, when set, is an index up to which the state machine
	// holds the entries already (Config.Applied was past a log that lost
	// them, repair.go): Advance moves the applied index over them, and
	// CommittedEntries start after it.
	appliedFloor Index
}

// maxApplyPerReady bounds CommittedEntries so that one Ready stays small
// after a long catch-up; the rest follow in later Readies.
const maxApplyPerReady = 4096

// HasReady reports whether Ready would return any work.
func (n *Node) HasReady() bool {
	if n.readyOut {
		return false
	}
	n.flush()
	return len(n.msgs) > 0 || len(n.readStates) > 0 ||
		n.log.hasUnstable() || n.log.committed > n.log.applied ||
		n.log.snapUnstable || n.log.snapRestore || n.log.compact > 0 ||
		n.hardState() != n.prevHS || n.softState() != n.prevSS
}

// Ready returns the pending work. Calling it again before Advance panics:
// the node would hand the same entries out twice.
func (n *Node) Ready() Ready {
	if n.readyOut {
		panic("raft: Ready called before Advance of the previous Ready")
	}
	n.flush()
	var rd Ready
	if ss := n.softState(); ss != n.prevSS {
		// A copy made only here keeps the common path free of allocation.
		changed := ss
		rd.SoftState = &changed
		n.prevSS = ss
	}
	if hs := n.hardState(); hs != n.prevHS {
		rd.MustSync = (hs.Term != n.prevHS.Term || hs.Vote != n.prevHS.Vote) && !bugs.Fire(bugs.VoteBeforeSync)
		rd.HardState = hs
		n.prevHS = hs
	}
	// Entries are durable once step 1 of this Ready is done; nothing past
	// them may be applied (see appliable).
	durable := n.log.stable
	if n.log.hasUnstable() {
		rd.Entries = n.log.unstable()
		rd.MustSync = true
		durable = n.log.lastIndex()
	}
	applied := n.log.applied
	if l := n.log; l.snapUnstable || l.snapRestore {
		rd.Snapshot = *l.snap
		rd.RestoreSnapshot = l.snapRestore
		if l.snapRestore {
			// The state machine restarts from the snapshot; entries
			// follow it.
			applied = l.snap.Meta.Index
		}
		// An installed snapshot is vouched for by the answer to the
		// leader, which leaves with this Ready: sync first. One the node
		// made itself vouches for nothing; storage makes it durable
		// before the compaction that depends on it.
		rd.MustSync = rd.MustSync || l.snapUnstable && l.snapInstalled
	}
	if c := n.log.compact; c > 0 {
		rd.Compact = c
	}
	if hi := n.log.appliable(durable); hi > applied {
		hi = min(hi, applied+maxApplyPerReady)
		lo := applied + 1
		if applied >= n.log.first && bugs.Fire(bugs.ReapplyLastEntry) {
			lo = applied // off by one: the last applied entry again
		}
		if f := n.log.applyFloor; f >= lo {
			// The state machine holds these already (repair.go).
			rd.appliedFloor = min(f, hi)
			lo = rd.appliedFloor + 1
		}
		if lo <= hi {
			rd.CommittedEntries = n.log.slice(lo, hi+1)
		}
	}
	rd.Messages = n.msgs
	n.msgs = n.spareMsgs[:0]
	n.spareMsgs = nil
	rd.ReadStates = n.readStates
	n.readStates = n.spareReads[:0]
	n.spareReads = nil
	n.readyOut = true
	return rd
}

// Advance tells the node that rd has been carried out.
func (n *Node) Advance(rd Ready) {
	if !n.readyOut {
		panic("raft: Advance without an outstanding Ready")
	}
	n.readyOut = false
	n.log.advanceSnapshot(rd)
	n.log.stableTo(rd.Entries)
	if rd.appliedFloor > n.log.applied {
		n.log.appliedTo(rd.appliedFloor)
	}
	if k := len(rd.CommittedEntries); k > 0 {
		n.log.appliedTo(rd.CommittedEntries[k-1].Index)
	}
	if n.log.applyFloor <= n.log.applied {
		n.log.applyFloor = 0
	}
	if n.log.applied > n.log.stable {
		// The state machine holds an entry the log may lose in a crash.
		panic(fmt.Sprintf("raft: node %d: applied %d is past the durable log (stable %d)", n.id, n.log.applied, n.log.stable))
	}
	clear(rd.Messages)
	n.spareMsgs = rd.Messages[:0]
	n.spareReads = rd.ReadStates[:0]
	n.checkInvariants()
}

func (n *Node) hardState() HardState {
	return HardState{Term: n.term, Vote: n.vote, Commit: n.log.committed, Fence: n.fence, FenceIndex: n.fenceIndex}
}

func (n *Node) softState() SoftState { return SoftState{Role: n.role, Leader: n.lead} }

// Status is a snapshot of a node's state for tests, checkers and traces.
type Status struct {
	ID        NodeID
	Term      Term
	Vote      NodeID
	Role      Role
	Leader    NodeID
	Commit    Index
	Applied   Index
	LastIndex Index
	LastTerm  Term
	// FirstIndex is the first entry the node's log holds (LastIndex+1
	// when it holds none); entries before it are compacted.
	FirstIndex Index
	// SnapshotIndex is the index of the node's latest snapshot, or 0: the
	// entries up to it are committed and held in the snapshot.
	SnapshotIndex Index
	// ConfIndex is the index of the entry that set the configuration in
	// force (Config): the change is committed once Commit reaches it.
	// It is the snapshot's index, or 0, when no entry of the log did.
	ConfIndex Index
	// Voter tells whether the node votes in its configuration.
	Voter bool
	// Transferee is the node a leadership transfer hands over to, or
	// None: meanwhile the leader refuses proposals.
	Transferee NodeID
	// Fence is nonzero while the node repairs a log that lost entries it
	// may have acknowledged (HardState.Fence): it neither votes nor
	// stands for election.
	Fence Term
	// AppliedFloor is nonzero while the state machine holds entries past
	// Applied, which the log lost and fetches again without applying
	// them twice (doc.go, "Protocol-aware recovery").
	AppliedFloor Index
}

// Status returns the node's current state.
func (n *Node) Status() Status {
	return Status{
		ID: n.id, Term: n.term, Vote: n.vote, Role: n.role, Leader: n.lead,
		Commit: n.log.committed, Applied: n.log.applied,
		LastIndex: n.log.lastIndex(), LastTerm: n.log.lastTerm(),
		FirstIndex: n.log.first, SnapshotIndex: n.log.snapIndex(),
		ConfIndex: n.confIndex, Voter: n.promotable(), Transferee: n.transferee,
		Fence: n.fence, AppliedFloor: n.log.applyFloor,
	}
}

// Term returns the term of the entry at i and whether the log holds it.
func (n *Node) Term(i Index) (Term, bool) { return n.log.term(i) }

// Entries returns a copy of the log entries in [lo, hi), which must lie
// within the log. It is meant for tests and inspection, not hot paths.
func (n *Node) Entries(lo, hi Index) []Entry { return n.log.copyRange(lo, hi) }

func (n *Node) send(m Message) {
	m.From = n.id
	n.msgs = append(n.msgs, m)
}
