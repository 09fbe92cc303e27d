package bugs

// Bug names a planted bug. The catalogue, with what each breaks, is in
// catalog.go (raftbugs builds only).
type Bug uint8

const (
	// None is no bug: the correct implementation.
	None Bug = iota
	FigureEightCommit
	VoteBeforeSync
	VoteWithoutLogCheck
	TruncateOnStaleAppend
	CommitPastLastNewEntry
	NoRetryDedup
	ReadWithoutQuorum
	AcceptStaleTermAppend
	AppliedNotRestored
	FixedElectionTimeout
	HeartbeatCommitUncapped
	CompactBeforeSnapshotSync
	InstallStaleSnapshot
	DiscardLogOnInstall
	SnapshotChunkGap
	// The membership bugs (§6).
	ConfChangeBeforeTermCommit
	ApplyConfOnCommit
	CountLearnerVote
	RemovedLeaderKeepsLeading
	// Bugs the checks used to catch only by luck, and the one behind a
	// data loss after restarts.
	LeaseOutlivesElectionTimeout
	StaleLeaderIgnoresHigherTerm
	PreVoteTakesTerm
	TermFromLog
	ReopenWithoutSync
	// Bugs that pin the checks no other planted bug reaches first.
	LeaderTruncatesOnReject
	LeaderReusesIndex
	HeartbeatLowersCommit
	ReapplyLastEntry
	PrevTermFromCurrentTerm
	CASComparesLength
	ReadBeforeApply
	// Membership bugs that pin the checks no other planted bug reaches
	// first.
	LearnerStands
	GrantVoteToStranger
	ConfChangeWhileInFlight
	// Disk-handling bugs of the file store (raft/filestore), found on
	// the simulated disk.
	IgnoreSyncError
	SkipRecordChecksum
	SkipSegmentDirSync
	TruncateAtCorruption
	// Count bounds the Bug values.
	Count
)
