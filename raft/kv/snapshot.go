package kv

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"

	"github.com/raftsim/raftsim/raft"
)

// snapshotMagic opens every snapshot and names its format version. A new
// format gets a new magic; Restore refuses the ones it does not know.
const snapshotMagic = "kvS\x01"

// snapshotMagicV2 opens the snapshots of a Store that bounds its sessions
// or holds a registered session with nothing applied yet: each session
// also carries the index that last used it, and its sequence number may
// be zero (with an empty response). Other Stores write version 1, so
// their snapshots and digests are what they always were.
const snapshotMagicV2 = "kvS\x02"

// snapshotTrailerBytes is the size of the CRC-32C that closes a snapshot.
const snapshotTrailerBytes = 4

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Snapshot returns the Store's whole replicated state: the applied index,
// every key and value, and every client session (see doc.go for the
// layout). Keys and sessions are sorted, so equal states give identical
// bytes, whatever order the maps iterate in.
func (s *Store) Snapshot() []byte {
	keys := slices.Sorted(maps.Keys(s.data))
	clients := slices.Sorted(maps.Keys(s.sessions))
	v2 := s.limits.bounded()
	for _, c := range clients {
		v2 = v2 || s.sessions[c].seq == 0
	}

	size := len(snapshotMagic) + uvarintLen(uint64(s.applied)) +
		uvarintLen(uint64(len(keys))) + uvarintLen(uint64(len(clients))) + snapshotTrailerBytes
	for _, k := range keys {
		v := s.data[k].value
		size += uvarintLen(uint64(len(k))) + len(k) + uvarintLen(uint64(len(v))) + len(v)
	}
	for _, c := range clients {
		sess := s.sessions[c]
		size += uvarintLen(uint64(c)) + uvarintLen(uint64(sess.seq)) +
			uvarintLen(uint64(len(sess.resp))) + len(sess.resp)
		if v2 {
			size += uvarintLen(uint64(sess.last))
		}
	}

	b := make([]byte, 0, size)
	if v2 {
		b = append(b, snapshotMagicV2...)
	} else {
		b = append(b, snapshotMagic...)
	}
	b = binary.AppendUvarint(b, uint64(s.applied))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendBytes(b, s.data[k].value)
	}
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		sess := s.sessions[c]
		b = binary.AppendUvarint(b, uint64(c))
		b = binary.AppendUvarint(b, uint64(sess.seq))
		b = appendBytes(b, sess.resp)
		if v2 {
			b = binary.AppendUvarint(b, uint64(sess.last))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
	if len(b) != size {
		panic(fmt.Sprintf("kv: Snapshot wrote %d bytes, sized %d", len(b), size))
	}
	return b
}

// Digest is a SHA-256 of Snapshot: two Stores have the same digest iff they
// hold the same replicated state, applied index included. Checkers compare
// replicas at the same applied index with it.
func (s *Store) Digest() [sha256.Size]byte {
	return sha256.Sum256(s.Snapshot())
}

// Restore replaces the Store's whole state, applied index included, with
// the one in b, which Snapshot produced. It accepts exactly the bytes
// Snapshot can produce (checksum, sorted unique keys and clients, valid
// sessions, no trailing bytes), so a restored Store snapshots back to b.
// On error, which wraps ErrMalformed, the Store is unchanged.
func (s *Store) Restore(b []byte) error {
	st, err := decodeSnapshot(b)
	if err != nil {
		return err
	}
	// Executed counts this Store's executions, whatever state it holds;
	// the session limits are configuration.
	st.executed, st.ended, st.limits = s.executed, s.ended, s.limits
	*s = st
	return nil
}

func decodeSnapshot(b []byte) (Store, error) {
	if len(b) < len(snapshotMagic)+snapshotTrailerBytes {
		return Store{}, fmt.Errorf("%w: snapshot: %d bytes is too short", ErrMalformed, len(b))
	}
	v2 := string(b[:len(snapshotMagicV2)]) == snapshotMagicV2
	if string(b[:len(snapshotMagic)]) != snapshotMagic && !v2 {
		return Store{}, fmt.Errorf("%w: snapshot: unknown magic %q", ErrMalformed, b[:len(snapshotMagic)])
	}
	body := b[:len(b)-snapshotTrailerBytes]
	want := binary.LittleEndian.Uint32(b[len(body):])
	if got := crc32.Checksum(body, crcTable); got != want {
		return Store{}, fmt.Errorf("%w: snapshot: checksum %08x, want %08x", ErrMalformed, got, want)
	}

	r := reader{buf: body, off: len(snapshotMagic)}
	applied, err := r.uvarint("snapshot applied index")
	if err != nil {
		return Store{}, err
	}
	data, err := decodeSnapshotData(&r)
	if err != nil {
		return Store{}, err
	}
	sessions, err := decodeSnapshotSessions(&r, v2, raft.Index(applied))
	if err != nil {
		return Store{}, err
	}
	if err := r.end("snapshot"); err != nil {
		return Store{}, err
	}
	return Store{data: data, sessions: sessions, applied: raft.Index(applied)}, nil
}

// decodeSnapshotData reads the key count and the key-value pairs.
func decodeSnapshotData(r *reader) (map[string]*slot, error) {
	n, err := r.uvarint("snapshot key count")
	if err != nil {
		return nil, err
	}
	// Each pair takes at least two bytes; a larger count is corrupt, and
	// must not size the map.
	if n > uint64(r.remaining()/2) {
		return nil, fmt.Errorf("%w: snapshot: %d keys cannot fit in %d bytes", ErrMalformed, n, r.remaining())
	}
	data := make(map[string]*slot, n)
	var prev []byte
	for i := range n {
		k, err := r.bytes("snapshot key", MaxKeyBytes)
		if err != nil {
			return nil, err
		}
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return nil, fmt.Errorf("%w: snapshot: key %d (%q) does not sort after %q", ErrMalformed, i, k, prev)
		}
		prev = k
		v, err := r.bytes("snapshot value", MaxValueBytes)
		if err != nil {
			return nil, err
		}
		data[string(k)] = &slot{value: append([]byte(nil), v...)}
	}
	return data, nil
}

// decodeSnapshotSessions reads the session count and the sessions; a
// version 1 snapshot's sessions were last used at its applied index, as
// far as anyone can tell.
func decodeSnapshotSessions(r *reader, v2 bool, applied raft.Index) (map[ClientID]*session, error) {
	n, err := r.uvarint("snapshot session count")
	if err != nil {
		return nil, err
	}
	// Each session takes at least four bytes.
	if n > uint64(r.remaining()/4) {
		return nil, fmt.Errorf("%w: snapshot: %d sessions cannot fit in %d bytes", ErrMalformed, n, r.remaining())
	}
	sessions := make(map[ClientID]*session, n)
	var prev uint64
	for i := range n {
		c, err := r.uvarint("snapshot session client")
		if err != nil {
			return nil, err
		}
		// Client IDs start at 1, so prev == 0 before the first.
		if c <= prev {
			return nil, fmt.Errorf("%w: snapshot: session %d: client %d does not sort after %d", ErrMalformed, i, c, prev)
		}
		prev = c
		seq, err := r.uvarint("snapshot session seq")
		if err != nil {
			return nil, err
		}
		if seq == 0 && !v2 {
			return nil, fmt.Errorf("%w: snapshot: client %d: sequence number is zero", ErrMalformed, c)
		}
		resp, err := r.bytes("snapshot session response", 1+binary.MaxVarintLen64+MaxValueBytes)
		if err != nil {
			return nil, err
		}
		if seq == 0 && len(resp) != 0 {
			return nil, fmt.Errorf("%w: snapshot: client %d: a response with sequence number zero", ErrMalformed, c)
		}
		if seq != 0 {
			if err := checkSessionResponse(resp); err != nil {
				return nil, fmt.Errorf("%w: snapshot: client %d: %w", ErrMalformed, c, err)
			}
		}
		sess := &session{seq: Seq(seq), resp: append([]byte(nil), resp...), last: applied}
		if seq == 0 {
			sess.resp = nil
		}
		if v2 {
			last, err := r.uvarint("snapshot session last index")
			if err != nil {
				return nil, err
			}
			if last == 0 || raft.Index(last) > applied {
				return nil, fmt.Errorf("%w: snapshot: client %d: last used at index %d, applied %d", ErrMalformed, c, last, applied)
			}
			sess.last = raft.Index(last)
		}
		sessions[ClientID(c)] = sess
	}
	return sessions, nil
}

// checkSessionResponse reports whether resp is one a session can hold: a
// valid response of a command that was executed.
func checkSessionResponse(resp []byte) error {
	r, err := DecodeResponse(resp)
	if err != nil {
		return err
	}
	if r.Status == StatusStaleSequence || r.Status == StatusBadCommand {
		return fmt.Errorf("status %s is never recorded in a session", r.Status)
	}
	return nil
}
