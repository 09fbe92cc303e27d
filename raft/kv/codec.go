package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error that reports bytes which are not a
// valid encoding of a command, a response or a snapshot.
var ErrMalformed = errors.New("kv: malformed encoding")

// Limits on what a command may carry. They bound the memory a single
// command can claim and what a decoder accepts; a length prefix beyond them
// is rejected before any byte is read.
const (
	// MaxKeyBytes is the longest key.
	MaxKeyBytes = 4 << 10
	// MaxValueBytes is the longest value a command may carry and the
	// longest value the store holds; an Append that would grow a value past
	// it is refused with StatusValueTooLarge.
	MaxValueBytes = 1 << 20
)

// reader decodes the primitives shared by every encoding in this package.
// It only accepts canonical forms (minimal varints, lengths that fit the
// input), so that a successful decode re-encodes to the same bytes; the
// fuzz tests rely on that.
type reader struct {
	buf []byte
	// Invariant: off <= len(buf).
	off int
}

func (r *reader) remaining() int { return len(r.buf) - r.off }

// uvarint reads a minimally encoded unsigned varint.
func (r *reader) uvarint(field string) (uint64, error) {
	return r.uvarintOf(field, "")
}

// uvarintOf is uvarint for a field named by two parts, which are joined
// only when an error is reported: joining them up front would allocate on
// every decode.
func (r *reader) uvarintOf(field, part string) (uint64, error) {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n == 0 {
		return 0, fmt.Errorf("%w: %s%s: truncated varint at byte %d", ErrMalformed, field, part, r.off)
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: %s%s: varint overflows 64 bits at byte %d", ErrMalformed, field, part, r.off)
	}
	// binary.Uvarint accepts padded forms such as 0x80 0x00. A minimal
	// varint of more than one byte never ends in a zero byte.
	if n > 1 && r.buf[r.off+n-1] == 0 {
		return 0, fmt.Errorf("%w: %s%s: non-minimal varint at byte %d", ErrMalformed, field, part, r.off)
	}
	r.off += n
	return v, nil
}

// byte1 reads one byte.
func (r *reader) byte1(field string) (byte, error) {
	if r.remaining() < 1 {
		return 0, fmt.Errorf("%w: %s: missing at byte %d", ErrMalformed, field, r.off)
	}
	b := r.buf[r.off]
	r.off++
	return b, nil
}

// bytes reads a length-prefixed byte string of at most limit bytes. The
// result aliases the input; callers copy what they keep.
func (r *reader) bytes(field string, limit int) ([]byte, error) {
	start := r.off
	n, err := r.uvarintOf(field, " length")
	if err != nil {
		return nil, err
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: %s: length %d exceeds the limit of %d at byte %d", ErrMalformed, field, n, limit, start)
	}
	if n > uint64(r.remaining()) {
		return nil, fmt.Errorf("%w: %s: length %d exceeds the %d bytes left at byte %d", ErrMalformed, field, n, r.remaining(), start)
	}
	b := r.buf[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// end checks that every byte was consumed.
func (r *reader) end(what string) error {
	if r.remaining() != 0 {
		return fmt.Errorf("%w: %s: %d trailing bytes at byte %d", ErrMalformed, what, r.remaining(), r.off)
	}
	return nil
}

// appendBytes appends a length-prefixed byte string.
func appendBytes(dst []byte, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendString appends a length-prefixed string.
func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// uvarintLen is the number of bytes binary.AppendUvarint writes for v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
