package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/raft/replica"
	"github.com/raftsim/raftsim/raft/resp"
)

type serveFlags struct {
	id             uint64
	peers          string
	voters         string
	data           string
	clientAddr     string
	clusterID      uint64
	tick           time.Duration
	electionTicks  int
	heartbeatTicks int
	noForward      bool
	requestTimeout time.Duration
	logLevel       string
	plantedBug     string
	snapshotEvery  int
	snapshotKeep   int
	snapshotBytes  int64
	limits         resp.Limits
	maxSessions    int
	sessionIdle    uint64
}

// The compaction policy a node runs with unless told otherwise: a
// snapshot after serveSnapshotEvery entries or serveSnapshotBytes bytes
// of commands applied since the last one, whichever comes first, keeping
// serveSnapshotKeep entries behind it for followers that lag a little.
// So a node's log (on disk and in memory) stays below about 22,000
// entries and 64 MiB of commands plus the kept entries, however long it
// runs; see README, "Limits".
const (
	serveSnapshotEvery = 20_000
	serveSnapshotKeep  = 2_000
	serveSnapshotBytes = 64 << 20
)

func newServeCmd(g *globals) *cobra.Command {
	f := &serveFlags{limits: resp.Limits{MaxBulkBytes: resp.DefaultMaxBulkBytes, MaxQueryBytes: resp.DefaultMaxQueryBytes}}
	cmd := &cobra.Command{
		Use:   "serve --id N --peers 1=HOST:PORT,2=... --data DIR --client-addr HOST:PORT",
		Short: "Run one node of a real cluster: Raft over TCP, a durable log, Redis clients",
		Long: `Run one node of a real raftsim cluster. The node talks to its peers over
TCP (the --peers address of its own ID is where it listens), keeps its term,
vote and log in --data, and serves Redis clients (redis-cli, redis-benchmark,
any Redis library) on --client-addr: GET SET DEL APPEND CAS PING INFO raft
RAFT.STATUS, and, for exactly-once retries, SESSION REGISTER (answers a
client ID) then SESSION client-id seq CMD ... (at most --max-sessions
sessions are kept; the least recently used is evicted).
A follower forwards requests to the leader unless --no-forward.

Membership (at the leader): RAFT.ADDVOTER id, RAFT.ADDLEARNER id,
RAFT.REMOVE id and RAFT.TRANSFER id. --voters names the initial
configuration (every --peers node by default): a node of --peers outside
it is a spare, idle until RAFT.ADDVOTER or RAFT.ADDLEARNER adds it; start
every node with the same --peers and --voters.
The log is compacted as the node runs: the state machine is snapshotted
into --data and the entries it covers are deleted, after --snapshot-every
entries or --snapshot-bytes of commands, whichever comes first (both 0:
never). A restart resumes from the snapshot and the log after it; a peer
that fell behind the compacted log is sent the snapshot.

An address without a host (":6379") binds 127.0.0.1. SIGTERM or SIGINT
stops the node cleanly (clients disconnected, log synced and closed); run
it again on the same --data to resume with everything it had.

Exit status: 0 after a clean stop; 1 when the node stopped on an error
(a storage failure); 2 for bad flags or a directory it cannot use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&f.id, "id", 0, "this node's ID (one of --peers)")
	fl.StringVar(&f.peers, "peers", "", "every node's peer address, this one's included: `1=HOST:PORT,2=HOST:PORT,...`")
	fl.StringVar(&f.voters, "voters", "", "the initial configuration's voters, nodes of --peers (default: every one): `1,2,3`")
	fl.StringVar(&f.data, "data", "", "the `DIR` of this node's durable log (created if missing)")
	fl.StringVar(&f.clientAddr, "client-addr", "127.0.0.1:6379", "where Redis clients connect (`HOST:PORT`)")
	fl.Uint64Var(&f.clusterID, "cluster-id", 1, "the cluster's ID; peers of another cluster are refused")
	fl.DurationVar(&f.tick, "tick", 10*time.Millisecond, "the real time of one Raft tick")
	fl.IntVar(&f.electionTicks, "election-ticks", 50, "the minimum election timeout, in ticks (timeouts are drawn from [T, 2T))")
	fl.IntVar(&f.heartbeatTicks, "heartbeat-ticks", 5, "the leader's heartbeat interval, in ticks")
	fl.BoolVar(&f.noForward, "no-forward", false, "answer NOTLEADER on a follower instead of forwarding to the leader")
	fl.DurationVar(&f.requestTimeout, "request-timeout", 5*time.Second, "how long a request may wait for its outcome")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (logs go to stderr)")
	fl.IntVar(&f.snapshotEvery, "snapshot-every", serveSnapshotEvery, "snapshot the state machine and compact the log after this many applied entries (0: not by count)")
	f.snapshotBytes = serveSnapshotBytes
	fl.Var(bytesValue{&f.snapshotBytes}, "snapshot-bytes", "also snapshot and compact once the entries applied since the last snapshot carry this many bytes of commands (0: not by size)")
	fl.IntVar(&f.snapshotKeep, "snapshot-keep", serveSnapshotKeep, "entries kept behind a snapshot for followers that lag a little")
	fl.Var(bytesValue{&f.limits.MaxBulkBytes}, "max-bulk-len", "the longest argument a client may send; a longer one closes its connection with an error")
	fl.IntVar(&f.limits.MaxArgs, "max-args", resp.DefaultMaxArgs, "the most arguments in one client command; more close its connection with an error")
	fl.Var(bytesValue{&f.limits.MaxQueryBytes}, "max-query-buffer", "the most input a client connection may have sent unanswered (the command being received); more closes it with an error")
	fl.IntVar(&f.maxSessions, "max-sessions", defaultMaxSessions, "bound the exactly-once session table: sessions must be opened with SESSION REGISTER, and the least recently used is evicted past this many (0: unbounded, any client ID opens one, so clients can grow the table without limit)")
	fl.Uint64Var(&f.sessionIdle, "session-idle-entries", 0, "with --max-sessions: a session unused for this many log entries expires (0: never by age)")
	fl.IntVar(&f.limits.MaxConns, "max-clients", resp.DefaultMaxConns, "the most open client connections; one more gets an error and is closed")
	fl.StringVar(&f.plantedBug, "planted-bug", "", "switch on a planted Raft bug (builds with -tags raftbugs only; for raftsim live)")
	fl.MarkHidden("planted-bug")
	return cmd
}

// parsePeers reads "1=host:port,2=host:port".
func parsePeers(flag, s string) (map[raft.NodeID]string, error) {
	peers := map[raft.NodeID]string{}
	if strings.TrimSpace(s) == "" {
		return nil, usageErrorf("%s: missing: give every node as ID=HOST:PORT, comma-separated", flag)
	}
	for i, item := range strings.Split(s, ",") {
		idStr, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || id == 0 {
			return nil, usageErrorf("%s: item %d %q: want ID=HOST:PORT with an ID >= 1", flag, i+1, item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, usageErrorf("%s: item %d %q: %v", flag, i+1, item, err)
		}
		if _, dup := peers[raft.NodeID(id)]; dup {
			return nil, usageErrorf("%s: item %d: node %d is listed twice", flag, i+1, id)
		}
		peers[raft.NodeID(id)] = loopbackDefault(addr)
	}
	return peers, nil
}

// parseVoters reads "1,2,3", IDs of peers; "" is every peer (nil).
func parseVoters(s string, peers map[raft.NodeID]string) ([]raft.NodeID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []raft.NodeID
	for i, item := range strings.Split(s, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(item), 10, 64)
		if err != nil || id == 0 {
			return nil, usageErrorf("--voters: item %d %q: want a node ID >= 1", i+1, item)
		}
		if _, ok := peers[raft.NodeID(id)]; !ok {
			return nil, usageErrorf("--voters: item %d: node %d is not one of --peers", i+1, id)
		}
		if slices.Contains(out, raft.NodeID(id)) {
			return nil, usageErrorf("--voters: item %d: node %d is listed twice", i+1, id)
		}
		out = append(out, raft.NodeID(id))
	}
	return out, nil
}

// loopbackDefault gives an address without a host the loopback host.
func loopbackDefault(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

func (f *serveFlags) config() (replica.Config, error) {
	peers, err := parsePeers("--peers", f.peers)
	if err != nil {
		return replica.Config{}, err
	}
	if _, ok := peers[raft.NodeID(f.id)]; !ok || f.id == 0 {
		ids := make([]raft.NodeID, 0, len(peers))
		for id := range peers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return replica.Config{}, usageErrorf("--id: %d is not one of the --peers IDs %v", f.id, ids)
	}
	voters, err := parseVoters(f.voters, peers)
	if err != nil {
		return replica.Config{}, err
	}
	if f.data == "" {
		return replica.Config{}, usageErrorf("--data: missing: the directory of the node's log")
	}
	if _, _, err := net.SplitHostPort(f.clientAddr); err != nil {
		return replica.Config{}, usageErrorf("--client-addr: %v", err)
	}
	if f.tick <= 0 || f.electionTicks <= 0 || f.heartbeatTicks <= 0 || f.heartbeatTicks >= f.electionTicks {
		return replica.Config{}, usageErrorf("--tick, --election-ticks, --heartbeat-ticks: must be positive, with heartbeat below election")
	}
	if f.snapshotEvery < 0 || f.snapshotKeep < 0 {
		return replica.Config{}, usageErrorf("--snapshot-every and --snapshot-keep must not be negative")
	}
	if err := f.checkLimits(); err != nil {
		return replica.Config{}, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return replica.Config{}, usageErrorf("--log-level: %q is not debug, info, warn or error", f.logLevel)
	}
	return replica.Config{
		ClusterID: f.clusterID, ID: raft.NodeID(f.id), Peers: peers, Voters: voters, ClientAddr: loopbackDefault(f.clientAddr),
		Dir: f.data, NoForward: f.noForward, TickInterval: f.tick, ElectionTicks: f.electionTicks,
		HeartbeatTicks: f.heartbeatTicks, RequestTimeout: f.requestTimeout,
		SnapshotEvery: f.snapshotEvery, SnapshotKeep: f.snapshotKeep, SnapshotBytes: f.snapshotBytes,
		Limits: f.limits, Sessions: kv.SessionLimits{Max: f.maxSessions, IdleEntries: raft.Index(f.sessionIdle)}, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if f.plantedBug != "" {
		undo, err := plantBug(f.plantedBug)
		if err != nil {
			return usageErrorf("--planted-bug: %v", err)
		}
		defer undo()
	}
	// Signals are caught before the node starts, so none is lost.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	r, err := replica.Start(cfg)
	if err != nil {
		return usageErrorf("node %d: %v", cfg.ID, err)
	}
	st := r.Server().Status()
	fmt.Fprintf(cmd.OutOrStdout(), "node %d serving clients on %s, peers on %s (term %d, log %d entries, data %s)\n",
		cfg.ID, r.ClientAddr(), r.PeerAddr(), st.Term, st.LastIndex, cfg.Dir)
	select {
	case s := <-sigs:
		fmt.Fprintf(cmd.OutOrStdout(), "node %d: %v, stopping\n", cfg.ID, s)
		if err := r.Stop(); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "raftsim serve: node %d: %v\n", cfg.ID, err)
			return errFailed
		}
		fmt.Fprintf(cmd.OutOrStdout(), "node %d stopped cleanly\n", cfg.ID)
		return nil
	case <-r.Done():
		err := r.Stop()
		fmt.Fprintf(cmd.ErrOrStderr(), "raftsim serve: node %d stopped: %v\n", cfg.ID, err)
		return errFailed
	}
}
