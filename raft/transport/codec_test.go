package transport

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/raftsim/raftsim/raft"
)

func genMessage() *rapid.Generator[raft.Message] {
	return rapid.Custom(func(t *rapid.T) raft.Message {
		m := raft.Message{
			Type:       raft.MessageType(rapid.IntRange(1, raft.NumMessageTypes-1).Draw(t, "type")),
			From:       raft.NodeID(rapid.Uint64().Draw(t, "from")),
			To:         raft.NodeID(rapid.Uint64().Draw(t, "to")),
			Term:       raft.Term(rapid.Uint64().Draw(t, "term")),
			LogTerm:    raft.Term(rapid.Uint64().Draw(t, "logterm")),
			Index:      raft.Index(rapid.Uint64().Draw(t, "index")),
			Commit:     raft.Index(rapid.Uint64().Draw(t, "commit")),
			Reject:     rapid.Bool().Draw(t, "reject"),
			RejectHint: raft.Index(rapid.Uint64().Draw(t, "hint")),
			Context:    rapid.Uint64().Draw(t, "context"),
		}
		n := rapid.IntRange(0, 5).Draw(t, "entries")
		for i := 0; i < n; i++ {
			e := raft.Entry{
				Term:  raft.Term(rapid.Uint64().Draw(t, "eterm")),
				Index: raft.Index(rapid.Uint64().Draw(t, "eindex")),
				Type:  raft.EntryType(rapid.IntRange(1, 3).Draw(t, "etype")),
				Data:  rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "data"),
			}
			if len(e.Data) == 0 {
				e.Data = nil
			}
			m.Entries = append(m.Entries, e)
		}
		if rapid.Bool().Draw(t, "snap") {
			ids := func(label string) []raft.NodeID {
				var out []raft.NodeID
				for _, v := range rapid.SliceOfN(rapid.Uint64Range(1, 1<<40), 0, 4).Draw(t, label) {
					out = append(out, raft.NodeID(v))
				}
				return out
			}
			c := &raft.SnapshotChunk{Offset: rapid.Uint64().Draw(t, "off"), Total: rapid.Uint64().Draw(t, "total"),
				Data: rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "sdata")}
			c.Meta.Index = raft.Index(rapid.Uint64().Draw(t, "sindex"))
			c.Meta.Term = raft.Term(rapid.Uint64().Draw(t, "sterm"))
			c.Meta.ConfState = raft.ConfState{Voters: ids("v"), Learners: ids("l"), VotersOutgoing: ids("vo"), LearnersNext: ids("ln"),
				AutoLeave: rapid.Bool().Draw(t, "autoleave")}
			if len(c.Data) == 0 {
				c.Data = nil
			}
			m.Snapshot = c
		}
		return m
	})
}

func equalChunks(a, b *raft.SnapshotChunk) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Meta.Index == b.Meta.Index && a.Meta.Term == b.Meta.Term && a.Meta.ConfState.Equal(b.Meta.ConfState) &&
		slices.Equal(a.Meta.ConfState.Voters, b.Meta.ConfState.Voters) &&
		slices.Equal(a.Meta.ConfState.Learners, b.Meta.ConfState.Learners) &&
		slices.Equal(a.Meta.ConfState.VotersOutgoing, b.Meta.ConfState.VotersOutgoing) &&
		slices.Equal(a.Meta.ConfState.LearnersNext, b.Meta.ConfState.LearnersNext) &&
		a.Offset == b.Offset && a.Total == b.Total && bytes.Equal(a.Data, b.Data)
}

func equalMessages(a, b []raft.Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if len(x.Entries) != len(y.Entries) {
			return false
		}
		for j := range x.Entries {
			ex, ey := x.Entries[j], y.Entries[j]
			if ex.Term != ey.Term || ex.Index != ey.Index || ex.Type != ey.Type || !bytes.Equal(ex.Data, ey.Data) {
				return false
			}
		}
		if x.Type != y.Type || x.From != y.From || x.To != y.To || x.Term != y.Term || x.LogTerm != y.LogTerm ||
			x.Index != y.Index || x.Commit != y.Commit || x.Reject != y.Reject || x.RejectHint != y.RejectHint || x.Context != y.Context ||
			!equalChunks(x.Snapshot, y.Snapshot) {
			return false
		}
	}
	return true
}

func TestMessagesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		msgs := rapid.SliceOfN(genMessage(), 0, 8).Draw(t, "msgs")
		frame := AppendFrame(nil, KindMessages, AppendMessages(nil, msgs))
		f, err := ReadFrame(bytes.NewReader(frame), DefaultMaxPayloadBytes)
		if err != nil {
			t.Fatalf("ReadFrame: %v", err)
		}
		got, err := DecodeMessages(f.Payload)
		if err != nil {
			t.Fatalf("DecodeMessages: %v", err)
		}
		if !equalMessages(msgs, got) {
			t.Fatalf("round trip changed the messages:\n%v\n%v", msgs, got)
		}
		for _, m := range msgs {
			if n := len(appendMessage(nil, &m)); n > messageBytes(&m) {
				t.Fatalf("messageBytes %d under the encoded size %d", messageBytes(&m), n)
			}
		}
	})
}

func TestBeginEndFrameMatchesAppendFrame(t *testing.T) {
	payload := AppendMessages(nil, []raft.Message{{Type: raft.MsgApp, From: 1, To: 2, Entries: []raft.Entry{{Term: 1, Index: 1, Type: raft.EntryNormal, Data: []byte("x")}}}})
	buf, start := beginFrame([]byte("prefix"))
	buf = append(buf, payload...)
	endFrame(buf, start, KindMessages)
	if want := AppendFrame([]byte("prefix"), KindMessages, payload); !bytes.Equal(buf, want) {
		t.Fatalf("beginFrame/endFrame gave %x, AppendFrame %x", buf, want)
	}
}

// Each damage must be caught, with the reason named.
func TestReadFrameRefusesDamage(t *testing.T) {
	good := AppendFrame(nil, KindMessages, AppendMessages(nil, []raft.Message{{Type: raft.MsgHeartbeat, From: 1, To: 2, Term: 3}}))
	damage := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"flipped payload bit", damage(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum"},
		{"flipped crc", damage(func(b []byte) []byte { b[7] ^= 0x80; return b }), "checksum"},
		{"other version", damage(func(b []byte) []byte { b[4] = 2; return b }), "version 2"},
		{"unknown kind", damage(func(b []byte) []byte { b[5] = 99; return b }), "unknown kind 99"},
		{"zero kind", damage(func(b []byte) []byte { b[5] = 0; return b }), "unknown kind 0"},
		{"huge length", damage(func(b []byte) []byte { b[3] = 0xff; return b }), "exceeds the limit"},
		{"cut payload", good[:len(good)-2], "payload cut short"},
		{"cut header", good[:5], "header cut short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(c.b), 1<<20)
			if !errors.Is(err, ErrFrame) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadFrame = %v, want ErrFrame with %q", err, c.want)
			}
		})
	}
	if _, err := ReadFrame(bytes.NewReader(nil), 1<<20); err != io.EOF {
		t.Fatalf("ReadFrame of nothing = %v, want io.EOF", err)
	}
}

func TestDecodeMessagesRefusesBadPayloads(t *testing.T) {
	one := AppendMessages(nil, []raft.Message{{Type: raft.MsgApp, From: 1, To: 2, Entries: []raft.Entry{{Term: 1, Index: 1, Type: raft.EntryNormal, Data: []byte("abc")}}}})
	cases := []struct {
		name string
		p    []byte
		want string
	}{
		{"count past the bytes", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, "message count"},
		{"type zero", append([]byte{1, 0}, make([]byte, 11)...), "unknown message type 0"},
		{"type past the last", append([]byte{1, byte(raft.NumMessageTypes)}, make([]byte, 11)...), "unknown message type"},
		{"trailing byte", append(append([]byte(nil), one...), 0), "after the last message"},
		{"cut entry data", one[:len(one)-2], "entry data"},
		{"snapshot byte 2", append(append([]byte(nil), one[:len(one)-1]...), 2), "snapshot byte 2"},
		{"snapshot cut short", append(append([]byte(nil), one[:len(one)-1]...), 1, 5), "snapshot term"},
		// A chunk of snapshot 5/1 with an empty configuration, then an
		// auto-leave byte that is neither 0 nor 1.
		{"auto-leave byte 2", append(append([]byte(nil), one[:len(one)-1]...), 1, 5, 1, 0, 0, 0, 0, 2, 0, 0, 0), "auto-leave byte 2"},
		{"reject byte 2", func() []byte {
			b := AppendMessages(nil, []raft.Message{{Type: raft.MsgAppResp, From: 1, To: 2}})
			b[8] = 2
			return b
		}(), "reject byte 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeMessages(c.p)
			if !errors.Is(err, ErrFrame) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeMessages = %v, want ErrFrame with %q", err, c.want)
			}
		})
	}
}

// A frame header that claims a huge payload, or a payload that claims
// huge counts, must not make the decoder allocate for the claim.
func TestDecodeDoesNotAllocateForClaims(t *testing.T) {
	hdr := []byte{0xff, 0xff, 0xff, 0x7f, Version, byte(KindMessages), 0, 0, 0, 0}
	counts := []byte{1, byte(raft.MsgApp), 1, 2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		if _, err := ReadFrame(bytes.NewReader(hdr), 1<<30); err == nil {
			t.Fatal("ReadFrame accepted a header with no payload")
		}
		if _, err := DecodeMessages(counts); err == nil {
			t.Fatal("DecodeMessages accepted an entry count past the payload")
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("100 decodes of lying headers allocated %d bytes", grew)
	}
}

func TestHelloRoundTrip(t *testing.T) {
	h := Hello{Cluster: 1 << 60, From: 3, To: 9, ClientAddr: "127.0.0.1:6379"}
	got, err := DecodeHello(AppendHello(nil, h))
	if err != nil || got != h {
		t.Fatalf("DecodeHello = %+v, %v; want %+v", got, err, h)
	}
	if _, err := DecodeHello(append(AppendHello(nil, h), 0)); !errors.Is(err, ErrFrame) {
		t.Fatalf("DecodeHello with a trailing byte = %v, want ErrFrame", err)
	}
	if _, err := DecodeHello([]byte{1, 2}); !errors.Is(err, ErrFrame) {
		t.Fatalf("DecodeHello of 2 bytes = %v, want ErrFrame", err)
	}
}
