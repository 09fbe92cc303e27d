package raft

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// cluster is a test harness: nodes with memory storage, a message queue
// under the test's control, and a record of what each node applied.
type cluster struct {
	t   testing.TB
	ids []NodeID
	// voters is the initial configuration: ids, or a prefix of them with
	// the rest spare nodes waiting to be added.
	voters  []NodeID
	nodes   map[NodeID]*Node
	stores  map[NodeID]*MemoryStorage
	applied map[NodeID][]Entry
	reads   map[NodeID][]ReadState
	queue   []Message
	// cut[a][b] drops messages from a to b.
	cut map[NodeID]map[NodeID]bool
	cfg func(*Config)
	// drop, when set, drops the messages it returns true for.
	drop func(m Message) bool
	// delivered counts the messages delivered, by type.
	delivered [NumMessageTypes]int
}

func newCluster(t testing.TB, n int, opts ...func(*Config)) *cluster {
	return newClusterSpares(t, n, 0, opts...)
}

// newClusterSpares is a cluster of voters nodes and spares more, which
// start as no members (their Config.Voters does not list them).
func newClusterSpares(t testing.TB, voters, spares int, opts ...func(*Config)) *cluster {
	n := voters + spares
	c := &cluster{
		t: t, nodes: map[NodeID]*Node{}, stores: map[NodeID]*MemoryStorage{},
		applied: map[NodeID][]Entry{}, reads: map[NodeID][]ReadState{},
		cut: map[NodeID]map[NodeID]bool{},
	}
	c.cfg = func(cfg *Config) {
		for _, o := range opts {
			o(cfg)
		}
	}
	for i := 1; i <= n; i++ {
		c.ids = append(c.ids, NodeID(i))
	}
	c.voters = c.ids[:voters]
	for _, id := range c.ids {
		c.stores[id] = NewMemoryStorage()
		c.start(id)
	}
	return c
}

func (c *cluster) start(id NodeID) {
	cfg := Config{
		ID: id, Voters: c.voters, Storage: c.stores[id],
		Rand:          rand.New(rand.NewPCG(uint64(id), 7)),
		ElectionTicks: 10, HeartbeatTicks: 1,
		Applied: Index(len(c.applied[id])),
	}
	c.cfg(&cfg)
	n, err := NewNode(cfg)
	if err != nil {
		c.t.Fatalf("NewNode(%d): %v", id, err)
	}
	c.nodes[id] = n
}

// crash stops a node, drops its unsynced writes and restarts it.
func (c *cluster) restart(id NodeID) {
	c.stores[id].DiscardUnsynced()
	c.start(id)
}

// process carries out every Ready of a node, per the contract.
func (c *cluster) process(id NodeID) {
	n := c.nodes[id]
	for n.HasReady() {
		rd := n.Ready()
		s := c.stores[id]
		if !rd.Snapshot.IsEmpty() {
			if err := s.ApplySnapshot(rd.Snapshot); err != nil {
				c.t.Fatal(err)
			}
		}
		if !rd.HardState.IsZero() {
			if err := s.SetHardState(rd.HardState); err != nil {
				c.t.Fatal(err)
			}
		}
		if err := s.Append(rd.Entries); err != nil {
			c.t.Fatal(err)
		}
		if rd.Compact > 0 {
			if err := s.Compact(rd.Compact); err != nil {
				c.t.Fatal(err)
			}
		}
		if rd.MustSync {
			if err := s.Sync(); err != nil {
				c.t.Fatal(err)
			}
		}
		c.queue = append(c.queue, rd.Messages...)
		if rd.RestoreSnapshot {
			c.applied[id] = decodeApplied(c.t, rd.Snapshot)
		}
		for _, e := range rd.CommittedEntries {
			if want := Index(len(c.applied[id])) + 1; e.Index != want {
				c.t.Fatalf("node %d applied %d, want %d", id, e.Index, want)
			}
			c.applied[id] = append(c.applied[id], e)
		}
		c.reads[id] = append(c.reads[id], rd.ReadStates...)
		n.Advance(rd)
		if n.SnapshotDue() {
			// The state machine is the sequence of entries applied; its
			// snapshot is that sequence, encoded.
			a := c.applied[id]
			if err := n.Compact(Index(len(a)), encodeApplied(a)); err != nil {
				c.t.Fatalf("node %d: Compact(%d): %v", id, len(a), err)
			}
		}
	}
}

// encodeApplied is the snapshot of a test state machine that remembers
// every entry it applied, in order: index, term, type and data of each.
func encodeApplied(ents []Entry) []byte {
	var b []byte
	for _, e := range ents {
		b = binary.AppendUvarint(b, uint64(e.Index))
		b = binary.AppendUvarint(b, uint64(e.Term))
		b = append(b, byte(e.Type))
		b = binary.AppendUvarint(b, uint64(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

// decodeApplied restores encodeApplied's state and checks that it is the
// state at the snapshot's index.
func decodeApplied(t interface{ Fatalf(string, ...any) }, s Snapshot) []Entry {
	var out []Entry
	b := s.Data
	for len(b) > 0 {
		var e Entry
		idx, n := binary.Uvarint(b)
		b = b[n:]
		term, n := binary.Uvarint(b)
		b = b[n:]
		e.Index, e.Term, e.Type = Index(idx), Term(term), EntryType(b[0])
		l, n := binary.Uvarint(b[1:])
		b = b[1+n:]
		e.Data = append([]byte(nil), b[:l]...)
		b = b[l:]
		out = append(out, e)
	}
	if Index(len(out)) != s.Meta.Index || len(out) > 0 && out[len(out)-1].Term != s.Meta.Term {
		t.Fatalf("snapshot %v holds %d entries, the last of term %v", s, len(out), out[len(out)-1:])
	}
	return out
}

func (c *cluster) processAll() {
	for _, id := range c.ids {
		c.process(id)
	}
}

func (c *cluster) tickAll() {
	for _, id := range c.ids {
		c.nodes[id].Tick()
	}
	c.processAll()
}

// deliver delivers queued messages until none is left, and returns how
// many were delivered.
func (c *cluster) deliver() int {
	delivered := 0
	for len(c.queue) > 0 {
		if delivered > 1_000_000 {
			c.t.Fatal("message storm: over a million messages without quiescence")
		}
		q := c.queue
		c.queue = nil
		for _, m := range q {
			if c.cut[m.From][m.To] || c.drop != nil && c.drop(m) {
				continue
			}
			delivered++
			c.delivered[m.Type]++
			if err := c.nodes[m.To].Step(m); err != nil {
				c.t.Fatalf("step %v: %v", m, err)
			}
		}
		c.processAll()
	}
	return delivered
}

func (c *cluster) isolate(id NodeID) {
	for _, o := range c.ids {
		if o != id {
			c.setCut(id, o, true)
			c.setCut(o, id, true)
		}
	}
}

func (c *cluster) setCut(a, b NodeID, v bool) {
	if c.cut[a] == nil {
		c.cut[a] = map[NodeID]bool{}
	}
	c.cut[a][b] = v
}

func (c *cluster) heal() { c.cut = map[NodeID]map[NodeID]bool{} }

// leader returns the leader with the highest term, or None.
func (c *cluster) leader() NodeID {
	best, bestTerm := None, Term(0)
	for _, id := range c.ids {
		st := c.nodes[id].Status()
		if st.Role == RoleLeader && st.Term >= bestTerm {
			best, bestTerm = id, st.Term
		}
	}
	return best
}

// elect ticks and delivers until a leader that has committed in its term
// exists, and returns it.
func (c *cluster) elect() NodeID {
	for i := 0; i < 1000; i++ {
		c.tickAll()
		c.deliver()
		if l := c.leader(); l != None && c.nodes[l].committedInTerm() {
			return l
		}
	}
	c.t.Fatal("no leader after 1000 ticks")
	return None
}

// campaign makes id campaign now, as if its election timeout fired.
func (c *cluster) campaign(id NodeID) {
	n := c.nodes[id]
	for n.role != RoleLeader && n.role != RoleCandidate && n.role != RolePreCandidate {
		n.Tick()
	}
	c.process(id)
}

func (c *cluster) propose(id NodeID, data string) (Index, Term) {
	idx, term, err := c.nodes[id].Propose([]byte(data))
	if err != nil {
		c.t.Fatalf("propose on %d: %v", id, err)
	}
	return idx, term
}

// checkApplied asserts that every node applied a prefix of one sequence
// (State Machine Safety).
func (c *cluster) checkApplied() {
	var longest []Entry
	for _, id := range c.ids {
		if len(c.applied[id]) > len(longest) {
			longest = c.applied[id]
		}
	}
	for _, id := range c.ids {
		for i, e := range c.applied[id] {
			if e.Term != longest[i].Term || string(e.Data) != string(longest[i].Data) {
				c.t.Fatalf("node %d applied %v at %d, another node applied %v", id, e, i+1, longest[i])
			}
		}
	}
}

func (c *cluster) appliedData(id NodeID) []string {
	var out []string
	for _, e := range c.applied[id] {
		if e.Type == EntryNormal {
			out = append(out, string(e.Data))
		}
	}
	return out
}

func (c *cluster) String() string {
	s := ""
	for _, id := range c.ids {
		s += fmt.Sprintf("%+v\n", c.nodes[id].Status())
	}
	return s
}

var _ = slices.Equal[[]int]

func testRand() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
