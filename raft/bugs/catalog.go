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
}

// Catalog lists every planted bug, in Bug order.
var Catalog = []Info{
	{
		Bug:     FigureEightCommit,
		Name:    "figure-8-commit",
		Section: "§5.4.2, Figure 8",
		Rule:    "a leader commits an entry of an earlier term by counting replicas",
		Symptom: "a committed entry is later overwritten: state machine safety, linearizability",
	},
	{
		Bug:     VoteBeforeSync,
		Name:    "vote-before-sync",
		Section: "§5.2, Figure 2 (persist before responding)",
		Rule:    "a vote is granted before term and vote are synced to disk",
		Symptom: "after a power loss the node votes again in the same term: two leaders (election safety)",
	},
	{
		Bug:     VoteWithoutLogCheck,
		Name:    "vote-without-log-check",
		Section: "§5.4.1",
		Rule:    "a vote is granted without checking that the candidate's log is up to date",
		Symptom: "a leader lacks committed entries: leader completeness, state machine safety",
	},
	{
		Bug:     TruncateOnStaleAppend,
		Name:    "truncate-on-stale-append",
		Section: "§5.3 (truncate only on a conflict)",
		Rule:    "a follower truncates its log after an AppendEntries that does not conflict (a stale, reordered message)",
		Symptom: "acknowledged entries vanish from a follower: committed entries lost, commit index moves back",
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
		Bug:     NoRetryDedup,
		Name:    "no-retry-dedup",
		Section: "§8 (client sessions)",
		Rule:    "the state machine applies a retried client command again",
		Symptom: "an append shows twice: client at most once, linearizability",
	},
	{
		Bug:     ReadWithoutQuorum,
		Name:    "read-without-quorum",
		Section: "§8 (read-only operations)",
		Rule:    "a leader serves reads from local state without confirming it is still the leader",
		Symptom: "a deposed leader returns stale data: read freshness, linearizability",
	},
	{
		Bug:     AcceptStaleTermAppend,
		Name:    "accept-stale-term-append",
		Section: "§5.1 (reject requests from older terms)",
		Rule:    "a follower accepts AppendEntries from a leader of an older term",
		Symptom: "entries of a deposed leader overwrite newer ones: log matching, state machine safety",
	},
	{
		Bug:     AppliedNotRestored,
		Name:    "applied-not-restored",
		Section: "§5.3, Figure 2 (lastApplied)",
		Rule:    "a restarted node resumes applying from index 0 although its state machine kept its state",
		Symptom: "entries are applied twice: applied-restored, apply exactly once",
	},
	{
		Bug:     FixedElectionTimeout,
		Name:    "fixed-election-timeout",
		Section: "§5.2 (randomized election timeouts)",
		Rule:    "every node uses the same election timeout instead of a random one in [T, 2T)",
		Symptom: "split votes repeat: no leader after healing (liveness)",
	},
	{
		Bug:     HeartbeatCommitUncapped,
		Name:    "heartbeat-commit-uncapped",
		Section: "§5.3 (commit only entries known to match)",
		Rule:    "a leader's heartbeat carries its full commit index, and a follower commits up to it on whatever log it has",
		Symptom: "a follower commits entries that do not match the leader's: state machine safety",
	},
	{
		Bug:     CompactBeforeSnapshotSync,
		Name:    "compact-before-snapshot-sync",
		Section: "§7 (a snapshot replaces entries only once it is durable)",
		Rule:    "the store makes a compaction durable at once, before the snapshot that covers the discarded entries is synced",
		Symptom: "a power loss keeps the compaction and loses the snapshot: the node's durable log has a gap and it cannot restart",
	},
	{
		Bug:     InstallStaleSnapshot,
		Name:    "install-stale-snapshot",
		Section: "§7 (InstallSnapshot of a prefix of the log)",
		Rule:    "a follower installs a snapshot that is not ahead of its commit index",
		Symptom: "the follower's log, commit index and state machine move back: applied index monotonic, commit monotonic",
	},
	{
		Bug:     DiscardLogOnInstall,
		Name:    "discard-log-on-install",
		Section: "§7 (retain log entries following the snapshot)",
		Rule:    "a follower whose log holds a snapshot's last entry discards its whole log on install instead of keeping the entries after it",
		Symptom: "entries the follower acknowledged vanish from its log: acknowledged entries kept, commit safety",
	},
	{
		Bug:     SnapshotChunkGap,
		Name:    "snapshot-chunk-gap",
		Section: "§7 (InstallSnapshot chunks: offset)",
		Rule:    "a follower accepts a snapshot chunk past the bytes it holds, so a lost chunk leaves a hole in the snapshot",
		Symptom: "the installed state differs from the state any node had at that index: snapshot digest",
	},
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
