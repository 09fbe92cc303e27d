package resp

import (
	"fmt"
	"strconv"
)

// inputScanner follows a client's RESP input as it arrives, byte by byte
// for headers and a run at a time for bulk data, and stops it at the
// first byte that would take a command past a Limit: it knows a bulk's
// length, a command's argument count and its size from their headers,
// before the data they announce is read. It does not validate: malformed
// input is the RESP reader's to refuse (it closes the connection), and
// the scanner only has to agree with it on well-formed input.
type inputScanner struct {
	lim Limits
	st  scanState
	// hdr holds the header line being read (after '*' or '$').
	// Invariant: len(hdr) <= maxHeaderBytes.
	hdr []byte
	// cmdBytes counts the bytes of the command being received.
	// Invariant: cmdBytes <= lim.MaxQueryBytes.
	cmdBytes int64
	// args is the number of bulk strings of the command still to come;
	// words the words of an inline command so far.
	args, words int
	// body is what remains of the current bulk, its "\r\n" included.
	body int64
	// inWord tells whether an inline command's last byte was part of a
	// word.
	inWord bool
}

type scanState uint8

const (
	scanCommand     scanState = iota // the next byte starts a command
	scanArrayHdr                     // after '*', up to "\n"
	scanBulkStart                    // expecting '$'
	scanBulkHdr                      // after '$', up to "\n"
	scanBulkBody                     // inside a bulk's data
	scanInline                       // an inline command, up to "\n"
	scanPassThrough                  // malformed: left to the RESP reader
)

// maxHeaderBytes bounds a "*N" or "$N" header line: 19 digits, a sign
// and "\r" fit.
const maxHeaderBytes = 24

// MaxInlineBytes bounds an inline command (a line of words, as telnet
// sends), as Redis does: the RESP reader rescans an unfinished line on
// every read and copies it word by word, so a long one costs time
// quadratic in its length and allocates many times its size.
const MaxInlineBytes = 64 << 10

// limitError is a client's input past a Limit.
type limitError struct {
	// reply is the error reply the client gets before the close.
	reply string
}

func (e *limitError) Error() string { return e.reply }

func newInputScanner(lim Limits) *inputScanner {
	return &inputScanner{lim: lim, hdr: make([]byte, 0, maxHeaderBytes)}
}

// scan follows p and returns how many of its bytes are within the limits:
// all of them and nil, or the bytes before the first one past a limit and
// the error that names it.
func (s *inputScanner) scan(p []byte) (int, *limitError) {
	i := 0
	for i < len(p) {
		if s.st == scanPassThrough {
			return len(p), nil
		}
		if s.st == scanBulkBody {
			n := int(min(s.body, int64(len(p)-i)))
			s.body -= int64(n)
			i += n
			if s.body == 0 {
				s.endArg()
			}
			continue
		}
		if err := s.step(p[i]); err != nil {
			return i, err
		}
		i++
	}
	return len(p), nil
}

// step follows one byte outside bulk data.
func (s *inputScanner) step(b byte) *limitError {
	s.cmdBytes++
	if s.cmdBytes > s.lim.MaxQueryBytes {
		return s.tooBig()
	}
	switch s.st {
	case scanCommand:
		if b == '*' {
			s.st, s.hdr = scanArrayHdr, s.hdr[:0]
			return nil
		}
		s.st, s.words, s.inWord = scanInline, 0, false
		return s.inline(b)
	case scanInline:
		if s.cmdBytes > MaxInlineBytes {
			return &limitError{fmt.Sprintf("ERR Protocol error: an inline command of more than %d bytes", MaxInlineBytes)}
		}
		return s.inline(b)
	case scanArrayHdr, scanBulkHdr:
		if b != '\n' {
			if len(s.hdr) == maxHeaderBytes {
				return &limitError{fmt.Sprintf("ERR Protocol error: a header longer than %d bytes", maxHeaderBytes)}
			}
			s.hdr = append(s.hdr, b)
			return nil
		}
		return s.header()
	case scanBulkStart:
		if b != '$' {
			s.st = scanPassThrough
			return nil
		}
		s.st, s.hdr = scanBulkHdr, s.hdr[:0]
	}
	return nil
}

// header handles a complete "*N" or "$N" line.
func (s *inputScanner) header() *limitError {
	line := s.hdr
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	n, err := strconv.ParseInt(string(line), 10, 64)
	if err != nil || n < 0 || (s.st == scanArrayHdr && n == 0) {
		s.st = scanPassThrough
		return nil
	}
	if s.st == scanArrayHdr {
		if n > int64(s.lim.MaxArgs) {
			return &limitError{fmt.Sprintf("ERR Protocol error: %d arguments in one command, limit %d", n, s.lim.MaxArgs)}
		}
		s.args, s.st = int(n), scanBulkStart
		return nil
	}
	if n > s.lim.MaxBulkBytes {
		return &limitError{fmt.Sprintf("ERR Protocol error: an argument of %d bytes, limit %d", n, s.lim.MaxBulkBytes)}
	}
	if s.cmdBytes+n+2 > s.lim.MaxQueryBytes {
		return s.tooBig()
	}
	s.cmdBytes += n + 2
	s.body, s.st = n+2, scanBulkBody
	return nil
}

// inline follows one byte of an inline command, counting its words.
func (s *inputScanner) inline(b byte) *limitError {
	switch b {
	case '\n':
		s.endCommand()
	case ' ', '\r':
		s.inWord = false
	default:
		if !s.inWord {
			s.inWord = true
			s.words++
			if s.words > s.lim.MaxArgs {
				return &limitError{fmt.Sprintf("ERR Protocol error: more than %d words in an inline command", s.lim.MaxArgs)}
			}
		}
	}
	return nil
}

func (s *inputScanner) endArg() {
	s.args--
	if s.args == 0 {
		s.endCommand()
		return
	}
	s.st = scanBulkStart
}

func (s *inputScanner) endCommand() { s.st, s.cmdBytes = scanCommand, 0 }

func (s *inputScanner) tooBig() *limitError {
	return &limitError{fmt.Sprintf("ERR Protocol error: a command of more than %d bytes (the query buffer limit)", s.lim.MaxQueryBytes)}
}
