package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

func encodeFrame(typ recordType, payload []byte) []byte {
	buf, start := beginFrame(nil, typ)
	buf = append(buf, payload...)
	endFrame(buf, start)
	return buf
}

// sampleFrames holds one valid frame of each type.
func sampleFrames() [][]byte {
	ents := []raft.Entry{
		{Term: 3, Index: 7, Type: raft.EntryNormal, Data: []byte("put x=1")},
		{Term: 3, Index: 8, Type: raft.EntryNoop},
		{Term: 4, Index: 9, Type: raft.EntryConfig, Data: []byte{1, 2, 3}},
	}
	return [][]byte{
		encodeFrame(recordEntries, appendEntries(nil, ents)),
		encodeFrame(recordHardState, appendHardState(nil, raft.HardState{Term: 4, Vote: 2, Commit: 8})),
		encodeFrame(recordTruncate, appendTruncate(nil, 5)),
	}
}

func TestFrameLayout(t *testing.T) {
	f := encodeFrame(recordTruncate, appendTruncate(nil, 0x0102))
	want := []byte{
		8, 0, 0, 0, // length
		0, 0, 0, 0, // checksum, checked below
		3,                      // type truncate
		2, 1, 0, 0, 0, 0, 0, 0, // index 0x0102
	}
	sum := binary.LittleEndian.Uint32(f[4:])
	copy(want[4:8], f[4:8])
	if !bytes.Equal(f, want) {
		t.Fatalf("frame %x, want %x", f, want)
	}
	// CRC-32C of type and payload, computed independently of the table.
	if got := crc32cBitwise(f[8:]); got != sum {
		t.Fatalf("checksum %#08x, want CRC-32C %#08x", sum, got)
	}
}

// crc32cBitwise is the textbook reflected CRC-32C (polynomial 0x82F63B78).
func crc32cBitwise(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ 0x82F63B78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func TestDecodeFrameRoundTrip(t *testing.T) {
	for _, f := range sampleFrames() {
		typ, payload, n, ferr := decodeFrame(append(slices.Clone(f), 0xAA, 0xBB)) // Trailing bytes are the next record's.
		if ferr != nil || n != len(f) {
			t.Fatalf("decodeFrame(%x) = %d bytes, %v", f, n, ferr)
		}
		if err := checkPayload(typ, payload); err != nil {
			t.Fatalf("%s payload: %v", typ, err)
		}
		if re := encodeFrame(typ, payload); !bytes.Equal(re, f) {
			t.Fatalf("re-encoded %x, want %x", re, f)
		}
	}
	var got []raft.Entry
	_, p, _, _ := decodeFrame(sampleFrames()[0])
	first, count, err := walkEntries(p, func(e raft.Entry) { got = append(got, e) })
	if err != nil || first != 7 || count != 3 || got[2].Index != 9 || got[2].Type != raft.EntryConfig || got[1].Data != nil {
		t.Fatalf("walkEntries = %d, %d, %v: %v", first, count, err, got)
	}
}

func TestDecodeFrameRejects(t *testing.T) {
	good := sampleFrames()[1]
	long := slices.Clone(good)
	binary.LittleEndian.PutUint32(long, recordPayloadBytesMax+1)
	flipped := slices.Clone(good)
	flipped[12] ^= 1
	tests := []struct {
		name, reason string
		b            []byte
	}{
		{"empty", "truncated record header", nil},
		{"short header", "truncated record header", good[:5]},
		{"short payload", "truncated record", good[:len(good)-1]},
		{"length over the limit", "exceeds the limit", long},
		{"flipped payload bit", "checksum mismatch", flipped},
		{"zeros", "checksum mismatch", make([]byte, 16)},
	}
	for _, tc := range tests {
		if _, _, _, ferr := decodeFrame(tc.b); ferr == nil || !strings.Contains(ferr.reason, tc.reason) {
			t.Errorf("%s: decodeFrame = %v, want %q", tc.name, ferr, tc.reason)
		}
	}
}

func TestCheckPayloadRejects(t *testing.T) {
	ents := appendEntries(nil, []raft.Entry{{Term: 1, Index: 1, Data: []byte("ab")}})
	tests := []struct {
		name string
		typ  recordType
		p    []byte
	}{
		{"hard state too long", recordHardState, make([]byte, 25)},
		{"truncate too short", recordTruncate, make([]byte, 7)},
		{"truncate at 0", recordTruncate, make([]byte, 8)},
		{"entries cut", recordEntries, ents[:len(ents)-1]},
		{"entries trailing byte", recordEntries, append(slices.Clone(ents), 0)},
		{"entries count 0", recordEntries, binary.LittleEndian.AppendUint32(slices.Clone(ents[:8]), 0)},
		{"entries at index 0", recordEntries, append(make([]byte, 8), ents[8:]...)},
		{"unknown type", 0, nil},
	}
	for _, tc := range tests {
		if err := checkPayload(tc.typ, tc.p); err == nil {
			t.Errorf("%s: checkPayload accepted %x", tc.name, tc.p)
		}
	}
}

func TestFindRecord(t *testing.T) {
	rec := sampleFrames()[1]
	if _, v := findRecord(make([]byte, 4096), tailSearchHashBytesMax); v != searchNone {
		t.Errorf("zeros: verdict %d, want none", v)
	}
	b := slices.Concat(make([]byte, 37), rec, make([]byte, 5))
	if at, v := findRecord(b, tailSearchHashBytesMax); v != searchFound || at != 37 {
		t.Errorf("record at 37: found at %d, verdict %d", at, v)
	}
	// A plausible entries header with a wrong checksum costs its length.
	fake := encodeFrame(recordEntries, appendEntries(nil, []raft.Entry{{Term: 1, Index: 1, Data: make([]byte, 1000)}}))
	fake[5] ^= 1
	if _, v := findRecord(fake, 500); v != searchExhausted {
		t.Errorf("budget below one candidate: verdict %d, want exhausted", v)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	noise := make([]byte, 1<<20)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	if _, v := findRecord(noise, 64<<20); v != searchNone {
		t.Errorf("1 MiB of noise: verdict %d, want none within a 64 MiB budget", v)
	}
}

// FuzzDecodeFrame: arbitrary bytes never panic the decoder, and whatever
// decodes cleanly re-encodes to the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range sampleFrames() {
		f.Add(fr)
		f.Add(fr[:len(fr)-1])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, n, ferr := decodeFrame(b)
		findRecord(b, 1<<20)
		if ferr != nil {
			return
		}
		if n > len(b) || n != frameHeaderBytes+len(payload) {
			t.Fatalf("decodeFrame consumed %d of %d bytes with a %d-byte payload", n, len(b), len(payload))
		}
		if checkPayload(typ, payload) != nil {
			return
		}
		var re []byte
		switch typ {
		case recordEntries:
			var ents []raft.Entry
			walkEntries(payload, func(e raft.Entry) { ents = append(ents, e) })
			re = appendEntries(nil, ents)
		case recordHardState:
			hs, _ := decodeHardState(payload)
			re = appendHardState(nil, hs)
		case recordTruncate:
			index, _ := decodeTruncate(payload)
			re = appendTruncate(nil, index)
		}
		if fr := encodeFrame(typ, re); !bytes.Equal(fr, b[:n]) {
			t.Fatalf("re-encoded %x, decoded from %x", fr, b[:n])
		}
	})
}

// FuzzRecover: a segment holding arbitrary bytes after its header either
// fails Open with a CorruptionError or opens; and then a second Open finds
// the same state and nothing more to repair.
func FuzzRecover(f *testing.F) {
	frames := sampleFrames()
	ents := encodeFrame(recordEntries, appendEntries(nil, []raft.Entry{{Term: 1, Index: 1, Data: []byte("x")}}))
	f.Add(slices.Concat(ents, frames[1]))
	f.Add(slices.Concat(ents, frames[1][:7]))
	f.Add(slices.Concat(ents, frames[2], frames[1]))
	f.Add(slices.Concat(ents, make([]byte, 20), frames[1]))
	f.Fuzz(func(t *testing.T, body []byte) {
		dir := t.TempDir()
		seg := slices.Concat(segmentHeader(1, segLink{}), body)
		must(t, os.WriteFile(filepath.Join(dir, segmentName(1)), seg, 0o600))
		s, err := Open(dir, Options{})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want a CorruptionError", err)
			}
			return
		}
		last, _ := s.LastIndex()
		log, err := s.Entries(1, last+1)
		must(t, err)
		hs, _ := s.InitialState()
		must(t, s.Close())
		s = mustOpen(t, dir, Options{})
		defer s.Close()
		if ri := s.Recovery(); ri.Torn() {
			t.Fatalf("second Open repaired again: %v", ri)
		}
		if d := stateDiff(s, model{hs: hs, log: log}); d != "" {
			t.Fatalf("second Open: %s", d)
		}
	})
}
