package sim

import (
	"fmt"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft/kv"
)

// Bounded client sessions (Workload.Sessions, kv.SessionLimits). A client
// without a session registers one, through the log, before its next
// operation: a request like any write, retried at other nodes until its
// deadline, but not an operation of the history. A registration whose
// reply is lost leaves a session nobody uses; it ages out or is evicted
// like any other. When an operation is answered StatusSessionExpired, the
// session is gone and the operation was not applied by that attempt; an
// earlier attempt may have been (then the outcome is unknown, else the
// operation failed), and the client registers again before its next one.

// startRegister sends the registration of a session.
func (s *Simulator) startRegister(c *client) {
	c.registering = true
	c.busy = true
	c.maybeApplied = false
	c.cmd = kv.Register()
	// The request's kind routes it as a write; the operation is never
	// recorded.
	c.op = checker.Operation{Kind: checker.OpPut}
	c.deadline = s.now.Add(s.cfg.Workload.Deadline)
	s.stats.Registrations++
	s.sendAttempt(c)
}

// registered adopts the session a registration opened and starts the
// operation it was for.
func (s *Simulator) registered(c *client, r reply) {
	id, ok := kv.RegisteredID(r.resp)
	if !ok {
		panic(fmt.Sprintf("sim: client %d: registration answered %s", c.pos, r.resp))
	}
	c.id, c.seq = id, 0
	s.endRegister(c)
}

// endRegister ends a registration (done or given up) and starts the next
// operation at once: it registers again if it has no session yet.
func (s *Simulator) endRegister(c *client) {
	c.registering = false
	c.busy = false
	c.attempt++ // replies to the registration are now stale
	s.schedule(event{at: s.now, kind: evClientStart, node: c.pos, inc: c.attempt})
}

// sessionExpired ends the operation whose session is gone: failed, or
// unknown if an earlier attempt may have been applied before the
// session ended.
func (s *Simulator) sessionExpired(c *client) {
	s.stats.SessionsExpired++
	s.giveUp(c)
	c.id = 0
}
