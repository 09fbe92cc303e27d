//go:build raftbugs

package bugs

// Info documents a planted bug: the rule of the Raft paper it breaks and
// the symptom a checker should see.
type Info struct {
	Bug     Bug
	Name    string
	Section string
	Rule    string
	Symptom string
	// Masked, when set, says why no run can show the bug: the rest of
	// the implementation never creates the state it needs. Mutation
	// testing calls it an equivalent mutant. The campaign still runs,
	// and a finding would be reported; a miss is expected.
	Masked string
	// CaughtBy is the check that must find the bug, as "kind/name" (the
	// first failure of the first failing seed, safety before liveness).
	// The selftest fails when another check finds it first: so every
	// check has a bug that only it is expected to catch, and a check that
	// went silent shows as another check catching its bug, or none.
	CaughtBy string
	// Fast marks a bug the selftest finds within a few seeds: the reduced
	// selftest that make test runs hunts only these.
	Fast bool
}

// Catalog lists every planted bug, in Bug order.
var Catalog = []Info{
	{
		Bug:      FigureEightCommit,
		Name:     "figure-8-commit",
		Section:  "§5.4.2, Figure 8",
		Rule:     "a leader commits an entry of an earlier term by counting replicas",
		Symptom:  "a committed entry is later overwritten: state machine safety, linearizability",
		CaughtBy: "invariant/commit-safety",
	},
	{
		Bug:      VoteBeforeSync,
		Name:     "vote-before-sync",
		Section:  "§5.2, Figure 2 (persist before responding)",
		Rule:     "a vote is granted before term and vote are synced to disk",
		Symptom:  "after a power loss the node votes again in the same term: two leaders (election safety)",
		CaughtBy: "invariant/election-safety",
	},
	{
		Bug:      VoteWithoutLogCheck,
		Name:     "vote-without-log-check",
		Section:  "§5.4.1",
		Rule:     "a vote is granted without checking that the candidate's log is up to date",
		Symptom:  "a leader lacks committed entries: leader completeness, state machine safety",
		CaughtBy: "invariant/leader-completeness",
		Fast:     true,
	},
	{
		Bug:      TruncateOnStaleAppend,
		Name:     "truncate-on-stale-append",
		Section:  "§5.3 (truncate only on a conflict)",
		Rule:     "a follower truncates its log after an AppendEntries that does not conflict (a stale, reordered message)",
		Symptom:  "acknowledged entries vanish from a follower: committed entries lost, commit index moves back",
		CaughtBy: "invariant/commit-safety",
		Fast:     true,
	},
	{
		Bug:     CommitPastLastNewEntry,
		Name:    "commit-past-last-new-entry",
		Section: "§5.3, Figure 2 (AppendEntries rule 5)",
		Rule:    "a follower sets commitIndex to leaderCommit without bounding it by the last new entry",
		Symptom: "a follower applies stale entries the leader never sent it: state machine safety",
		Masked: "our leader never sends the AppendEntries that exposes it: one a follower accepts starts where their logs " +
			"first differ (conflict-term backtracking lands exactly there), so the stale tail is gone before anything is " +
			"committed; an empty one starts after the leader's last entry; heartbeats carry a commit index the leader caps. " +
			"raft/bugs_commit_test.go shows the bug at the follower.",
	},
	{
		Bug:      NoRetryDedup,
		Name:     "no-retry-dedup",
		Section:  "§8 (client sessions)",
		Rule:     "the state machine applies a retried client command again",
		Symptom:  "an append shows twice: client at most once, linearizability",
		CaughtBy: "invariant/client-at-most-once",
		Fast:     true,
	},
	{
		Bug:      ReadWithoutQuorum,
		Name:     "read-without-quorum",
		Section:  "§8 (read-only operations)",
		Rule:     "a leader serves reads from local state without confirming it is still the leader",
		Symptom:  "a deposed leader returns stale data: read freshness, linearizability",
		CaughtBy: "invariant/read-freshness",
		Fast:     true,
	},
	{
		Bug:      AcceptStaleTermAppend,
		Name:     "accept-stale-term-append",
		Section:  "§5.1 (reject requests from older terms)",
		Rule:     "a follower accepts AppendEntries from a leader of an older term",
		Symptom:  "the follower takes the deposed leader as its leader, and may let its entries overwrite newer ones: stale-term-inert; later leader append-only, commit safety",
		CaughtBy: "invariant/stale-term-inert",
		Fast:     true,
	},
	{
		Bug:      AppliedNotRestored,
		Name:     "applied-not-restored",
		Section:  "§5.3, Figure 2 (lastApplied)",
		Rule:     "a restarted node resumes applying from index 0 although its state machine kept its state",
		Symptom:  "entries are applied twice: applied-restored, apply exactly once",
		CaughtBy: "invariant/applied-restored",
		Fast:     true,
	},
	{
		Bug:      FixedElectionTimeout,
		Name:     "fixed-election-timeout",
		Section:  "§5.2 (randomized election timeouts)",
		Rule:     "every node uses the same election timeout instead of a random one in [T, 2T)",
		Symptom:  "split votes repeat: no leader after healing (liveness)",
		CaughtBy: "liveness/leader-after-heal",
		Fast:     true,
	},
	{
		Bug:      HeartbeatCommitUncapped,
		Name:     "heartbeat-commit-uncapped",
		Section:  "§5.3 (commit only entries known to match)",
		Rule:     "a leader's heartbeat carries its full commit index, and a follower commits up to it on whatever log it has",
		Symptom:  "a follower commits entries that do not match the leader's: state machine safety",
		CaughtBy: "invariant/commit-safety",
		Fast:     true,
	},
	{
		Bug:      CompactBeforeSnapshotSync,
		Name:     "compact-before-snapshot-sync",
		Section:  "§7 (a snapshot replaces entries only once it is durable)",
		Rule:     "the store makes a compaction durable at once, before the snapshot that covers the discarded entries is synced",
		Symptom:  "a power loss keeps the compaction and loses the snapshot: the node's durable log has a gap and it cannot restart",
		CaughtBy: "invariant/durable-state",
	},
	{
		Bug:      InstallStaleSnapshot,
		Name:     "install-stale-snapshot",
		Section:  "§7 (InstallSnapshot of a prefix of the log)",
		Rule:     "a follower installs a snapshot that is not ahead of its commit index",
		Symptom:  "the follower's log, commit index and state machine move back: applied index monotonic, commit monotonic",
		CaughtBy: "invariant/applied-monotonic",
		Fast:     true,
	},
	{
		Bug:      DiscardLogOnInstall,
		Name:     "discard-log-on-install",
		Section:  "§7 (retain log entries following the snapshot)",
		Rule:     "a follower whose log holds a snapshot's last entry discards its whole log on install instead of keeping the entries after it",
		Symptom:  "entries the follower acknowledged vanish from its log: acknowledged entries kept, commit safety",
		CaughtBy: "invariant/commit-safety",
		Fast:     true,
	},
	{
		Bug:      SnapshotChunkGap,
		Name:     "snapshot-chunk-gap",
		Section:  "§7 (InstallSnapshot chunks: offset)",
		Rule:     "a follower accepts a snapshot chunk past the bytes it holds, so a lost chunk leaves a hole in the snapshot",
		Symptom:  "the installed state differs from the state any node had at that index: snapshot digest",
		CaughtBy: "invariant/snapshot-restore",
	},
	{
		Bug:      ConfChangeBeforeTermCommit,
		Name:     "conf-change-before-term-commit",
		Section:  "§6; §4.1 of the thesis (the single-server change bug)",
		Rule:     "a new leader starts a configuration change before it has committed an entry of its term",
		Symptom:  "a change an earlier leader left on a minority and the new leader's change have disjoint majorities: config-quorum-overlap, two leaders, lost commits",
		CaughtBy: "invariant/config-quorum-overlap",
	},
	{
		Bug:      ApplyConfOnCommit,
		Name:     "apply-conf-on-commit",
		Section:  "§6; §4.1 of the thesis (a configuration takes effect when appended)",
		Rule:     "a node runs with the latest committed configuration instead of the latest in its log",
		Symptom:  "a leader leaving a joint configuration runs with it until the leave commits, and appends the leave again and again: one-config-change; a node removed by an uncommitted entry stands and leads: leader-is-voter",
		CaughtBy: "invariant/one-config-change",
		Fast:     true,
	},
	{
		Bug:      CountLearnerVote,
		Name:     "count-learner-vote",
		Section:  "§6; §4.2.1 of the thesis (learners are non-voting members)",
		Rule:     "a candidate counts a learner's vote toward its majority",
		Symptom:  "a leader elected with a learner's vote and a minority of the voters: election-quorum",
		CaughtBy: "invariant/election-quorum",
		Fast:     true,
	},
	{
		Bug:      RemovedLeaderKeepsLeading,
		Name:     "removed-leader-keeps-leading",
		Section:  "§6 (a leader not in C_new steps down once C_new commits)",
		Rule:     "a leader whose removal has committed goes on leading",
		Symptom:  "a node outside the configuration leads: removed-leader",
		CaughtBy: "invariant/removed-leader",
		Fast:     true,
	},
	{
		Bug:      LeaseOutlivesElectionTimeout,
		Name:     "lease-outlives-election-timeout",
		Section:  "§6.4 of the thesis (leases)",
		Rule:     "a leader's read lease lasts its own randomized election timeout, up to 2T, not the minimum T its followers wait before electing another",
		Symptom:  "an isolated leader serves reads after a new leader committed writes: read freshness, linearizability",
		CaughtBy: "invariant/read-freshness",
	},
	{
		Bug:      StaleLeaderIgnoresHigherTerm,
		Name:     "stale-leader-ignores-higher-term",
		Section:  "§5.1 (a higher term in any RPC or response: step down)",
		Rule:     "a leader ignores the higher term in a response and goes on leading its own",
		Symptom:  "a deposed leader keeps leading: stale-leader",
		CaughtBy: "invariant/stale-leader",
		Fast:     true,
	},
	{
		Bug:      PreVoteTakesTerm,
		Name:     "prevote-takes-term",
		Section:  "§9.6 of the thesis (PreVote)",
		Rule:     "a node answering a pre-vote of a higher term takes that term, as if it were a vote",
		Symptom:  "a rejoining node disrupts the cluster through pre-votes: prevote-inert",
		CaughtBy: "invariant/prevote-inert",
		Fast:     true,
	},
	{
		Bug:      TermFromLog,
		Name:     "term-from-log",
		Section:  "§5.2, Figure 2 (currentTerm and votedFor are persistent)",
		Rule:     "a restarted node takes its term from its last log entry and forgets its vote, instead of reading the stored hard state",
		Symptom:  "a node votes twice in a term after a restart: hard-state-restored, election safety",
		CaughtBy: "invariant/hard-state-restored",
		Fast:     true,
	},
	{
		Bug:      ReopenWithoutSync,
		Name:     "reopen-without-sync",
		Section:  "§5.2, Figure 2 (persist before responding); raft.Storage's restart contract",
		Rule:     "a restarted node trusts the writes a crash left in the page cache without making them durable",
		Symptom:  "after a later power loss the node restarts in an older term than it trusted (hard-state-restored), or with the state machine ahead of the log and cannot restart (durable-state)",
		CaughtBy: "invariant/hard-state-restored",
		Fast:     true,
	},
	{
		Bug:      LeaderTruncatesOnReject,
		Name:     "leader-truncates-on-reject",
		Section:  "§5.3, Figure 3 (Leader Append-Only)",
		Rule:     "a leader told by a follower that their logs differ drops its own entries past the follower's",
		Symptom:  "a leader deletes entries from its own log: leader-append-only",
		CaughtBy: "invariant/leader-append-only",
		Fast:     true,
	},
	{
		Bug:      LeaderReusesIndex,
		Name:     "leader-reuses-index",
		Section:  "§5.3, Figure 3 (Log Matching)",
		Rule:     "a leader gives a new command the index of its last uncommitted entry, replacing it",
		Symptom:  "two different entries with the same index and term: log-matching",
		CaughtBy: "invariant/log-matching",
		Fast:     true,
	},
	{
		Bug:      HeartbeatLowersCommit,
		Name:     "heartbeat-lowers-commit",
		Section:  "§5.3, Figure 2 (commitIndex only grows)",
		Rule:     "a follower takes the commit index of a heartbeat as it is, even when it is lower than its own",
		Symptom:  "a node's commit index moves back: commit-monotonic",
		CaughtBy: "invariant/commit-monotonic",
		Fast:     true,
	},
	{
		Bug:      ReapplyLastEntry,
		Name:     "reapply-last-entry",
		Section:  "§5.3, Figure 2 (apply each entry once, lastApplied)",
		Rule:     "committed entries are handed out from the last applied index instead of the one after it",
		Symptom:  "an entry is applied twice: apply-exactly-once",
		CaughtBy: "invariant/apply-exactly-once",
		Fast:     true,
	},
	{
		Bug:      PrevTermFromCurrentTerm,
		Name:     "prev-term-from-current-term",
		Section:  "§5.3, Figure 2 (prevLogTerm)",
		Rule:     "a leader fills in the previous entry's term of an AppendEntries with its own current term",
		Symptom:  "followers receive AppendEntries that contradict themselves: valid-messages",
		CaughtBy: "invariant/valid-messages",
		Fast:     true,
	},
	{
		Bug:      CASComparesLength,
		Name:     "cas-compares-length",
		Section:  "the key-value state machine (raft/kv)",
		Rule:     "a compare-and-set compares the lengths of the expected and current values, not their bytes",
		Symptom:  "a CAS succeeds on a value it did not expect, the same on every replica: linearizability alone",
		CaughtBy: "linearizability/linearizability",
		Fast:     true,
	},
	{
		Bug:      ReadBeforeApply,
		Name:     "read-before-apply",
		Section:  "§6.4 of the thesis (serve a read once its index is applied)",
		Rule:     "a server answers a confirmed read before its state machine has applied the read index (with an apply lag)",
		Symptom:  "a read misses writes committed before it began: read-after-apply",
		CaughtBy: "invariant/read-after-apply",
		Fast:     true,
	},
	{
		Bug:      LearnerStands,
		Name:     "learner-stands",
		Section:  "§6; §4.2.1 of the thesis (learners are non-voting members)",
		Rule:     "a learner starts an election when its election timer fires, as a voter does",
		Symptom:  "a learner wins the votes of a majority of the voters and leads: leader-is-voter",
		CaughtBy: "invariant/leader-is-voter",
	},
	{
		Bug:      GrantVoteToStranger,
		Name:     "grant-vote-to-stranger",
		Section:  "§5.4.1 (the election restriction); §4.2.3 of the thesis (removed servers)",
		Rule:     "a node grants its vote, without comparing logs, to a candidate outside its configuration, taking it for one added by an entry it has not received yet",
		Symptom:  "a removed node that never learned of its removal wins the votes of the nodes that removed it: removed-node-leads",
		CaughtBy: "invariant/removed-node-leads",
	},
	{
		Bug:      ConfChangeWhileInFlight,
		Name:     "conf-change-while-in-flight",
		Section:  "§6; §4.1 of the thesis (one change at a time)",
		Rule:     "a leader accepts a configuration change while its previous one has not committed",
		Symptom:  "two uncommitted configuration entries in a leader's log: one-config-change",
		CaughtBy: "invariant/one-config-change",
	},
	{
		Bug:      IgnoreSyncError,
		Name:     "ignore-sync-error",
		Section:  "§5, Figure 2 (persist before responding); fsyncgate",
		Rule:     "the file store reports a failed fsync as a success and carries on",
		Symptom:  "the node acknowledges writes the disk never made durable; after a power loss its restarted log lacks them",
		CaughtBy: "invariant/durable-state",
	},
	{
		Bug:      SkipRecordChecksum,
		Name:     "skip-record-checksum",
		Section:  "§5.3 (Log Matching needs the log the node wrote)",
		Rule:     "the file store does not verify a record's checksum when it reads it back",
		Symptom:  "a torn or corrupted record is replayed as if whole: the node restarts with entries or a hard state it never wrote",
		CaughtBy: "invariant/hard-state-restored",
		Fast:     true,
	},
	{
		Bug:      SkipSegmentDirSync,
		Name:     "skip-segment-dir-sync",
		Section:  "§5, Figure 2 (persist before responding); POSIX rename durability",
		Rule:     "the file store creates a segment by rename without fsyncing the directory",
		Symptom:  "a power loss loses the segment's name, and with it entries synced into it: the store, whose state file vouches for the segment, cannot start",
		CaughtBy: "invariant/durable-state",
		Fast:     true,
	},
	{
		Bug:      TruncateAtCorruption,
		Name:     "truncate-at-corruption",
		Section:  "protocol-aware recovery (FAST '18): a corrupted entry may have been acknowledged",
		Rule:     "the file store cuts its log at the first corrupted record it had vouched for, as if it were a torn write, instead of repairing it fenced",
		Symptom:  "the node restarts without entries (and a hard state) it had synced and acknowledged",
		CaughtBy: "invariant/durable-state",
		Fast:     true,
	},
}

// InfoOf returns the catalogue entry of bug b.
func InfoOf(b Bug) (Info, bool) {
	for _, in := range Catalog {
		if in.Bug == b {
			return in, true
		}
	}
	return Info{}, false
}

// ByName finds a bug by its catalogue name.
func ByName(name string) (Bug, bool) {
	for _, in := range Catalog {
		if in.Name == name {
			return in.Bug, true
		}
	}
	return None, false
}
