package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCommandRoundTrip(t *testing.T) {
	tests := []Command{
		Get(1, 1, "k"),
		Get(1, 1, ""),
		Put(math.MaxUint64, math.MaxUint64, "key", "value"),
		Put(7, 300, "k", ""),
		Put(7, 300, "\x00\xff", "\x00\x01\x80"),
		Append(2, 9, "k", "tail"),
		Delete(3, 1, "k"),
		CAS(4, 2, "k", "old", "new"),
		CAS(4, 2, "k", "", ""),
		Put(5, 5, strings.Repeat("k", MaxKeyBytes), strings.Repeat("v", MaxValueBytes)),
		CAS(5, 5, "k", strings.Repeat("e", MaxValueBytes), strings.Repeat("v", MaxValueBytes)),
	}
	for _, c := range tests {
		b := EncodeCommand(c)
		got, err := DecodeCommand(b)
		if err != nil {
			t.Errorf("%.60s: decode: %v", c, err)
			continue
		}
		if got != c {
			t.Errorf("round trip of %.60s gave %.60s", c, got)
		}
	}
}

// The wire format is replicated and persisted in logs: changing it breaks
// every existing log, so these bytes are pinned.
func TestCommandLayout(t *testing.T) {
	tests := []struct {
		cmd  Command
		want []byte
	}{
		{Get(1, 2, "k"), []byte{1, 1, 2, 1, 'k'}},
		{Put(1, 2, "k", "v"), []byte{2, 1, 2, 1, 'k', 1, 'v'}},
		{Append(1, 2, "k", "vw"), []byte{3, 1, 2, 1, 'k', 2, 'v', 'w'}},
		{Delete(300, 2, ""), []byte{4, 0xac, 0x02, 2, 0}},
		{CAS(1, 128, "k", "a", "b"), []byte{5, 1, 0x80, 0x01, 1, 'k', 1, 'a', 1, 'b'}},
	}
	for _, tt := range tests {
		if got := EncodeCommand(tt.cmd); !bytes.Equal(got, tt.want) {
			t.Errorf("EncodeCommand(%s) = %x, want %x", tt.cmd, got, tt.want)
		}
	}
}

func TestDecodeCommandRejects(t *testing.T) {
	long := func(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }
	withKeyLen := func(n uint64, rest []byte) []byte {
		b := []byte{byte(OpGet), 1, 1}
		b = binary.AppendUvarint(b, n)
		return append(b, rest...)
	}
	tests := []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"empty", nil, "op: missing"},
		{"op zero", []byte{0, 1, 1, 0}, "unknown op 0"},
		{"op past the last", []byte{7, 1, 1, 0}, "unknown op 7"},
		{"no client", []byte{1}, "client: truncated"},
		{"client zero", []byte{1, 0, 1, 0}, "client ID is zero"},
		{"client non-minimal", []byte{1, 0x81, 0x00, 1, 0}, "client: non-minimal"},
		{"client overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 1, 0}, "overflows"},
		{"seq zero", []byte{1, 1, 0, 0}, "sequence number is zero"},
		{"seq non-minimal", []byte{1, 1, 0x80, 0x00, 0}, "seq: non-minimal"},
		{"no key", []byte{1, 1, 1}, "key length: truncated"},
		{"key short", []byte{1, 1, 1, 2, 'k'}, "exceeds the 1 bytes left"},
		{"key huge length", withKeyLen(math.MaxUint64, nil), "exceeds the limit"},
		{"key too long", withKeyLen(MaxKeyBytes+1, long(MaxKeyBytes+1)), "exceeds the limit"},
		{"get trailing", []byte{1, 1, 1, 1, 'k', 0}, "1 trailing bytes"},
		{"put no value", []byte{2, 1, 1, 1, 'k'}, "value length: truncated"},
		{"put value short", []byte{2, 1, 1, 1, 'k', 3, 'v'}, "exceeds the 1 bytes left"},
		{"put value too long", append([]byte{2, 1, 1, 1, 'k', 0x81, 0x80, 0x40}, long(MaxValueBytes+1)...), "exceeds the limit"},
		{"cas no new value", []byte{5, 1, 1, 1, 'k', 1, 'a'}, "value length: truncated"},
		{"delete with value", []byte{4, 1, 1, 1, 'k', 1, 'v'}, "2 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeCommand(tt.data)
			if err == nil {
				t.Fatalf("DecodeCommand(%.40x) = %s, want an error", tt.data, c)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if c != (Command{}) {
				t.Errorf("DecodeCommand returned %s with its error", c)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"zero", Command{}, "unknown op 0"},
		{"unknown op", Command{Op: opLimit, Client: 1, Seq: 1}, "unknown op 7"},
		{"client zero", Put(0, 1, "k", "v"), "client ID is zero"},
		{"seq zero", Put(1, 0, "k", "v"), "sequence number is zero"},
		{"key too long", Get(1, 1, strings.Repeat("k", MaxKeyBytes+1)), "key of 4097 bytes"},
		{"value too long", Append(1, 1, "k", strings.Repeat("v", MaxValueBytes+1)), "value of 1048577 bytes"},
		{"expected too long", CAS(1, 1, "k", strings.Repeat("v", MaxValueBytes+1), ""), "expected value of 1048577 bytes"},
		{"get with value", Command{Op: OpGet, Client: 1, Seq: 1, Key: "k", Value: "v"}, "Get carries a value"},
		{"delete with value", Command{Op: OpDelete, Client: 1, Seq: 1, Key: "k", Value: "v"}, "Delete carries a value"},
		{"put with expected", Command{Op: OpPut, Client: 1, Seq: 1, Key: "k", Expected: "e"}, "Put carries an expected value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cmd.Validate()
			if err == nil {
				t.Fatalf("Validate(%.60s) = nil, want an error", tt.cmd)
			}
			if !errors.Is(err, ErrInvalidCommand) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate(%.60s) = %v, want ErrInvalidCommand containing %q", tt.cmd, err, tt.want)
			}
			msg := mustPanic(t, func() { EncodeCommand(tt.cmd) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("EncodeCommand panic %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[Op]string{0: "Op(0)", OpGet: "Get", OpCAS: "CAS", OpRegister: "Register", opLimit: "Op(7)"} {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", uint8(op), got, want)
		}
	}
}

func TestCommandString(t *testing.T) {
	tests := map[string]Command{
		`1/2 Get "k"`:            Get(1, 2, "k"),
		`1/2 Put "k" "v"`:        Put(1, 2, "k", "v"),
		`1/2 CAS "k" "a"->"b"`:   CAS(1, 2, "k", "a", "b"),
		`0/0 Op(0) ""`:           {},
		`3/4 Delete "\x00"`:      Delete(3, 4, "\x00"),
		`5/6 Append "k" "\xff"`:  Append(5, 6, "k", "\xff"),
		`7/8 Put "" ""`:          Put(7, 8, "", ""),
		`9/1 CAS "k" ""->"new"`:  CAS(9, 1, "k", "", "new"),
		`1/1 Get "two words"`:    Get(1, 1, "two words"),
		`2/2 Append "k" "a\"b"`:  Append(2, 2, "k", `a"b`),
		`3/3 Put "k" "\n"`:       Put(3, 3, "k", "\n"),
		`4/4 Delete "unicode é"`: Delete(4, 4, "unicode é"),
	}
	for want, c := range tests {
		if got := c.String(); got != want {
			t.Errorf("String() = %s, want %s", got, want)
		}
	}
}

// FuzzDecodeCommand checks that decoding never panics, that it accepts
// exactly the encoder's outputs (whatever decodes re-encodes to the same
// bytes), and that Apply answers BadCommand exactly for what fails to
// decode.
func FuzzDecodeCommand(f *testing.F) {
	for _, c := range []Command{
		Get(1, 1, "k"),
		Put(2, 3, "key", "value"),
		Append(300, 70000, "k", "\x00\xff"),
		Delete(math.MaxUint64, math.MaxUint64, ""),
		CAS(5, 6, "k", "old", "new"),
	} {
		f.Add(EncodeCommand(c))
	}
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{byte(OpPut), 0x80, 0x00, 1, 0, 0})
	f.Add([]byte{byte(OpGet), 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommand(data)
		s := New()
		resp := s.Apply(normal(s, data))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeCommand(%x): error %v does not wrap ErrMalformed", data, err)
			}
			if !bytes.Equal(resp, respBadCommand) {
				t.Fatalf("Apply(%x) = %x, want BadCommand: %v", data, resp, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("DecodeCommand(%x) = %s, which is invalid: %v", data, c, err)
		}
		if again := EncodeCommand(c); !bytes.Equal(again, data) {
			t.Fatalf("DecodeCommand(%x) = %s, which encodes to %x", data, c, again)
		}
		if _, err := DecodeResponse(resp); err != nil || bytes.Equal(resp, respBadCommand) {
			t.Fatalf("Apply(%x) = %x for valid command %s (decode error %v)", data, resp, c, err)
		}
	})
}
