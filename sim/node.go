package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
	"github.com/raftsim/raftsim/raft/kv"
)

// node is one simulated server: a Raft core, its storage, the key-value
// state machine, and its clock. Storage and the state machine are durable:
// they survive crashes. The storage keeps unsynced writes across a crash
// (a page cache) and loses them on power loss; a restart reopens it, which
// makes what it holds durable (raft.Storage's restart contract). The state
// machine persists each apply together with its applied index, so a
// restart resumes after it; the Raft core only hands out entries to apply
// that are durable, so the state machine is never ahead of the log.
type node struct {
	id  raft.NodeID
	pos int

	rn    *raft.Node // nil while crashed
	store nodeStorage
	sm    *kv.Store
	clk   *clock.Clock
	tick  *clock.Ticker
	// tickGen invalidates scheduled ticks when the clock changes.
	tickGen uint64

	// initial is the initial configuration's voters (Config.Voters).
	initial []raft.NodeID
	// stored caches, while the node is down, the configuration of its
	// storage (nodeLog.Config).
	stored storedConfig

	raftRand *rand.Rand
	diskRand *rand.Rand
	syncMin  time.Duration
	syncMax  time.Duration

	// inc is the incarnation: events scheduled for an earlier one are
	// stale and ignored.
	inc    uint32
	up     bool
	paused bool
	// deferred holds events that came while paused, in arrival order.
	deferred []event
	// tickMissed records that the tick timer fired during a pause.
	tickMissed bool

	// syncing is true while a Ready's writes are being synced; rd is that
	// Ready.
	syncing bool
	rd      raft.Ready

	role   raft.Role
	leader raft.NodeID
	term   raft.Term
	// commit is the commit index the node has made durable (its
	// HardState's), since its last restart.
	commit raft.Index

	// proposals awaiting their entry's application, in index order.
	proposals []proposal
	// reads awaiting confirmation by the leader, by read ID.
	reads      []pendingRead
	nextReadID uint64
	// confirmed reads awaiting application of their read index.
	confirmed []pendingRead
	// applyQueue holds committed entries handed out but not yet applied,
	// in index order (Disk.ApplyLag).
	applyQueue []raft.Entry
	// tenure is 1 + the index of the node's current Tenure, or 0.
	tenure int
	// restartDue is set while the supervisor's restart of a node stopped
	// by its storage is scheduled (diskerror.go): at most one at a time.
	restartDue bool
}

// nodeLog is a node's log for the invariant checker: the Raft core's while
// the node runs, its storage's while it is crashed.
type nodeLog struct{ n *node }

func (l nodeLog) LastIndex() raft.Index {
	if l.n.rn != nil {
		return l.n.rn.Status().LastIndex
	}
	return l.n.store.lastHeld()
}

func (l nodeLog) Term(i raft.Index) (raft.Term, bool) {
	if l.n.rn != nil {
		return l.n.rn.Term(i)
	}
	return l.n.store.term(i)
}

// Compacted implements checker.CompactedView: the entries before the log
// are in the node's snapshot.
func (l nodeLog) Compacted() raft.Index {
	if l.n.rn != nil {
		return l.n.rn.Status().FirstIndex - 1
	}
	return l.n.store.firstHeld() - 1
}

// Committed implements checker.CommitView: the commit index the running
// node holds now, reported or not yet.
func (l nodeLog) Committed() raft.Index {
	if l.n.rn != nil {
		return l.n.rn.Status().Commit
	}
	return 0
}

// Fenced implements checker.FencedView: the node repairs a log that lost
// entries, or would once restarted.
func (l nodeLog) Fenced() bool {
	if l.n.rn != nil {
		return l.n.rn.Status().Fence != 0
	}
	return l.n.store.fenced()
}

// Config implements checker.ConfigView: the latest configuration in the
// node's log (the one a crashed node would restart with).
func (l nodeLog) Config() (raft.ConfState, raft.Index) {
	n := l.n
	if n.rn != nil {
		return n.rn.LogConfig()
	}
	if !n.stored.ok {
		// A crashed node's storage does not change until it restarts.
		cs, idx, err := n.store.heldConfig(n.initial)
		if err != nil {
			panic(fmt.Sprintf("sim: node %d: reading its stored configuration: %v", n.id, err))
		}
		n.stored = storedConfig{cs: cs, index: idx, ok: true}
	}
	return n.stored.cs, n.stored.index
}

// storedConfig caches the configuration of a crashed node's storage.
type storedConfig struct {
	cs    raft.ConfState
	index raft.Index
	ok    bool
}

type proposal struct {
	index raft.Index
	term  raft.Term
	req   uint64 // request slab index
}

type pendingRead struct {
	id    uint64
	index raft.Index
	req   uint64
}

// handleRequest takes a client request arriving at the node.
func (s *Simulator) handleRequest(n *node, ref uint64) {
	rq := &s.requests.items[ref]
	if rq.kind == checker.OpGet {
		if n.role != raft.RoleLeader {
			s.reply(n, ref, reply{status: replyNotLeader, hint: n.leader})
			return
		}
		n.nextReadID++
		id := n.nextReadID
		if err := n.rn.ReadIndex(id); err != nil {
			s.replyError(n, ref, err)
			return
		}
		rq.commitAtStart = s.maxCommit()
		n.reads = append(n.reads, pendingRead{id: id, req: ref})
		s.process(n)
		return
	}
	idx, term, err := n.rn.Propose(kv.EncodeCommand(rq.cmd))
	if err != nil {
		s.replyError(n, ref, err)
		return
	}
	n.proposals = append(n.proposals, proposal{index: idx, term: term, req: ref})
	s.process(n)
}

func (s *Simulator) replyError(n *node, ref uint64, err error) {
	var nl *raft.NotLeaderError
	if asNotLeader(err, &nl) {
		s.reply(n, ref, reply{status: replyNotLeader, hint: nl.Leader})
		return
	}
	s.reply(n, ref, reply{status: replyRejected})
}

// process carries out the node's Readies until it has none, or until one
// waits for its disk.
func (s *Simulator) process(n *node) {
	for n.up && !n.paused && !n.syncing && n.rn.HasReady() {
		rd := n.rn.Ready()
		if rd.SoftState != nil {
			s.roleChange(n, *rd.SoftState)
		}
		if !s.storeSnapshot(n, rd) {
			return
		}
		// The entries go to storage before the hard state whose commit
		// index may cover them: a store that writes records in order (the
		// file store) can then lose a suffix of them to a power loss
		// without keeping a commit index past its log.
		if len(rd.Entries) > 0 {
			if err := n.store.live().Append(rd.Entries); err != nil {
				s.diskError(n, "append", err)
				return
			}
		}
		if !rd.HardState.IsZero() {
			if err := n.store.live().SetHardState(rd.HardState); err != nil {
				s.diskError(n, "set_hard_state", err)
				return
			}
			if s.inv != nil {
				s.inv.ObserveVote(n.id, rd.HardState)
			}
			if rd.HardState.Term != n.term {
				n.term, s.dirty = rd.HardState.Term, true
			}
			if rd.HardState.Commit > n.commit {
				n.commit, s.dirty = rd.HardState.Commit, true
				s.maxCommitSeen = max(s.maxCommitSeen, n.commit)
				s.trace(TraceEvent{Kind: TraceCommit, Node: n.id, Index: n.commit})
			}
		}
		if len(rd.Entries) > 0 {
			last := rd.Entries[len(rd.Entries)-1]
			s.trace(TraceEvent{Kind: TracePersist, Node: n.id, Term: last.Term, Index: last.Index, N: uint64(len(rd.Entries))})
			if s.inv != nil {
				s.violation(s.inv.ObserveAppend(n.id, n.rn, rd.Entries), n.id)
			}
		}
		if !s.storeCompaction(n, rd) {
			return
		}
		if rd.MustSync {
			lat := n.syncMin
			if n.syncMax > n.syncMin {
				lat += time.Duration(n.diskRand.Int64N(int64(n.syncMax-n.syncMin) + 1))
			}
			if lat > 0 {
				n.syncing = true
				n.rd = rd
				s.schedule(event{at: s.now.Add(lat), kind: evSyncDone, node: n.pos, inc: n.inc})
				return
			}
		}
		s.finishReady(n, rd)
	}
}

// finishReady runs once a Ready's writes are durable: sync, send, apply,
// serve reads, advance.
func (s *Simulator) finishReady(n *node, rd raft.Ready) {
	if rd.MustSync {
		if err := n.store.live().Sync(); err != nil {
			s.diskError(n, "sync", err)
			return
		}
		s.trace(TraceEvent{Kind: TraceSync, Node: n.id})
		if s.inv != nil {
			hs, _ := n.store.live().InitialState()
			s.inv.ObserveDurable(n.id, hs)
		}
	}
	for i := range rd.Messages {
		if s.inv != nil {
			s.violation(s.inv.ObserveSend(n.id, rd.Messages[i], n.rn, n.store.lastHeld()), n.id)
		}
		s.sendMessage(rd.Messages[i])
	}
	if rd.RestoreSnapshot && !s.restoreSnapshot(n, rd.Snapshot) {
		return // the run stops: the state machine is corrupt
	}
	if len(rd.CommittedEntries) > 0 {
		s.applyEntries(n, rd.CommittedEntries)
	}
	for _, rs := range rd.ReadStates {
		s.confirmRead(n, rs)
	}
	s.serveReads(n)
	if n.tenure > 0 && len(rd.CommittedEntries) > 0 {
		if t := &s.tenures[n.tenure-1]; t.Committed == 0 && rd.CommittedEntries[len(rd.CommittedEntries)-1].Term == t.Term {
			t.Committed = s.now
		}
	}
	n.rn.Advance(rd)
	if s.inv != nil {
		s.violation(s.inv.ObserveNode(n.id, n.rn), n.id)
	}
	s.maybeCompact(n)
	s.checkLeader()
}

func (s *Simulator) apply(n *node, e raft.Entry) {
	if s.inv != nil {
		// Before the state machine sees it: raft/kv would panic on an
		// entry out of order, and the checker names the broken rule.
		s.violation(s.inv.CheckApplyOrder(n.id, e), n.id)
		if s.stopped {
			return
		}
	}
	if e.Type == raft.EntryConfig {
		s.noteConfigApplied(e)
	}
	before := n.sm.Executed()
	resp := n.sm.Apply(e)
	if s.inv != nil {
		var cid, seq uint64
		if n.sm.Executed() != before {
			c, q := n.sm.LastExecuted()
			cid, seq = uint64(c), uint64(q)
		}
		s.violation(s.inv.ObserveApply(n.id, e, cid, seq), n.id)
		if s.inv.WantsDigest(e.Index) {
			// Some node snapshotted this index: this node's state here
			// must be that snapshot's.
			s.violation(s.inv.ObserveDigest(n.id, e.Index, n.sm.Digest()), n.id)
		}
	}
	for len(n.proposals) > 0 && n.proposals[0].index <= e.Index {
		p := n.proposals[0]
		n.proposals = n.proposals[1:]
		if p.index != e.Index || p.term != e.Term {
			// Another leader's entry took the index: this proposal can
			// never commit.
			s.reply(n, p.req, reply{status: replyOverwritten})
			continue
		}
		r, err := kv.DecodeResponse(resp)
		if err != nil {
			panic(fmt.Sprintf("sim: node %d: undecodable response at index %d: %v", n.id, e.Index, err))
		}
		s.reply(n, p.req, reply{status: replyOK, resp: r})
	}
}

func (s *Simulator) confirmRead(n *node, rs raft.ReadState) {
	for i, r := range n.reads {
		if r.id == rs.ID {
			r.index = rs.Index
			n.reads = append(n.reads[:i], n.reads[i+1:]...)
			n.confirmed = append(n.confirmed, r)
			return
		}
	}
}

// serveReads answers confirmed reads whose index the state machine has
// applied, from local state (§8).
func (s *Simulator) serveReads(n *node) {
	applied := n.sm.AppliedIndex()
	k := 0
	for _, r := range n.confirmed {
		if r.index > applied && !bugs.Fire(bugs.ReadBeforeApply) {
			n.confirmed[k] = r
			k++
			continue
		}
		rq := &s.requests.items[r.req]
		if s.inv != nil {
			s.violation(s.inv.ObserveRead(n.id, r.index, applied, rq.commitAtStart), n.id)
		}
		v, found := n.sm.Read(rq.cmd.Key)
		s.reply(n, r.req, reply{status: replyOK, resp: kv.Response{Status: readStatus(found), Value: v}, found: found})
	}
	n.confirmed = n.confirmed[:k]
}

func readStatus(found bool) kv.Status {
	if found {
		return kv.StatusOK
	}
	return kv.StatusNotFound
}

func (s *Simulator) roleChange(n *node, ss raft.SoftState) {
	wasLeader := n.role == raft.RoleLeader
	s.dirty = true
	n.role, n.leader = ss.Role, ss.Leader
	term := n.rn.Status().Term
	n.term = term
	s.trace(TraceEvent{Kind: TraceRole, Node: n.id, Peer: ss.Leader, Term: term, Text: ss.Role.String()})
	s.roles = append(s.roles, RoleChange{Time: s.now, Node: n.id, Role: ss.Role, Term: term})
	if s.inv != nil {
		s.violation(s.inv.ObserveRole(n.id, ss.Role, term, n.rn), n.id)
	}
	if wasLeader && ss.Role != raft.RoleLeader {
		s.endTenure(n)
	}
	if ss.Role == raft.RoleLeader {
		s.tenures = append(s.tenures, Tenure{Node: n.id, Term: term, Elected: s.now})
		n.tenure = len(s.tenures)
		s.onNewLeader(n)
		s.stats.LeaderChanges++
		if s.stats.FirstLeader == 0 {
			s.stats.FirstLeader = s.now
		}
	}
	if ss.Role == raft.RoleCandidate {
		s.stats.Elections++
	}
	if wasLeader && ss.Role != raft.RoleLeader {
		// Pending proposals may still commit under the next leader: their
		// outcome is unknown, never failed.
		for _, p := range n.proposals {
			s.reply(n, p.req, reply{status: replyUnknown})
		}
		n.proposals = n.proposals[:0]
		// Unconfirmed reads had no effect; confirmed ones stay valid.
		for _, r := range n.reads {
			s.reply(n, r.req, reply{status: replyRejected})
		}
		n.reads = n.reads[:0]
	}
}

func (s *Simulator) endTenure(n *node) {
	if n.tenure > 0 {
		s.tenures[n.tenure-1].Ended = s.now
		n.tenure = 0
	}
}

// crash stops the node; with powerLoss its unsynced writes are lost.
func (s *Simulator) crash(n *node, powerLoss bool) {
	if !n.up {
		return
	}
	how := "crash"
	if powerLoss {
		how = "power_loss"
		n.store.powerLoss()
	} else {
		// Unsynced writes stay in the page cache, not yet durable: the
		// restart's Reopen makes them so, a power loss before it drops them.
		n.store.crash()
	}
	s.stop(n, how)
}

// stop ends the node's process (its storage already crashed, lost power,
// or failed; how says which, for the trace).
func (s *Simulator) stop(n *node, how string) {
	s.trace(TraceEvent{Kind: TraceCrash, Node: n.id, Text: how})
	if n.role == raft.RoleLeader {
		s.endTenure(n)
	}
	s.roles = append(s.roles, RoleChange{Time: s.now, Node: n.id, Role: 0, Term: n.term})
	n.up, n.paused, n.syncing = false, false, false
	n.rn = nil
	n.stored = storedConfig{}
	n.inc++
	n.deferred = n.deferred[:0]
	n.tickMissed = false
	// Requests die with the process; their clients time out.
	s.proposalsLost(n)
	s.dirty = true
	n.proposals, n.reads, n.confirmed = n.proposals[:0], n.reads[:0], n.confirmed[:0]
	// Entries the state machine had not applied yet are applied again
	// after the restart, from its applied index on.
	n.applyQueue = n.applyQueue[:0]
	n.role, n.leader = 0, raft.None
}

func (s *Simulator) restart(n *node) {
	if n.up {
		return
	}
	// The Storage contract for a restart: what the node reads is durable.
	storage, err := n.store.open()
	var rn *raft.Node
	if err == nil {
		rn, err = raft.NewNode(s.raftConfig(n, storage))
	}
	if err != nil {
		s.openFailed(n, err)
		return
	}
	n.rn = rn
	n.up = true
	n.inc++
	st := rn.Status()
	n.role, n.leader, n.term = st.Role, st.Leader, st.Term
	n.commit, s.dirty = st.Commit, true
	if what := n.store.misread(); what != "" {
		s.trace(TraceEvent{Kind: TraceDisk, Node: n.id, Text: "misread at open, whole when read again: " + what})
	}
	if what := n.store.repaired(); what != "" {
		s.noteRepair(n, what)
	}
	s.trace(TraceEvent{Kind: TraceRestart, Node: n.id, Term: st.Term, Index: st.LastIndex, N: uint64(st.Applied)})
	s.roles = append(s.roles, RoleChange{Time: s.now, Node: n.id, Role: st.Role, Term: st.Term})
	if s.inv != nil {
		s.violation(s.inv.ObserveRestart(n.id, rn), n.id)
	}
	s.startTicker(n)
	s.process(n)
}

func (s *Simulator) raftConfig(n *node, st raft.Storage) raft.Config {
	r := s.cfg.Raft
	return raft.Config{
		ID: n.id, Voters: n.initial, Storage: st, Applied: n.sm.AppliedIndex(),
		Rand:          n.raftRand,
		ElectionTicks: r.ElectionTicks, HeartbeatTicks: r.HeartbeatTicks,
		DisablePreVote: r.DisablePreVote, DisableCheckQuorum: r.DisableCheckQuorum,
		ReadMode: r.ReadMode, LeaseDriftTicks: r.LeaseDriftTicks,
		MaxEntriesPerMsg: r.MaxEntriesPerMsg, MaxInflightMsgs: r.MaxInflightMsgs,
		SnapshotEvery: r.SnapshotEvery, SnapshotKeep: r.SnapshotKeep, SnapshotChunkBytes: r.SnapshotChunkBytes,
	}
}

func (s *Simulator) startTicker(n *node) {
	tk, err := clock.NewTicker(n.clk, clock.TickerConfig{Interval: s.cfg.Raft.TickInterval, BurstMax: 2 * s.cfg.Raft.ElectionTicks}, s.now)
	if err != nil {
		panic(fmt.Sprintf("sim: node %d ticker: %v", n.id, err))
	}
	n.tick = tk
	s.scheduleTick(n)
}

func (s *Simulator) scheduleTick(n *node) {
	n.tickGen++
	s.schedule(event{at: n.tick.Next(), kind: evTick, node: n.pos, inc: n.inc, ref: n.tickGen})
}

func (s *Simulator) onTick(n *node, e event) {
	if !n.up || e.inc != n.inc || e.ref != n.tickGen {
		return
	}
	if n.paused {
		n.tickMissed = true
		return
	}
	k := n.tick.Fire(s.now)
	for range k {
		n.rn.Tick()
	}
	if k > 0 {
		s.trace(TraceEvent{Kind: TraceTick, Node: n.id, N: uint64(k)})
		s.process(n)
	}
	s.scheduleTick(n)
}

func (s *Simulator) pause(n *node) {
	if !n.up || n.paused {
		return
	}
	n.paused, s.dirty = true, true
	s.trace(TraceEvent{Kind: TracePause, Node: n.id})
}

func (s *Simulator) resume(n *node) {
	if !n.up || !n.paused {
		return
	}
	n.paused, s.dirty = false, true
	s.trace(TraceEvent{Kind: TraceResume, Node: n.id})
	// Everything that waited runs now, in the order it arrived; the timer
	// fires late, once, covering the ticks its clock says have passed.
	deferred := n.deferred
	n.deferred = nil
	for _, e := range deferred {
		e.at = s.now
		s.schedule(e)
	}
	if n.tickMissed {
		n.tickMissed = false
		s.schedule(event{at: s.now, kind: evTick, node: n.pos, inc: n.inc, ref: n.tickGen})
	}
}

func (s *Simulator) onSyncDone(n *node, e event) {
	if !n.up || e.inc != n.inc || !n.syncing {
		return
	}
	if n.paused {
		n.deferred = append(n.deferred, e)
		return
	}
	n.syncing = false
	rd := n.rd
	n.rd = raft.Ready{}
	s.finishReady(n, rd)
	s.process(n)
}
