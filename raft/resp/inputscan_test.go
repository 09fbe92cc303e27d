package resp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/redcon"
	"pgregory.net/rapid"
)

var smallLimits = Limits{MaxBulkBytes: 100, MaxArgs: 4, MaxQueryBytes: 200, MaxConns: 1}

func respCommand(args ...string) []byte {
	b := redcon.AppendArray(nil, len(args))
	for _, a := range args {
		b = redcon.AppendBulkString(b, a)
	}
	return b
}

// Well-formed input within the limits passes whole, however it is cut
// into reads, and the scanner ends each command where redcon does.
func TestScannerPassesInputWithinLimits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var in []byte
		n := rapid.IntRange(1, 20).Draw(t, "commands")
		for range n {
			if rapid.Bool().Draw(t, "inline") {
				words := rapid.SliceOfN(rapid.StringMatching(`[a-z0-9]{1,10}`), 1, 4).Draw(t, "words")
				in = append(in, strings.Join(words, " ")+"\r\n"...)
				continue
			}
			raw := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 0, 40), 1, 4).Draw(t, "args")
			args := make([]string, len(raw))
			for i, a := range raw {
				args[i] = string(a)
			}
			in = append(in, respCommand(args...)...)
		}
		s := newInputScanner(smallLimits)
		for rest := in; len(rest) > 0; {
			k := rapid.IntRange(1, len(rest)).Draw(t, "read")
			got, err := s.scan(rest[:k])
			if err != nil || got != k {
				t.Fatalf("scan of %q = %d, %v; want %d, nil", rest[:k], got, err, k)
			}
			rest = rest[k:]
		}
		if s.st != scanCommand || s.cmdBytes != 0 {
			t.Fatalf("after whole commands the scanner is in state %d with %d bytes", s.st, s.cmdBytes)
		}
		cmds, err := redcon.NewReader(bytes.NewReader(in)).ReadCommands()
		if err != nil || len(cmds) != n {
			t.Fatalf("redcon reads %d commands (%v), want %d", len(cmds), err, n)
		}
	})
}

// Each limit stops the input at the first byte past it, with a reply
// that names it: a bulk's length and a command's argument count as soon
// as their headers end, before the data they announce.
func TestScannerStopsAtEachLimit(t *testing.T) {
	ping := respCommand("PING")
	big := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name string
		in   []byte
		// at is where the scan must stop: the length of the allowed
		// prefix.
		at   int
		want string
	}{
		{"bulk length", append(append([]byte{}, ping...), "*2\r\n$3\r\nGET\r\n$101\r\n"...), len(ping) + len("*2\r\n$3\r\nGET\r\n$101\r\n") - 1,
			"an argument of 101 bytes, limit 100"},
		{"lying bulk length", []byte("*2\r\n$3\r\nGET\r\n$999999999999\r\n"), len("*2\r\n$3\r\nGET\r\n$999999999999\r\n") - 1,
			"an argument of 999999999999 bytes, limit 100"},
		{"argument count", []byte("*5\r\n$3\r\nGET\r\n"), len("*5\r\n") - 1, "5 arguments in one command, limit 4"},
		{"inline words", []byte("a b c d e f\r\n"), len("a b c d "), "more than 4 words in an inline command"},
		// Refused at the second bulk's header, which announces data past
		// the limit.
		{"command size", respCommand("SET", big(90), big(90), big(30)), len("*4\r\n$3\r\nSET\r\n$90\r\n"+big(90)+"\r\n$90\r\n") - 1,
			"a command of more than 200 bytes"},
		{"inline size", []byte(big(300)), 200, "a command of more than 200 bytes"},
		{"header size", []byte("*" + big(30)), 1 + maxHeaderBytes, "a header longer than 24 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newInputScanner(smallLimits)
			got, err := s.scan(c.in)
			if err == nil || got != c.at || !strings.Contains(err.reply, c.want) || !strings.HasPrefix(err.reply, "ERR Protocol error: ") {
				t.Fatalf("scan = %d, %v; want %d and an error with %q", got, err, c.at, c.want)
			}
		})
	}
}

// An inline command is bounded by MaxInlineBytes whatever the query
// buffer limit.
func TestScannerBoundsInlineCommands(t *testing.T) {
	s := newInputScanner(Limits{MaxBulkBytes: 1, MaxArgs: 1, MaxQueryBytes: MaxQueryBytesMax, MaxConns: 1})
	got, err := s.scan(bytes.Repeat([]byte("x"), MaxInlineBytes+10))
	if err == nil || got != MaxInlineBytes || err.reply != "ERR Protocol error: an inline command of more than 65536 bytes" {
		t.Fatalf("scan = %d, %v", got, err)
	}
}

// The scanner's state stays bounded whatever it is fed: its header buffer
// never grows past maxHeaderBytes.
func TestScannerStateIsBounded(t *testing.T) {
	s := newInputScanner(Limits{MaxBulkBytes: MaxBulkBytesMax, MaxArgs: MaxArgsMax, MaxQueryBytes: MaxQueryBytesMax, MaxConns: 1})
	in := []byte(fmt.Sprintf("*%d\r\n", MaxArgsMax))
	for range 1000 {
		in = append(in, "$10\r\n0123456789\r\n"...)
	}
	if n, err := s.scan(in); err != nil || n != len(in) || cap(s.hdr) != maxHeaderBytes {
		t.Fatalf("scan = %d, %v, header capacity %d", n, err, cap(s.hdr))
	}
}
