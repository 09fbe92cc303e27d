package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/faultproxy"
	"github.com/raftsim/raftsim/raft/localcluster"
	"github.com/raftsim/raftsim/sim"
)

type liveFlags struct {
	nodes    int
	duration time.Duration
	heal     time.Duration
	faults   string
	clients  int
	keys     int
	seed     uint64
	report   string
	keep     bool
	budget   time.Duration
	history  string
	bug      string
	// snapshotEvery is the nodes' compaction policy (serve's
	// --snapshot-every); 0 turns compaction off.
	snapshotEvery int
}

func newLiveCmd(g *globals) *cobra.Command {
	f := &liveFlags{}
	cmd := &cobra.Command{
		Use:   "live [--nodes 3] [--duration 60s] [--faults kill,pause,partition,oneway,latency]",
		Short: "Test a real cluster of processes under real faults with the simulator's workload and checker",
		Long: `Start a cluster of 'raftsim serve' processes whose peer traffic flows
through a fault-injecting proxy on loopback, run the simulator's client
workload against them over RESP with real timestamps, and inject real
faults for --duration: kill -9 and restart (kill), SIGSTOP and SIGCONT
(pause), a node cut off both ways (partition) or only its outgoing links
(oneway), added latency on every link (latency), and membership changes
made through the admin commands at the leader: RAFT.TRANSFER to another
node (transfer), and RAFT.REMOVE of a node other than the leader, added
back with RAFT.ADDVOTER when the fault heals (member; not in the default
list). Then every fault is
healed and the run goes on for --heal, during which a leader must commit
and every client must complete an operation (recovery). At the end the
nodes are stopped and the run is checked: the history for linearizability
(the same checker as the simulator's), the reads for an appended value
seen twice (at-most-once), and the nodes' durable snapshots and logs,
replayed through the kv state machine, for state machine safety, client
sessions and snapshot states. The nodes compact their logs every
--snapshot-every entries, far more often than serve's default, so that
killed and cut-off nodes often catch up by a snapshot.

The run is bounded (about --duration + --heal + 15s, plus the check), uses
loopback addresses only, and removes every process and temporary directory
it started, also when interrupted (Ctrl-C).

Exit status: 0 when every check passed; 1 when one failed; 2 for bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.nodes, "nodes", 3, "cluster size (1 to 9)")
	fl.DurationVar(&f.duration, "duration", 60*time.Second, "how long faults are injected")
	fl.DurationVar(&f.heal, "heal", 10*time.Second, "how long the healed cluster runs before the end (recovery is checked in it)")
	fl.StringVar(&f.faults, "faults", "kill,pause,partition,oneway,latency", "the fault kinds to inject, comma-separated (or none)")
	fl.IntVar(&f.clients, "clients", 10, "concurrent clients")
	fl.IntVar(&f.keys, "keys", 8, "keys the clients use")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the workload and fault choices (default: random, printed)")
	fl.StringVar(&f.report, "report", "", "write the report (plots and index.html) of the run, and of the simulator's run of the same workload, under `DIR`")
	fl.BoolVar(&f.keep, "keep", false, "keep the nodes' data and logs (the directory is printed)")
	fl.DurationVar(&f.budget, "budget", 30*time.Second, "wall-clock budget of the linearizability check")
	fl.StringVar(&f.history, "history", "", "write the client history to `FILE` (for 'raftsim check')")
	fl.IntVar(&f.snapshotEvery, "snapshot-every", liveSnapshotEvery, "the nodes snapshot and compact their logs after this many entries (0: never), so faults meet snapshot installs too")
	fl.StringVar(&f.bug, "planted-bug", "", "run every node with this planted Raft bug `NAME` (builds with -tags raftbugs: make selftest): the checks must catch it")
	return cmd
}

func (f *liveFlags) validate() ([]string, error) {
	if f.nodes < 1 || f.nodes > 9 {
		return nil, usageErrorf("--nodes: %d, want 1 to 9", f.nodes)
	}
	if f.duration <= 0 || f.duration > 24*time.Hour || f.heal < 2*time.Second || f.heal > time.Hour {
		return nil, usageErrorf("--duration must be in (0, 24h] and --heal in [2s, 1h]")
	}
	if f.clients < 1 || f.clients > 1000 || f.keys < 1 || f.keys > 1000 {
		return nil, usageErrorf("--clients and --keys must be in [1, 1000]")
	}
	if f.snapshotEvery < 0 {
		return nil, usageErrorf("--snapshot-every must not be negative")
	}
	if f.budget <= 0 {
		return nil, usageErrorf("--budget must be positive")
	}
	if f.bug != "" {
		// The bug stays on in this process too: the log check replays the
		// nodes' logs through the same state machine code as the nodes ran.
		if _, err := plantBug(f.bug); err != nil {
			return nil, usageErrorf("--planted-bug: %v", err)
		}
	}
	var kinds []string
	for _, k := range strings.Split(f.faults, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "" || k == "none":
		case slices.Contains(liveFaults, k):
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		default:
			return nil, usageErrorf("--faults: unknown fault %q (known: %s, none)", k, strings.Join(liveFaults, ", "))
		}
	}
	return kinds, nil
}

// liveWorkloadConfig is the simulator's default workload, resized.
func liveWorkloadConfig(f *liveFlags) sim.WorkloadConfig {
	w := sim.Defaults().Workload
	w.Clients, w.Keys = f.clients, f.keys
	w.Attempt = time.Second
	return w
}

// liveServeArgs are the Raft timings of the live nodes, and of the
// simulator run they are compared with.
const (
	liveTick           = 10 * time.Millisecond
	liveElectionTicks  = 30
	liveHeartbeatTicks = 3
	// liveSnapshotEvery compacts every few seconds of the workload.
	liveSnapshotEvery = 4000
)

func runLive(cmd *cobra.Command, g *globals, f *liveFlags) error {
	kinds, err := f.validate()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.seed == 0 {
		f.seed = rand.Uint64()>>1 | 1
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the raftsim binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "raftsim-live-")
	if err != nil {
		return err
	}
	if !f.keep {
		defer os.RemoveAll(dir)
	}
	// Ctrl-C ends the run early; everything below still cleans up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	lr, err := startLive(ctx, exe, dir, f, kinds, out)
	if lr != nil {
		defer lr.close()
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "raftsim live: %v\n", err)
		return errFailed
	}
	res := lr.execute(ctx, f)
	if f.keep {
		fmt.Fprintf(out, "data and node logs kept in %s\n", dir)
	}
	return finishLive(cmd, g, f, lr, res)
}

// liveRun is one live test in progress.
type liveRun struct {
	cluster *localcluster.Cluster
	proxy   *faultproxy.Proxy
	ids     []raft.NodeID
	start   time.Time
	out     io.Writer
	nem     *nemesis
	work    *liveWorkload
	roles   *roleWatch
	kinds   []string
}

func startLive(ctx context.Context, exe, dir string, f *liveFlags, kinds []string, out io.Writer) (*liveRun, error) {
	lr := &liveRun{proxy: faultproxy.New(), out: out, kinds: kinds}
	links := map[[2]raft.NodeID]string{}
	var linkErr error
	peerAddr := func(from, to raft.NodeID, listen string) string {
		if from > to {
			return listen // the lower ID dials; this entry is never used
		}
		k := [2]raft.NodeID{from, to}
		if a, ok := links[k]; ok {
			return a
		}
		a, err := lr.proxy.AddLink(from, to, listen)
		if err != nil {
			linkErr = err
			return listen
		}
		links[k] = a
		return a
	}
	c, err := localcluster.Start(localcluster.Options{Binary: exe, Nodes: f.nodes, Dir: dir, PeerAddr: peerAddr, Grace: 5 * time.Second,
		Args: []string{"--tick", liveTick.String(), "--election-ticks", fmt.Sprint(liveElectionTicks),
			"--heartbeat-ticks", fmt.Sprint(liveHeartbeatTicks), "--log-level", "warn", "--request-timeout", "2s",
			"--snapshot-every", fmt.Sprint(f.snapshotEvery), "--snapshot-keep", fmt.Sprint(f.snapshotEvery / 10),
			"--max-sessions", fmt.Sprint(liveMaxSessions), "--planted-bug", f.bug}})
	if err != nil {
		return lr, err
	}
	lr.cluster = c
	if linkErr != nil {
		return lr, linkErr
	}
	for _, n := range c.Nodes {
		lr.ids = append(lr.ids, n.ID)
	}
	fmt.Fprintf(out, "raftsim live: %d nodes behind a fault proxy, %d clients on %d keys, seed %d\n", f.nodes, f.clients, f.keys, f.seed)
	if f.bug != "" {
		fmt.Fprintf(out, "  planted bug %s on every node\n", f.bug)
	}
	fmt.Fprintf(out, "  faults %s for %v, then %v healed; data in %s\n", strings.Join(append([]string{}, kinds...), ","), f.duration, f.heal, dir)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.WaitLeader(wctx); err != nil {
		return lr, fmt.Errorf("the cluster elected no leader in 30s: %w", err)
	}
	return lr, nil
}

// close stops every process and the proxy.
func (lr *liveRun) close() {
	if lr.cluster != nil {
		lr.cluster.Close()
	}
	lr.proxy.Close()
}

// liveResult is what a live run observed.
type liveResult struct {
	history   []checker.Operation
	faults    []sim.FaultWindow
	roles     []sim.RoleChange
	healStart time.Duration
	end       time.Duration
	// recovered: a leader and every client's progress within the heal
	// phase; recoveryNote says what was missing.
	recovered    bool
	recoveryNote string
	interrupted  bool
	stopErr      error
}

// execute runs the workload with faults, heals, checks recovery and
// stops the cluster.
func (lr *liveRun) execute(ctx context.Context, f *liveFlags) liveResult {
	var res liveResult
	lr.start = time.Now()
	addrs := make([]string, len(lr.cluster.Nodes))
	for i, n := range lr.cluster.Nodes {
		addrs[i] = n.ClientAddr
	}
	lr.work = &liveWorkload{cfg: liveWorkloadConfig(f), addrs: addrs, start: lr.start, seed: f.seed}
	lr.nem = &nemesis{kinds: lr.kinds, cluster: lr.cluster, proxy: lr.proxy, rand: rand.New(rand.NewPCG(f.seed, 2)),
		ids: lr.ids, start: lr.start, out: lr.out}
	lr.roles = &roleWatch{cluster: lr.cluster, start: lr.start}
	clientCtx, stopClients := context.WithCancel(ctx)
	workDone := make(chan struct{})
	go func() { lr.work.run(clientCtx); close(workDone) }()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() { lr.roles.run(watchCtx); close(watchDone) }()

	faultCtx, endFaults := context.WithTimeout(ctx, f.duration)
	if len(lr.kinds) > 0 {
		lr.nem.run(faultCtx)
	} else {
		<-faultCtx.Done()
	}
	endFaults()
	lr.nem.healAll()
	res.healStart = time.Since(lr.start)
	lr.work.setHealing(int64(res.healStart))
	fmt.Fprintf(lr.out, "  %6.1fs  faults healed; recovery phase\n", res.healStart.Seconds())
	healCtx, endHeal := context.WithTimeout(ctx, f.heal)
	for !lr.work.allProgressed() && sleepCtx(healCtx, 50*time.Millisecond) {
	}
	res.recovered, res.recoveryNote = lr.recovery(res.healStart, f.heal)
	<-healCtx.Done()
	endHeal()
	stopClients()
	<-workDone
	res.end = time.Since(lr.start)
	stopWatch()
	<-watchDone
	res.interrupted = ctx.Err() != nil
	res.stopErr = lr.cluster.Close()
	res.history = lr.work.history
	res.faults = lr.nem.windows
	res.roles = lr.roles.changes
	return res
}

// recovery reports whether, after healing, a leader was elected and every
// client completed an operation it invoked after the heal.
func (lr *liveRun) recovery(healStart, heal time.Duration) (bool, string) {
	ok := lr.work.allProgressed()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, lerr := lr.cluster.WaitLeader(ctx)
	switch {
	case lerr != nil:
		return false, fmt.Sprintf("no leader at the end of the recovery phase: %v", lerr)
	case !ok:
		return false, fmt.Sprintf("some client completed no operation within %v of healing", heal)
	}
	return true, ""
}

func nodeDirs(c *localcluster.Cluster) []string {
	var dirs []string
	for _, n := range c.Nodes {
		dirs = append(dirs, n.DataDir)
	}
	return dirs
}
