package kv

import (
	"encoding/binary"
	"fmt"
)

// Status is the outcome of a command.
type Status uint8

// Statuses start at 1 so that the zero Status is invalid and caught. Their
// values are the first byte of an encoded response and must never be
// renumbered.
const (
	// StatusOK: the command took effect. For Get, Response.Value holds the
	// value read.
	StatusOK Status = iota + 1
	// StatusNotFound: a Get found no such key.
	StatusNotFound
	// StatusCASMismatch: a CAS did not swap, because the key was missing
	// or held another value. Response.Found and Response.Value tell which
	// state the CAS observed.
	StatusCASMismatch
	// StatusStaleSequence: the command's sequence number is below the last
	// one applied for its client, so it is an old retry whose response is
	// no longer kept. It was not applied.
	StatusStaleSequence
	// StatusBadCommand: the entry's data is not a valid command. Nothing
	// was applied and no session was touched.
	StatusBadCommand
	// StatusValueTooLarge: an Append would have grown the value past
	// MaxValueBytes. Nothing was written; the session records the
	// outcome like any other.
	StatusValueTooLarge
	// StatusSessionExpired: the command's client has no session: it
	// expired, was evicted, or was never registered (only a Store that
	// bounds its sessions answers it). Nothing was applied; the client
	// registers again, and an earlier attempt of the command may or may
	// not have taken effect before the session expired.
	StatusSessionExpired
	statusLimit // One past the last valid Status.
)

var statusNames = [...]string{
	StatusOK:             "OK",
	StatusNotFound:       "NotFound",
	StatusCASMismatch:    "CASMismatch",
	StatusStaleSequence:  "StaleSequence",
	StatusBadCommand:     "BadCommand",
	StatusValueTooLarge:  "ValueTooLarge",
	StatusSessionExpired: "SessionExpired",
}

func (s Status) String() string {
	if s.valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

func (s Status) valid() bool { return s >= StatusOK && s < statusLimit }

// Response is the result of applying a command.
type Response struct {
	Status Status
	// Value is the value a Get read (StatusOK), or the value a CAS found
	// in place of the expected one (StatusCASMismatch with Found). It is
	// empty for every other outcome.
	Value string
	// Found is set only with StatusCASMismatch: whether the key existed
	// when the CAS was applied. It tells a missing key from an empty value.
	Found bool
}

func (r Response) String() string {
	switch r.Status {
	case StatusOK:
		if r.Value == "" {
			return "OK"
		}
		return fmt.Sprintf("OK %q", r.Value)
	case StatusCASMismatch:
		if !r.Found {
			return "CASMismatch (missing)"
		}
		return fmt.Sprintf("CASMismatch %q", r.Value)
	}
	return r.Status.String()
}

// validate reports whether r has the fields its Status allows, which is
// what makes its encoding canonical.
func (r Response) validate() error {
	if !r.Status.valid() {
		return fmt.Errorf("unknown status %d", uint8(r.Status))
	}
	if len(r.Value) > MaxValueBytes {
		return fmt.Errorf("%s: value of %d bytes exceeds %d", r.Status, len(r.Value), MaxValueBytes)
	}
	if r.Found && r.Status != StatusCASMismatch {
		return fmt.Errorf("%s: Found is set", r.Status)
	}
	hasValue := r.Status == StatusOK || (r.Status == StatusCASMismatch && r.Found)
	if !hasValue && r.Value != "" {
		return fmt.Errorf("%s: carries a value", r.Status)
	}
	return nil
}

// The responses that carry no data are shared, so that most applies do not
// allocate. This is why Store.Apply's result is read-only.
var (
	respOK            = []byte{byte(StatusOK), 0}
	respNotFound      = []byte{byte(StatusNotFound)}
	respCASMissing    = []byte{byte(StatusCASMismatch), 0, 0}
	respStaleSequence = []byte{byte(StatusStaleSequence)}
	respBadCommand    = []byte{byte(StatusBadCommand)}
	respValueTooLarge = []byte{byte(StatusValueTooLarge)}
	respExpired       = []byte{byte(StatusSessionExpired)}
)

// EncodeResponse returns the wire form of r (see doc.go). It panics if r
// has a field its Status does not allow: responses are built by this
// package, so such a response is a bug.
func EncodeResponse(r Response) []byte {
	if err := r.validate(); err != nil {
		panic(fmt.Sprintf("kv: EncodeResponse(%s): %v", r, err))
	}
	switch r.Status {
	case StatusOK:
		return encodeValueResponse(StatusOK, -1, r.Value)
	case StatusCASMismatch:
		found := 0
		if r.Found {
			found = 1
		}
		return encodeValueResponse(StatusCASMismatch, found, r.Value)
	}
	return []byte{byte(r.Status)}
}

// encodeValueResponse encodes a response that carries a value: the status,
// then the found byte unless found is negative, then the value.
func encodeValueResponse[V string | []byte](s Status, found int, value V) []byte {
	size := 1 + uvarintLen(uint64(len(value))) + len(value)
	if found >= 0 {
		size++
	}
	b := make([]byte, 0, size)
	b = append(b, byte(s))
	if found >= 0 {
		b = append(b, byte(found))
	}
	b = binary.AppendUvarint(b, uint64(len(value)))
	return append(b, value...)
}

// DecodeResponse parses the wire form of a response. It accepts exactly the
// outputs of EncodeResponse, and never panics on any input.
func DecodeResponse(b []byte) (Response, error) {
	r := reader{buf: b}
	status, err := r.byte1("response status")
	if err != nil {
		return Response{}, err
	}
	resp := Response{Status: Status(status)}
	switch resp.Status {
	case StatusOK:
		v, err := r.bytes("response value", MaxValueBytes)
		if err != nil {
			return Response{}, err
		}
		resp.Value = string(v)
	case StatusCASMismatch:
		found, err := r.byte1("response found")
		if err != nil {
			return Response{}, err
		}
		if found > 1 {
			return Response{}, fmt.Errorf("%w: response found: byte %d is not 0 or 1", ErrMalformed, found)
		}
		resp.Found = found == 1
		v, err := r.bytes("response value", MaxValueBytes)
		if err != nil {
			return Response{}, err
		}
		if !resp.Found && len(v) != 0 {
			return Response{}, fmt.Errorf("%w: response: CASMismatch on a missing key carries a value", ErrMalformed)
		}
		resp.Value = string(v)
	default:
		if !resp.Status.valid() {
			return Response{}, fmt.Errorf("%w: response: unknown status %d", ErrMalformed, status)
		}
	}
	if err := r.end("response"); err != nil {
		return Response{}, err
	}
	return resp, nil
}
