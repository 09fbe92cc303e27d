// Package sim is raftsim's deterministic simulator: it runs a cluster of
// Raft nodes (raft.Node with MemoryStorage or raft/filestore, and the kv
// state machine), a fault-injecting network (netsim), per-node clocks with
// skew and drift (clock), and a Jepsen-style client workload, all on one
// goroutine.
//
// One event queue, ordered by (virtual time, sequence number), drives
// everything; every random choice comes from a PCG stream derived from the
// seed, one stream per concern (each node's Raft, the network, each
// client, each disk). A run is therefore a pure function of its Config:
// the same Config yields a byte-identical canonical trace, whose SHA-256
// digest is the run's fingerprint, on any machine and any GOMAXPROCS.
// Each message sent gets an ID (its ordinal among the sends) that its
// send, duplicate, hold, delivery and drop events carry, and a drop says
// why: loss, cut link, partition, clog overflow or crashed receiver.
//
// A run has two phases. In the fault phase the Timeline's actions crash,
// restart, pause and partition nodes, change links, slow disks and skew
// clocks. At Duration the healing phase begins: every fault is cleared,
// crashed nodes restart, and liveness is checked - a leader must commit an
// entry of its term within Liveness.LeaderWithin, and every client must
// complete an operation within Liveness.ProgressWithin.
//
// The timeline is also a script (script.go): an entry may follow the
// previous one by a delay, wait for the cluster's state (a leader that
// reaches a majority, proposals committed), or hand a node a burst of
// proposals; its targets may be chosen when it runs (targets.go), and a
// target it names but cannot find is reported. Checks (checks.go,
// windows.go) state what must hold over windows of the run and are
// evaluated online; each that does not hold is a failure with its own
// name.
//
// With RaftConfig.SnapshotEvery set, every node compacts its log by that
// policy (a snapshot of its key-value store), stores the snapshots and
// compactions its Readies carry, and restores its store from snapshots
// installed from the leader; messages cost their size on links with a
// bandwidth; and the crash_on_snapshot and isolate_on_snapshot nemeses
// crash or cut off the nodes that write, send or receive snapshots
// (snapshot.go).
//
// Membership (membership.go): Config.Voters of the Config.Nodes servers
// form the initial configuration, and the rest are spares, running but no
// members. The membership actions (add_voter, add_learner, promote,
// remove, replace, transfer_leader) are made at whoever leads and made
// again at the next leader until done or out of time, as an
// administrator's requests; Result.Membership records their outcomes.
// Waits, majorities and a leader's reach are judged by the configuration
// in force, and the invariants judge each node by the configuration in
// its log (nodeLog implements checker.ConfigView).
//
// A node's storage is raft.MemoryStorage, or, with DiskConfig.Store set
// to StoreFile, the real raft/filestore on a simulated disk of its own
// (raft/disk.Sim, on a PRNG stream of its own): a crash leaves the disk's
// page cache as it was, a power loss keeps an arbitrary subset of the
// unsynced writes of each file (a later one can survive an earlier one),
// and a restart runs filestore.Open's recovery on what is left. Without
// power losses both stores give the same trace. Each Ready's entries go
// to storage before its hard state, so that a store losing a suffix of
// its records never keeps a commit index past its log.
//
// On the file store the disk also misbehaves (diskfaults.go): ActDiskFault
// and DiskConfig.Rates inject latent corruption, fsync and write errors,
// a full disk, misdirected writes and stale reads. A storage error stops
// the node, never the simulator and never a retry in place (fsyncgate);
// its supervisor restarts it 300ms later, after the page cache dropped
// the pages a failed fsync left (diskerror.go). A store that finds
// damage in data it had vouched for repairs it and restarts the node
// fenced (raft's protocol-aware recovery: it votes again once a leader has
// sent its log back); one that refuses to start on corruption its disk
// suffered stays down and is retried; a repair or a refusal with no
// fault to explain it, or a store that fails to open otherwise, breaks
// durable-state. Latent faults hit at most a minority of the voters (the
// corruption budget). Result.Disk counts every fault by kind, and the
// repairs and refusals.
//
// Safety is checked online: checker.Invariants after every step (the
// first violation stops the run), and checker.Linearizer, to which every
// call and completion is reported as it happens, with its verdict at the
// end. A run keeps no more of its client history than that check needs
// (history.go): Result.Ops summarizes every operation, Result.History
// keeps the first HistoryLimit, and HistorySink receives them all, in
// invocation order. The trace is a digest of every event and a ring of
// the last ones, unless a writer takes the whole of it. A panic inside a
// node is caught and reported with the virtual time and the trace tail;
// a run that reaches MaxEvents is reported as such, never a hang.
//
// Usage:
//
//	cfg := sim.Defaults()
//	cfg.Seed = 42
//	cfg.Timeline = []sim.Action{{At: 2 * time.Second, Kind: sim.ActCrash, Leader: true}}
//	res, err := sim.Run(cfg)
//	// err: invalid configuration. res.Failures: what the run found.
//	fmt.Println(res.TraceDigest, res.Passed())
package sim
