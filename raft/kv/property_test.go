package kv

import (
	"bytes"
	"maps"
	"testing"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/raft"
)

// refStore is the naive reference: the semantics of doc.go written as
// plainly as possible, with none of Store's encodings or buffer reuse.
type refStore struct {
	data     map[string]string
	sessions map[ClientID]refSession
	applied  raft.Index
}

type refSession struct {
	seq  Seq
	resp Response
}

func (r *refStore) apply(c Command) Response {
	r.applied++
	if sess, ok := r.sessions[c.Client]; ok {
		if c.Seq == sess.seq {
			return sess.resp
		}
		if c.Seq < sess.seq {
			return Response{Status: StatusStaleSequence}
		}
	}
	var resp Response
	cur, found := r.data[c.Key]
	switch c.Op {
	case OpGet:
		resp = Response{Status: StatusNotFound}
		if found {
			resp = Response{Status: StatusOK, Value: cur}
		}
	case OpPut:
		r.data[c.Key] = c.Value
		resp = Response{Status: StatusOK}
	case OpAppend:
		resp = Response{Status: StatusValueTooLarge}
		if len(cur)+len(c.Value) <= MaxValueBytes {
			r.data[c.Key] = cur + c.Value
			resp = Response{Status: StatusOK}
		}
	case OpDelete:
		delete(r.data, c.Key)
		resp = Response{Status: StatusOK}
	case OpCAS:
		resp = Response{Status: StatusCASMismatch, Found: found, Value: cur}
		if found && cur == c.Expected {
			r.data[c.Key] = c.Value
			resp = Response{Status: StatusOK}
		}
	}
	r.sessions[c.Client] = refSession{seq: c.Seq, resp: resp}
	return resp
}

// kvMachine drives a Store and the reference with the same entries:
// commands with fresh, skipped, retried and stale sequence numbers from a
// few clients over a few keys, garbage, no-ops, and restarts from a
// snapshot. Every response, read and state must agree.
type kvMachine struct {
	s    *Store
	ref  refStore
	last map[ClientID]Command // The last new command each client sent.
}

var (
	propClients = []ClientID{1, 2, 3}
	propKeys    = []string{"a", "b", ""}
	propValues  = []string{"", "x", "y", "xy"}
)

func (m *kvMachine) drawCommand(t *rapid.T, client ClientID, seq Seq) Command {
	key := rapid.SampledFrom(propKeys).Draw(t, "key")
	switch rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend, OpDelete, OpCAS}).Draw(t, "op") {
	case OpGet:
		return Get(client, seq, key)
	case OpPut:
		return Put(client, seq, key, rapid.SampledFrom(propValues).Draw(t, "value"))
	case OpAppend:
		return Append(client, seq, key, rapid.SampledFrom(propValues).Draw(t, "value"))
	case OpDelete:
		return Delete(client, seq, key)
	}
	return CAS(client, seq, key, rapid.SampledFrom(propValues).Draw(t, "expected"), rapid.SampledFrom(propValues).Draw(t, "new"))
}

// applyBoth applies data to both stores and compares the responses.
func (m *kvMachine) applyBoth(t *rapid.T, data []byte) {
	got := m.s.Apply(normal(m.s, data))
	want := Response{Status: StatusBadCommand}
	if c, err := DecodeCommand(data); err == nil {
		want = m.ref.apply(c)
	} else {
		m.ref.applied++
	}
	resp, err := DecodeResponse(got)
	if err != nil {
		t.Fatalf("entry %d (%x): response %x does not decode: %v", m.s.AppliedIndex(), data, got, err)
	}
	if resp != want {
		t.Fatalf("entry %d (%x): response %s, reference %s", m.s.AppliedIndex(), data, resp, want)
	}
}

func (m *kvMachine) newCommand(t *rapid.T) {
	client := rapid.SampledFrom(propClients).Draw(t, "client")
	skip := Seq(rapid.IntRange(0, 2).Draw(t, "skip"))
	c := m.drawCommand(t, client, m.ref.sessions[client].seq+1+skip)
	m.last[client] = c
	m.applyBoth(t, EncodeCommand(c))
}

func (m *kvMachine) retry(t *rapid.T) {
	client := rapid.SampledFrom(propClients).Draw(t, "client")
	c, ok := m.last[client]
	if !ok {
		t.Skip("client has sent nothing")
	}
	m.applyBoth(t, EncodeCommand(c))
}

func (m *kvMachine) stale(t *rapid.T) {
	client := rapid.SampledFrom(propClients).Draw(t, "client")
	last := m.ref.sessions[client].seq
	if last < 2 {
		t.Skip("no sequence number below the last one")
	}
	seq := Seq(rapid.Uint64Range(1, uint64(last)-1).Draw(t, "seq"))
	m.applyBoth(t, EncodeCommand(m.drawCommand(t, client, seq)))
}

func (m *kvMachine) garbage(t *rapid.T) {
	m.applyBoth(t, rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "data"))
}

func (m *kvMachine) noop(t *rapid.T) {
	typ := rapid.SampledFrom([]raft.EntryType{raft.EntryNoop, raft.EntryConfig}).Draw(t, "type")
	if resp := m.s.Apply(raft.Entry{Term: 1, Index: m.s.AppliedIndex() + 1, Type: typ}); resp != nil {
		t.Fatalf("%s entry answered %x", typ, resp)
	}
	m.ref.applied++
}

// restart replaces the Store by one restored from its snapshot, as a
// replica does after a crash or an InstallSnapshot (§7).
func (m *kvMachine) restart(t *rapid.T) {
	snap := m.s.Snapshot()
	r := New()
	if err := r.Restore(snap); err != nil {
		t.Fatalf("Restore of a fresh snapshot: %v", err)
	}
	if again := r.Snapshot(); !bytes.Equal(again, snap) {
		t.Fatalf("restored store snapshots differently:\n%x\n%x", again, snap)
	}
	m.s = r
}

func (m *kvMachine) read(t *rapid.T) {
	key := rapid.SampledFrom(append(propKeys, "never written")).Draw(t, "key")
	v, ok := m.s.Read(key)
	wantV, wantOK := m.ref.data[key]
	if v != wantV || ok != wantOK {
		t.Fatalf("Read(%q) = %q, %v; reference %q, %v", key, v, ok, wantV, wantOK)
	}
}

// check compares the whole state after every action.
func (m *kvMachine) check(t *rapid.T) {
	if m.s.AppliedIndex() != m.ref.applied {
		t.Fatalf("AppliedIndex = %d, reference %d", m.s.AppliedIndex(), m.ref.applied)
	}
	if got := contents(m.s); !maps.Equal(got, m.ref.data) {
		t.Fatalf("state %s, reference %s", formatContents(got), formatContents(m.ref.data))
	}
	if len(m.s.sessions) != len(m.ref.sessions) {
		t.Fatalf("%d sessions, reference %d", len(m.s.sessions), len(m.ref.sessions))
	}
	for c, want := range m.ref.sessions {
		sess := m.s.sessions[c]
		if sess == nil {
			t.Fatalf("client %d has no session; reference at seq %d", c, want.seq)
		}
		resp, err := DecodeResponse(sess.resp)
		if sess.seq != want.seq || err != nil || resp != want.resp {
			t.Fatalf("client %d: session at seq %d with %s (%v); reference seq %d with %s", c, sess.seq, resp, err, want.seq, want.resp)
		}
	}
}

func TestStoreMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &kvMachine{
			s:    New(),
			ref:  refStore{data: map[string]string{}, sessions: map[ClientID]refSession{}},
			last: map[ClientID]Command{},
		}
		t.Repeat(map[string]func(*rapid.T){
			"new":     m.newCommand,
			"retry":   m.retry,
			"stale":   m.stale,
			"garbage": m.garbage,
			"noop":    m.noop,
			"restart": m.restart,
			"read":    m.read,
			"":        m.check,
		})
	})
}
