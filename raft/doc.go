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
//   - ReadIndex asks for a linearizable read (leader only).
//
// and carries out its output, a Ready batch, in this order:
//
//  1. persist: write Ready.HardState and Ready.Entries to Storage, and Sync
//     when Ready.MustSync;
//  2. send Ready.Messages;
//  3. apply Ready.CommittedEntries to the StateMachine and serve
//     Ready.ReadStates once their index is applied;
//  4. call Advance.
//
// The order is the safety contract. A message may vouch for persisted
// state: a vote grant promises the vote is durable (§5.2: one vote per
// term, even across crashes), an append acknowledgement promises the
// entries are (§5.3: a leader counts it towards commitment). Sending
// before step 1 completes can elect two leaders in a term or lose a
// committed entry when a node crashes. Applying before step 1 could apply
// an entry that a crash then erases from this node's log.
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
//
// The log is indexed from a first index with the term of its predecessor
// kept, so compaction and snapshots (§7) can move the start; cluster
// configurations are a log entry type (EntryConfig), so membership changes
// (§6) travel through the log.
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
//		if !rd.HardState.IsZero() {
//			st.SetHardState(rd.HardState)
//		}
//		st.Append(rd.Entries)
//		if rd.MustSync {
//			st.Sync()
//		}
//		send(rd.Messages)
//		for _, e := range rd.CommittedEntries {
//			sm.Apply(e)
//		}
//		n.Advance(rd)
//	}
//
// Invariants are asserted where state changes; a broken one panics with
// the values involved, since continuing on corrupt state could lose
// committed data. API misuse by the caller returns sentinel errors
// (ErrNotLeader, ErrProposalDropped, ErrInvalidMessage).
package raft
