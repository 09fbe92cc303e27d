// Package kv is the default replicated state machine of raftsim: a
// key-value store whose client sessions give every command exactly-once
// semantics, however often a client retries it.
//
// A Store implements raft.StateMachine. The caller proposes encoded
// commands (EncodeCommand), applies each committed entry once, in log
// order, with Store.Apply, and hands the returned bytes (DecodeResponse)
// to the client that proposed the command. Reads confirmed by ReadIndex
// skip the log and use Store.Read once the Store has applied the read's
// index. Snapshot and Restore carry the whole state, sessions included,
// across restarts and log compaction (§7); Digest compares replicas.
//
// # Commands
//
//   - Get(key): StatusOK with the value, or StatusNotFound.
//   - Put(key, value): sets the value; StatusOK.
//   - Append(key, value): appends to the value, creating a missing key;
//     StatusOK, or StatusValueTooLarge (and no change) if the result would
//     exceed MaxValueBytes.
//   - Delete(key): removes the key; StatusOK, also when it was missing.
//   - CAS(key, expected, new): sets the value to new iff the key exists
//     and holds expected; StatusOK, or StatusCASMismatch with what it
//     found (Response.Found, and Response.Value if found).
//   - Register(): opens a client session; StatusOK with the new client ID
//     (the entry's index) in decimal (RegisteredID).
//
// Entries of type EntryNoop and EntryConfig only advance the applied
// index. Entry data that does not decode gets StatusBadCommand: it is
// committed, so every replica sees the same bytes and gives the same
// answer, whereas a panic would crash every replica on every restart.
//
// # Sessions
//
// Each command carries a client ID and a sequence number. A client numbers
// its operations from 1, keeps one outstanding at a time, and reuses the
// number when it retries an operation whose outcome it does not know. The
// Store keeps, per client, the last sequence number applied and its
// response (Raft thesis §6.3), and for a command with sequence number seq:
//
//   - seq == last: a retry of an applied command. It is not applied again;
//     the original response is returned, byte for byte.
//   - seq < last: a retry older than the last applied command, whose
//     response is gone. Nothing is applied; StatusStaleSequence.
//   - seq > last: applied, and recorded as the new last. Gaps are allowed:
//     a client may skip a number whose operation never reached the log.
//
// A command with client ID and sequence number both zero is sessionless:
// executed every time it is applied, never answered from a session.
//
// So a command takes effect at most once and its client always learns the
// effect it had. The Store trusts that a retry carries the same command as
// the original; it does not compare them. The session table is replicated
// state and part of every snapshot.
//
// New's table is not bounded: any client ID gets a session on its first
// command, and keeps it. NewWithSessions bounds it (SessionLimits, Raft
// thesis §6.3): sessions are opened by Register, whose ID is the entry's
// index, so an ID without a session is known to have lost it; a session
// unused for more than IdleEntries entries expires, and registering at Max
// sessions evicts the one used least recently. Both go by the log alone,
// so every replica ends the same sessions at the same index. A command on
// a client without a session gets StatusSessionExpired and is not applied:
// had an earlier attempt of it been applied, applying it again would break
// at-most-once, so its client must treat that attempt's outcome as unknown
// and register again.
//
// # Encoding
//
// Integers are unsigned varints (encoding/binary), minimally encoded;
// strings are a varint length then the bytes. Decoders accept exactly what
// the encoders produce, check every length against the bytes left and the
// limits MaxKeyBytes and MaxValueBytes, and never panic.
//
//	command:  op(1 byte) client seq key [expected if CAS] [value if Put, Append, CAS]
//	response: status(1 byte) [value if OK] [found(1 byte, 0 or 1) value if CASMismatch]
//	snapshot: "kvS\x01" applied nkeys (key value)* nsessions (client seq response)* crc32c(4 bytes LE)
//	          "kvS\x02" ... (client seq response last)* ...   (bounded sessions, or seq 0 sessions)
//
// A response's value is empty unless it is a Get's StatusOK or a
// StatusCASMismatch that found the key. In a snapshot, keys sort bytewise
// and sessions by client ID, each strictly increasing, so that equal
// states encode to identical bytes; the CRC-32C (Castagnoli) covers every
// byte before it.
//
// # Example
//
// The proposer encodes a command; every replica applies the committed
// entry; the client decodes the answer. A retry is the same bytes again.
//
//	s := kv.New()
//	data := kv.EncodeCommand(kv.Append(7, 1, "x", "a")) // Client 7, seq 1.
//	s.Apply(raft.Entry{Term: 1, Index: 1, Type: raft.EntryNormal, Data: data})
//	b := s.Apply(raft.Entry{Term: 1, Index: 2, Type: raft.EntryNormal, Data: data}) // The retry.
//	resp, err := kv.DecodeResponse(b) // StatusOK, as the first time.
//	v, found := s.Read("x")           // "a", true: applied once.
//
// Example in example_test.go runs a longer version.
package kv
