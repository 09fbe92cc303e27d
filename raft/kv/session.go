package kv

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// session is what the Store remembers of one client, so that each of its
// commands takes effect at most once however often it is retried (Raft
// thesis §6.3). It is replicated state: every replica builds the same
// table from the same log, and snapshots carry it.
type session struct {
	// seq is the sequence number of the last command applied for the
	// client. Invariant: seq >= 1, and it only grows.
	seq Seq
	// resp is that command's encoded response, returned again when the
	// command is retried. Read-only: Apply has already returned it.
	resp []byte
}

// applyCommand decodes data and applies it through the client's session:
//   - seq == last applied: a retry of a command already applied; return
//     its response without applying it again.
//   - seq < last applied: an older retry whose response is gone; refuse it
//     with StatusStaleSequence, applying nothing.
//   - seq > last applied: apply it and remember it. Gaps are allowed, since
//     a client skips the seq of an operation it knows never reached the log.
func (s *Store) applyCommand(data []byte) []byte {
	c, err := decodeCommandView(data)
	if err != nil {
		return respBadCommand
	}
	sess := s.sessions[c.client]
	if sess != nil {
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
		sess = &session{}
		s.sessions[c.client] = sess
	}
	if c.seq <= sess.seq && !bugs.On(bugs.NoRetryDedup) {
		panic(fmt.Sprintf("kv: client %d: session at seq %d would move to seq %d", c.client, sess.seq, c.seq))
	}
	sess.seq = c.seq
	sess.resp = resp
	return resp
}
