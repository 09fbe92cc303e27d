package kv

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestResponseRoundTrip(t *testing.T) {
	tests := []Response{
		{Status: StatusOK},
		{Status: StatusOK, Value: "v"},
		{Status: StatusOK, Value: strings.Repeat("v", MaxValueBytes)},
		{Status: StatusNotFound},
		{Status: StatusCASMismatch},
		{Status: StatusCASMismatch, Found: true},
		{Status: StatusCASMismatch, Found: true, Value: "\x00cur"},
		{Status: StatusStaleSequence},
		{Status: StatusBadCommand},
		{Status: StatusValueTooLarge},
	}
	for _, r := range tests {
		got, err := DecodeResponse(EncodeResponse(r))
		if err != nil || got != r {
			t.Errorf("round trip of %.40s gave %.40s, %v", r, got, err)
		}
	}
}

// Responses are recorded in sessions, and so in snapshots: their bytes are
// pinned like the commands'. The shared responses must match the encoder.
func TestResponseLayout(t *testing.T) {
	tests := []struct {
		resp Response
		want []byte
	}{
		{Response{Status: StatusOK}, []byte{1, 0}},
		{Response{Status: StatusOK, Value: "v"}, []byte{1, 1, 'v'}},
		{Response{Status: StatusNotFound}, []byte{2}},
		{Response{Status: StatusCASMismatch}, []byte{3, 0, 0}},
		{Response{Status: StatusCASMismatch, Found: true, Value: "v"}, []byte{3, 1, 1, 'v'}},
		{Response{Status: StatusStaleSequence}, []byte{4}},
		{Response{Status: StatusBadCommand}, []byte{5}},
		{Response{Status: StatusValueTooLarge}, []byte{6}},
	}
	for _, tt := range tests {
		if got := EncodeResponse(tt.resp); !bytes.Equal(got, tt.want) {
			t.Errorf("EncodeResponse(%s) = %x, want %x", tt.resp, got, tt.want)
		}
	}
	shared := map[string][2][]byte{
		"OK":            {respOK, EncodeResponse(Response{Status: StatusOK})},
		"NotFound":      {respNotFound, EncodeResponse(Response{Status: StatusNotFound})},
		"CASMissing":    {respCASMissing, EncodeResponse(Response{Status: StatusCASMismatch})},
		"StaleSequence": {respStaleSequence, EncodeResponse(Response{Status: StatusStaleSequence})},
		"BadCommand":    {respBadCommand, EncodeResponse(Response{Status: StatusBadCommand})},
		"ValueTooLarge": {respValueTooLarge, EncodeResponse(Response{Status: StatusValueTooLarge})},
	}
	for name, pair := range shared {
		if !bytes.Equal(pair[0], pair[1]) {
			t.Errorf("shared %s response %x, encoder gives %x", name, pair[0], pair[1])
		}
	}
}

func TestDecodeResponseRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "status: missing"},
		{"status zero", []byte{0}, "unknown status 0"},
		{"status past the last", []byte{8}, "unknown status 8"},
		{"ok without value", []byte{1}, "value length: truncated"},
		{"ok value short", []byte{1, 2, 'v'}, "exceeds the 1 bytes left"},
		{"ok non-minimal", []byte{1, 0x80, 0x00}, "non-minimal"},
		{"ok trailing", []byte{1, 0, 0}, "1 trailing bytes"},
		{"not found trailing", []byte{2, 0}, "1 trailing bytes"},
		{"mismatch without found", []byte{3}, "found: missing"},
		{"mismatch found 2", []byte{3, 2, 0}, "not 0 or 1"},
		{"mismatch missing with value", []byte{3, 0, 1, 'v'}, "missing key carries a value"},
		{"bad command trailing", []byte{5, 1}, "1 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeResponse(tt.data)
			if err == nil {
				t.Fatalf("DecodeResponse(%x) = %s, want an error", tt.data, r)
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v: want ErrMalformed containing %q", err, tt.want)
			}
		})
	}
}

func TestEncodeResponsePanicsOnInvalid(t *testing.T) {
	tests := []struct {
		resp Response
		want string
	}{
		{Response{}, "unknown status 0"},
		{Response{Status: StatusNotFound, Value: "v"}, "NotFound: carries a value"},
		{Response{Status: StatusOK, Found: true}, "OK: Found is set"},
		{Response{Status: StatusCASMismatch, Value: "v"}, "CASMismatch: carries a value"},
		{Response{Status: StatusOK, Value: strings.Repeat("v", MaxValueBytes+1)}, "exceeds"},
	}
	for _, tt := range tests {
		msg := mustPanic(t, func() { EncodeResponse(tt.resp) })
		if !strings.Contains(msg, tt.want) {
			t.Errorf("EncodeResponse(%.40s) panic %q does not contain %q", tt.resp, msg, tt.want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{0: "Status(0)", StatusOK: "OK", StatusValueTooLarge: "ValueTooLarge", StatusSessionExpired: "SessionExpired", statusLimit: "Status(8)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}

// FuzzDecodeResponse checks that decoding never panics and accepts exactly
// the encoder's outputs.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 1, 'v'})
	f.Add([]byte{3, 1, 1, 'v'})
	f.Add([]byte{3, 0, 0})
	f.Add([]byte{6})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResponse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeResponse(%x): error %v does not wrap ErrMalformed", data, err)
			}
			return
		}
		if again := EncodeResponse(r); !bytes.Equal(again, data) {
			t.Fatalf("DecodeResponse(%x) = %s, which encodes to %x", data, r, again)
		}
	})
}
