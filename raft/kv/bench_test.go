package kv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/raftsim/raftsim/raft"
)

const (
	benchClients = 64
	benchKeys    = 1024
	// benchBatch entries are encoded, with the timer stopped, per batch.
	benchBatch = 1 << 14
)

var (
	benchKeyNames = func() []string {
		keys := make([]string, benchKeys)
		for i := range keys {
			keys[i] = fmt.Sprintf("key-%011d", i) // 15 bytes.
		}
		return keys
	}()
	benchValue = strings.Repeat("v", 16)
)

// benchApply measures Apply alone: it encodes the entries batch by batch
// with the timer stopped. Command i comes from client i%benchClients with
// the next sequence number, so every command is new to its session.
func benchApply(b *testing.B, s *Store, cmd func(i int, client ClientID, seq Seq) Command) {
	entries := make([]raft.Entry, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchBatch
		if j == 0 {
			b.StopTimer()
			for k := range entries {
				n := i + k
				c := cmd(n, ClientID(n%benchClients+1), Seq(n/benchClients+1))
				entries[k] = raft.Entry{Term: 1, Index: s.AppliedIndex() + raft.Index(k) + 1, Type: raft.EntryNormal, Data: EncodeCommand(c)}
			}
			b.StartTimer()
		}
		s.Apply(entries[j])
	}
}

// prefilled returns a Store that holds every bench key.
func prefilled(b *testing.B) *Store {
	s := New()
	for i, k := range benchKeyNames {
		applyCmd(b, s, Put(ClientID(benchClients+1), Seq(i+1), k, benchValue))
	}
	return s
}

// BenchmarkApplyPut overwrites existing keys with values of the same size:
// the steady state of a Put workload.
func BenchmarkApplyPut(b *testing.B) {
	benchApply(b, prefilled(b), func(i int, c ClientID, seq Seq) Command {
		return Put(c, seq, benchKeyNames[i%benchKeys], benchValue)
	})
}

// BenchmarkApplyPutNewKeys creates a key per command (the map grows).
func BenchmarkApplyPutNewKeys(b *testing.B) {
	benchApply(b, New(), func(i int, c ClientID, seq Seq) Command {
		return Put(c, seq, fmt.Sprintf("key-%011d", i), benchValue)
	})
}

// BenchmarkApplyAppend appends 16 bytes to a key at a time; every 32nd
// round resets the keys with a Put of "", so values stay under 512 bytes.
func BenchmarkApplyAppend(b *testing.B) {
	benchApply(b, prefilled(b), func(i int, c ClientID, seq Seq) Command {
		key := benchKeyNames[i%benchKeys]
		if (i/benchKeys)%32 == 31 {
			return Put(c, seq, key, "")
		}
		return Append(c, seq, key, benchValue)
	})
}

// BenchmarkApplyGet reads through the log: each response carries a copy
// of the value.
func BenchmarkApplyGet(b *testing.B) {
	benchApply(b, prefilled(b), func(i int, c ClientID, seq Seq) Command {
		return Get(c, seq, benchKeyNames[i%benchKeys])
	})
}

// BenchmarkApplyRetry applies retries, answered from the sessions.
func BenchmarkApplyRetry(b *testing.B) {
	s := prefilled(b)
	for c := ClientID(1); c <= benchClients; c++ {
		applyCmd(b, s, Put(c, 1, benchKeyNames[c], benchValue))
	}
	benchApply(b, s, func(i int, c ClientID, _ Seq) Command {
		return Put(c, 1, benchKeyNames[c], benchValue)
	})
}

func BenchmarkRead(b *testing.B) {
	s := prefilled(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Read(benchKeyNames[i%benchKeys])
	}
}

var (
	benchPut     = Put(42, 1000, benchKeyNames[7], benchValue)
	benchPutData = EncodeCommand(benchPut)
	sinkBytes    []byte
	sinkCommand  Command
	sinkView     commandView
	sinkResponse Response
)

func BenchmarkEncodeCommand(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkBytes = EncodeCommand(benchPut)
	}
}

func BenchmarkDecodeCommand(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := DecodeCommand(benchPutData)
		if err != nil {
			b.Fatal(err)
		}
		sinkCommand = c
	}
}

// BenchmarkDecodeCommandView is the decoding Apply does: no copies.
func BenchmarkDecodeCommandView(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v, err := decodeCommandView(benchPutData)
		if err != nil {
			b.Fatal(err)
		}
		sinkView = v
	}
}

func BenchmarkEncodeResponse(b *testing.B) {
	r := Response{Status: StatusOK, Value: benchValue}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkBytes = EncodeResponse(r)
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	data := EncodeResponse(Response{Status: StatusOK, Value: benchValue})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := DecodeResponse(data)
		if err != nil {
			b.Fatal(err)
		}
		sinkResponse = r
	}
}

// snapshotBench is a store of 10,000 keys and 64 sessions, for §7.
func snapshotBench(b *testing.B) *Store {
	s := New()
	for i := range 10_000 {
		applyCmd(b, s, Put(ClientID(i%benchClients+1), Seq(i/benchClients+1), fmt.Sprintf("key-%011d", i), benchValue))
	}
	return s
}

func BenchmarkSnapshot10kKeys(b *testing.B) {
	s := snapshotBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sinkBytes = s.Snapshot()
	}
}

func BenchmarkRestore10kKeys(b *testing.B) {
	snap := snapshotBench(b).Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := New().Restore(snap); err != nil {
			b.Fatal(err)
		}
	}
}
