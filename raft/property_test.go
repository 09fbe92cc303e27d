package raft

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// propertyCluster runs nodes under an adversarial, rapid-driven schedule:
// any in-flight message may be delivered, dropped or duplicated, in any
// order, interleaved with ticks, proposals and crash-restarts that lose
// unsynced writes. After every step it checks Raft's safety properties
// against a naive reference: every committed entry ever observed.
type propertyCluster struct {
	t   *rapid.T
	ids []NodeID
	// voters is the initial configuration; nil means every node.
	voters   []NodeID
	nodes    []*Node
	stores   []*MemoryStorage
	applied  [][]Entry
	inflight []Message
	// leaders[term] is the leader seen in term (Election Safety).
	leaders map[Term]NodeID
	// committed is the longest committed prefix observed anywhere: by
	// Leader Completeness every later leader's log must contain it.
	committed []Entry
	proposals int
	// snapEvery, snapKeep and chunk configure compaction (0: none).
	snapEvery, snapKeep int
	chunk               uint64
	snapshots           int
	restores            int
}

func (pc *propertyCluster) idx(id NodeID) int { return int(id) - 1 }

func (pc *propertyCluster) start(i int) {
	id := pc.ids[i]
	voters := pc.voters
	if voters == nil {
		voters = pc.ids
	}
	n, err := NewNode(Config{
		ID: id, Voters: voters, Storage: pc.stores[i],
		Rand:          rand.New(rand.NewPCG(uint64(id), uint64(len(pc.applied[i])))),
		ElectionTicks: 5, HeartbeatTicks: 1,
		MaxEntriesPerMsg: 3, MaxInflightMsgs: 4,
		Applied:       Index(len(pc.applied[i])),
		SnapshotEvery: pc.snapEvery, SnapshotKeep: pc.snapKeep,
		SnapshotChunkBytes: pc.chunk, MaxInflightSnapshotChunks: 2,
	})
	if err != nil {
		pc.t.Fatalf("restart node %d: %v", id, err)
	}
	pc.nodes[i] = n
}

func (pc *propertyCluster) process(i int) {
	n := pc.nodes[i]
	for n.HasReady() {
		rd := n.Ready()
		s := pc.stores[i]
		pc.persist(i, rd)
		if rd.MustSync {
			_ = s.Sync()
		}
		pc.inflight = append(pc.inflight, rd.Messages...)
		if rd.RestoreSnapshot {
			pc.restore(i, rd.Snapshot)
		}
		for _, e := range rd.CommittedEntries {
			pc.apply(i, e)
		}
		n.Advance(rd)
		if n.SnapshotDue() {
			a := pc.applied[i]
			if err := n.Compact(Index(len(a)), encodeApplied(a)); err != nil {
				pc.t.Fatalf("node %d: Compact(%d): %v", pc.ids[i], len(a), err)
			}
			pc.snapshots++
		}
	}
	pc.check(i)
}

// persist carries out step 1 of a Ready but the sync.
func (pc *propertyCluster) persist(i int, rd Ready) {
	s := pc.stores[i]
	if !rd.Snapshot.IsEmpty() {
		if err := s.ApplySnapshot(rd.Snapshot); err != nil {
			pc.t.Fatal(err)
		}
	}
	if !rd.HardState.IsZero() {
		_ = s.SetHardState(rd.HardState)
	}
	if err := s.Append(rd.Entries); err != nil {
		pc.t.Fatal(err)
	}
	if rd.Compact > 0 {
		if err := s.Compact(rd.Compact); err != nil {
			pc.t.Fatal(err)
		}
	}
}

// restore resets node i's state machine to a snapshot, which must hold
// the committed prefix up to its index (State Machine Safety across
// snapshots), and must move it forward.
func (pc *propertyCluster) restore(i int, s Snapshot) {
	ents := decodeApplied(pc.t, s)
	if len(ents) <= len(pc.applied[i]) {
		pc.t.Fatalf("node %d restores snapshot %d, having applied %d", pc.ids[i], s.Meta.Index, len(pc.applied[i]))
	}
	for k, e := range ents {
		if k < len(pc.committed) {
			if c := pc.committed[k]; c.Term != e.Term || string(c.Data) != string(e.Data) {
				pc.t.Fatalf("node %d's snapshot %d holds %v at %d, but %v was committed", pc.ids[i], s.Meta.Index, e, k+1, c)
			}
		} else {
			pc.committed = append(pc.committed, e)
		}
	}
	pc.applied[i] = ents
	pc.restores++
}

func (pc *propertyCluster) apply(i int, e Entry) {
	if want := Index(len(pc.applied[i])) + 1; e.Index != want {
		pc.t.Fatalf("node %d applied index %d, want %d", pc.ids[i], e.Index, want)
	}
	pc.applied[i] = append(pc.applied[i], e)
	k := len(pc.applied[i]) - 1
	// State Machine Safety: no two nodes apply different entries at an
	// index.
	if k < len(pc.committed) {
		if c := pc.committed[k]; c.Term != e.Term || string(c.Data) != string(e.Data) {
			pc.t.Fatalf("node %d applied %v at %d, but %v was committed there", pc.ids[i], e, e.Index, c)
		}
	} else {
		pc.committed = append(pc.committed, e)
	}
}

func (pc *propertyCluster) check(i int) {
	n := pc.nodes[i]
	st := n.Status()
	if st.Applied > st.Commit || st.Commit > st.LastIndex {
		pc.t.Fatalf("node %d: applied %d commit %d last %d out of order", st.ID, st.Applied, st.Commit, st.LastIndex)
	}
	// A leader some node has moved past (a leadership transfer's new
	// leader, one elected while it was cut off) need not hold what later
	// leaders committed: it is stale, and learns so at its next message.
	stale := false
	for _, o := range pc.nodes {
		stale = stale || o.Status().Term > st.Term
	}
	if st.Role == RoleLeader {
		// Election Safety: at most one leader per term.
		if prev, ok := pc.leaders[st.Term]; ok && prev != st.ID {
			pc.t.Fatalf("two leaders in term %d: %d and %d", st.Term, prev, st.ID)
		}
		pc.leaders[st.Term] = st.ID
		// Leader Completeness: a leader holds every committed entry (in
		// its log, or in its snapshot, which holds committed entries only).
		for k, c := range pc.committed {
			if stale {
				break
			}
			if Index(k+1) > st.LastIndex {
				pc.t.Fatalf("leader %d (term %d) lacks committed index %d", st.ID, st.Term, k+1)
			}
			if Index(k+1) < st.FirstIndex {
				continue
			}
			if e := n.Entries(Index(k+1), Index(k+2))[0]; e.Term != c.Term || string(e.Data) != string(c.Data) {
				pc.t.Fatalf("leader %d holds %v at %d, but %v was committed", st.ID, e, k+1, c)
			}
		}
	}
	// Log Matching: logs that agree on an entry's term at an index agree
	// on everything before it. Checked pairwise from the top down.
	for j := range pc.nodes {
		if j == i {
			continue
		}
		o := pc.nodes[j]
		// Below either log's first index the entries are compacted into
		// a snapshot, which holds committed entries only (checked on
		// restore).
		ost := o.Status()
		top := min(st.LastIndex, ost.LastIndex)
		bottom := max(st.FirstIndex, ost.FirstIndex)
		for k := top; k >= bottom; k-- {
			a, _ := n.Term(k)
			b, _ := o.Term(k)
			if a != b {
				continue
			}
			ea, eb := n.Entries(bottom, k+1), o.Entries(bottom, k+1)
			for x := range ea {
				if ea[x].Term != eb[x].Term || string(ea[x].Data) != string(eb[x].Data) {
					pc.t.Fatalf("log matching: nodes %d and %d agree at %d (term %d) but differ at %d", st.ID, o.id, k, a, bottom+Index(x))
				}
			}
			break
		}
	}
}

// warmUp elects node 1 and commits k proposals on a reliable network
// that drops every message to or from cutOff.
func (pc *propertyCluster) warmUp(cutOff NodeID, k int) {
	settle := func() {
		for range 10_000 {
			if len(pc.inflight) == 0 {
				return
			}
			m := pc.inflight[0]
			pc.inflight = pc.inflight[1:]
			if m.To == cutOff || m.From == cutOff {
				continue
			}
			if err := pc.nodes[pc.idx(m.To)].Step(m); err != nil {
				pc.t.Fatalf("step %v: %v", m, err)
			}
			pc.process(pc.idx(m.To))
		}
		pc.t.Fatalf("warm-up: no quiescence")
	}
	for range 100 {
		if pc.nodes[0].Status().Role == RoleLeader {
			break
		}
		pc.nodes[0].Tick()
		pc.process(0)
		settle()
	}
	if pc.nodes[0].Status().Role != RoleLeader {
		return // node 1 was cut off: the schedule elects someone later
	}
	for range k {
		pc.proposals++
		if _, _, err := pc.nodes[0].Propose([]byte(fmt.Sprintf("c%d", pc.proposals))); err != nil {
			return
		}
		pc.process(0)
		settle()
	}
}

func TestPropertySafetyUnderAdversarialSchedules(t *testing.T) {
	// A property that holds vacuously proves nothing: count how many runs
	// elected a leader and committed a proposal.
	runs, elected, committedCmds, snapshotted, restored := 0, 0, 0, 0, 0
	defer func() {
		t.Logf("%d runs: %d elected a leader, %d committed a command, %d made a snapshot, %d restored one", runs, elected, committedCmds, snapshotted, restored)
		if !t.Failed() && (elected*2 < runs || committedCmds*4 < runs || snapshotted*10 < runs || restored*50 < runs) {
			t.Errorf("schedules too weak: %d/%d runs elected, %d committed a command, %d made a snapshot, %d restored one", elected, runs, committedCmds, snapshotted, restored)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		runs++
		size := rapid.IntRange(3, 5).Draw(t, "nodes")
		pc := &propertyCluster{t: t, leaders: map[Term]NodeID{}}
		if rapid.Bool().Draw(t, "compaction") {
			// Aggressive: a snapshot every few entries, sent in chunks of
			// a few bytes, so that transfers race everything else.
			pc.snapEvery = rapid.IntRange(1, 8).Draw(t, "snapshot_every")
			pc.snapKeep = rapid.IntRange(0, 3).Draw(t, "snapshot_keep")
			pc.chunk = rapid.SampledFrom([]uint64{4096, 256, 64, 16, 1}).Draw(t, "snapshot_chunk")
		}
		for i := 1; i <= size; i++ {
			pc.ids = append(pc.ids, NodeID(i))
			pc.stores = append(pc.stores, NewMemoryStorage())
		}
		pc.nodes = make([]*Node, size)
		pc.applied = make([][]Entry, size)
		for i := range size {
			pc.start(i)
		}
		steps := rapid.IntRange(100, 600).Draw(t, "steps")
		// With compaction, one node may be cut off for the first part of
		// the run, so that it falls behind the leader's snapshots.
		cutOff, healAt := NodeID(0), 0
		if pc.snapEvery > 0 {
			cutOff = NodeID(rapid.IntRange(0, size).Draw(t, "cut_off"))
			healAt = rapid.IntRange(0, steps).Draw(t, "heal_at")
		}
		if pc.snapEvery > 0 && rapid.IntRange(0, 3).Draw(t, "warm_up") != 0 {
			// Most compaction runs start from a leader that has compacted
			// past a follower it could not reach: the adversarial schedule
			// then races a snapshot transfer.
			pc.warmUp(cutOff, rapid.IntRange(1, 40).Draw(t, "warm_up_proposals"))
		}
		for step := range steps {
			// rapid favours small draws, so the actions that make progress
			// come first: deliveries 50%, ticks of all nodes 15%, proposals
			// 15%, a single node's tick 10%, drops 7%, crashes 3%.
			a := rapid.IntRange(0, 99).Draw(t, "action")
			switch {
			case a < 50:
				if len(pc.inflight) == 0 {
					continue
				}
				k := rapid.IntRange(0, len(pc.inflight)-1).Draw(t, "deliver")
				m := pc.inflight[k]
				if rapid.IntRange(0, 4).Draw(t, "dup") != 0 {
					pc.inflight = append(pc.inflight[:k], pc.inflight[k+1:]...)
				}
				if step < healAt && (m.To == cutOff || m.From == cutOff) {
					continue
				}
				i := pc.idx(m.To)
				if err := pc.nodes[i].Step(m); err != nil {
					t.Fatalf("step %v: %v", m, err)
				}
				pc.process(i)
			case a < 65:
				for i := range pc.nodes {
					pc.nodes[i].Tick()
					pc.process(i)
				}
			case a < 80:
				// Mostly propose where it can succeed.
				i := rapid.IntRange(-1, size-1).Draw(t, "propose")
				if i < 0 {
					for j, n := range pc.nodes {
						if n.Status().Role == RoleLeader {
							i = j
						}
					}
					if i < 0 {
						continue
					}
				}
				pc.proposals++
				if _, _, err := pc.nodes[i].Propose([]byte(fmt.Sprintf("c%d", pc.proposals))); err == nil {
					pc.process(i)
				}
			case a < 90:
				i := rapid.IntRange(0, size-1).Draw(t, "tick")
				pc.nodes[i].Tick()
				pc.process(i)
			case a < 97:
				if len(pc.inflight) > 0 {
					k := rapid.IntRange(0, len(pc.inflight)-1).Draw(t, "drop")
					pc.inflight = append(pc.inflight[:k], pc.inflight[k+1:]...)
				}
			default:
				i := rapid.IntRange(0, size-1).Draw(t, "crash")
				n := pc.nodes[i]
				if n.HasReady() && rapid.Bool().Draw(t, "mid-ready") {
					// Crash after writing a Ready but before its Sync: the
					// writes are lost and its messages never left.
					rd := n.Ready()
					pc.persist(i, rd)
				}
				pc.stores[i].DiscardUnsynced()
				pc.start(i)
				pc.process(i)
			}
		}
		if len(pc.leaders) > 0 {
			elected++
		}
		if pc.snapshots > 0 {
			snapshotted++
		}
		if pc.restores > 0 {
			restored++
		}
		for _, e := range pc.committed {
			if e.Type == EntryNormal {
				committedCmds++
				break
			}
		}
	})
}
