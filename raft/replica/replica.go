package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/filestore"
	"github.com/raftsim/raftsim/raft/kv"
	"github.com/raftsim/raftsim/raft/resp"
	"github.com/raftsim/raftsim/raft/server"
	"github.com/raftsim/raftsim/raft/transport"
)

// Config describes one replica.
type Config struct {
	ClusterID uint64
	ID        raft.NodeID
	// Peers maps every node, this one included, to its peer address.
	// This node listens on its own entry unless PeerListener is set.
	Peers map[raft.NodeID]string
	// Voters is the initial configuration, nodes of Peers; empty means
	// every peer. A peer outside it is a spare, idle until a membership
	// change (RAFT.ADDVOTER at the leader) adds it.
	Voters []raft.NodeID
	// ClientAddr is where clients connect (RESP), unless ClientListener
	// is set.
	ClientAddr string
	// Listeners already bound (port 0 in tests); optional.
	PeerListener, ClientListener net.Listener
	// Dir holds the durable log.
	Dir string
	// NoForward makes followers refuse instead of forwarding.
	NoForward bool
	// TickInterval, ElectionTicks, HeartbeatTicks: see server.Config.
	TickInterval                  time.Duration
	ElectionTicks, HeartbeatTicks int
	RequestTimeout                time.Duration
	// SnapshotEvery, SnapshotBytes and SnapshotKeep are the compaction
	// policy (see server.Config); with both triggers zero the log is
	// never compacted.
	SnapshotEvery, SnapshotKeep int
	SnapshotBytes               int64
	// Limits bound the client connections and their input (see
	// resp.Limits); zero fields take resp's defaults.
	Limits resp.Limits
	// Sessions bounds the state machine's session table (see
	// server.Config.Sessions); zero: unbounded.
	Sessions kv.SessionLimits
	Logger   *slog.Logger
}

// Replica is a running node: store, transport, server and front end.
type Replica struct {
	cfg    Config
	store  *filestore.Store
	tr     *transport.Transport
	srv    *server.Server
	fe     *resp.Frontend
	peerLn net.Listener
	cliLn  net.Listener

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// runErr is Run's result, set before done is closed.
	runErr   error
	done     chan struct{}
	stopOnce sync.Once
}

// Start opens the store, binds the listeners and starts serving.
func Start(cfg Config) (_ *Replica, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, id := range cfg.Voters {
		if _, ok := cfg.Peers[id]; !ok {
			return nil, fmt.Errorf("replica: voter %d is not among the peers", id)
		}
	}
	if _, ok := cfg.Peers[cfg.ID]; !ok {
		return nil, fmt.Errorf("replica: node %d is not among the peers", cfg.ID)
	}
	r := &Replica{cfg: cfg, done: make(chan struct{})}
	defer func() {
		if err != nil {
			r.closeParts()
		}
	}()
	if r.store, err = filestore.Open(cfg.Dir, filestore.Options{}); err != nil {
		return nil, err
	}
	if ri := r.store.Recovery(); ri.Torn() {
		cfg.Logger.Warn("recovered a torn log tail", "recovery", ri.String())
	}
	if r.peerLn = cfg.PeerListener; r.peerLn == nil {
		if r.peerLn, err = net.Listen("tcp", cfg.Peers[cfg.ID]); err != nil {
			return nil, fmt.Errorf("replica: peer address: %w", err)
		}
	}
	if r.cliLn = cfg.ClientListener; r.cliLn == nil {
		if r.cliLn, err = net.Listen("tcp", cfg.ClientAddr); err != nil {
			return nil, fmt.Errorf("replica: client address: %w", err)
		}
	}
	voters := slices.Clone(cfg.Voters)
	others := map[raft.NodeID]string{}
	for id, addr := range cfg.Peers {
		if len(cfg.Voters) == 0 {
			voters = append(voters, id)
		}
		if id != cfg.ID {
			others[id] = addr
		}
	}
	slices.Sort(voters)
	r.tr, err = transport.New(transport.Config{ClusterID: cfg.ClusterID, ID: cfg.ID, Listener: r.peerLn,
		Peers: others, ClientAddr: r.cliLn.Addr().String(), Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	r.srv, err = server.New(server.Config{ID: cfg.ID, Voters: voters, Storage: r.store, Transport: r.tr,
		TickInterval: cfg.TickInterval, ElectionTicks: cfg.ElectionTicks, HeartbeatTicks: cfg.HeartbeatTicks,
		SnapshotEvery: cfg.SnapshotEvery, SnapshotKeep: cfg.SnapshotKeep, SnapshotBytes: cfg.SnapshotBytes,
		Sessions: cfg.Sessions, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	r.fe, err = resp.New(resp.Config{Server: r.srv, PeerClientAddr: r.tr.ClientAddr, NoForward: cfg.NoForward,
		RequestTimeout: cfg.RequestTimeout, Limits: cfg.Limits, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.tr.Start(ctx)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.runErr = r.srv.Run(ctx)
		close(r.done)
	}()
	go func() {
		defer r.wg.Done()
		r.fe.Serve(r.cliLn)
	}()
	return r, nil
}

// Server returns the node's server.
func (r *Replica) Server() *server.Server { return r.srv }

// ClientAddr and PeerAddr are the bound addresses.
func (r *Replica) ClientAddr() string { return r.cliLn.Addr().String() }
func (r *Replica) PeerAddr() string   { return r.peerLn.Addr().String() }

// Done is closed when the node stops on its own (a storage failure) or
// after Stop; Err then tells why.
func (r *Replica) Done() <-chan struct{} { return r.done }

// Err is the node's error once Done is closed.
func (r *Replica) Err() error { return r.runErr }

// Stop shuts the replica down cleanly: clients are disconnected, the
// node's loop ends (pending writes answered UNKNOWN), the transport is
// closed, and the store is synced and closed. It returns the node's
// error, if it stopped on one.
func (r *Replica) Stop() error {
	var err error
	r.stopOnce.Do(func() {
		r.fe.Close()
		r.cancel()
		r.wg.Wait()
		err = errors.Join(r.runErr, r.closeParts())
	})
	return err
}

func (r *Replica) closeParts() error {
	var errs []error
	if r.tr != nil {
		r.tr.Close()
	} else if r.peerLn != nil {
		r.peerLn.Close()
	}
	if r.cliLn != nil {
		r.cliLn.Close()
	}
	if r.store != nil {
		errs = append(errs, r.store.Sync(), r.store.Close())
	}
	return errors.Join(errs...)
}
