package driver

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// PayloadBytes is the size of every proposed command.
const PayloadBytes = 16

// NodeCounts are the cluster sizes benchmarked.
var NodeCounts = []int{3, 5}

// Mode is a proposal pattern: Batch commands proposed per round.
type Mode struct {
	Name  string
	Batch int
	// OneCall proposes the batch in one call, for an implementation whose
	// API takes many commands at once (etcd: one MsgProp carrying them
	// all, through RawNode.Step). Otherwise each command is a Propose.
	OneCall bool
}

// Modes are the proposal patterns every implementation runs. With a batch
// of 64 a round fills exactly one MsgApp under either implementation's
// limits.
var Modes = []Mode{
	{Name: "sequential", Batch: 1},
	{Name: "batched64", Batch: 64},
}

// OneCallModes are extra patterns for implementations that can propose a
// batch in one call. Ours cannot. etcd sends each follower a MsgApp per
// Propose call, but only one per MsgProp however many entries it
// carries, so batched64-onecall is etcd's batching at its best. The name
// extends batched64, which benchtable compares it with.
var OneCallModes = []Mode{
	{Name: "batched64-onecall", Batch: 64, OneCall: true},
}

// passesPerRoundMax bounds the Ready/deliver passes one round may take. A
// healthy round takes a handful (propose, append, acknowledge, commit); a
// round that takes this many has lost its leader or its messages.
const passesPerRoundMax = 100

// settlePassesMax bounds the passes of an election or a final drain.
const settlePassesMax = 1000

// RunBudget bounds the wall time of one benchmark run. A run over budget
// fails, naming how far it got, rather than holding up the others: a
// per-commit cost that grows with the log makes a fixed commit count
// take hours.
const RunBudget = time.Minute

// budgetCheckRounds is how often, in rounds, Commit reads the clock.
const budgetCheckRounds = 256

// Cluster is one implementation's in-memory cluster, driven in lockstep by
// a single goroutine. Nodes are numbered 0..n-1 here (Raft IDs 1..n), and
// node 0 is the leader once the constructor returns.
type Cluster interface {
	// Propose has the leader propose data k times, handling no Ready in
	// between: k Propose calls, or one call when the cluster was built
	// for a OneCall mode.
	Propose(data []byte, k int) error
	// Pass handles every node's pending Ready, in node order: persist to
	// the node's MemoryStorage, queue its messages, apply the committed
	// entries (counting the commands), Advance.
	Pass() error
	// Deliver steps every queued message into its target, in queue order,
	// and empties the queue.
	Deliver() error
	// Applied is the number of commands node i has applied.
	Applied(i int) int
	// Idle reports whether no message is queued and no node has a Ready.
	Idle() bool
	// CheckLeader returns an error unless node 0 is the leader.
	CheckLeader() error
}

// NewCluster builds an n-node cluster, with node 0 elected and idle, to
// run mode.
type NewCluster func(nodes int, mode Mode) (Cluster, error)

// Settle runs passes and deliveries until the cluster is idle.
func Settle(c Cluster) error {
	for range settlePassesMax {
		if err := c.Pass(); err != nil {
			return err
		}
		if c.Idle() {
			return nil
		}
		if err := c.Deliver(); err != nil {
			return err
		}
	}
	return fmt.Errorf("driver: cluster not idle after %d passes", settlePassesMax)
}

// Suite runs every cluster size in every mode as a sub-benchmark named
// nodes=N/MODE.
func Suite(b *testing.B, newCluster NewCluster, modes []Mode) {
	for _, nodes := range NodeCounts {
		for _, m := range modes {
			b.Run(fmt.Sprintf("nodes=%d/%s", nodes, m.Name), func(b *testing.B) {
				Run(b, newCluster, nodes, m)
			})
		}
	}
}

// Run commits b.N commands, batch per round, so that one benchmark op is
// one committed command: ns/op is wall ns per commit. It also reports
// commits/s; allocs/commit and B/commit, unrounded; and cpu-ns/commit,
// the process's CPU time per commit, the garbage collector's included,
// which waiting for a core busy with other processes does not inflate as
// it does wall time. After the timer stops it checks the outcome with
// Verify.
func Run(b *testing.B, newCluster NewCluster, nodes int, mode Mode) {
	c, err := newCluster(nodes, mode)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.CheckLeader(); err != nil {
		b.Fatal(err)
	}
	data := payload()
	// Collect the previous runs' garbage and hand its memory back to the
	// OS now: otherwise the scavenger does it during this run, on the
	// CPU this run is measured by, and whichever implementation runs
	// after a heavy allocator pays for it.
	debug.FreeOSMemory()
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	err = Commit(c, data, b.N, mode.Batch, RunBudget)
	cpu1, _ := processCPU()
	b.StopTimer()
	runtime.ReadMemStats(&mem1)
	if err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "commits/s")
	if cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/commit")
	}
	// allocs/op and B/op are rounded down to integers; with batching a
	// fraction of an allocation per commit is common and worth seeing.
	b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/n, "allocs/commit")
	b.ReportMetric(float64(mem1.TotalAlloc-mem0.TotalAlloc)/n, "B/commit")
	if err := Verify(c, nodes, b.N); err != nil {
		b.Fatal(err)
	}
}

// Check runs every cluster size in every mode for a few rounds and
// verifies the outcome: the benchmarks' workload as a test.
func Check(t *testing.T, newCluster NewCluster, modes []Mode) {
	const commits = 1000
	for _, nodes := range NodeCounts {
		for _, m := range modes {
			t.Run(fmt.Sprintf("nodes=%d/%s", nodes, m.Name), func(t *testing.T) {
				c, err := newCluster(nodes, m)
				if err != nil {
					t.Fatal(err)
				}
				if err := Commit(c, payload(), commits, m.Batch, RunBudget); err != nil {
					t.Fatal(err)
				}
				if err := Verify(c, nodes, commits); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// payload is the command every proposal carries. One shared buffer, as a
// client's would be: neither implementation copies proposal data, so
// neither pays for it here.
func payload() []byte {
	data := make([]byte, PayloadBytes)
	for i := range data {
		data[i] = byte(i)
	}
	return data
}

// Commit proposes total commands, batch per round, and runs each round
// until the leader has applied it. It gives up once it has run longer
// than budget.
func Commit(c Cluster, data []byte, total, batch int, budget time.Duration) error {
	start := time.Now()
	for proposed, rounds := 0, 0; proposed < total; rounds++ {
		if rounds%budgetCheckRounds == budgetCheckRounds-1 {
			if d := time.Since(start); d > budget {
				return fmt.Errorf("driver: over the %v budget: %d of %d commands committed in %v", budget, proposed, total, d.Round(time.Millisecond))
			}
		}
		k := min(batch, total-proposed)
		if err := c.Propose(data, k); err != nil {
			return fmt.Errorf("driver: proposing after %d commands: %w", proposed, err)
		}
		proposed += k
		if err := round(c, proposed); err != nil {
			return err
		}
	}
	return nil
}

// Verify drains the cluster and returns an error unless every node
// applied exactly total commands and node 0 still leads.
func Verify(c Cluster, nodes, total int) error {
	if err := Settle(c); err != nil {
		return err
	}
	for i := range nodes {
		if got := c.Applied(i); got != total {
			return fmt.Errorf("driver: node %d applied %d commands, want %d", i+1, got, total)
		}
	}
	return c.CheckLeader()
}

// round passes and delivers until the leader has applied want commands.
// Messages still queued when it has (commit updates to followers) stay
// queued, ahead of the next round's.
func round(c Cluster, want int) error {
	for range passesPerRoundMax {
		if err := c.Pass(); err != nil {
			return err
		}
		if c.Applied(0) >= want {
			return nil
		}
		if err := c.Deliver(); err != nil {
			return err
		}
	}
	return fmt.Errorf("driver: leader applied %d of %d commands after %d passes", c.Applied(0), want, passesPerRoundMax)
}
