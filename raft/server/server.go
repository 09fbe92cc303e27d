package server

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// Server runs one raft.Node for real: one goroutine (Run) owns the node,
// its storage and its state machine, and carries out every Ready in the
// order the core's contract demands. Other goroutines reach it only
// through Propose, Read and Status.
type Server struct {
	cfg   Config
	node  *raft.Node
	store *kv.Store

	props  chan *proposal
	reads  chan *readRequest
	admins chan *adminRequest
	// done is closed when Run returns; requests then fail with ErrStopped.
	done chan struct{}

	// The fields below belong to Run's goroutine.

	// pending maps a log index to the proposal waiting for it.
	// Invariant: every entry is a proposal this node made as leader in
	// the current term; they are all ended when it stops leading.
	pending map[raft.Index]*proposal
	// pendingConf maps a log index to the configuration change waiting
	// for it (admin.go). Invariant: as pending.
	pendingConf map[raft.Index]*adminRequest
	// reads waiting for their ReadState, by read ID; confirmed reads wait
	// for their index to be applied, in index order.
	readsByID  map[uint64]*readRequest
	confirmed  []confirmedRead
	nextReadID uint64
	// autoClient is the session of requests that bring none: this
	// process's own, numbered in proposal order (see Propose).
	autoClient kv.ClientID
	autoSeq    kv.Seq
	role       raft.Role
	// sinceSnapBytes sums the command bytes applied since the latest
	// snapshot (made or restored): the SnapshotBytes trigger.
	sinceSnapBytes int64

	status  atomic.Pointer[Status]
	counts  counters
	started atomic.Bool
}

// proposal is a command waiting to be applied.
type proposal struct {
	cmd  kv.Command
	term raft.Term
	done chan Result
}

type readRequest struct {
	key  string
	done chan readResult
}

type confirmedRead struct {
	index raft.Index
	r     *readRequest
}

type readResult struct {
	value string
	found bool
	err   error
}

// Result is the outcome of an applied command.
type Result struct {
	Response kv.Response
	// Retry is set when the session table answered: the command had been
	// applied before, and this is its original response.
	Retry bool
	// Existed tells, for Delete, whether the key existed when the command
	// was applied (false for a Retry: nothing was removed this time).
	Existed bool
	// Length is, for Append, the value's length after it was applied.
	Length int
	Err    error
}

// New builds a server from its storage: a restarted node resumes with
// its term, vote and log, and Run replays the committed log into a new
// state machine before it serves anything.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = randomUint64()
	}
	store := kv.NewWithSessions(cfg.Sessions)
	node, err := raft.NewNode(raft.Config{
		ID: cfg.ID, Voters: cfg.Voters, Storage: cfg.Storage, Applied: store.AppliedIndex(),
		Rand:          rand.New(rand.NewPCG(seed, uint64(cfg.ID))),
		ElectionTicks: cfg.ElectionTicks, HeartbeatTicks: cfg.HeartbeatTicks,
		SnapshotEvery: cfg.SnapshotEvery, SnapshotKeep: cfg.SnapshotKeep,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, node: node, store: store,
		props:       make(chan *proposal, cfg.QueueRequests),
		reads:       make(chan *readRequest, cfg.QueueRequests),
		admins:      make(chan *adminRequest, maxAdminQueue),
		pendingConf: make(map[raft.Index]*adminRequest),
		done:        make(chan struct{}),
		pending:     make(map[raft.Index]*proposal),
		readsByID:   make(map[uint64]*readRequest),
		// The top bit keeps this process's session apart from the IDs
		// clients choose (see doc.go); 62 random bits keep it apart from
		// every other process's.
		autoClient: kv.ClientID(1<<63 | randomUint64()>>2),
		role:       raft.RoleFollower,
	}
	s.publish()
	return s, nil
}

func randomUint64() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("server: reading random bytes: %v", err))
	}
	return binary.LittleEndian.Uint64(b[:]) | 1
}

// maxAdminQueue bounds the admin requests waiting for Run's goroutine.
const maxAdminQueue = 16

// maxDrain bounds the inputs taken between two Readies, so that a flood
// of requests cannot starve ticks or delay the Ready that persists them.
const maxDrain = 8192

// Run drives the node until ctx ends or storage fails. Requests still
// waiting then end with ErrUnknownOutcome (proposals) or ErrStopped.
// Run may be called once.
func (s *Server) Run(ctx context.Context) (err error) {
	if s.started.Swap(true) {
		return errors.New("server: Run called twice")
	}
	defer func() {
		s.endAll(errStoppedPending, ErrStopped)
		close(s.done)
		s.publish()
	}()
	ticker := time.NewTicker(s.cfg.TickInterval)
	defer ticker.Stop()
	recv := s.cfg.Transport.Recv()
	if err := s.handleReadies(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			s.node.Tick()
		case msgs := <-recv:
			s.step(msgs)
		case p := <-s.props:
			s.propose(p)
		case r := <-s.reads:
			s.read(r)
		case r := <-s.admins:
			s.administer(r)
		}
		s.drain(recv)
		if err := s.handleReadies(); err != nil {
			return err
		}
		s.publish()
	}
}

// drain takes whatever else is waiting, up to maxDrain inputs, so that
// many requests share one Ready and one fsync (group commit).
func (s *Server) drain(recv <-chan []raft.Message) {
	for i := 0; i < maxDrain; i++ {
		select {
		case msgs := <-recv:
			s.step(msgs)
		case p := <-s.props:
			s.propose(p)
		case r := <-s.reads:
			s.read(r)
		case r := <-s.admins:
			s.administer(r)
		default:
			return
		}
	}
}

func (s *Server) step(msgs []raft.Message) {
	for _, m := range msgs {
		if err := s.node.Step(m); err != nil {
			s.counts.badMessages.Add(1)
			s.cfg.Logger.Warn("message refused", "msg", m.String(), "err", err)
		}
	}
}

// maxReadiesPerRound bounds the Ready loop; the rest waits for the next
// round of the main loop, after new input.
const maxReadiesPerRound = 64

// handleReadies carries out the node's Readies: persist with one fsync,
// send, apply, answer, Advance.
func (s *Server) handleReadies() error {
	for i := 0; i < maxReadiesPerRound && s.node.HasReady(); i++ {
		rd := s.node.Ready()
		if rd.SoftState != nil {
			s.roleChange(*rd.SoftState)
		}
		if err := s.persist(rd); err != nil {
			return err
		}
		s.cfg.Transport.Send(rd.Messages)
		if rd.RestoreSnapshot {
			if err := s.restore(rd.Snapshot); err != nil {
				return err
			}
		}
		for _, e := range rd.CommittedEntries {
			s.apply(e)
			s.sinceSnapBytes += int64(len(e.Data))
		}
		for _, rs := range rd.ReadStates {
			s.confirm(rs)
		}
		s.serveReads()
		s.node.Advance(rd)
		s.counts.readies.Add(1)
		if s.snapshotDue() {
			if err := s.node.Compact(s.store.AppliedIndex(), s.store.Snapshot()); err != nil {
				return fmt.Errorf("server: compacting at %d: %w", s.store.AppliedIndex(), err)
			}
			s.sinceSnapBytes = 0
			s.counts.snapshots.Add(1)
		}
	}
	return nil
}

// snapshotDue is the compaction policy: the core's count of entries
// (SnapshotEvery), or the bytes applied since the latest snapshot
// (SnapshotBytes), once the state machine is past that snapshot and no
// installed one waits to be restored (the core's own conditions).
func (s *Server) snapshotDue() bool {
	if s.node.SnapshotDue() {
		return true
	}
	if s.cfg.SnapshotBytes <= 0 || s.sinceSnapBytes < s.cfg.SnapshotBytes {
		return false
	}
	st := s.node.Status()
	return st.Applied > st.SnapshotIndex && s.store.AppliedIndex() == st.Applied
}

// restore resets the state machine to a snapshot: one installed from the
// leader, or the stored one after a restart. Proposals waiting for
// entries the snapshot covers learn nothing of their outcome from it.
func (s *Server) restore(snap raft.Snapshot) error {
	if err := s.store.Restore(snap.Data); err != nil {
		return fmt.Errorf("server: restoring snapshot %d/%d: %w", snap.Meta.Term, snap.Meta.Index, err)
	}
	s.sinceSnapBytes = 0
	for idx, p := range s.pending {
		if idx <= snap.Meta.Index {
			p.done <- Result{Err: errCoveredBySnapshot}
			delete(s.pending, idx)
		}
	}
	s.endConfs(errCoveredBySnapshot, snap.Meta.Index)
	s.counts.restores.Add(1)
	return nil
}

func (s *Server) persist(rd raft.Ready) error {
	st := s.cfg.Storage
	if !rd.Snapshot.IsEmpty() {
		if err := st.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("server: storing snapshot %d/%d: %w", rd.Snapshot.Meta.Term, rd.Snapshot.Meta.Index, err)
		}
	}
	if !rd.HardState.IsZero() {
		if err := st.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("server: writing hard state: %w", err)
		}
	}
	if len(rd.Entries) > 0 {
		if err := st.Append(rd.Entries); err != nil {
			return fmt.Errorf("server: appending %d entries: %w", len(rd.Entries), err)
		}
	}
	if rd.Compact > 0 {
		if err := st.Compact(rd.Compact); err != nil {
			return fmt.Errorf("server: compacting storage to %d: %w", rd.Compact, err)
		}
	}
	if rd.MustSync {
		if err := st.Sync(); err != nil {
			return fmt.Errorf("server: sync: %w", err)
		}
		s.counts.syncs.Add(1)
		s.counts.syncedEntries.Add(uint64(len(rd.Entries)))
	}
	return nil
}

func (s *Server) roleChange(ss raft.SoftState) {
	was := s.role
	s.role = ss.Role
	s.cfg.Logger.Info("role change", "node", s.cfg.ID, "role", ss.Role.String(), "leader", ss.Leader, "term", s.node.Status().Term)
	if was == raft.RoleLeader && ss.Role != raft.RoleLeader {
		// Proposals may still commit under the next leader: their outcome
		// is unknown, not failed. Reads changed nothing: they just fail.
		s.endAll(errLeadershipLost, ErrReadAborted)
	}
}

// endAll ends every waiting request: proposals with propErr, reads with
// readErr.
func (s *Server) endAll(propErr, readErr error) {
	for idx, p := range s.pending {
		p.done <- Result{Err: propErr}
		delete(s.pending, idx)
	}
	s.endConfs(propErr, 0)
	for id, r := range s.readsByID {
		r.done <- readResult{err: readErr}
		delete(s.readsByID, id)
	}
	for _, c := range s.confirmed {
		c.r.done <- readResult{err: readErr}
	}
	s.confirmed = s.confirmed[:0]
}
