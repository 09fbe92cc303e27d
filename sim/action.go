package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/disk"
)

// ActionKind names a fault the timeline can inject.
type ActionKind uint8

const (
	// ActCrash stops nodes: volatile state and in-flight work are lost,
	// messages to them are dropped. Writes already handed to the disk
	// survive, as they do when a process dies but its machine does not.
	ActCrash ActionKind = iota + 1
	// ActPowerLoss crashes nodes and loses every write not yet synced.
	ActPowerLoss
	// ActRestart restarts crashed nodes from their storage (all crashed
	// nodes when none is named).
	ActRestart
	// ActPause stops the world on nodes: they process nothing, messages
	// and timers wait, and fire late on ActResume.
	ActPause
	// ActResume resumes paused nodes (all paused nodes when none is
	// named, as after a pause of the leader).
	ActResume
	// ActIsolate cuts nodes off from every other node, both ways.
	ActIsolate
	// ActPartition splits the cluster into Groups; nodes in no group are
	// isolated. With Leader, the current leader first moves into the
	// first group, out of any other (a group left empty goes): a scenario
	// can put the leader on the minority side without knowing which node
	// leads. With no leader, the groups stay as listed.
	ActPartition
	// ActCutOneWay drops messages From -> To only.
	ActCutOneWay
	// ActBridge splits the cluster into the two Groups except Nodes[0],
	// the bridge, which reaches both sides.
	ActBridge
	// ActClog holds messages From -> To until ActUnclog or ActHeal.
	ActClog
	ActUnclog
	// ActHeal removes every cut and clog, releasing held messages.
	ActHeal
	// ActLink sets the link From -> To (every link when both are zero) to
	// Link: delay, loss, duplication, reordering.
	ActLink
	// ActSlowDisk sets the sync latency of nodes to [SyncMin, SyncMax].
	ActSlowDisk
	// ActClockDrift sets the clock rate error of nodes to Drift.
	ActClockDrift
	// ActClockJump steps the clocks of nodes by Jump (either sign).
	ActClockJump
	// ActCrashNewLeaders is a nemesis aimed at the moments right after an
	// election: from At until Until, every node that becomes leader is
	// crashed within After of its election (a delay drawn from [0, After])
	// and restarted RestartAfter later. Bugs about a new leader's first
	// round trips (Figure 8) only show in that window.
	ActCrashNewLeaders
	// ActWait holds the timeline until the cluster reaches a state (Wait)
	// or Within passes, which is a failure. Entries after it are relative
	// to when it ended.
	ActWait
	// ActPropose hands Count proposals to each target node at once, each
	// its own operation in the history (an append to key "p").
	ActPropose
	// ActReconnect undoes ActIsolate node by node: each target reaches
	// every node that is not isolated again, both ways.
	ActReconnect
	// ActConnect undoes a cut of the directed link From -> To.
	ActConnect
	// ActIsolateNewLeaders is ActCrashNewLeaders with isolation instead of
	// a crash: from At until Until, every new leader is isolated within
	// After of its election and reconnected RestartAfter later.
	ActIsolateNewLeaders
	// ActCrashOnSnapshot is a nemesis aimed at snapshot writes (§7): from
	// At until Until, every node that writes a snapshot to its storage
	// (one it made, or one installed from the leader) is crashed within
	// After of the write, before or after its sync, and restarted
	// RestartAfter later, from the snapshot and an empty log if it had
	// just installed one. With PowerLoss it loses power instead, and its
	// unsynced writes with it. With Sender it aims at transfers instead:
	// every leader that starts sending a snapshot (its first chunk) is
	// crashed within After, cutting the transfer off.
	ActCrashOnSnapshot
	// ActIsolateOnSnapshot is a nemesis aimed at snapshot transfers: from
	// At until Until, every follower a leader starts sending a snapshot
	// to (its first chunk) is isolated within After, cutting the transfer
	// off, and reconnected RestartAfter later. With Sender, the sending
	// leader is isolated instead, so that a new leader starts over.
	ActIsolateOnSnapshot
	// ActSleep does nothing for a time drawn from [SleepMin, SleepMax]:
	// with Chance, a pause that happens only sometimes.
	ActSleep
	// The membership actions (§6; membership.go) go through the cluster
	// as a client's request would: proposed at the leader, retried at the
	// next one when it changes, until done or Within passes; the outcome
	// is recorded (Result.Membership). ActAddVoter adds the targets as
	// voters, one single-server change each (all in one joint change with
	// Joint).
	ActAddVoter
	// ActAddLearner adds the targets as learners.
	ActAddLearner
	// ActPromote makes learners voters, once caught up.
	ActPromote
	// ActRemove removes the targets, voters or learners.
	ActRemove
	// ActReplace replaces each target by a node of With (drawn from the
	// spares when With is empty): add the new voter, then remove the old
	// one; with Joint, all at once through a joint configuration.
	ActReplace
	// ActTransferLeader hands leadership over to the target (§3.10 of the
	// thesis).
	ActTransferLeader
	// ActDiskFault injects DiskFault on the targets' simulated disks (the
	// file store only; diskfaults.go): latent corruption of synced data
	// at once (bit_flip, zero_sector), or an error or misbehaviour of the
	// next operation of its kind (sync_error, write_error, misdirect,
	// stale_read), or a full disk (no_space) until Until, or the healing
	// phase when Until is zero. Latent faults (bit_flip, zero_sector,
	// misdirect, stale_read) hit at most a minority of the voters over a
	// run (the corruption budget): one aimed past it is skipped.
	ActDiskFault
	actionKindLimit
)

// faultKindLimit bounds the kinds the scenario generator draws from: the
// faults it knew when its distribution was fixed. Kinds after it are
// scenario steps (waits, proposals) or newer faults, and drawing them
// would change every generated scenario.
const faultKindLimit = ActWait

var actionKindNames = [...]string{
	ActCrash: "crash", ActPowerLoss: "power_loss", ActRestart: "restart",
	ActPause: "pause", ActResume: "resume", ActIsolate: "isolate",
	ActPartition: "partition", ActCutOneWay: "cut_one_way", ActBridge: "bridge",
	ActClog: "clog", ActUnclog: "unclog", ActHeal: "heal", ActLink: "link",
	ActSlowDisk: "slow_disk", ActClockDrift: "clock_drift", ActClockJump: "clock_jump",
	ActCrashNewLeaders: "crash_new_leaders", ActWait: "wait", ActPropose: "propose",
	ActReconnect: "reconnect", ActConnect: "connect", ActIsolateNewLeaders: "isolate_new_leaders",
	ActCrashOnSnapshot: "crash_on_snapshot", ActIsolateOnSnapshot: "isolate_on_snapshot",
	ActSleep:    "sleep",
	ActAddVoter: "add_voter", ActAddLearner: "add_learner", ActPromote: "promote", ActRemove: "remove",
	ActReplace: "replace", ActTransferLeader: "transfer_leader", ActDiskFault: "disk_fault",
}

func (k ActionKind) String() string {
	if k > 0 && k < actionKindLimit {
		return actionKindNames[k]
	}
	return fmt.Sprintf("ActionKind(%d)", uint8(k))
}

// ParseActionKind is the inverse of String.
func ParseActionKind(s string) (ActionKind, bool) {
	for k := ActCrash; k < actionKindLimit; k++ {
		if actionKindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// ActionKinds lists every kind, for help texts.
func ActionKinds() []ActionKind {
	var out []ActionKind
	for k := ActCrash; k < actionKindLimit; k++ {
		out = append(out, k)
	}
	return out
}

// FaultKinds lists the fault kinds the scenario generator draws from.
func FaultKinds() []ActionKind {
	var out []ActionKind
	for k := ActCrash; k < faultKindLimit; k++ {
		out = append(out, k)
	}
	return out
}

// WaitKind is the cluster state an ActWait waits for.
type WaitKind uint8

const (
	// WaitLeader: a node leads that can commit: it is up, not paused, and
	// reaches a majority of the cluster (itself included) both ways.
	WaitLeader WaitKind = iota + 1
	// WaitCommit: every proposal of the latest ActPropose that a node
	// accepted is committed on On nodes.
	WaitCommit
	// WaitMembership: every membership action started so far has ended
	// (membership.go).
	WaitMembership
)

func (w WaitKind) String() string {
	switch w {
	case WaitLeader:
		return "leader"
	case WaitCommit:
		return "commit"
	case WaitMembership:
		return "membership"
	}
	return fmt.Sprintf("WaitKind(%d)", uint8(w))
}

// On values of a commit wait besides a count of nodes.
const (
	// OnMajority: a majority of the cluster's voters (of the current
	// configuration: spares and removed nodes do not count).
	OnMajority = 0
	// OnAll: every member of the configuration that is up.
	OnAll = -1
)

// Action is one fault at a virtual time. Which fields matter depends on
// Kind.
type Action struct {
	At   time.Duration
	Kind ActionKind
	// Nodes are the targets of node faults.
	Nodes []raft.NodeID
	// Leader adds the current leader (the leader of the highest term) to
	// the targets; with no leader the action targets no one.
	Leader bool
	// Groups are the sides of a partition or a bridge.
	Groups [][]raft.NodeID
	// From and To name a directed link.
	From, To raft.NodeID
	Link     netsim.LinkConfig
	// Messages and MsgTypes narrow a link action to some messages;
	// OutliveHeal keeps its setting through the healing phase (links.go).
	Messages    MessageClass
	MsgTypes    []raft.MessageType
	OutliveHeal bool
	SyncMin     time.Duration
	SyncMax     time.Duration
	Drift       clock.PPM
	Jump        time.Duration
	// Until, After and RestartAfter shape ActCrashNewLeaders and
	// ActIsolateNewLeaders; the delay before a node comes back is drawn
	// from [RestartAfter, RestartAfterMax] when RestartAfterMax is larger.
	// IncludeLeader arms the nemesis against the leader in office when
	// it starts, as if just elected.
	Until           time.Duration
	After           time.Duration
	RestartAfter    time.Duration
	RestartAfterMax time.Duration
	IncludeLeader   bool
	// PowerLoss makes ActCrashOnSnapshot a power loss; Sender aims it and
	// ActIsolateOnSnapshot at the leader that starts sending a snapshot.
	PowerLoss bool
	Sender    bool

	// Names add the nodes that earlier actions bound with As.
	Names []string
	// Follower, Random, LeaderAnd and ExceptLeader pick targets when the
	// action runs, like Leader (see targets.go): one node other than the
	// leader; Random distinct nodes; the leader and LeaderAnd other nodes;
	// every node but the leader. An action uses at most one of them and
	// Leader.
	Follower     bool
	Random       int
	LeaderAnd    int
	ExceptLeader bool
	// Except and ExceptNames are nodes a selector must not pick.
	Except      []raft.NodeID
	ExceptNames []string
	// As binds the nodes the action acted on to a name, for later actions'
	// Names.
	As string
	// Require turns a missing target (no leader to crash, a named node
	// already down) from a counted, traced no-op into a failure.
	Require bool

	// Follows makes the entry's time relative: it runs a delay drawn from
	// [DelayMin, DelayMax] after the previous entry ended (an ActWait ends
	// when its state is reached or Within passes; any other entry when it
	// runs). At is then the earliest time it can run. An entry with a
	// fixed time may not follow one that Follows.
	Follows            bool
	DelayMin, DelayMax time.Duration
	// Wait, Within and On shape ActWait: On counts the nodes a commit
	// must reach (OnMajority, OnAll, or a number).
	Wait   WaitKind
	Within time.Duration
	On     int
	// AllProposals makes a commit wait cover every proposal still in
	// play, not only the latest burst's.
	AllProposals bool
	// Count is the number of proposals of ActPropose, per target node;
	// with Retry each is proposed again to the leader until it commits,
	// as a client retries (the state machine applies it once).
	Count int
	Retry bool
	// SleepMin and SleepMax bound an ActSleep's pause, drawn from the
	// scenario stream.
	SleepMin, SleepMax time.Duration
	// Chance, when set, runs the entry with that probability (drawn from
	// the scenario stream when it comes up; a skipped entry takes no
	// time). When, when set, runs it only if the cluster's state meets
	// the condition then.
	Chance netsim.Ratio
	When   Condition
	// Label names the entry in messages; empty means "timeline[i]".
	Label string
	// With are the nodes an ActReplace brings in, one per target, in
	// order; empty: spares drawn when it runs. Joint makes a membership
	// action one joint change (§6) instead of single-server ones. Within
	// bounds a membership action (DefaultMembershipWithin when zero).
	With  []raft.NodeID
	Joint bool
	// DiskFault is the fault an ActDiskFault injects.
	DiskFault disk.FaultKind
}

func (a *Action) validate(c *Config) error {
	if a.Kind == 0 || a.Kind >= actionKindLimit {
		return fmt.Errorf("kind: %d is not an action", a.Kind)
	}
	if a.At < 0 || a.At >= c.Duration {
		return fmt.Errorf("at: %v is outside the fault phase [0, %v)", a.At, c.Duration)
	}
	valid := func(id raft.NodeID) bool { return id >= 1 && int(id) <= c.Nodes }
	for _, id := range a.Nodes {
		if !valid(id) {
			return fmt.Errorf("nodes: node %d is not in the cluster (1..%d)", id, c.Nodes)
		}
	}
	if err := a.validateTargets(c); err != nil {
		return err
	}
	needTargets := func() error {
		if !a.HasTargets() {
			return errors.New("nodes: names no node (and no leader, follower, random, leader_and or except_leader)")
		}
		return nil
	}
	needLink := func() error {
		if !valid(a.From) || !valid(a.To) {
			return fmt.Errorf("from/to: link %d -> %d is not between cluster nodes", a.From, a.To)
		}
		if a.From == a.To {
			return fmt.Errorf("from/to: link %d -> %d is a loop", a.From, a.To)
		}
		return nil
	}
	if err := a.Chance.Validate(); a.Chance.Den != 0 && err != nil {
		return fmt.Errorf("chance: %w", err)
	}
	if err := a.When.validate(); err != nil {
		return err
	}
	if a.Retry && a.Kind != ActPropose {
		return errors.New("retry: only a propose entry retries")
	}
	if (a.OutliveHeal || a.Messages != MessagesAll || len(a.MsgTypes) > 0) && a.Kind != ActLink {
		return errors.New("messages: only a link action takes messages and outlive_heal")
	}
	if a.Follows && (a.DelayMin < 0 || a.DelayMax < a.DelayMin) {
		return fmt.Errorf("after: [%v, %v] is not a valid range", a.DelayMin, a.DelayMax)
	}
	switch a.Kind {
	case ActCrash, ActPowerLoss, ActPause, ActIsolate:
		return needTargets()
	case ActWait:
		return a.validateWait(c)
	case ActPropose:
		if a.Count < 1 || a.Count > maxProposals {
			return fmt.Errorf("propose: %d is outside [1, %d]", a.Count, maxProposals)
		}
		return needTargets()
	case ActSleep:
		if a.SleepMin < 0 || a.SleepMax < a.SleepMin {
			return fmt.Errorf("sleep: [%v, %v] is not a valid range", a.SleepMin, a.SleepMax)
		}
	case ActRestart, ActResume, ActHeal:
		return nil
	case ActAddVoter, ActAddLearner, ActPromote, ActRemove, ActReplace, ActTransferLeader:
		return a.validateMembership(c, needTargets)
	case ActPartition:
		return checkGroups(a.Groups, valid, 2)
	case ActBridge:
		if len(a.Nodes) != 1 {
			return fmt.Errorf("nodes: a bridge names exactly one bridge node, got %d", len(a.Nodes))
		}
		if err := checkGroups(a.Groups, valid, 2); err != nil {
			return err
		}
		if len(a.Groups) != 2 {
			return fmt.Errorf("groups: a bridge joins exactly two groups, got %d", len(a.Groups))
		}
		for _, g := range a.Groups {
			if slices.Contains(g, a.Nodes[0]) {
				return fmt.Errorf("groups: bridge node %d is also inside a group", a.Nodes[0])
			}
		}
		return nil
	case ActCutOneWay, ActClog, ActUnclog, ActConnect:
		return needLink()
	case ActReconnect:
		return needTargets()
	case ActLink:
		if a.From != 0 || a.To != 0 {
			if err := needLink(); err != nil {
				return err
			}
		}
		if err := a.Link.Validate(); err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if a.Messages > MessagesResponses {
			return fmt.Errorf("messages: %d is not a class of messages", a.Messages)
		}
		return validateTypes(a.MsgTypes)
	case ActDiskFault:
		return a.validateDiskFault(c, needTargets)
	case ActSlowDisk:
		if a.SyncMin < 0 || a.SyncMax < a.SyncMin {
			return fmt.Errorf("sync: [%v, %v] is not a valid range", a.SyncMin, a.SyncMax)
		}
		return needTargets()
	case ActClockDrift:
		if a.Drift < clock.DriftMin || a.Drift > clock.DriftMax {
			return fmt.Errorf("drift: %v is outside [%v, %v]", a.Drift, clock.DriftMin, clock.DriftMax)
		}
		return needTargets()
	case ActClockJump:
		if a.Jump == 0 {
			return errors.New("jump: a clock jump of zero does nothing")
		}
		return needTargets()
	case ActCrashNewLeaders, ActIsolateNewLeaders, ActCrashOnSnapshot, ActIsolateOnSnapshot:
		if a.RestartAfterMax != 0 && a.RestartAfterMax < a.RestartAfter {
			return fmt.Errorf("restart_after: [%v, %v] is not a valid range", a.RestartAfter, a.RestartAfterMax)
		}
		if a.Until <= a.At || a.Until > c.Duration {
			return fmt.Errorf("until: %v must be after at (%v) and at most the fault phase's end (%v)", a.Until, a.At, c.Duration)
		}
		if a.After < 0 {
			return fmt.Errorf("after: %v must not be negative", a.After)
		}
		if a.RestartAfter <= 0 {
			return fmt.Errorf("restart_after: %v must be positive: crashed leaders come back", a.RestartAfter)
		}
	}
	return nil
}

func checkGroups(groups [][]raft.NodeID, valid func(raft.NodeID) bool, atLeast int) error {
	if len(groups) < atLeast {
		return fmt.Errorf("groups: need at least %d groups, got %d", atLeast, len(groups))
	}
	seen := map[raft.NodeID]bool{}
	for gi, g := range groups {
		if len(g) == 0 {
			return fmt.Errorf("groups[%d]: empty group", gi)
		}
		for _, id := range g {
			if !valid(id) {
				return fmt.Errorf("groups[%d]: node %d is not in the cluster", gi, id)
			}
			if seen[id] {
				return fmt.Errorf("groups[%d]: node %d is in two groups", gi, id)
			}
			seen[id] = true
		}
	}
	return nil
}
