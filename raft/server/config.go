package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// Transport is what the server needs of the peer network:
// raft/transport.Transport, or a test's stand-in.
type Transport interface {
	// Send queues messages for their peers without blocking.
	Send(msgs []raft.Message)
	// Recv delivers batches of messages addressed to this node.
	Recv() <-chan []raft.Message
}

// Config sets up a Server. Zero numbers take the defaults on each field.
type Config struct {
	// ID is this node; Voters the initial configuration. A node outside
	// it is a spare: it runs idle, no member, until a configuration
	// change (ChangeConfig at the leader) adds it.
	ID     raft.NodeID
	Voters []raft.NodeID
	// Storage is the node's durable log, already opened (for example
	// raft/filestore). The server writes it; the caller closes it after
	// Run returns.
	Storage raft.Storage
	// Transport carries messages to and from the peers.
	Transport Transport

	// TickInterval is the real time of one Raft tick. Default 10ms.
	TickInterval time.Duration
	// ElectionTicks and HeartbeatTicks are the Raft timeouts in ticks.
	// Defaults 50 and 5: elections after 500 to 1000 ms of silence,
	// heartbeats every 50 ms, which a loaded loopback machine keeps up with.
	ElectionTicks, HeartbeatTicks int
	// QueueRequests bounds the proposals and the reads waiting for the
	// node's goroutine; past it, requests fail at once with ErrBusy.
	// Default 8192.
	QueueRequests int
	// SnapshotEvery is the compaction policy (raft.Config.SnapshotEvery):
	// after that many entries applied since the last snapshot, the server
	// snapshots the state machine and the log is compacted. Zero never
	// compacts. The Storage must keep snapshots.
	SnapshotEvery int
	// SnapshotKeep is how many entries compaction keeps behind a snapshot
	// for followers that lag a little (raft.Config.SnapshotKeep).
	SnapshotKeep int
	// SnapshotBytes is the second compaction trigger: a snapshot is also
	// made once the entries applied since the last one carry this many
	// bytes of commands. SnapshotEvery bounds the log's length; this
	// bounds its size when commands are large. Zero turns it off.
	SnapshotBytes int64
	// Sessions bounds the state machine's session table
	// (kv.SessionLimits): sessions must then be registered (kv.Register),
	// and commands without a client ID are sessionless. Zero: unbounded,
	// and commands without a client ID join the server's own session.
	Sessions kv.SessionLimits
	// Seed seeds the election jitter. Zero draws one at random.
	Seed uint64
	// Logger receives role changes and failures. Default: discarded.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.ID == raft.None {
		return errors.New("server: config: ID must not be 0")
	}
	if len(c.Voters) == 0 || slices.Contains(c.Voters, raft.None) {
		return fmt.Errorf("server: config: the voters %v must be node IDs, at least one", c.Voters)
	}
	if c.Storage == nil {
		return errors.New("server: config: Storage is nil")
	}
	if c.Transport == nil {
		return errors.New("server: config: Transport is nil")
	}
	if c.TickInterval <= 0 {
		c.TickInterval = 10 * time.Millisecond
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = 50
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = 5
	}
	if c.QueueRequests <= 0 {
		c.QueueRequests = 8192
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}
