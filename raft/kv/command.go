package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ClientID names a client session. Zero names no client and is invalid.
type ClientID uint64

// Seq numbers a client's operations, starting at 1. Zero is invalid.
type Seq uint64

// Op is the operation a command performs.
type Op uint8

// Ops start at 1 so that the zero Op is invalid and caught. Their values are
// the first byte of an encoded command and must never be renumbered.
const (
	// OpGet reads Key. It goes through the log; reads served by ReadIndex
	// use Store.Read instead.
	OpGet Op = iota + 1
	// OpPut sets Key to Value.
	OpPut
	// OpAppend appends Value to Key's value; a missing key starts empty.
	OpAppend
	// OpDelete removes Key; removing a missing key succeeds.
	OpDelete
	// OpCAS sets Key to Value if Key exists and its value is Expected.
	OpCAS
	// OpRegister opens a client session (Raft thesis §6.3): its response
	// is StatusOK with the new client ID, the entry's index, in decimal.
	// It carries no client, sequence number or key. A Store that bounds
	// its sessions (SessionLimits) takes commands only on registered
	// sessions.
	OpRegister
	opLimit // One past the last valid Op.
)

var opNames = [...]string{
	OpGet:      "Get",
	OpPut:      "Put",
	OpAppend:   "Append",
	OpDelete:   "Delete",
	OpCAS:      "CAS",
	OpRegister: "Register",
}

func (o Op) String() string {
	if o.valid() {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

func (o Op) valid() bool { return o >= OpGet && o < opLimit }

// hasValue reports whether commands of this Op carry Value on the wire.
func (o Op) hasValue() bool { return o == OpPut || o == OpAppend || o == OpCAS }

// hasExpected reports whether commands of this Op carry Expected.
func (o Op) hasExpected() bool { return o == OpCAS }

// Command is one client operation, the payload of an EntryNormal entry.
// Fields that its Op does not use must be empty (see Validate); the
// constructors Get, Put, Append, Delete and CAS fill the right ones.
type Command struct {
	Op     Op
	Client ClientID
	// Seq identifies the operation within the client's session. A retry
	// of an operation whose outcome is unknown reuses its Seq.
	Seq Seq
	Key string
	// Value is the value to write for OpPut and OpAppend, and the new
	// value for OpCAS.
	Value string
	// Expected is the value OpCAS compares the current value against.
	Expected string
}

// Get builds a command that reads key.
func Get(client ClientID, seq Seq, key string) Command {
	return Command{Op: OpGet, Client: client, Seq: seq, Key: key}
}

// Put builds a command that sets key to value.
func Put(client ClientID, seq Seq, key, value string) Command {
	return Command{Op: OpPut, Client: client, Seq: seq, Key: key, Value: value}
}

// Append builds a command that appends value to key's value.
func Append(client ClientID, seq Seq, key, value string) Command {
	return Command{Op: OpAppend, Client: client, Seq: seq, Key: key, Value: value}
}

// Delete builds a command that removes key.
func Delete(client ClientID, seq Seq, key string) Command {
	return Command{Op: OpDelete, Client: client, Seq: seq, Key: key}
}

// CAS builds a command that sets key to newValue if key exists and holds
// expected.
func CAS(client ClientID, seq Seq, key, expected, newValue string) Command {
	return Command{Op: OpCAS, Client: client, Seq: seq, Key: key, Expected: expected, Value: newValue}
}

// Register builds the command that opens a client session.
func Register() Command { return Command{Op: OpRegister} }

// ErrInvalidCommand is wrapped by the errors of Command.Validate.
var ErrInvalidCommand = errors.New("kv: invalid command")

// Validate reports whether c can be encoded: a valid Op, a nonzero client
// and sequence number, sizes within MaxKeyBytes and MaxValueBytes, and no
// field that the Op does not use.
func (c Command) Validate() error {
	if !c.Op.valid() {
		return fmt.Errorf("%w: unknown op %d", ErrInvalidCommand, uint8(c.Op))
	}
	if c.Op == OpRegister {
		if c.Client != 0 || c.Seq != 0 || c.Key != "" {
			return fmt.Errorf("%w: %s carries a client, sequence number or key", ErrInvalidCommand, c.Op)
		}
		return nil
	}
	if c.Client == 0 && c.Seq != 0 {
		return fmt.Errorf("%w: %s: client ID is zero", ErrInvalidCommand, c.Op)
	}
	if c.Client != 0 && c.Seq == 0 {
		return fmt.Errorf("%w: %s: sequence number is zero", ErrInvalidCommand, c.Op)
	}
	if len(c.Key) > MaxKeyBytes {
		return fmt.Errorf("%w: %s: key of %d bytes exceeds %d", ErrInvalidCommand, c.Op, len(c.Key), MaxKeyBytes)
	}
	if len(c.Value) > MaxValueBytes {
		return fmt.Errorf("%w: %s: value of %d bytes exceeds %d", ErrInvalidCommand, c.Op, len(c.Value), MaxValueBytes)
	}
	if len(c.Expected) > MaxValueBytes {
		return fmt.Errorf("%w: %s: expected value of %d bytes exceeds %d", ErrInvalidCommand, c.Op, len(c.Expected), MaxValueBytes)
	}
	// A field the Op does not use would be dropped by the encoding; that
	// is a bug in the caller, not something to lose silently.
	if !c.Op.hasValue() && c.Value != "" {
		return fmt.Errorf("%w: %s carries a value", ErrInvalidCommand, c.Op)
	}
	if !c.Op.hasExpected() && c.Expected != "" {
		return fmt.Errorf("%w: %s carries an expected value", ErrInvalidCommand, c.Op)
	}
	return nil
}

func (c Command) String() string {
	switch {
	case c.Op.hasExpected():
		return fmt.Sprintf("%d/%d %s %q %q->%q", c.Client, c.Seq, c.Op, c.Key, c.Expected, c.Value)
	case c.Op.hasValue():
		return fmt.Sprintf("%d/%d %s %q %q", c.Client, c.Seq, c.Op, c.Key, c.Value)
	}
	return fmt.Sprintf("%d/%d %s %q", c.Client, c.Seq, c.Op, c.Key)
}

// EncodeCommand returns the wire form of c (see doc.go). It panics if c is
// invalid: commands are built by code, not typed by users, so an invalid
// one is a bug in the caller. Callers that build commands from outside
// input check Validate first.
func EncodeCommand(c Command) []byte {
	if err := c.Validate(); err != nil {
		panic(fmt.Sprintf("kv: EncodeCommand(%s): %v", c, err))
	}
	size := 1 + uvarintLen(uint64(c.Client)) + uvarintLen(uint64(c.Seq)) +
		uvarintLen(uint64(len(c.Key))) + len(c.Key)
	if c.Op.hasExpected() {
		size += uvarintLen(uint64(len(c.Expected))) + len(c.Expected)
	}
	if c.Op.hasValue() {
		size += uvarintLen(uint64(len(c.Value))) + len(c.Value)
	}
	b := appendCommand(make([]byte, 0, size), c)
	if len(b) != size {
		panic(fmt.Sprintf("kv: EncodeCommand(%s) wrote %d bytes, sized %d", c, len(b), size))
	}
	return b
}

// appendCommand appends the wire form of c, which must be valid, to dst.
func appendCommand(dst []byte, c Command) []byte {
	dst = append(dst, byte(c.Op))
	dst = binary.AppendUvarint(dst, uint64(c.Client))
	dst = binary.AppendUvarint(dst, uint64(c.Seq))
	dst = appendString(dst, c.Key)
	if c.Op.hasExpected() {
		dst = appendString(dst, c.Expected)
	}
	if c.Op.hasValue() {
		dst = appendString(dst, c.Value)
	}
	return dst
}

// DecodeCommand parses the wire form of a command. It accepts exactly the
// outputs of EncodeCommand, and never panics on any input.
func DecodeCommand(b []byte) (Command, error) {
	v, err := decodeCommandView(b)
	if err != nil {
		return Command{}, err
	}
	return Command{
		Op:       v.op,
		Client:   v.client,
		Seq:      v.seq,
		Key:      string(v.key),
		Value:    string(v.value),
		Expected: string(v.expected),
	}, nil
}

// commandView is a decoded command whose byte fields alias the encoded
// input, so that Apply decodes without allocating. It must not outlive
// the input.
type commandView struct {
	op       Op
	client   ClientID
	seq      Seq
	key      []byte
	value    []byte
	expected []byte
}

func decodeCommandView(b []byte) (commandView, error) {
	var v commandView
	r := reader{buf: b}
	op, err := r.byte1("command op")
	if err != nil {
		return v, err
	}
	v.op = Op(op)
	if !v.op.valid() {
		return v, fmt.Errorf("%w: command: unknown op %d", ErrMalformed, op)
	}
	client, err := r.uvarint("command client")
	if err != nil {
		return v, err
	}
	if v.op == OpRegister {
		return v, decodeRegister(&r, client)
	}
	v.client = ClientID(client)
	seq, err := r.uvarint("command seq")
	if err != nil {
		return v, err
	}
	if client == 0 && seq != 0 {
		return v, fmt.Errorf("%w: command: client ID is zero", ErrMalformed)
	}
	if client != 0 && seq == 0 {
		return v, fmt.Errorf("%w: command: sequence number is zero", ErrMalformed)
	}
	v.seq = Seq(seq)
	if v.key, err = r.bytes("command key", MaxKeyBytes); err != nil {
		return v, err
	}
	if v.op.hasExpected() {
		if v.expected, err = r.bytes("command expected value", MaxValueBytes); err != nil {
			return v, err
		}
	}
	if v.op.hasValue() {
		if v.value, err = r.bytes("command value", MaxValueBytes); err != nil {
			return v, err
		}
	}
	return v, r.end("command")
}

// decodeRegister reads the rest of a Register command: zero sequence
// number, empty key, as EncodeCommand writes it.
func decodeRegister(r *reader, client uint64) error {
	seq, err := r.uvarint("command seq")
	if err != nil {
		return err
	}
	key, err := r.bytes("command key", MaxKeyBytes)
	if err != nil {
		return err
	}
	if client != 0 || seq != 0 || len(key) != 0 {
		return fmt.Errorf("%w: command: Register carries a client, sequence number or key", ErrMalformed)
	}
	return r.end("command")
}
