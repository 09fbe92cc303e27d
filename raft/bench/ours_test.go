package bench

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bench/driver"
)

// BenchmarkOurs drives raftsim's core.
func BenchmarkOurs(b *testing.B) { driver.Suite(b, newOursCluster, driver.Modes) }

// BenchmarkOursCompacting drives raftsim's core with log compaction (§7):
// every node snapshots its state machine every compactEvery applied
// entries, keeping compactKeep behind, and hands storage the snapshot
// and the compaction through Ready. Against BenchmarkOurs it is the
// throughput cost of compaction.
func BenchmarkOursCompacting(b *testing.B) {
	driver.Suite(b, newOursCompactingCluster, driver.Modes)
}

// compactEvery and compactKeep are BenchmarkOursCompacting's policy: a
// benchmark run of 100,000 commits compacts ten times.
const (
	compactEvery = 10_000
	compactKeep  = 1_000
)

// TestOursCompacting runs the compacting cluster through each mode with a
// policy that compacts every few rounds, and checks that it compacted.
func TestOursCompacting(t *testing.T) {
	driver.Check(t, func(n int, mode driver.Mode) (driver.Cluster, error) {
		c, err := newOurs(n, mode, 8, 2)
		if err == nil {
			t.Cleanup(func() {
				if st := c.(*oursCluster).nodes[0].Status(); st.SnapshotIndex == 0 || st.FirstIndex <= 1 {
					t.Errorf("mode %s: the leader did not compact: %+v", mode.Name, st)
				}
			})
		}
		return c, err
	}, driver.Modes)
}

// TestOurs runs a few rounds of each mode, so that `go test` checks the
// driver against our core without benchmarking.
func TestOurs(t *testing.T) { driver.Check(t, newOursCluster, driver.Modes) }

// oursElectionTicks is T, the minimum election timeout, as etcd's
// ElectionTick in etcd_test.go.
const oursElectionTicks = 10

// oursCluster is raftsim nodes with their MemoryStorage, in memory.
type oursCluster struct {
	nodes   []*raft.Node
	stores  []*raft.MemoryStorage
	applied []int
	queue   []raft.Message
	term    raft.Term
}

// newOursCluster builds a cluster for any mode but a OneCall one: our API
// takes one command per Propose, and the node batches the commands
// proposed between two Readies into shared MsgApps by itself.
func newOursCluster(n int, mode driver.Mode) (driver.Cluster, error) { return newOurs(n, mode, 0, 0) }

func newOursCompactingCluster(n int, mode driver.Mode) (driver.Cluster, error) {
	return newOurs(n, mode, compactEvery, compactKeep)
}

// newOurs builds a cluster whose nodes compact every `every` applied
// entries keeping `keep` (every 0: never).
func newOurs(n int, mode driver.Mode, every, keep int) (driver.Cluster, error) {
	if mode.OneCall {
		return nil, fmt.Errorf("ours: no API proposes many commands in one call (mode %s)", mode.Name)
	}
	c := &oursCluster{applied: make([]int, n)}
	voters := make([]raft.NodeID, n)
	for i := range voters {
		voters[i] = raft.NodeID(i + 1)
	}
	for _, id := range voters {
		st := raft.NewMemoryStorage()
		nd, err := raft.NewNode(raft.Config{
			ID: id, Voters: voters, Storage: st,
			Rand:          rand.New(rand.NewPCG(uint64(id), 1)),
			ElectionTicks: oursElectionTicks, HeartbeatTicks: 1,
			SnapshotEvery: every, SnapshotKeep: keep,
		})
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, nd)
		c.stores = append(c.stores, st)
	}
	// Our core has no Campaign call: tick node 1 alone until its election
	// timeout, drawn from [T, 2T), makes it a pre-candidate.
	leader := c.nodes[0]
	for range 2 * oursElectionTicks {
		if leader.Status().Role != raft.RoleFollower {
			break
		}
		leader.Tick()
	}
	if err := driver.Settle(c); err != nil {
		return nil, fmt.Errorf("ours: electing node 1: %w", err)
	}
	c.term = leader.Status().Term
	return c, c.CheckLeader()
}

func (c *oursCluster) Propose(data []byte, k int) error {
	for range k {
		if _, _, err := c.nodes[0].Propose(data); err != nil {
			return err
		}
	}
	return nil
}

func (c *oursCluster) Pass() error {
	for i, nd := range c.nodes {
		if !nd.HasReady() {
			continue
		}
		rd := nd.Ready()
		st := c.stores[i]
		if !rd.Snapshot.IsEmpty() {
			if err := st.ApplySnapshot(rd.Snapshot); err != nil {
				return err
			}
		}
		if !rd.HardState.IsZero() {
			if err := st.SetHardState(rd.HardState); err != nil {
				return err
			}
		}
		if err := st.Append(rd.Entries); err != nil {
			return err
		}
		if rd.Compact > 0 {
			if err := st.Compact(rd.Compact); err != nil {
				return err
			}
		}
		if rd.MustSync {
			if err := st.Sync(); err != nil {
				return err
			}
		}
		// Copied: the node reuses rd.Messages after Advance.
		c.queue = append(c.queue, rd.Messages...)
		if rd.RestoreSnapshot {
			return fmt.Errorf("ours: node %d asked to restore a snapshot, which no follower here needs", i+1)
		}
		var last raft.Index
		for j := range rd.CommittedEntries {
			if rd.CommittedEntries[j].Type == raft.EntryNormal {
				c.applied[i]++
			}
			last = rd.CommittedEntries[j].Index
		}
		nd.Advance(rd)
		if last > 0 && nd.SnapshotDue() {
			// The state machine's state is its applied count, 8 bytes
			// of its own for each snapshot (Compact keeps them).
			data := binary.LittleEndian.AppendUint64(nil, uint64(c.applied[i]))
			if err := nd.Compact(last, data); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *oursCluster) Deliver() error {
	// Step queues no message (replies wait for the next Ready), so the
	// queue does not grow while it is walked.
	for i := range c.queue {
		m := &c.queue[i]
		if err := c.nodes[m.To-1].Step(*m); err != nil {
			return fmt.Errorf("ours: step %v: %w", *m, err)
		}
	}
	clear(c.queue) // drop the entry references
	c.queue = c.queue[:0]
	return nil
}

func (c *oursCluster) Applied(i int) int { return c.applied[i] }

func (c *oursCluster) Idle() bool {
	if len(c.queue) > 0 {
		return false
	}
	for _, nd := range c.nodes {
		if nd.HasReady() {
			return false
		}
	}
	return true
}

func (c *oursCluster) CheckLeader() error {
	st := c.nodes[0].Status()
	if st.Role != raft.RoleLeader {
		return fmt.Errorf("ours: node 1 is %s in term %d, want leader", st.Role, st.Term)
	}
	if c.term != 0 && st.Term != c.term {
		return fmt.Errorf("ours: node 1 leads in term %d, elected in term %d", st.Term, c.term)
	}
	for i, nd := range c.nodes[1:] {
		if s := nd.Status(); s.Leader != 1 {
			return fmt.Errorf("ours: node %d follows %d, want 1", i+2, s.Leader)
		}
	}
	return nil
}
