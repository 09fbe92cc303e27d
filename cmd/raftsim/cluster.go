package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/localcluster"
)

type clusterFlags struct {
	nodes        int
	data         string
	duration     time.Duration
	restartAfter time.Duration
	serveArgs    string
}

func newClusterCmd(g *globals) *cobra.Command {
	f := &clusterFlags{}
	cmd := &cobra.Command{
		Use:   "cluster [--nodes 3] [--data DIR]",
		Short: "Start a local cluster of 'raftsim serve' processes and watch it",
		Long: `Start --nodes 'raftsim serve' processes on free loopback ports, print
their addresses, PIDs and a redis-cli line to try, and report leader changes
and nodes that exit as they happen. A node that exits (kill -9 it to see a
failover) is restarted on its data after --restart-after (0: never).
Ctrl-C (or SIGTERM) stops every node cleanly. Without --data the nodes keep
their logs in a temporary directory that is removed at the end; with it,
a later 'raftsim cluster --data DIR' resumes with the same data.

Exit status: 0 after Ctrl-C or --duration; 1 if a node could not be
started or stopped cleanly; 2 for bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCluster(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.nodes, "nodes", 3, "the number of nodes (1 to 9)")
	fl.StringVar(&f.data, "data", "", "keep the nodes' data under `DIR` (default: a temporary directory, removed at exit)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	fl.DurationVar(&f.restartAfter, "restart-after", 2*time.Second, "restart a node that exited after this long (0: never)")
	fl.StringVar(&f.serveArgs, "serve-args", "", "extra flags for every 'raftsim serve', space-separated")
	return cmd
}

func runCluster(cmd *cobra.Command, f *clusterFlags) error {
	if f.nodes < 1 || f.nodes > 9 {
		return usageErrorf("--nodes: %d, want 1 to 9", f.nodes)
	}
	if f.duration < 0 || f.restartAfter < 0 {
		return usageErrorf("--duration and --restart-after must not be negative")
	}
	out := cmd.OutOrStdout()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the raftsim binary: %w", err)
	}
	dir := f.data
	if dir == "" {
		if dir, err = os.MkdirTemp("", "raftsim-cluster-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageErrorf("--data: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	c, err := localcluster.Start(localcluster.Options{Binary: exe, Nodes: f.nodes, Dir: dir, Args: strings.Fields(f.serveArgs)})
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "raftsim cluster: %v\n", err)
		return errFailed
	}
	fmt.Fprintf(out, "raftsim cluster: %d nodes, data in %s\n", f.nodes, dir)
	for _, n := range c.Nodes {
		fmt.Fprintf(out, "  node %d  pid %-7d clients %s  peers %s  log %s\n", n.ID, n.Pid(), n.ClientAddr, n.PeerAddr, n.LogFile)
	}
	port := c.Nodes[0].ClientAddr[strings.LastIndex(c.Nodes[0].ClientAddr, ":")+1:]
	fmt.Fprintf(out, "try:  redis-cli -p %s SET greeting hello   (any node serves any command)\n", port)
	fmt.Fprintf(out, "Ctrl-C stops the cluster.\n")
	watchCluster(ctx, out, c, f.restartAfter)
	fmt.Fprintf(out, "stopping %d nodes\n", f.nodes)
	if err := c.Close(); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "raftsim cluster: %v\n", err)
		return errFailed
	}
	fmt.Fprintf(out, "all nodes stopped\n")
	return nil
}

// watchCluster reports leader changes and exits, and restarts nodes that
// exited, until ctx ends.
func watchCluster(ctx context.Context, out io.Writer, c *localcluster.Cluster, restartAfter time.Duration) {
	lastLeader, lastTerm := "", ""
	down := map[raft.NodeID]time.Time{}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, n := range c.Nodes {
			if _, known := down[n.ID]; !known && !n.Running() {
				down[n.ID] = time.Now()
				fmt.Fprintf(out, "%s node %d exited (%v)\n", stamp(), n.ID, n.ExitErr())
			}
			if t, isDown := down[n.ID]; isDown && restartAfter > 0 && time.Since(t) >= restartAfter {
				if err := c.Restart(n.ID); err != nil {
					fmt.Fprintf(out, "%s node %d: restart failed: %v\n", stamp(), n.ID, err)
					down[n.ID] = time.Now()
					continue
				}
				delete(down, n.ID)
				fmt.Fprintf(out, "%s node %d restarted, pid %d\n", stamp(), n.ID, n.Pid())
			}
		}
		for _, n := range c.Nodes {
			if !n.Running() {
				continue
			}
			qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			st, err := c.Status(qctx, n.ID)
			cancel()
			if err != nil || st["role"] != "leader" {
				continue
			}
			if st["node"] != lastLeader || st["term"] != lastTerm {
				lastLeader, lastTerm = st["node"], st["term"]
				fmt.Fprintf(out, "%s leader: node %s (term %s, commit %s)\n", stamp(), st["node"], st["term"], st["commit"])
			}
			break
		}
	}
}

func stamp() string { return time.Now().Format("15:04:05.000") }
