package scenarios

import "fmt"

// MaxNesting bounds how deep a scenario file nests: every part of a table
// header or of a dotted key is a level, and so is every array and inline
// table a value opens. The TOML library's memory grows with the square of
// the depth (a 40 KB file of 20,000 nested keys takes gigabytes), so
// checkNesting measures it on the text, before the library reads it. The
// library's scenarios nest at most 5 levels deep; the limit leaves room
// for more and still bounds the library's work.
const MaxNesting = 32

// nestFrame is an open array or inline table.
type nestFrame struct {
	// base is the depth of the array's elements, or of the inline
	// table's own value (its keys add their parts to it).
	base   int
	inline bool
}

// nestScanner measures nesting in one pass over the text, with no
// recursion: strings and comments are skipped, brackets are counted. It
// does not judge the syntax; the TOML library does that next.
type nestScanner struct {
	data []byte
	i    int
	line int
	// header is the depth the current [table] header sets.
	header int
	stack  []nestFrame
	// inKey is set while a key is read; parts counts its dotted parts
	// and keyBase is the depth it starts from.
	inKey          bool
	parts, keyBase int
	// value is the depth of the value being read.
	value int
	// lineStart is set at the start of a top-level line, up to its first
	// non-blank byte.
	lineStart bool
	// deepest is the largest depth seen so far.
	deepest int
}

// checkNesting reports an *Error naming the first line that nests deeper
// than MaxNesting.
func checkNesting(file string, data []byte) error {
	s := nestScanner{data: data, line: 1, lineStart: true}
	if line, ok := s.scan(); !ok {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf("nested more than %d levels deep (MaxNesting: tables, dotted keys, arrays and inline tables): not a scenario file", MaxNesting)}
	}
	return nil
}

// scan walks the text; it returns false and the line where the depth
// first passes MaxNesting.
func (s *nestScanner) scan() (int, bool) {
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '\n':
			s.line++
			if len(s.stack) == 0 {
				s.lineStart, s.inKey = true, false
			}
		case c == ' ' || c == '\t' || c == '\r':
		case c == '#':
			for s.i+1 < len(s.data) && s.data[s.i+1] != '\n' {
				s.i++
			}
		case c == '"' || c == '\'':
			s.skipString(c)
			s.startKey()
		case s.lineStart && c == '[':
			s.tableHeader()
		default:
			s.token(c)
		}
		if s.deepest > MaxNesting {
			return s.line, false
		}
		s.i++
	}
	return 0, true
}

// startKey starts a key where one may start: the first token of a
// top-level line, or of an inline table's member.
func (s *nestScanner) startKey() {
	if s.lineStart {
		s.lineStart, s.inKey, s.parts, s.keyBase = false, true, 1, s.header
	}
}

// token handles a byte of a key or a value that is no string, comment or
// blank.
func (s *nestScanner) token(c byte) {
	s.startKey()
	if s.inKey {
		switch c {
		case '.':
			s.parts++
		case '=':
			s.inKey = false
			s.value = s.keyBase + s.parts
			s.deepest = max(s.deepest, s.value)
		}
		return
	}
	switch c {
	case '[':
		s.stack = append(s.stack, nestFrame{base: s.value + 1})
		s.value++
		s.deepest = max(s.deepest, s.value)
	case '{':
		s.stack = append(s.stack, nestFrame{base: s.value, inline: true})
		s.inKey, s.parts, s.keyBase = true, 1, s.value
	case ']', '}':
		if len(s.stack) > 0 {
			s.stack = s.stack[:len(s.stack)-1]
		}
		if len(s.stack) > 0 {
			s.value = s.stack[len(s.stack)-1].base
		}
	case ',':
		if n := len(s.stack); n > 0 && s.stack[n-1].inline {
			s.inKey, s.parts, s.keyBase = true, 1, s.stack[n-1].base
		}
	}
}

// tableHeader reads a [table] or [[array of tables]] header: each dotted
// part is a level, and an array of tables one more.
func (s *nestScanner) tableHeader() {
	s.lineStart = false
	depth := 1
	if s.i+1 < len(s.data) && s.data[s.i+1] == '[' {
		depth++
		s.i++
	}
	for s.i++; s.i < len(s.data) && s.data[s.i] != ']' && s.data[s.i] != '\n'; s.i++ {
		switch c := s.data[s.i]; c {
		case '"', '\'':
			s.skipString(c)
		case '.':
			depth++
		}
	}
	s.header = depth
	s.deepest = max(s.deepest, depth)
	if s.i < len(s.data) && s.data[s.i] == '\n' {
		s.i-- // the newline ends the line in scan
	}
}

// skipString moves past the string that opens at s.i with quote q
// (basic, literal, or either multi-line kind), leaving s.i on its last
// byte, and counts its newlines.
func (s *nestScanner) skipString(q byte) {
	d := s.data
	triple := s.i+2 < len(d) && d[s.i+1] == q && d[s.i+2] == q
	if triple {
		s.i += 3
		for ; s.i < len(d); s.i++ {
			switch {
			case d[s.i] == '\n':
				s.line++
			case d[s.i] == '\\' && q == '"':
				if s.i+1 < len(d) && d[s.i+1] == '\n' {
					s.line++
				}
				s.i++
			case s.i+2 < len(d) && d[s.i] == q && d[s.i+1] == q && d[s.i+2] == q:
				// Up to two more quotes may close it: """a"""" is a".
				s.i += 2
				for s.i+1 < len(d) && d[s.i+1] == q {
					s.i++
				}
				return
			}
		}
		return
	}
	for s.i++; s.i < len(d) && d[s.i] != q && d[s.i] != '\n'; s.i++ {
		if d[s.i] == '\\' && q == '"' {
			s.i++
		}
	}
	if s.i < len(d) && d[s.i] == '\n' {
		s.i-- // an unterminated string: the newline ends the line in scan
	}
}
