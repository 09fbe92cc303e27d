package kv

import (
	"fmt"
	"strconv"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
)

// session is what the Store remembers of one client, so that each of its
// commands takes effect at most once however often it is retried (Raft
// thesis §6.3). It is replicated state: every replica builds the same
// table from the same log, and snapshots carry it.
type session struct {
	// seq is the sequence number of the last command applied for the
	// client. Invariant: it only grows; seq >= 1 unless the session was
	// opened by OpRegister and has applied nothing yet.
	seq Seq
	// resp is that command's encoded response, returned again when the
	// command is retried. Read-only: Apply has already returned it.
	resp []byte
	// last is the index of the entry that last used the session (opened
	// it, or carried one of its commands): what expiry and eviction go
	// by. Invariant: no two sessions of a bounded Store share it.
	last raft.Index
}

// SessionLimits bound a Store's session table (Raft thesis §6.3). The zero
// value bounds nothing: every client ID gets a session on its first
// command, forever. With Max set, sessions are opened only by OpRegister,
// a command on a client ID without a session is answered
// StatusSessionExpired, and sessions end deterministically, by the log
// alone (never a clock), so every replica ends the same ones:
//
//   - a session unused for more than IdleEntries log entries expires at
//     its next command (0: never by age);
//   - registering a session when Max are open evicts the one used least
//     recently (the smallest last-used index).
//
// Every replica of a cluster must run with the same limits, like the same
// code.
type SessionLimits struct {
	Max         int
	IdleEntries raft.Index
}

// bounded reports whether sessions must be registered, and end.
func (l SessionLimits) bounded() bool { return l.Max > 0 }

// NewWithSessions returns an empty Store whose session table is bounded
// by lim.
func NewWithSessions(lim SessionLimits) *Store {
	s := New()
	s.limits = lim
	return s
}

// Sessions is the number of open sessions.
func (s *Store) Sessions() int { return len(s.sessions) }

// SessionsEnded counts the sessions this Store expired or evicted since
// it was created (not replicated state, like Executed).
func (s *Store) SessionsEnded() uint64 { return s.ended }

// RegisteredID returns the client ID in the response to an OpRegister.
func RegisteredID(r Response) (ClientID, bool) {
	id, err := strconv.ParseUint(r.Value, 10, 64)
	if r.Status != StatusOK || err != nil || id == 0 {
		return 0, false
	}
	return ClientID(id), true
}

// register opens a session whose ID is the entry's index, evicting the
// least recently used session if Max are open.
func (s *Store) register(index raft.Index) []byte {
	if s.sessions == nil {
		s.sessions = make(map[ClientID]*session)
	}
	if s.limits.bounded() && len(s.sessions) >= s.limits.Max {
		s.evictOldest()
	}
	id := ClientID(index)
	if s.sessions[id] != nil {
		panic(fmt.Sprintf("kv: register at index %d: client %d has a session already", index, id))
	}
	s.sessions[id] = &session{last: index}
	return encodeValueResponse(StatusOK, -1, strconv.FormatUint(uint64(id), 10))
}

// evictOldest ends the session with the smallest last-used index (unique
// in a bounded Store; ties, which only an unbounded history can leave,
// go to the smaller client ID). The scan visits every session whatever
// the map order, so the choice is the same on every replica.
func (s *Store) evictOldest() {
	var victim ClientID
	var oldest *session
	for id, sess := range s.sessions {
		if oldest == nil || sess.last < oldest.last || (sess.last == oldest.last && id < victim) {
			victim, oldest = id, sess
		}
	}
	if oldest != nil {
		delete(s.sessions, victim)
		s.ended++
	}
}

// applyCommand decodes data and applies it through the client's session:
//   - no session (a bounded Store), or one idle too long: refuse it with
//     StatusSessionExpired, applying nothing;
//   - seq == last applied: a retry of a command already applied; return
//     its response without applying it again.
//   - seq < last applied: an older retry whose response is gone; refuse it
//     with StatusStaleSequence, applying nothing.
//   - seq > last applied: apply it and remember it. Gaps are allowed, since
//     a client skips the seq of an operation it knows never reached the log.
func (s *Store) applyCommand(index raft.Index, data []byte) []byte {
	c, err := decodeCommandView(data)
	if err != nil {
		return respBadCommand
	}
	if c.op == OpRegister {
		return s.register(index)
	}
	if c.client == 0 {
		// Sessionless: executed once per entry, no retry answered.
		resp := s.execute(&c)
		s.lastClient, s.lastSeq = 0, 0
		return resp
	}
	sess := s.sessions[c.client]
	if s.limits.bounded() {
		if sess != nil && s.limits.IdleEntries > 0 && index-sess.last > s.limits.IdleEntries {
			delete(s.sessions, c.client)
			s.ended++
			sess = nil
		}
		if sess == nil {
			return respExpired
		}
	}
	if sess != nil {
		sess.last = index
		if c.seq == sess.seq && !bugs.Fire(bugs.NoRetryDedup) {
			return sess.resp
		}
		if c.seq < sess.seq {
			return respStaleSequence
		}
	}
	resp := s.execute(&c)
	s.lastClient, s.lastSeq = c.client, c.seq
	if sess == nil {
		if s.sessions == nil {
			s.sessions = make(map[ClientID]*session)
		}
		sess = &session{last: index}
		s.sessions[c.client] = sess
	}
	if c.seq <= sess.seq && !bugs.On(bugs.NoRetryDedup) {
		panic(fmt.Sprintf("kv: client %d: session at seq %d would move to seq %d", c.client, sess.seq, c.seq))
	}
	sess.seq = c.seq
	sess.resp = resp
	return resp
}
