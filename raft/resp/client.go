package resp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/tidwall/redcon"
)

// Value is a parsed RESP2 reply.
type Value struct {
	// Kind is the reply's type byte: '+' status, '-' error, ':' integer,
	// '$' bulk string, '*' array.
	Kind byte
	// Str is the text of a status, error or bulk string.
	Str string
	Int int64
	// Null marks a nil bulk string or array.
	Null  bool
	Array []Value
}

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Kind == '-' }

// Code is the first word of an error reply ("ERR", "UNKNOWN", ...).
func (v Value) Code() string {
	if !v.IsError() {
		return ""
	}
	for i := 0; i < len(v.Str); i++ {
		if v.Str[i] == ' ' {
			return v.Str[:i]
		}
	}
	return v.Str
}

func (v Value) String() string {
	switch v.Kind {
	case ':':
		return strconv.FormatInt(v.Int, 10)
	case '*':
		return fmt.Sprint(v.Array)
	}
	if v.Null {
		return "(nil)"
	}
	return v.Str
}

// Client is a minimal RESP client on one connection, for tools and
// tests that need to see every reply exactly (the live test's workload,
// status polls). It is not safe for concurrent use.
type Client struct {
	c net.Conn
	r *bufio.Reader
}

// Dial connects to addr within timeout.
func Dial(addr string, timeout time.Duration) (*Client, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, r: bufio.NewReader(c)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Do sends one command and reads its reply. An error reply is a Value,
// not an error; the error is for the connection (which is then unusable:
// close it). ctx's deadline bounds the whole exchange.
func (c *Client) Do(ctx context.Context, args ...string) (Value, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(time.Minute)
	}
	c.c.SetDeadline(dl)
	b := redcon.AppendArray(nil, len(args))
	for _, a := range args {
		b = redcon.AppendBulkString(b, a)
	}
	if _, err := c.c.Write(b); err != nil {
		return Value{}, err
	}
	raw, err := readReply(c.r, nil, 0)
	if err != nil {
		return Value{}, err
	}
	v, rest, err := ParseValue(raw)
	if err != nil || len(rest) != 0 {
		return Value{}, fmt.Errorf("%w: %q", errBadReply, raw)
	}
	return v, nil
}

// ParseValue parses one reply from the front of raw, which readReply
// has already checked for framing.
func ParseValue(raw []byte) (Value, []byte, error) {
	end := 0
	for end+1 < len(raw) && !(raw[end] == '\r' && raw[end+1] == '\n') {
		end++
	}
	if len(raw) < 3 || end+1 >= len(raw) {
		return Value{}, nil, errBadReply
	}
	v := Value{Kind: raw[0]}
	body := string(raw[1:end])
	rest := raw[end+2:]
	switch v.Kind {
	case '+', '-':
		v.Str = body
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return Value{}, nil, errBadReply
		}
		v.Int = n
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 {
			return Value{}, nil, errBadReply
		}
		if n < 0 {
			v.Null = true
			return v, rest, nil
		}
		if n+2 > len(rest) {
			return Value{}, nil, errBadReply
		}
		v.Str = string(rest[:n])
		rest = rest[n+2:]
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > len(rest) {
			return Value{}, nil, errBadReply
		}
		if n < 0 {
			v.Null = true
			return v, rest, nil
		}
		for i := 0; i < n; i++ {
			var e Value
			if e, rest, err = ParseValue(rest); err != nil {
				return Value{}, nil, err
			}
			v.Array = append(v.Array, e)
		}
	default:
		return Value{}, nil, errBadReply
	}
	return v, rest, nil
}

// Status asks a node for RAFT.STATUS and returns it as a map.
func Status(ctx context.Context, addr string) (map[string]string, error) {
	c, err := Dial(addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	v, err := c.Do(ctx, "RAFT.STATUS")
	if err != nil {
		return nil, err
	}
	if v.Kind != '*' || len(v.Array)%2 != 0 {
		return nil, fmt.Errorf("RAFT.STATUS answered %v", v)
	}
	m := make(map[string]string, len(v.Array)/2)
	for i := 0; i+1 < len(v.Array); i += 2 {
		m[v.Array[i].Str] = v.Array[i+1].Str
	}
	return m, nil
}
