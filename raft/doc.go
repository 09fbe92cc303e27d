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
//     itself, until the change commits; then it tells the most up-to-date
//     voter to stand at once (MsgTimeoutNow) and steps down. Until a
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
