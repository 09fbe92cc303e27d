package kv_test

import (
	"fmt"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// A client's Append is committed twice, because the client retried after
// losing the first answer. The Store applies it once and answers both
// times with the original response.
func Example() {
	s := kv.New()
	index := raft.Index(0)
	apply := func(c kv.Command) kv.Response {
		index++
		b := s.Apply(raft.Entry{Term: 1, Index: index, Type: raft.EntryNormal, Data: kv.EncodeCommand(c)})
		r, err := kv.DecodeResponse(b)
		if err != nil {
			panic(err)
		}
		return r
	}
	const client = kv.ClientID(7)
	fmt.Println(apply(kv.Put(client, 1, "x", "a")))
	fmt.Println(apply(kv.Append(client, 2, "x", "b")))
	fmt.Println(apply(kv.Append(client, 2, "x", "b"))) // The retry.
	fmt.Println(apply(kv.CAS(client, 3, "x", "a", "c")))
	fmt.Println(apply(kv.Put(client, 1, "x", "old"))) // A stale retry.
	v, found := s.Read("x")
	fmt.Println(v, found, s.AppliedIndex())

	// A restarted replica restores the state, sessions included.
	r := kv.New()
	if err := r.Restore(s.Snapshot()); err != nil {
		panic(err)
	}
	fmt.Println(r.Digest() == s.Digest())
	// Output:
	// OK
	// OK
	// OK
	// CASMismatch "ab"
	// StaleSequence
	// ab true 5
	// true
}
