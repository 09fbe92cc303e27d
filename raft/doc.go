// Package raft is a Raft consensus core (Ongaro and Ousterhout, "In Search
// of an Understandable Consensus Algorithm") written as a deterministic,
// single-threaded state machine, after etcd's RawNode design.
//
// A Node does no I/O, starts no goroutines and reads no clock. The caller
// drives it with four inputs:
//
//   - Tick advances logical time by one tick; election and heartbeat
//     timeouts are counted in ticks;
//   - Step delivers a Message from a peer;
//   - Propose appends a command (leader only);
//   - ReadIndex asks for a linearizable read (leader only);
//   - ProposeConfChange changes the membership, TransferLeadership hands
//     leadership over (leader only; see below).
//
// and carries out its output, a Ready batch, in this order:
//
//  1. persist: write Ready.Snapshot (Storage.ApplySnapshot), then
//     Ready.HardState and Ready.Entries to Storage, then compact the
//     storage to Ready.Compact (Storage.Compact), and Sync when
//     Ready.MustSync;
//  2. send Ready.Messages;
//  3. apply: when Ready.RestoreSnapshot, reset the state machine to
//     Ready.Snapshot; then apply Ready.CommittedEntries and serve
//     Ready.ReadStates once their index is applied;
//  4. call Advance.
//
// Two more calls drive log compaction (§7): when SnapshotDue says so (the
// Config.SnapshotEvery policy), or whenever it likes, the caller passes
// Compact the state machine's snapshot at an applied index; the next
// Ready carries it to store and the compaction to do.
//
// The order is the safety contract. A message may vouch for persisted
// state: a vote grant promises the vote is durable (§5.2: one vote per
// term, even across crashes), an append acknowledgement promises the
// entries are (§5.3: a leader counts it towards commitment). Sending
// before step 1 completes can elect two leaders in a term or lose a
// committed entry when a node crashes. Applying before step 1 could apply
// an entry that a crash then erases from this node's log.
//
// # Snapshots in the contract
//
// A snapshot takes the place of log entries, so the order of its steps is
// what keeps a crash at any point from losing them:
//
//   - A snapshot the node made (Compact) is written before the compaction
//     that depends on it, and the Storage makes the compaction durable no
//     earlier than the snapshot (see Storage): a crash after step 1 but
//     before the sync loses both, and the entries are back; a crash after
//     the sync keeps both. At no point does the durable state hold neither
//     an entry nor a snapshot covering it. Compact refuses an index the
//     state machine has not applied, so the snapshot never claims state
//     the node does not hold.
//   - A snapshot installed from the leader (§7, InstallSnapshot) comes
//     with MustSync, and the answer that tells the leader so
//     (MsgAppResp) leaves in step 2 of the same Ready: the follower
//     vouches for the snapshot only once it is durable. A crash before
//     the sync brings the old log back and the leader learned nothing; a
//     crash after it keeps the snapshot.
//   - The state machine is restored in step 3, after the sync: it never
//     holds state its durable log and snapshot cannot give back. A crash
//     between step 1 and step 3 leaves the state machine behind the stored
//     snapshot; on restart, Config.Applied is below it and the first Ready
//     hands the snapshot over again (RestoreSnapshot), while storing it a
//     second time changes nothing.
//   - A snapshot not ahead of the commit index is ignored, so the applied
//     index never moves back; one whose last entry the log holds only
//     advances the commit index, and the entries after it stay (§7).
//
// # Durability across restarts
//
// Two rules keep what a node promised true after a crash:
//
//   - A restarted node trusts everything its Storage presents: it votes,
//     acknowledges and applies on it. So a Storage presents, after a
//     restart, only what is durable, or makes what it presents durable
//     before NewNode reads it (see Storage). A process crash leaves
//     unsynced writes in the page cache, visible yet not durable:
//     raft/filestore.Open fsyncs what it recovered, and MemoryStorage
//     models the same with Crash, PowerLoss and Reopen.
//   - The state machine applies only what is durable. It may persist each
//     apply at once (raft/kv's does, with its applied index), so an entry
//     it applied must never be one a crash can take out of the log: a
//     Ready hands out CommittedEntries only up to the end of the log as it
//     stands once that Ready's own writes are synced (step 1), and Advance
//     panics if the applied index ever passes the durable log. After a
//     restart, Config.Applied is then never past the stored log.
//
// # Protocol-aware recovery
//
// A disk can lose what a node made durable: a bit flips in a synced
// record, a sector reads back as zeros, a write lands at the wrong
// offset. One such loss on one node is enough to lose a committed entry
// in most consensus systems ("Redundancy Does Not Imply Fault
// Tolerance", FAST '17): a follower that acknowledged an entry, finds it
// corrupted at restart and simply truncates its log looks less up to
// date than it promised to be, votes for a candidate that never had the
// entry, and the entry is gone once the leader that had it fails. The
// rules here are our own, after the ideas of CTRL ("Protocol-Aware
// Recovery for Consensus-Based Storage", FAST '18): recover using what
// the protocol knows, never by guessing from the bytes alone.
//
// A Storage that finds, when it is opened, that it lost entries it may
// have acknowledged (a checksum failed where the data had been synced;
// a torn write of unsynced data is not such a loss) presents the log up
// to the last entry before the damage it can vouch for, and sets
// HardState.Fence to the node's term. It never presents a damaged entry,
// and never hides the loss. The node then:
//
//  1. grants no vote and no pre-vote, and never stands for election,
//     while fenced: its log may lack entries it acknowledged, so the
//     up-to-date check (§5.4.1) would measure candidates against less
//     than it promised to hold. A quorum of voters that excludes it
//     still intersects every quorum that committed an entry in a node
//     that has the entry (at most a minority of nodes lose data at a
//     time), so no leader without a committed entry can be elected;
//  2. follows a leader and takes entries from it as any follower does,
//     acknowledging only what it holds. When a MsgApp does not match
//     its shorter log, its rejection says so (MsgAppResp with Context
//     contextRepair), and the leader forgets the match it had recorded
//     for it and sends the missing entries again: a faulty range never
//     counts towards a quorum twice. Acknowledgements sent before the
//     loss and still in flight may still be counted, in the fence's term
//     or earlier; rule 1 is what keeps that safe;
//  3. lifts the fence once its log holds an entry of a later term than
//     the fence, which only a leader can have sent it, after matching
//     the log up to it. Every acknowledgement the node ever sent was for
//     a term up to the fence (the term is durable before anything that
//     depends on it leaves), so every entry committed with its help was
//     committed in such a term; every leader of a later term holds every
//     such entry (Leader Completeness, with the quorum argument of rule 1
//     for entries committed after that leader's election, by
//     acknowledgements sent before the loss), and it holds them before
//     any entry of its own term. So when the fence lifts, the log holds
//     everything the node ever vouched for. Entries of the fence's own
//     term prove nothing: the leader of that term may still count stale
//     acknowledgements.
//
// A storage that knows the last index the node may have acknowledged sets
// it as HardState.FenceIndex, and the fence also lifts once a MsgApp (or
// snapshot) of a leader of the fence's term or later has matched the log
// up to it: every entry committed with the node's acknowledgements is in
// that leader's log, at an index up to FenceIndex, so the log now holds
// it. A node repaired under the leader it served then votes again without
// waiting for an election, which a cluster of three that loses that
// leader needs to elect another.
//
// A snapshot installed from a leader of a later term lifts the fence the
// same way. A fenced node neither crash-loops (its storage opens) nor
// truncates blindly (what it drops it repairs, and it stays out of
// elections until it has). Its state machine may be past its shortened
// log, having applied the lost entries: NewNode then accepts
// Config.Applied past the log, and the entries up to it, once fetched
// again, are not handed out to apply a second time.
//
// Nothing a fenced node holds past its snapshot counts as committed when
// it starts: the log its storage kept may hold, after the last entry it
// can vouch for, entries that the part it lost had overwritten, and
// neither its stored commit index nor its state machine's applied index
// tells which. It learns the commit index again from its leader, and,
// while fenced, takes from a heartbeat only as much as a MsgApp of that
// leader has matched: the leader caps a heartbeat's commit index at what
// it believes the node holds, and may still believe what the node
// acknowledged before the loss. Nor does it take a snapshot of its own
// (SnapshotDue) while its state machine is past its log.
//
// The hard state itself (term and vote) must survive any single
// corruption: a node that forgot its vote could vote twice in a term,
// and no message from its peers can tell it which terms it voted in. A
// Storage keeps it where one corruption cannot take it, and one that
// finds no intact copy must refuse to open rather than guess.
//
// Between Ready and Advance the caller may keep calling Tick, Step,
// Propose and ReadIndex; their effects appear in the next Ready.
//
// # What it implements
//
//   - Leader election (§5.2) with election timeouts drawn from [T, 2T) by a
//     caller-seeded source, PreVote and CheckQuorum (on by default).
//   - Log replication (§5.3) with batching (entries and bytes per message),
//     a pipelined window of in-flight MsgApps per follower, and
//     backtracking by conflict term: a follower diverging over k terms
//     catches up in O(k) round trips.
//   - Safety (§5.4): the up-to-date vote check; commitment by counting
//     replicas only for entries of the leader's term (Figure 8).
//   - Linearizable reads by ReadIndex (§8), or by leader lease (ReadLease:
//     unsafe when clocks drift more than configured).
//   - Storage: the Storage interface, MemoryStorage (with a sync boundary
//     a simulator can crash through) and, in raft/filestore, a durable
//     segmented log with checksums.
//   - The StateMachine interface; raft/kv is the default key-value
//     machine with exactly-once client sessions.
//   - Log compaction and snapshots (§7): Compact with a keep-behind
//     window (Config.SnapshotKeep) or the SnapshotEvery policy, never past
//     the applied index; InstallSnapshot as MsgSnap chunks with a window
//     of unacknowledged chunks, resent from the follower's offset after a
//     loss, restarted cleanly after a leader change (transfer.go).
//
// The log is indexed from a first index with the term of its predecessor
// kept, which compaction moves.
//
// # Membership changes (§6)
//
// A configuration (ConfState: voters, learners, and the two halves of a
// joint configuration) travels through the log as an EntryConfig and
// takes effect on each node as soon as the node appends it, committed or
// not (§4.1 of the thesis); a node whose entry is truncated away falls
// back to the configuration before it. A snapshot records the
// configuration at its index, so configurations survive compaction and
// restarts. Config.Voters is the initial configuration; a node outside
// it (a spare) is no member and never stands for election until a
// configuration that makes it a voter reaches its log.
//
//   - ProposeConfChange(ConfChange) at the leader: a change of one voter
//     (add, remove, promote a learner, demote a voter) goes straight to
//     the new configuration; any other change, or one asking for it,
//     goes through a joint configuration (a quorum is a majority of both
//     halves), which the leader leaves by itself once it commits, or on
//     request (ConfChange with no changes), as etcd's ConfChangeV2.
//   - One change at a time: while a configuration entry is uncommitted,
//     and until a new leader has committed an entry of its own term (the
//     fix for the single-server change bug), ProposeConfChange returns
//     ErrConfChangeInProgress.
//   - Learners receive the log and snapshots, never count towards a
//     quorum and never stand; promoting one that lags the commit index
//     returns ErrNotCaughtUp.
//   - A leader that removes itself keeps leading, without counting
//     itself and taking no new proposals (ErrLeadershipTransfer), until
//     the change commits; then it tells a voter whose log matches its own
//     to stand at once (MsgTimeoutNow) and steps down. Until a
//     removal commits the leader keeps replicating to the removed node,
//     so that it learns of it; one that does not (it was cut off) stands
//     again and again, and PreVote and CheckQuorum keep it from
//     disrupting the cluster.
//   - TransferLeadership(to) (§3.10 of the thesis): the leader refuses
//     proposals (ErrLeadershipTransfer), brings the target's log up to
//     its own, and sends it MsgTimeoutNow; the target stands at once and
//     voters hold no lease against it. A transfer not done within an
//     election timeout is abandoned. A leader that sent MsgTimeoutNow
//     serves no lease reads for the rest of its term.
//
// # Example
//
//	st := raft.NewMemoryStorage()
//	n, err := raft.NewNode(raft.Config{
//		ID: 1, Voters: []raft.NodeID{1, 2, 3}, Storage: st,
//		Rand: rand.New(rand.NewPCG(seed, 1)),
//	})
//	// on every tick of the caller's clock: n.Tick()
//	// on every message received:          n.Step(m)
//	for n.HasReady() {
//		rd := n.Ready()
//		if !rd.Snapshot.IsEmpty() {
//			st.ApplySnapshot(rd.Snapshot)
//		}
//		if !rd.HardState.IsZero() {
//			st.SetHardState(rd.HardState)
//		}
//		st.Append(rd.Entries)
//		if rd.Compact > 0 {
//			st.Compact(rd.Compact)
//		}
//		if rd.MustSync {
//			st.Sync()
//		}
//		send(rd.Messages)
//		if rd.RestoreSnapshot {
//			sm.Restore(rd.Snapshot.Data)
//		}
//		for _, e := range rd.CommittedEntries {
//			sm.Apply(e)
//		}
//		n.Advance(rd)
//		if n.SnapshotDue() {
//			n.Compact(sm.AppliedIndex(), sm.Snapshot())
//		}
//	}
//
// Invariants are asserted where state changes; a broken one panics with
// the values involved, since continuing on corrupt state could lose
// committed data. API misuse by the caller returns sentinel errors
// (ErrNotLeader, ErrProposalDropped, ErrInvalidMessage,
// ErrCompactUnapplied, ErrSnapshotOutOfDate, ErrConfChangeInProgress,
// ErrInvalidConfChange, ErrNotCaughtUp, ErrLeadershipTransfer,
// ErrInvalidTransfer).
package raft
