package scenarios

import (
	"slices"
	"strconv"
	"strings"
)

// positions maps the path of every key, table and array element in a TOML
// text to the line it starts on, so that semantic errors found after
// decoding can name their line. Paths are those the decoder uses:
// "raft.election_ticks", "timeline[2]", "timeline[2].groups[1]".
//
// The TOML library parses and validates the text; it reports positions only
// for its own syntax errors, and keeps one position per key name, which is
// ambiguous inside arrays of tables. So this small scanner walks the same
// text once more. It runs only on text the library has accepted, so it
// need not diagnose anything: it tracks strings, comments, brackets and
// table headers, and nothing else. On text it does not understand it still
// terminates (every step advances) and returns fewer positions.
type positions struct {
	lines map[string]int
	// newlines holds the offset of every '\n', for offset -> line.
	newlines []int
}

// line returns the 1-based line of path, or of its nearest ancestor that
// has one, or 0 (the file as a whole).
func (p *positions) line(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

// keyAliases are the file's other spellings of an Action field that the
// simulator names one way: a nemesis's after is its within, an
// isolation's restart_after its reconnect_after.
var keyAliases = map[string]string{"after": "within", "restart_after": "reconnect_after"}

// spelling returns path as the file spells it: path itself when the file
// has it, else the alias of its last key that the file has.
func (p *positions) spelling(path string) string {
	if _, ok := p.lines[path]; ok {
		return path
	}
	if parent := parentPath(path); parent != "" {
		if alias, ok := keyAliases[strings.TrimPrefix(path, parent+".")]; ok {
			if _, ok := p.lines[parent+"."+alias]; ok {
				return parent + "." + alias
			}
		}
	}
	return path
}

// parentPath strips the last segment: "a.b[2]" -> "a.b", "a.b" -> "a".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func indexPositions(src string) *positions {
	p := &positions{lines: map[string]int{}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			p.newlines = append(p.newlines, i)
		}
	}
	s := &posScanner{src: src, p: p, arrays: map[string]int{}}
	s.document()
	return p
}

type posScanner struct {
	src string
	i   int
	p   *positions
	// arrays counts the elements of each array of tables seen so far.
	arrays map[string]int
	// depth bounds recursion into nested values.
	depth int
}

// maxDepth bounds the nesting the scanner follows; the TOML library has
// accepted the text already, so deeper values only lose their positions.
const maxDepth = 64

func (s *posScanner) lineAt(off int) int {
	n, _ := slices.BinarySearch(s.p.newlines, off)
	return n + 1
}

func (s *posScanner) mark(path string, off int) {
	if _, ok := s.p.lines[path]; !ok {
		s.p.lines[path] = s.lineAt(off)
	}
}

func (s *posScanner) eof() bool { return s.i >= len(s.src) }

func (s *posScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

// skip passes spaces, and also newlines and comments when multiline.
func (s *posScanner) skip(multiline bool) {
	for !s.eof() {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '\n' && multiline:
			s.i++
		case c == '#' && multiline:
			for !s.eof() && s.src[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

func (s *posScanner) document() {
	table := ""
	for {
		s.skip(true)
		if s.eof() {
			return
		}
		start := s.i
		if s.peek() == '[' {
			table = s.header()
		} else {
			s.keyValue(table)
		}
		if s.i == start {
			s.i++ // not TOML we understand; move on
		}
	}
}

// header reads "[a.b]" or "[[a.b]]" and returns the table's path.
func (s *posScanner) header() string {
	start := s.i
	s.i++
	isArray := s.peek() == '['
	if isArray {
		s.i++
	}
	keys := s.key()
	s.skip(false)
	for !s.eof() && s.src[s.i] == ']' {
		s.i++
	}
	path := ""
	for n, k := range keys {
		path = joinPath(path, k)
		count, known := s.arrays[path]
		last := n == len(keys)-1
		switch {
		case last && isArray:
			s.arrays[path] = count + 1
			s.mark(path, start)
			path = indexPath(path, count)
		case known && count > 0:
			path = indexPath(path, count-1)
		}
	}
	s.mark(path, start)
	return path
}

// key reads a dotted key of bare or quoted segments.
func (s *posScanner) key() []string {
	var keys []string
	for {
		s.skip(false)
		if s.eof() {
			return keys
		}
		switch c := s.src[s.i]; {
		case c == '"' || c == '\'':
			keys = append(keys, s.quotedKey(c))
		default:
			start := s.i
			for !s.eof() && isBare(s.src[s.i]) {
				s.i++
			}
			if s.i == start {
				return keys
			}
			keys = append(keys, s.src[start:s.i])
		}
		s.skip(false)
		if s.peek() != '.' {
			return keys
		}
		s.i++
	}
}

func isBare(c byte) bool {
	return c == '_' || c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// quotedKey reads a quoted key segment; escapes are kept as written, which
// only matters for keys the decoder rejects anyway.
func (s *posScanner) quotedKey(q byte) string {
	s.i++
	start := s.i
	for !s.eof() && s.src[s.i] != q && s.src[s.i] != '\n' {
		if q == '"' && s.src[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	end := min(s.i, len(s.src))
	if !s.eof() && s.src[s.i] == q {
		s.i++
	}
	return s.src[start:end]
}

func (s *posScanner) keyValue(prefix string) {
	start := s.i
	keys := s.key()
	if len(keys) == 0 {
		return
	}
	path := prefix
	for _, k := range keys {
		path = joinPath(path, k)
		s.mark(path, start)
	}
	s.skip(false)
	if s.peek() != '=' {
		return
	}
	s.i++
	s.skip(false)
	s.value(path)
}

func (s *posScanner) value(path string) {
	if s.eof() {
		return
	}
	s.depth++
	defer func() { s.depth-- }()
	switch c := s.src[s.i]; c {
	case '"', '\'':
		s.str(c)
	case '[':
		s.i++
		for n := 0; ; n++ {
			s.skip(true)
			if s.eof() || s.peek() == ']' {
				s.i++
				return
			}
			elem := indexPath(path, n)
			s.mark(elem, s.i)
			start := s.i
			if s.depth < maxDepth {
				s.value(elem)
			} else {
				s.scalar()
			}
			s.skip(true)
			if s.peek() == ',' {
				s.i++
			} else if s.i == start {
				s.i++
			}
		}
	case '{':
		s.i++
		for {
			s.skip(true)
			if s.eof() || s.peek() == '}' {
				s.i++
				return
			}
			start := s.i
			if s.depth < maxDepth {
				s.keyValue(path)
			}
			s.skip(true)
			if s.peek() == ',' {
				s.i++
			} else if s.i == start {
				s.i++
			}
		}
	default:
		s.scalar()
	}
}

// scalar passes a number, boolean or date: up to the next delimiter.
func (s *posScanner) scalar() {
	for !s.eof() {
		switch s.src[s.i] {
		case ',', ']', '}', '\n', '#':
			return
		}
		s.i++
	}
}

// str passes a basic, literal or multi-line string.
func (s *posScanner) str(q byte) {
	delim := string([]byte{q})
	if strings.HasPrefix(s.src[s.i:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	s.i += len(delim)
	for !s.eof() {
		if q == '"' && s.src[s.i] == '\\' {
			s.i += 2
			continue
		}
		if strings.HasPrefix(s.src[s.i:], delim) {
			s.i += len(delim)
			// A multi-line string may end with up to two more quotes
			// that belong to its content.
			for n := 0; n < 2 && len(delim) == 3 && s.peek() == q; n++ {
				s.i++
			}
			return
		}
		s.i++
	}
}
