package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// populated returns a Store with every kind of key, value and session.
func populated(t testing.TB) *Store {
	t.Helper()
	s := New()
	cmds := []Command{
		Put(1, 1, "a", "1"),
		Put(2, 1, "", "empty key"),
		Put(3, 1, "empty value", ""),
		Append(4, 3, "\x00\xff", "binary"),
		Get(5, 1, "a"),
		Get(6, 1, "missing"),
		CAS(7, 1, "a", "x", "y"),
		CAS(8, 1, "missing", "x", "y"),
		Put(300, 70000, "big ids", "v"),
		Delete(1, 2, "gone"),
	}
	for i, c := range cmds {
		applyCmd(t, s, c)
		if i%3 == 0 {
			s.Apply(raft.Entry{Term: 1, Index: s.AppliedIndex() + 1, Type: raft.EntryNoop})
		}
	}
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := populated(t)
	snap := s.Snapshot()
	r := New()
	applyCmd(t, r, Put(99, 1, "stale key", "from before the restore"))
	if err := r.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := r.Snapshot(); !bytes.Equal(got, snap) {
		t.Errorf("restored store snapshots to\n%x\nwant\n%x", got, snap)
	}
	if r.Digest() != s.Digest() {
		t.Errorf("digests differ after a round trip")
	}
	if r.AppliedIndex() != s.AppliedIndex() {
		t.Errorf("AppliedIndex = %d, want %d", r.AppliedIndex(), s.AppliedIndex())
	}
	if got, want := contents(r), contents(s); !maps.Equal(got, want) {
		t.Errorf("restored state %s, want %s", formatContents(got), formatContents(want))
	}
	if _, ok := r.Read("stale key"); ok {
		t.Errorf("Restore kept a key from before")
	}

	// Sessions survive: retries are still answered from them, on both
	// stores alike, and the log continues after the snapshot's index.
	for _, c := range []Command{
		Append(4, 3, "\x00\xff", "binary"), // Retry: not applied again.
		Get(5, 1, "a"),                     // Retry: the original value.
		Append(4, 2, "\x00\xff", "stale"),  // Stale.
		Append(4, 4, "\x00\xff", "!"),      // New.
	} {
		want := s.Apply(normal(s, EncodeCommand(c)))
		got := r.Apply(normal(r, EncodeCommand(c)))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: restored store answers %x, original %x", c, got, want)
		}
	}
	if v, _ := r.Read("\x00\xff"); v != "binary!" {
		t.Errorf("value %q after retries, want %q", v, "binary!")
	}
	if r.Digest() != s.Digest() {
		t.Errorf("digests differ after applying the same entries")
	}
}

func TestSnapshotOfEmptyStore(t *testing.T) {
	// Magic, applied 0, no keys, no sessions, CRC-32C.
	want := seal(uv(0), uv(0), uv(0))
	if got := New().Snapshot(); !bytes.Equal(got, want) {
		t.Errorf("empty snapshot %x, want %x", got, want)
	}
}

// The snapshot layout is pinned: snapshots outlive the code that wrote
// them.
func TestSnapshotLayout(t *testing.T) {
	s := New()
	applyCmd(t, s, Put(2, 5, "b", "B"))
	applyCmd(t, s, Get(1, 7, "b"))
	applyCmd(t, s, Put(2, 6, "a", ""))
	want := seal(
		uv(3), // Applied index.
		uv(2), // Keys, sorted.
		str("a"), str(""),
		str("b"), str("B"),
		uv(2),                          // Sessions, sorted by client.
		uv(1), uv(7), str("\x01\x01B"), // Seq 7 answered OK "B".
		uv(2), uv(6), str("\x01\x00"), // Seq 6 answered OK.
	)
	if got := s.Snapshot(); !bytes.Equal(got, want) {
		t.Errorf("snapshot\n%x\nwant\n%x", got, want)
	}
}

// Equal states give identical bytes whatever the order in which their maps
// were filled; Go randomizes map iteration, so with hundreds of keys and
// clients an unsorted encoding would fail this.
func TestSnapshotDeterministic(t *testing.T) {
	const n = 300
	forward, backward := New(), New()
	for i := range n {
		applyCmd(t, forward, Put(ClientID(i+1), 1, fmt.Sprintf("key%03d", i), fmt.Sprint(i)))
		j := n - 1 - i
		applyCmd(t, backward, Put(ClientID(j+1), 1, fmt.Sprintf("key%03d", j), fmt.Sprint(j)))
	}
	a, b := forward.Snapshot(), backward.Snapshot()
	if !bytes.Equal(a, b) {
		t.Fatalf("same state filled in two orders gives different snapshots")
	}
	for range 5 {
		if again := forward.Snapshot(); !bytes.Equal(again, a) {
			t.Fatalf("two snapshots of one state differ")
		}
	}
	if forward.Digest() != backward.Digest() {
		t.Errorf("same state, different digests")
	}
}

// The digest tells apart states that differ in any part: a value, a
// session, the applied index.
func TestDigestDistinguishesStates(t *testing.T) {
	base := populated(t).Digest()
	changes := map[string]func(s *Store){
		"value":         func(s *Store) { applyCmd(t, s, Put(1, 9, "a", "2")) },
		"same value":    func(s *Store) { applyCmd(t, s, Put(1, 9, "a", "1")) }, // Session and index move.
		"noop":          func(s *Store) { s.Apply(raft.Entry{Term: 2, Index: s.AppliedIndex() + 1, Type: raft.EntryNoop}) },
		"stale command": func(s *Store) { applyCmd(t, s, Put(1, 1, "a", "1")) }, // Only the index moves.
	}
	for name, change := range changes {
		s := populated(t)
		change(s)
		if s.Digest() == base {
			t.Errorf("%s: digest unchanged", name)
		}
	}
	if populated(t).Digest() != base {
		t.Errorf("two stores built alike have different digests")
	}
}

// seal frames a snapshot body: the magic, the fields, and the CRC-32C.
func seal(fields ...[]byte) []byte {
	b := []byte(snapshotMagic)
	for _, f := range fields {
		b = append(b, f...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func uv(v uint64) []byte  { return binary.AppendUvarint(nil, v) }
func str(s string) []byte { return appendString(nil, s) }

func TestRestoreRejects(t *testing.T) {
	ok := str("\x01\x00")
	valid := populated(t).Snapshot()
	flipped := func(i int) []byte {
		b := bytes.Clone(valid)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic only", []byte(snapshotMagic), "too short"},
		{"unknown magic", append([]byte("kvS\x03"), seal(uv(0), uv(0), uv(0))[4:]...), "unknown magic"},
		{"checksum flipped", flipped(len(valid) - 1), "checksum"},
		{"body flipped", flipped(len(valid) / 2), "checksum"},
		{"truncated", valid[:len(valid)-1], "checksum"},
		{"no applied index", seal(), "applied index: truncated"},
		{"non-minimal applied index", seal([]byte{0x80, 0x00}, uv(0), uv(0)), "non-minimal"},
		{"no sessions", seal(uv(0), uv(0)), "session count: truncated"},
		{"trailing", seal(uv(0), uv(0), uv(0), []byte{0}), "1 trailing bytes"},
		{"key count too large", seal(uv(0), uv(1000), uv(0)), "1000 keys cannot fit"},
		{"key missing value", seal(uv(0), uv(1), str("k")), "value length: truncated"},
		{"keys unsorted", seal(uv(0), uv(2), str("b"), str(""), str("a"), str(""), uv(0)), `("a") does not sort after "b"`},
		{"keys duplicate", seal(uv(0), uv(2), str("a"), str("1"), str("a"), str("2"), uv(0)), `("a") does not sort after "a"`},
		{"key too long", seal(uv(0), uv(1), str(strings.Repeat("k", MaxKeyBytes+1)), str(""), uv(0)), "exceeds the limit"},
		{"session count too large", seal(uv(0), uv(0), uv(100), uv(1), uv(1), ok), "100 sessions cannot fit"},
		{"client zero", seal(uv(0), uv(0), uv(1), uv(0), uv(1), ok), "client 0 does not sort after 0"},
		{"clients unsorted", seal(uv(0), uv(0), uv(2), uv(2), uv(1), ok, uv(1), uv(1), ok), "client 1 does not sort after 2"},
		{"clients duplicate", seal(uv(0), uv(0), uv(2), uv(1), uv(1), ok, uv(1), uv(2), ok), "client 1 does not sort after 1"},
		{"seq zero", seal(uv(0), uv(0), uv(1), uv(1), uv(0), ok), "sequence number is zero"},
		{"response malformed", seal(uv(0), uv(0), uv(1), uv(1), uv(1), str("\x01")), "value length: truncated"},
		{"response unknown", seal(uv(0), uv(0), uv(1), uv(1), uv(1), str("\x09")), "unknown status 9"},
		{"response stale", seal(uv(0), uv(0), uv(1), uv(1), uv(1), str("\x04")), "StaleSequence is never recorded"},
		{"response bad command", seal(uv(0), uv(0), uv(1), uv(1), uv(1), str("\x05")), "BadCommand is never recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := populated(t)
			before := s.Snapshot()
			err := s.Restore(tt.data)
			if err == nil {
				t.Fatalf("Restore(%.60x) = nil, want an error", tt.data)
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Restore error %v: want ErrMalformed containing %q", err, tt.want)
			}
			if !bytes.Equal(s.Snapshot(), before) {
				t.Errorf("failed Restore changed the store")
			}
		})
	}
}

// FuzzRestore checks that Restore never panics and accepts exactly what
// Snapshot produces. The fuzzer mutates the body, which is then framed with
// a valid checksum, so that it reaches the parser; the raw bytes are tried
// too.
func FuzzRestore(f *testing.F) {
	for _, snap := range [][]byte{New().Snapshot(), populated(f).Snapshot()} {
		f.Add(snap[len(snapshotMagic) : len(snap)-snapshotTrailerBytes])
	}
	f.Add(bytes.Join([][]byte{uv(1), uv(1), str("k"), str("v"), uv(1), uv(1), uv(1), str("\x03\x01\x01v")}, nil))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, data := range [][]byte{seal(body), body} {
			s := New()
			if err := s.Restore(data); err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Restore(%x): error %v does not wrap ErrMalformed", data, err)
				}
				continue
			}
			if again := s.Snapshot(); !bytes.Equal(again, data) {
				t.Fatalf("Restore(%x) succeeded, but the store snapshots to %x", data, again)
			}
		}
	})
}
