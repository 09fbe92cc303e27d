package etcd36

import (
	"fmt"
	"io"
	"log"
	"slices"
	"testing"

	"github.com/raftsim/raftsim/raft/bench/driver"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// BenchmarkEtcd36 drives etcd's raft v3.6.0. This file mirrors
// raft/bench/etcd_test.go (v3.7.0) line for line; only the API differs:
// v3.6.0 passes messages, entries and hard states by value.
func BenchmarkEtcd36(b *testing.B) { driver.Suite(b, newEtcdCluster, etcdModes) }

// TestEtcd36 runs a few rounds of each mode without benchmarking.
func TestEtcd36(t *testing.T) { driver.Check(t, newEtcdCluster, etcdModes) }

// etcdModes adds batching in one MsgProp to the common modes.
var etcdModes = append(slices.Clone(driver.Modes), driver.OneCallModes...)

// etcdCluster is etcd RawNodes with their MemoryStorage, in memory, in
// etcd's synchronous storage mode (Ready, persist, send, apply, Advance),
// the same contract as our core's.
type etcdCluster struct {
	nodes   []*raft.RawNode
	stores  []*raft.MemoryStorage
	applied []int
	// oneCall proposes a batch as one MsgProp.
	oneCall bool
	queue   []pb.Message
	term    uint64
}

// etcdDiscard keeps etcd's election logging out of the benchmark output.
var etcdDiscard = &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

func newEtcdCluster(n int, mode driver.Mode) (driver.Cluster, error) {
	c := &etcdCluster{applied: make([]int, n), oneCall: mode.OneCall}
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	for _, id := range voters {
		st := raft.NewMemoryStorage()
		// The bootstrap etcd recommends over RawNode.Bootstrap: a storage
		// that starts after a snapshot holding the configuration, so no
		// configuration entry needs applying. The log is empty, as ours
		// is, but starts at index 2.
		snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{
			Index: 1, Term: 1, ConfState: pb.ConfState{Voters: voters},
		}}
		if err := st.ApplySnapshot(snap); err != nil {
			return nil, err
		}
		if err := st.SetHardState(pb.HardState{Term: 1, Commit: 1}); err != nil {
			return nil, err
		}
		nd, err := raft.NewRawNode(&raft.Config{
			ID: id, Storage: st,
			ElectionTick: 10, HeartbeatTick: 1,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256,
			CheckQuorum: true, PreVote: true,
			Logger: etcdDiscard,
		})
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, nd)
		c.stores = append(c.stores, st)
	}
	if err := c.nodes[0].Campaign(); err != nil {
		return nil, err
	}
	if err := driver.Settle(c); err != nil {
		return nil, fmt.Errorf("etcd: electing node 1: %w", err)
	}
	c.term = c.nodes[0].BasicStatus().Term
	return c, c.CheckLeader()
}

func (c *etcdCluster) Propose(data []byte, k int) error {
	if c.oneCall {
		return c.nodes[0].Step(pb.Message{Type: pb.MsgProp, From: 1, Entries: c.proposal(data, k)})
	}
	for range k {
		if err := c.nodes[0].Propose(data); err != nil {
			return err
		}
	}
	return nil
}

// proposal is k entries carrying data, as RawNode.Propose builds one.
func (c *etcdCluster) proposal(data []byte, k int) []pb.Entry {
	ents := make([]pb.Entry, k)
	for i := range ents {
		ents[i] = pb.Entry{Data: data}
	}
	return ents
}

func (c *etcdCluster) Pass() error {
	for i, nd := range c.nodes {
		if !nd.HasReady() {
			continue
		}
		rd := nd.Ready()
		st := c.stores[i]
		if !raft.IsEmptySnap(rd.Snapshot) {
			return fmt.Errorf("etcd: node %d got a snapshot", i+1)
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			if err := st.SetHardState(rd.HardState); err != nil {
				return err
			}
		}
		if err := st.Append(rd.Entries); err != nil {
			return err
		}
		c.queue = append(c.queue, rd.Messages...)
		for j := range rd.CommittedEntries {
			e := &rd.CommittedEntries[j]
			switch e.Type {
			case pb.EntryNormal:
				// The new leader's empty entry is not a command.
				if len(e.Data) > 0 {
					c.applied[i]++
				}
			default:
				return fmt.Errorf("etcd: node %d applying a %s entry", i+1, e.Type)
			}
		}
		nd.Advance(rd)
	}
	return nil
}

func (c *etcdCluster) Deliver() error {
	for i := range c.queue {
		m := &c.queue[i]
		if err := c.nodes[m.To-1].Step(*m); err != nil {
			return fmt.Errorf("etcd: step %s %d->%d: %w", m.Type, m.From, m.To, err)
		}
	}
	clear(c.queue)
	c.queue = c.queue[:0]
	return nil
}

func (c *etcdCluster) Applied(i int) int { return c.applied[i] }

func (c *etcdCluster) Idle() bool {
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

func (c *etcdCluster) CheckLeader() error {
	st := c.nodes[0].BasicStatus()
	if st.RaftState != raft.StateLeader {
		return fmt.Errorf("etcd: node 1 is %s in term %d, want leader", st.RaftState, st.Term)
	}
	if c.term != 0 && st.Term != c.term {
		return fmt.Errorf("etcd: node 1 leads in term %d, elected in term %d", st.Term, c.term)
	}
	for i, nd := range c.nodes[1:] {
		if s := nd.BasicStatus(); s.Lead != 1 {
			return fmt.Errorf("etcd: node %d follows %d, want 1", i+2, s.Lead)
		}
	}
	return nil
}
