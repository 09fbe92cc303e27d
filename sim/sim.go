package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// PRNG streams: each concern draws from its own, so that adding a client
// does not move an election, and changing the network does not change the
// workload.
const (
	streamNetwork = 1
	streamFaults  = 2
	// streamScenario draws the targets of follower and random selectors.
	streamScenario = 3
	streamNode     = 1 << 16 // + node position
	streamDisk     = 2 << 16 // + node position
	streamClient   = 3 << 16 // + client position
	// streamFileDisk drives the simulated disk under a node's file store
	// (DiskConfig.Store): a stream of its own, so that memory-store runs
	// draw exactly what they drew before.
	streamFileDisk = 4 << 16 // + node position
)

// Simulator runs one configuration. It is single-threaded: one event
// queue ordered by (virtual time, sequence number) drives everything.
type Simulator struct {
	cfg     Config
	now     clock.Time
	end     clock.Time
	queue   eventQueue
	events  uint64
	tr      *tracer
	net     *netsim.Network
	ids     []raft.NodeID
	nodes   []*node
	clients []*client

	messages slab[sentMessage]
	requests slab[request]
	replies  slab[reply]
	// held maps message IDs a clogged link holds to their slab index.
	held map[uint64]uint64

	inv      *checker.Invariants
	failures []Failure
	// stopped is set by a safety violation: state is corrupt, so the run
	// ends at once.
	stopped bool

	hist    *history
	msgs    MessageAccount
	roles   []RoleChange
	tenures []Tenure
	faults  faultLog
	stats   Stats
	disk    DiskStats

	// faultRand draws the nemeses' random choices (its own stream).
	faultRand *rand.Rand
	// churn and isolator are the crash_new_leaders and
	// isolate_new_leaders nemeses.
	churn, isolator nemesis
	// snapCrash and snapIsolate are the crash_on_snapshot and
	// isolate_on_snapshot nemeses (snapshot.go).
	snapCrash, snapIsolate snapshotNemesis
	// isolated[pos] is set while node pos is cut off by an isolation
	// (isolate, isolate_new_leaders), until reconnect or heal.
	isolated []bool
	// scenarioRand draws the timeline's run-time choices: the nodes of
	// follower and random selectors.
	scenarioRand *rand.Rand
	// bound maps the names actions bound with As to their nodes.
	bound map[string][]raft.NodeID
	// missing lists actions that found fewer targets than they name.
	missing []MissingTarget
	// wait is the timeline wait in progress, or nil; ended is 1 + the
	// last timeline entry that ended; overrun says which relative entry
	// would have run after the fault phase, if one would.
	wait    *waiting
	ended   int
	overrun string
	// props are the scenario's proposals, in order; batch is the latest
	// burst.
	props []scenarioProposal
	batch proposeBatch
	// dirty is set when something a wait or a check watches may have
	// changed: a role, a term, a commit or apply index, a node's state,
	// the network.
	dirty bool
	// windows are the checks' windows; msgWindows and progressWindows
	// count the open ones that watch messages and completions.
	windows                     []window
	msgWindows, progressWindows int
	// maxCommitSeen is the highest commit index any node has reported.
	maxCommitSeen raft.Index
	// outliving lists the link actions that ran and outlive the healing
	// phase, in timeline order.
	outliving []int

	// memberOps are the membership actions, in the order they started;
	// memberships their records (membership.go). committedConf is the
	// latest configuration any node applied, at committedConfIndex.
	memberOps          []*memberOp
	memberships        []MembershipChange
	committedConf      raft.ConfState
	committedConfIndex raft.Index

	healing     bool
	healStart   clock.Time
	stopClients clock.Time
	progressed  []bool
	leaderOK    bool
	// livenessChecks counts the liveness bounds the run reached (two when
	// liveness was checked).
	livenessChecks int
}

// Run validates cfg, runs it, and returns the result. A returned error
// means the configuration is invalid; failures found by the run are in
// Result.Failures.
func Run(cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := newSimulator(cfg)
	if err != nil {
		return nil, err
	}
	return s.run(), nil
}

func newSimulator(cfg Config) (*Simulator, error) {
	s := &Simulator{cfg: cfg, end: cfg.end(), tr: newTracer(cfg.Trace), held: map[uint64]uint64{},
		faultRand:    rand.New(rand.NewPCG(cfg.Seed, streamFaults)),
		scenarioRand: rand.New(rand.NewPCG(cfg.Seed, streamScenario)),
		bound:        map[string][]raft.NodeID{}}
	s.hist = newHistory(&s.cfg)
	s.stopClients = s.end
	for i := 1; i <= cfg.Nodes; i++ {
		s.ids = append(s.ids, raft.NodeID(i))
	}
	s.committedConf = raft.ConfState{Voters: s.ids[:cfg.initialVoters()]}
	net, err := netsim.New(s.ids, rand.New(rand.NewPCG(cfg.Seed, streamNetwork)), cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	s.net = net
	s.applyNetworkKinds()
	if !cfg.DisableInvariants {
		s.inv = checker.NewInvariants(s.ids)
		s.inv.SetCluster(func(id raft.NodeID) checker.LogView { return nodeLog{s.nodes[id-1]} })
	}
	for i, id := range s.ids {
		clk, err := clock.New(clock.Config{})
		if err != nil {
			return nil, err
		}
		store, err := newNodeStorage(cfg.Disk.Store, cfg.diskSim(), rand.New(rand.NewPCG(cfg.Seed, streamFileDisk+uint64(i))))
		if err != nil {
			return nil, err
		}
		s.nodes = append(s.nodes, &node{
			id: id, pos: i, store: store, sm: kv.NewWithSessions(cfg.Workload.Sessions), clk: clk,
			initial:  s.ids[:cfg.initialVoters()],
			raftRand: rand.New(rand.NewPCG(cfg.Seed, streamNode+uint64(i))),
			diskRand: rand.New(rand.NewPCG(cfg.Seed, streamDisk+uint64(i))),
			syncMin:  cfg.Disk.SyncMin, syncMax: cfg.Disk.SyncMax,
		})
	}
	for i := range cfg.Workload.Clients {
		id := kv.ClientID(i + 1)
		if cfg.Workload.Sessions.Max > 0 {
			id = 0 // registers before its first operation
		}
		s.clients = append(s.clients, &client{
			pos: i, id: id,
			rand:      rand.New(rand.NewPCG(cfg.Seed, streamClient+uint64(i))),
			lastValue: make([]string, cfg.Workload.Keys),
		})
	}
	s.progressed = make([]bool, len(s.clients))
	s.isolated = make([]bool, cfg.Nodes)
	return s, nil
}

func (s *Simulator) schedule(e event) { s.queue.push(e) }

func (s *Simulator) trace(e TraceEvent) {
	e.Time = s.now
	s.tr.record(e)
}

func (s *Simulator) run() (res *Result) {
	defer func() {
		if r := recover(); r != nil {
			s.fail(Failure{Kind: FailurePanic, Name: "panic", Message: fmt.Sprint(r)})
			res = s.result()
		}
	}()
	s.trace(TraceEvent{Kind: TracePhase, Text: "start", N: s.cfg.Seed})
	s.startDiskRates()
	for _, n := range s.nodes {
		s.restart(n)
	}
	for _, c := range s.clients {
		s.schedule(event{at: 0, kind: evClientStart, node: c.pos, inc: c.attempt})
	}
	s.healStart = clock.Time(0).Add(s.cfg.Duration)
	s.scheduleScript()
	s.scheduleChecks()
	s.schedule(event{at: s.healStart, kind: evPhase, ref: phaseHeal})
	if s.cfg.Probe != nil {
		s.schedule(event{at: clock.Time(0).Add(s.cfg.ProbeEvery), kind: evProbe})
	}
	if s.cfg.HealDuration > 0 {
		s.schedule(event{at: s.healStart.Add(s.cfg.Liveness.LeaderWithin), kind: evPhase, ref: phaseLeaderBound})
		s.schedule(event{at: s.healStart.Add(s.cfg.Liveness.ProgressWithin), kind: evPhase, ref: phaseProgressBound})
	}
	maxEvents := s.cfg.MaxEvents
	if maxEvents == 0 {
		maxEvents = 50_000_000
	}
	for s.queue.len() > 0 && !s.stopped {
		e := s.queue.pop()
		if e.at > s.end {
			break
		}
		if e.at < s.now {
			panic(fmt.Sprintf("sim: event at %v before now %v", e.at, s.now))
		}
		s.now = e.at
		s.events++
		if s.events > maxEvents {
			s.fail(Failure{Kind: FailureLimit, Name: "max-events", Message: fmt.Sprintf("the run reached its limit of %d events at %v without finishing", maxEvents, s.now)})
			break
		}
		s.dispatch(e)
		if s.dirty {
			s.dirty = false
			s.advanceMembership()
			s.checkWait()
			s.evalWindows()
		}
	}
	return s.result()
}

func (s *Simulator) dispatch(e event) {
	switch e.kind {
	case evTick:
		s.onTick(s.nodes[e.node], e)
	case evDeliver:
		s.onDeliver(e)
	case evSyncDone:
		s.onSyncDone(s.nodes[e.node], e)
	case evClientSend:
		s.onClientSend(s.nodes[e.node], e)
	case evClientReply:
		s.onClientReply(s.clients[e.node], e)
	case evClientStart:
		s.onClientStart(s.clients[e.node], e)
	case evClientTimeout:
		s.onClientTimeout(s.clients[e.node], e)
	case evAction:
		s.runAction(int(e.ref))
	case evPhase:
		s.onPhase(e.ref)
	case evChurn:
		s.onChurn(e)
	case evWait:
		s.onWaitTimeout(e)
	case evMembership:
		s.onMembership(e)
	case evCheck:
		s.onCheck(e)
	case evSnapNemesis:
		s.onSnapshotNemesis(e)
	case evSleep:
		s.sleepEnded(int(e.ref))
	case evPropRetry:
		s.retryProposal(int(e.ref))
	case evProbe:
		s.onProbe()
	case evApply:
		s.onApply(s.nodes[e.node], e)
	case evDiskRestart:
		s.onDiskRestart(s.nodes[e.node], e)
	case evDiskSpace:
		s.freeDisk(s.nodes[e.node])
	default:
		panic(fmt.Sprintf("sim: unknown event kind %d", e.kind))
	}
}

// sentMessage is a message in flight and the ID its send was traced
// with; every copy of one send (duplicates) carries the same ID.
type sentMessage struct {
	m  raft.Message
	id uint64
}

// DropCrashedReceiver is the trace text of a message that reached a
// crashed node; the network's own reasons are netsim.DropReason strings.
const DropCrashedReceiver = "crashed receiver"

// sendMessage hands a message to the network, which decides its fate. The
// message's ID is its ordinal among the messages sent (MessageAccount.Sent).
func (s *Simulator) sendMessage(m raft.Message) {
	s.msgs.Sent++
	id := s.msgs.Sent
	ev := TraceEvent{Kind: TraceSend, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: id, Term: m.Term, Index: m.Index}
	if m.Snapshot != nil {
		ev.N = uint64(len(m.Snapshot.Data)) // a chunk's bytes
	}
	s.trace(ev)
	s.onSnapshotMessage(&m)
	arrivals := s.net.SendSized(s.now, m.From, m.To, m.Type, messageBytes(&m))
	if s.msgWindows > 0 {
		s.messageSent(m.Type)
	}
	s.msgs.Copies += uint64(len(arrivals))
	if len(arrivals) == 0 {
		s.msgs.LostAtSend++
		s.trace(TraceEvent{Kind: TraceDrop, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: id, Term: m.Term, Text: s.net.LastDrop().String()})
		return
	}
	if len(arrivals) > 1 {
		s.trace(TraceEvent{Kind: TraceDuplicate, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: id, Term: m.Term, N: uint64(len(arrivals) - 1)})
	}
	for _, at := range arrivals {
		s.schedule(event{at: at, kind: evDeliver, node: int(m.To) - 1, ref: s.messages.put(sentMessage{m: m, id: id})})
	}
}

func (s *Simulator) onDeliver(e event) {
	sm := s.messages.items[e.ref]
	m := sm.m
	switch s.net.Arrive(s.now, m.From, m.To, m.Type, e.ref) {
	case netsim.FateDrop:
		s.msgs.DroppedArrival++
		s.messages.take(e.ref)
		s.trace(TraceEvent{Kind: TraceDrop, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: sm.id, Term: m.Term, Text: s.net.LastDrop().String()})
		return
	case netsim.FateHold:
		s.held[e.ref] = e.ref
		s.trace(TraceEvent{Kind: TraceHold, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: sm.id, Term: m.Term})
		return
	}
	n := s.nodes[e.node]
	if !n.up {
		s.msgs.DroppedDown++
		s.messages.take(e.ref)
		s.trace(TraceEvent{Kind: TraceDrop, Node: m.From, Peer: m.To, Msg: m.Type, MsgID: sm.id, Term: m.Term, Text: DropCrashedReceiver})
		return
	}
	if n.paused {
		n.deferred = append(n.deferred, event{kind: evDeliver, node: e.node, ref: e.ref, inc: e.inc})
		return
	}
	s.msgs.Delivered++
	s.messages.take(e.ref)
	s.trace(TraceEvent{Kind: TraceDeliver, Node: m.To, Peer: m.From, Msg: m.Type, MsgID: sm.id, Term: m.Term, Index: m.Index})
	var before raft.Status
	if s.inv != nil {
		before = n.rn.Status()
	}
	if err := n.rn.Step(m); err != nil {
		s.violation(&checker.Violation{Invariant: "valid-messages", Message: fmt.Sprintf("node %d refused %v: %v", n.id, m, err)}, n.id)
		return
	}
	if s.inv != nil {
		s.violation(s.inv.ObserveStep(n.id, m.Type, m.Term, m.Reject, before, n.rn.Status()), n.id)
		if s.stopped {
			return
		}
	}
	s.process(n)
}

// release delivers messages a clog held, at once, in the order held.
func (s *Simulator) release(rels []netsim.Released) {
	for _, rel := range rels {
		ref, ok := s.held[rel.ID]
		if !ok {
			panic(fmt.Sprintf("sim: network released message %d, which it never held", rel.ID))
		}
		delete(s.held, rel.ID)
		m := s.messages.items[ref].m
		s.schedule(event{at: s.now, kind: evDeliver, node: int(m.To) - 1, ref: ref})
	}
}

// maxCommit is the highest commit index of any live node.
func (s *Simulator) maxCommit() raft.Index {
	var c raft.Index
	for _, n := range s.nodes {
		if n.up {
			c = max(c, n.rn.Status().Commit)
		}
	}
	return c
}

// leader returns the live leader of the highest term, or nil.
func (s *Simulator) leader() *node {
	var best *node
	for _, n := range s.nodes {
		if n.up && n.role == raft.RoleLeader && (best == nil || n.term > best.term) {
			best = n
		}
	}
	return best
}

const (
	phaseHeal = iota + 1
	phaseLeaderBound
	phaseProgressBound
)

func (s *Simulator) onPhase(p uint64) {
	switch p {
	case phaseHeal:
		s.checkOverrun()
		s.heal()
	case phaseLeaderBound:
		s.livenessChecks++
		if !s.leaderOK {
			s.fail(Failure{Kind: FailureLiveness, Name: "leader-after-heal", Message: fmt.Sprintf("no leader committed an entry of its term within %v of healing", s.cfg.Liveness.LeaderWithin)})
		}
	case phaseProgressBound:
		s.livenessChecks++
		var stuck []string
		for i, ok := range s.progressed {
			if !ok {
				stuck = append(stuck, fmt.Sprint(s.clients[i].id))
			}
		}
		if len(stuck) > 0 {
			s.fail(Failure{Kind: FailureLiveness, Name: "progress-after-heal", Message: fmt.Sprintf("clients %s completed no operation within %v of healing", strings.Join(stuck, ", "), s.cfg.Liveness.ProgressWithin)})
		}
	}
}

// heal starts the healing phase: every fault is cleared.
func (s *Simulator) heal() {
	s.healing = true
	s.trace(TraceEvent{Kind: TracePhase, Text: "heal"})
	clear(s.isolated)
	s.release(s.net.Heal())
	s.resetLinks()
	s.healDisks()
	for _, n := range s.nodes {
		n.syncMin, n.syncMax = s.cfg.Disk.SyncMin, s.cfg.Disk.SyncMax
		if n.paused {
			s.resume(n)
		}
		if !n.up {
			s.restart(n)
		}
	}
	s.faults.closeAll(s.now)
	if s.cfg.HealDuration > 0 {
		// The check for a committing leader runs whenever a node applies;
		// it may already hold.
		s.checkLeader()
	}
}

// resetLinks drops every per-link override and restores the default
// network settings.
func (s *Simulator) resetLinks() {
	for _, from := range s.ids {
		for _, to := range s.ids {
			if from != to {
				must(s.net.ResetLink(from, to))
			}
		}
	}
	must(s.net.SetDefault(s.cfg.Network))
	s.applyNetworkKinds()
	s.reapplyOutliving()
}

// must panics on an error that validation should have made impossible.
func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("sim: %v", err))
	}
}

// checkLeader notes when, during healing, a leader has committed an entry
// of its own term.
func (s *Simulator) checkLeader() {
	if !s.healing || s.leaderOK {
		return
	}
	if l := s.leader(); l != nil {
		st := l.rn.Status()
		if t, ok := l.rn.Term(st.Commit); ok && t == st.Term {
			s.leaderOK = true
		}
	}
}

func (s *Simulator) violation(v *checker.Violation, node raft.NodeID) {
	if v == nil {
		return
	}
	s.trace(TraceEvent{Kind: TraceViolation, Node: node, Text: v.Invariant})
	s.fail(Failure{Kind: FailureInvariant, Name: v.Invariant, Message: v.Message, Node: node})
	s.stopped = true
}

func (s *Simulator) fail(f Failure) {
	f.Time = s.now
	f.TraceSeq = s.tr.seq
	if f.Kind == FailurePanic || f.Kind == FailureInvariant {
		f.TraceTail = s.tr.tailEvents()
	}
	s.failures = append(s.failures, f)
}

func sortedIDs(ids []raft.NodeID) []raft.NodeID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
