package transport

import (
	"bytes"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the payload
// decoders: they must return an error or a value, never panic, and a
// decoded batch must encode and decode to the same messages.
func FuzzReadFrame(f *testing.F) {
	msgs := []raft.Message{
		{Type: raft.MsgApp, From: 1, To: 2, Term: 3, LogTerm: 2, Index: 7, Commit: 6,
			Entries: []raft.Entry{{Term: 3, Index: 8, Type: raft.EntryNormal, Data: []byte("set x 1")}, {Term: 3, Index: 9, Type: raft.EntryNoop}}},
		{Type: raft.MsgAppResp, From: 2, To: 1, Term: 3, Index: 7, Reject: true, RejectHint: 5, LogTerm: 1},
		{Type: raft.MsgHeartbeat, From: 1, To: 3, Term: 3, Commit: 9, Context: 12},
		{Type: raft.MsgSnap, From: 1, To: 2, Term: 3, Index: 9, LogTerm: 3, Context: 1, Snapshot: &raft.SnapshotChunk{
			Meta:   raft.SnapshotMeta{Index: 9, Term: 3, ConfState: raft.ConfState{Voters: []raft.NodeID{1, 2, 3}}},
			Offset: 0, Total: 5, Data: []byte("kvS\x01x")}},
	}
	f.Add(AppendFrame(nil, KindMessages, AppendMessages(nil, msgs)))
	f.Add(AppendFrame(nil, KindHello, AppendHello(nil, Hello{Cluster: 7, From: 1, To: 2, ClientAddr: "127.0.0.1:1"})))
	f.Add(AppendFrame(nil, KindRefuse, []byte("no")))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 4, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for i := 0; i < 4; i++ {
			fr, err := ReadFrame(r, 1<<16)
			if err != nil {
				return
			}
			if len(fr.Raw) != HeaderBytes+len(fr.Payload) {
				t.Fatalf("frame of %d raw bytes has a payload of %d", len(fr.Raw), len(fr.Payload))
			}
			DecodeHello(fr.Payload)
			got, err := DecodeMessages(fr.Payload)
			if err != nil {
				continue
			}
			again, err := DecodeMessages(AppendMessages(nil, got))
			if err != nil || !equalMessages(got, again) {
				t.Fatalf("re-encoding a decoded batch: %v", err)
			}
		}
		// The payload decoder alone, on the raw bytes.
		DecodeMessages(b)
	})
}
