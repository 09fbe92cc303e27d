package kv

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// normal returns the EntryNormal that s applies next, carrying data.
func normal(s *Store, data []byte) raft.Entry {
	return raft.Entry{Term: 1, Index: s.AppliedIndex() + 1, Type: raft.EntryNormal, Data: data}
}

// applyData applies data as the next entry and decodes the response.
func applyData(t testing.TB, s *Store, data []byte) Response {
	t.Helper()
	b := s.Apply(normal(s, data))
	r, err := DecodeResponse(b)
	if err != nil {
		t.Fatalf("apply %x: response %x does not decode: %v", data, b, err)
	}
	return r
}

// applyCmd applies c as the next entry and decodes the response.
func applyCmd(t testing.TB, s *Store, c Command) Response {
	t.Helper()
	return applyData(t, s, EncodeCommand(c))
}

// contents returns every key and value in s.
func contents(s *Store) map[string]string {
	m := make(map[string]string, len(s.data))
	for k, sl := range s.data {
		m[k] = string(sl.value)
	}
	return m
}

// formatContents renders a key-value map in key order for messages.
func formatContents(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%q=%q ", k, m[k])
	}
	return "{" + strings.TrimSpace(b.String()) + "}"
}

// mustPanic runs f and returns the panic's message, failing if f returns.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("no panic")
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

func TestApplyOps(t *testing.T) {
	const c1, c2 = ClientID(1), ClientID(2)
	long := strings.Repeat("L", 200)
	almostFull := strings.Repeat("f", MaxValueBytes-1)
	tests := []struct {
		name  string
		setup []Command // applied first, by client c1 with seqs 1, 2, ...
		cmd   Command   // applied next, by client c2
		want  Response
		state map[string]string // every key after cmd
	}{
		{"get missing", nil, Get(c2, 1, "k"),
			Response{Status: StatusNotFound}, map[string]string{}},
		{"get present", []Command{Put(c1, 1, "k", "v")}, Get(c2, 1, "k"),
			Response{Status: StatusOK, Value: "v"}, map[string]string{"k": "v"}},
		{"get empty value", []Command{Put(c1, 1, "k", "")}, Get(c2, 1, "k"),
			Response{Status: StatusOK}, map[string]string{"k": ""}},
		{"get after delete", []Command{Put(c1, 1, "k", "v"), Delete(c1, 2, "k")}, Get(c2, 1, "k"),
			Response{Status: StatusNotFound}, map[string]string{}},
		{"put new", nil, Put(c2, 1, "k", "v"),
			Response{Status: StatusOK}, map[string]string{"k": "v"}},
		{"put overwrite shorter", []Command{Put(c1, 1, "k", long)}, Put(c2, 1, "k", "s"),
			Response{Status: StatusOK}, map[string]string{"k": "s"}},
		{"put overwrite longer", []Command{Put(c1, 1, "k", "s")}, Put(c2, 1, "k", long),
			Response{Status: StatusOK}, map[string]string{"k": long}},
		{"put empty key", nil, Put(c2, 1, "", "v"),
			Response{Status: StatusOK}, map[string]string{"": "v"}},
		{"put leaves other keys", []Command{Put(c1, 1, "a", "1")}, Put(c2, 1, "b", "2"),
			Response{Status: StatusOK}, map[string]string{"a": "1", "b": "2"}},
		{"append missing creates", nil, Append(c2, 1, "k", "x"),
			Response{Status: StatusOK}, map[string]string{"k": "x"}},
		{"append empty to missing creates", nil, Append(c2, 1, "k", ""),
			Response{Status: StatusOK}, map[string]string{"k": ""}},
		{"append existing", []Command{Put(c1, 1, "k", "a")}, Append(c2, 1, "k", "b"),
			Response{Status: StatusOK}, map[string]string{"k": "ab"}},
		{"append up to the limit", []Command{Put(c1, 1, "k", almostFull)}, Append(c2, 1, "k", "x"),
			Response{Status: StatusOK}, map[string]string{"k": almostFull + "x"}},
		{"append past the limit", []Command{Put(c1, 1, "k", almostFull)}, Append(c2, 1, "k", "xy"),
			Response{Status: StatusValueTooLarge}, map[string]string{"k": almostFull}},
		{"delete missing", nil, Delete(c2, 1, "k"),
			Response{Status: StatusOK}, map[string]string{}},
		{"delete present", []Command{Put(c1, 1, "k", "v"), Put(c1, 2, "o", "w")}, Delete(c2, 1, "k"),
			Response{Status: StatusOK}, map[string]string{"o": "w"}},
		{"cas match", []Command{Put(c1, 1, "k", "a")}, CAS(c2, 1, "k", "a", "b"),
			Response{Status: StatusOK}, map[string]string{"k": "b"}},
		{"cas match empty", []Command{Put(c1, 1, "k", "")}, CAS(c2, 1, "k", "", "b"),
			Response{Status: StatusOK}, map[string]string{"k": "b"}},
		{"cas mismatch", []Command{Put(c1, 1, "k", "z")}, CAS(c2, 1, "k", "a", "b"),
			Response{Status: StatusCASMismatch, Found: true, Value: "z"}, map[string]string{"k": "z"}},
		{"cas mismatch empty value", []Command{Put(c1, 1, "k", "")}, CAS(c2, 1, "k", "a", "b"),
			Response{Status: StatusCASMismatch, Found: true}, map[string]string{"k": ""}},
		{"cas missing", nil, CAS(c2, 1, "k", "a", "b"),
			Response{Status: StatusCASMismatch}, map[string]string{}},
		{"cas missing expecting empty", nil, CAS(c2, 1, "k", "", "b"),
			Response{Status: StatusCASMismatch}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			for _, c := range tt.setup {
				if r := applyCmd(t, s, c); r.Status != StatusOK {
					t.Fatalf("setup %s: %s", c, r)
				}
			}
			if got := applyCmd(t, s, tt.cmd); got != tt.want {
				t.Errorf("%s: got %s, want %s", tt.cmd, got, tt.want)
			}
			if got := contents(s); !maps.Equal(got, tt.state) {
				t.Errorf("%s: state %.200s, want %.200s", tt.cmd, formatContents(got), formatContents(tt.state))
			}
			for k, want := range tt.state {
				if v, ok := s.Read(k); !ok || v != want {
					t.Errorf("Read(%q) = %.40q, %v; want %.40q, true", k, v, ok, want)
				}
			}
			if want := raft.Index(len(tt.setup) + 1); s.AppliedIndex() != want {
				t.Errorf("AppliedIndex = %d, want %d", s.AppliedIndex(), want)
			}
		})
	}
}

func TestZeroStoreIsUsable(t *testing.T) {
	var s Store
	if got := applyCmd(t, &s, Append(1, 1, "k", "v")); got.Status != StatusOK {
		t.Fatalf("Append on the zero Store: %s", got)
	}
	var empty Store
	if !bytes.Equal(empty.Snapshot(), New().Snapshot()) {
		t.Errorf("the zero Store and New() snapshot differently")
	}
	if v, ok := s.Read("k"); v != "v" || !ok {
		t.Errorf(`Read("k") = %q, %v; want "v", true`, v, ok)
	}
}

func TestReadMissing(t *testing.T) {
	s := New()
	applyCmd(t, s, Put(1, 1, "a", "1"))
	if v, ok := s.Read("b"); ok || v != "" {
		t.Errorf(`Read("b") = %q, %v; want "", false`, v, ok)
	}
}

// The store overwrites value buffers in place, so everything it hands out
// must be a copy: a Get response, a Read result, a snapshot.
func TestNothingAliasesValueBuffers(t *testing.T) {
	s := New()
	applyCmd(t, s, Put(1, 1, "k", "aaaa"))
	getResp := s.Apply(normal(s, EncodeCommand(Get(2, 1, "k"))))
	read, _ := s.Read("k")
	snap := s.Snapshot()
	kept := bytes.Clone(getResp)
	applyCmd(t, s, Put(1, 2, "k", "bbbb")) // Same length: reuses the buffer.
	if !bytes.Equal(getResp, kept) {
		t.Errorf("Get response changed from %q to %q after a later Put", kept, getResp)
	}
	if read != "aaaa" {
		t.Errorf("Read result changed to %q after a later Put", read)
	}
	r := New()
	if err := r.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if v, _ := r.Read("k"); v != "aaaa" {
		t.Errorf("snapshot taken before the Put restores %q, want %q", v, "aaaa")
	}
}

// The caller owns each entry's data and may reuse it once Apply returns:
// the store must keep copies.
func TestApplyDoesNotRetainEntryData(t *testing.T) {
	s := New()
	long := strings.Repeat("w", 100)
	applyCmd(t, s, Put(1, 1, "old", "v"))
	for _, c := range []Command{
		Put(1, 2, "new", "v"),          // New key.
		Put(1, 3, "old", long),         // Overwrite, growing.
		Append(1, 4, "appended", "v"),  // Append creating the key.
		CAS(1, 5, "old", long, "x"),    // Swap, shrinking.
		Append(1, 6, "appended", "vv"), // Append to the key.
	} {
		data := EncodeCommand(c)
		s.Apply(normal(s, data))
		for j := range data {
			data[j] = '#'
		}
	}
	want := map[string]string{"old": "x", "new": "v", "appended": "vvv"}
	if got := contents(s); !maps.Equal(got, want) {
		t.Errorf("state %s after the callers reused their buffers, want %s", formatContents(got), formatContents(want))
	}
}

func TestApplyNoopAndConfigOnlyAdvanceIndex(t *testing.T) {
	s := New()
	applyCmd(t, s, Put(1, 1, "k", "v"))
	before := s.Snapshot()
	for i, typ := range []raft.EntryType{raft.EntryNoop, raft.EntryConfig, raft.EntryNoop} {
		e := raft.Entry{Term: 2, Index: s.AppliedIndex() + 1, Type: typ, Data: []byte{byte(OpDelete), 1, 2, 1, 'k'}}
		if resp := s.Apply(e); resp != nil {
			t.Errorf("Apply(%s) = %x, want nil", e, resp)
		}
		if want := raft.Index(i + 2); s.AppliedIndex() != want {
			t.Errorf("after %s: AppliedIndex = %d, want %d", e, s.AppliedIndex(), want)
		}
	}
	if got := contents(s); !maps.Equal(got, map[string]string{"k": "v"}) {
		t.Errorf("state %s, want the Put's only", formatContents(got))
	}
	if s.sessions[1].seq != 1 {
		t.Errorf("session of client 1 at seq %d, want 1", s.sessions[1].seq)
	}
	if bytes.Equal(before, s.Snapshot()) {
		t.Errorf("snapshot did not change although the applied index did")
	}
}

func TestApplyPanicsOutOfOrder(t *testing.T) {
	tests := []struct {
		name  string
		index raft.Index
	}{
		{"gap", 5},
		{"replay", 3},
		{"rewind", 1},
		{"zero", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			for seq := Seq(1); seq <= 3; seq++ {
				applyCmd(t, s, Append(1, seq, "k", "x"))
			}
			msg := mustPanic(t, func() {
				s.Apply(raft.Entry{Term: 1, Index: tt.index, Type: raft.EntryNormal, Data: EncodeCommand(Append(1, 4, "k", "x"))})
			})
			for _, want := range []string{fmt.Sprintf("entry %d", tt.index), "applied index is 3"} {
				if !strings.Contains(msg, want) {
					t.Errorf("panic %q does not contain %q", msg, want)
				}
			}
			if v, _ := s.Read("k"); v != "xxx" {
				t.Errorf("value %q after the refused Apply, want %q", v, "xxx")
			}
		})
	}
}

func TestApplyPanicsOnUnknownEntryType(t *testing.T) {
	s := New()
	msg := mustPanic(t, func() { s.Apply(raft.Entry{Term: 1, Index: 1, Type: 0}) })
	if !strings.Contains(msg, "EntryType(0)") {
		t.Errorf("panic %q does not name the type", msg)
	}
}

func TestApplyBadCommand(t *testing.T) {
	put := EncodeCommand(Put(9, 1, "k", "v"))
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"op zero", []byte{0, 9, 1, 1, 'k'}},
		{"unknown op", []byte{byte(opLimit), 9, 1, 1, 'k'}},
		{"truncated", put[:len(put)-1]},
		{"trailing byte", append(bytes.Clone(put), 0)},
		{"client zero", []byte{byte(OpDelete), 0, 1, 1, 'k'}},
		{"seq zero", []byte{byte(OpDelete), 9, 0, 1, 'k'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			applyCmd(t, s, Put(1, 1, "k", "old"))
			if got := applyData(t, s, tt.data); got != (Response{Status: StatusBadCommand}) {
				t.Errorf("Apply(%x) = %s, want BadCommand", tt.data, got)
			}
			if s.AppliedIndex() != 2 {
				t.Errorf("AppliedIndex = %d, want 2", s.AppliedIndex())
			}
			if got := contents(s); !maps.Equal(got, map[string]string{"k": "old"}) {
				t.Errorf("state %s after a bad command", formatContents(got))
			}
			if len(s.sessions) != 1 {
				t.Errorf("%d sessions, want only client 1's", len(s.sessions))
			}
		})
	}
}
