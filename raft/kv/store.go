package kv

import (
	"fmt"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/bugs"
)

// Store is the key-value state machine. It implements raft.StateMachine.
// The zero Store is empty and ready to use, like New's. A Store is not safe
// for concurrent use; like the Raft core, it is driven by one caller.
type Store struct {
	// data maps each key to its value. A key is present iff it has a slot;
	// its value may be empty.
	data map[string]*slot
	// sessions holds, per client, the last command applied and its
	// response (see session.go).
	sessions map[ClientID]*session
	// applied is the index of the last entry applied, or of the snapshot
	// restored. Invariant: advances by exactly 1 per Apply.
	applied raft.Index
	// executed counts commands that took effect (not retries answered from
	// the session table). Not replicated state: it lets a checker see
	// each execution, to prove a retried command never runs twice.
	executed uint64
	// lastClient and lastSeq name the command executed last.
	lastClient ClientID
	lastSeq    Seq
	// limits bound the session table (session.go). Configuration, not
	// state: Restore keeps it.
	limits SessionLimits
	// ended counts sessions expired or evicted (not replicated state).
	ended uint64
}

// slot holds one value. The Store owns the buffer and overwrites it in
// place, so a Put to an existing key does not allocate; nothing outside the
// Store may alias it, which is why Read, Get and Snapshot copy it out.
type slot struct {
	value []byte
}

var _ raft.StateMachine = (*Store)(nil)

// New returns an empty Store that has applied nothing.
func New() *Store {
	return &Store{
		data:     make(map[string]*slot),
		sessions: make(map[ClientID]*session),
	}
}

// AppliedIndex is the index of the last entry applied, or of the snapshot
// restored, or 0.
func (s *Store) AppliedIndex() raft.Index { return s.applied }

// Apply applies one committed entry and returns the encoded Response (see
// DecodeResponse), or nil for entries that carry no command. The returned
// slice is read-only: it may be shared with other responses and is kept
// in the client's session to answer a retry.
//
// Apply panics if e.Index is not AppliedIndex()+1: an entry applied twice
// or out of order means the caller's bookkeeping is broken, and a replica
// that continued would diverge silently.
//
// Data that is not a valid command gets StatusBadCommand rather than a
// panic. The entry is committed, so every replica applies the same bytes
// and reaches the same response; panicking would instead crash every
// replica, on every restart, on an entry that can never be removed from
// the log. The client ID of such data cannot be trusted, so no session is
// touched.
func (s *Store) Apply(e raft.Entry) []byte {
	if e.Index != s.applied+1 {
		panic(fmt.Sprintf("kv: Apply of entry %d, but applied index is %d: entries must be applied once each, in order", e.Index, s.applied))
	}
	switch e.Type {
	case raft.EntryNormal:
		s.applied = e.Index
		return s.applyCommand(e.Index, e.Data)
	case raft.EntryNoop, raft.EntryConfig:
		s.applied = e.Index
		return nil
	}
	panic(fmt.Sprintf("kv: Apply of entry %d with unknown type %s", e.Index, e.Type))
}

// Executed counts the commands this Store executed since it was created,
// leaving out retries answered from a session and refused commands. A
// checker compares it before and after Apply to see whether a command
// took effect.
func (s *Store) Executed() uint64 { return s.executed }

// LastExecuted names the session (client, sequence) of the command
// executed last, or zeros.
func (s *Store) LastExecuted() (ClientID, Seq) { return s.lastClient, s.lastSeq }

// Read returns the value of key as of AppliedIndex, for serving a read
// outside the log (ReadIndex, Raft thesis §6.4). The caller must first
// make sure that AppliedIndex is at least the read's index.
func (s *Store) Read(key string) (value string, found bool) {
	sl := s.data[key]
	if sl == nil {
		return "", false
	}
	return string(sl.value), true
}

// execute performs a command whose session allows it and returns its
// encoded response.
func (s *Store) execute(c *commandView) []byte {
	s.executed++
	switch c.op {
	case OpGet:
		sl := s.data[string(c.key)]
		if sl == nil {
			return respNotFound
		}
		return encodeValueResponse(StatusOK, -1, sl.value)
	case OpPut:
		s.put(c.key, c.value)
		return respOK
	case OpAppend:
		sl := s.data[string(c.key)]
		if sl == nil {
			s.put(c.key, c.value)
			return respOK
		}
		if len(sl.value)+len(c.value) > MaxValueBytes {
			return respValueTooLarge
		}
		sl.value = append(sl.value, c.value...)
		return respOK
	case OpDelete:
		delete(s.data, string(c.key))
		return respOK
	case OpCAS:
		sl := s.data[string(c.key)]
		if sl == nil {
			return respCASMissing
		}
		if string(sl.value) != string(c.expected) && !(len(sl.value) == len(c.expected) && bugs.Fire(bugs.CASComparesLength)) {
			return encodeValueResponse(StatusCASMismatch, 1, sl.value)
		}
		sl.overwrite(c.value)
		return respOK
	}
	// decodeCommandView rejects unknown ops.
	panic(fmt.Sprintf("kv: execute of decoded command with unknown op %s", c.op))
}

// put sets key to a copy of value.
func (s *Store) put(key, value []byte) {
	if sl := s.data[string(key)]; sl != nil {
		sl.overwrite(value)
		return
	}
	if s.data == nil {
		s.data = make(map[string]*slot)
	}
	s.data[string(key)] = &slot{value: append([]byte(nil), value...)}
}

// overwrite replaces the slot's value with a copy of v, reusing the buffer
// unless it is too small, or so large that keeping it would hold on to the
// memory of a long value already replaced by a short one.
func (sl *slot) overwrite(v []byte) {
	if c := cap(sl.value); c < len(v) || c > 4*len(v)+64 {
		sl.value = append([]byte(nil), v...)
		return
	}
	sl.value = append(sl.value[:0], v...)
}
