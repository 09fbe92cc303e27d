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
}

// Catalog lists every planted bug, in Bug order.
var Catalog = []Info{
	{FigureEightCommit, "figure-8-commit", "§5.4.2, Figure 8",
		"a leader commits an entry of an earlier term by counting replicas",
		"a committed entry is later overwritten: state machine safety, linearizability"},
	{VoteBeforeSync, "vote-before-sync", "§5.2, Figure 2 (persist before responding)",
		"a vote is granted before term and vote are synced to disk",
		"after a power loss the node votes again in the same term: two leaders (election safety)"},
	{VoteWithoutLogCheck, "vote-without-log-check", "§5.4.1",
		"a vote is granted without checking that the candidate's log is up to date",
		"a leader lacks committed entries: leader completeness, state machine safety"},
	{TruncateOnStaleAppend, "truncate-on-stale-append", "§5.3 (truncate only on a conflict)",
		"a follower truncates its log after an AppendEntries that does not conflict (a stale, reordered message)",
		"acknowledged entries vanish from a follower: committed entries lost, commit index moves back"},
	{CommitPastLastNewEntry, "commit-past-last-new-entry", "§5.3, Figure 2 (AppendEntries rule 5)",
		"a follower sets commitIndex to leaderCommit without bounding it by the last new entry",
		"a follower applies stale entries the leader never sent it: state machine safety"},
	{NoRetryDedup, "no-retry-dedup", "§8 (client sessions)",
		"the state machine applies a retried client command again",
		"an append shows twice: client at most once, linearizability"},
	{ReadWithoutQuorum, "read-without-quorum", "§8 (read-only operations)",
		"a leader serves reads from local state without confirming it is still the leader",
		"a deposed leader returns stale data: read freshness, linearizability"},
	{AcceptStaleTermAppend, "accept-stale-term-append", "§5.1 (reject requests from older terms)",
		"a follower accepts AppendEntries from a leader of an older term",
		"entries of a deposed leader overwrite newer ones: log matching, state machine safety"},
	{AppliedNotRestored, "applied-not-restored", "§5.3, Figure 2 (lastApplied)",
		"a restarted node resumes applying from index 0 although its state machine kept its state",
		"entries are applied twice: applied-restored, apply exactly once"},
	{FixedElectionTimeout, "fixed-election-timeout", "§5.2 (randomized election timeouts)",
		"every node uses the same election timeout instead of a random one in [T, 2T)",
		"split votes repeat: no leader after healing (liveness)"},
	{HeartbeatCommitUncapped, "heartbeat-commit-uncapped", "§5.3 (commit only entries known to match)",
		"a leader's heartbeat carries its full commit index, and a follower commits up to it on whatever log it has",
		"a follower commits entries that do not match the leader's: state machine safety"},
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
