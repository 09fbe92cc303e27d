package checker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parsePorcupineKV reads porcupine's key-value test format: one EDN map per
// line with exactly the keys :process, :type, :f, :key and :value, e.g.
//
//	{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
//	{:process 0, :type :ok, :f :get, :key "0", :value "x 0 0 y"}
//
// Invocations and completions pair up per process. The format reads a
// missing key as "", so every Get is imported with FoundUnknown set.
func parsePorcupineKV(src *lineSource, sink opSink) error {
	p := newPairer(src.name, sink)
	for {
		text, lineNo, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		ev, field, err := parseKVEvent(text)
		if err != nil {
			return &ParseError{File: src.name, Line: lineNo, Field: field, Msg: err.Error()}
		}
		ev.line = lineNo
		if err := p.add(ev); err != nil {
			return err
		}
	}
	return p.finish(int64(src.lines+1), FormatPorcupineKV.String())
}

var kvEventKeys = [...]string{"process", "type", "f", "key", "value"}

func parseKVEvent(text string) (event, string, error) {
	var ev event
	if !utf8.ValidString(text) {
		return ev, "", errors.New("line is not valid UTF-8")
	}
	fields, field, err := readEDNMap(text)
	if err != nil {
		return ev, field, err
	}
	for _, k := range kvEventKeys {
		if _, ok := fields[k]; !ok {
			return ev, k, errors.New("missing")
		}
	}
	process := fields["process"]
	n, err := strconv.ParseUint(process.text, 10, 64)
	if process.kind != ednInt || err != nil {
		return ev, "process", fmt.Errorf("want a process number, got %s", process)
	}
	ev.process = n
	if ev.typ, err = ednEnum[eventType](fields["type"], eventTypeNames[:]); err != nil {
		return ev, "type", err
	}
	f := fields["f"]
	switch {
	case f.kind == ednKeyword && f.text == "get":
		ev.kind = OpGet
	case f.kind == ednKeyword && f.text == "put":
		ev.kind = OpPut
	case f.kind == ednKeyword && f.text == "append":
		ev.kind = OpAppend
	default:
		return ev, "f", fmt.Errorf("want :get, :put or :append, got %s", f)
	}
	key := fields["key"]
	if key.kind != ednString {
		return ev, "key", fmt.Errorf("want a string, got %s", key)
	}
	ev.key = key.text
	value := fields["value"]
	switch {
	case ev.typ == eventInfo:
		// The outcome is unknown; whatever the log says is not a result.
	case ev.kind == OpGet && ev.typ == eventInvoke:
		if value.kind != ednNil {
			return ev, "value", fmt.Errorf("a get is invoked with nil, got %s", value)
		}
	case ev.kind == OpGet && ev.typ == eventOK:
		if value.kind != ednString {
			return ev, "value", fmt.Errorf("want the string read, got %s", value)
		}
		ev.foundUnknown, ev.output = true, value.text
	case ev.kind == OpGet:
		// A failed get read nothing; its value carries no information.
	default:
		if value.kind != ednString {
			return ev, "value", fmt.Errorf("want a string, got %s", value)
		}
		ev.value = value.text
	}
	return ev, "", nil
}

func ednEnum[E ~uint8](v ednValue, names []string) (E, error) {
	if v.kind == ednKeyword {
		for i, name := range names {
			if name != "" && name == v.text {
				return E(i), nil
			}
		}
	}
	return 0, fmt.Errorf("want one of :invoke, :ok, :fail, :info, got %s", v)
}

// ednKind is the type of the few EDN values the format uses.
type ednKind uint8

const (
	ednKeyword ednKind = iota + 1
	ednString
	ednInt
	ednNil
)

// ednValue is a scalar EDN value; text is the keyword without its colon,
// the decoded string, or the integer's digits.
type ednValue struct {
	kind ednKind
	text string
}

func (v ednValue) String() string {
	switch v.kind {
	case ednKeyword:
		return ":" + v.text
	case ednString:
		return strconv.Quote(v.text)
	case ednNil:
		return "nil"
	}
	return v.text
}

// readEDNMap decodes a line holding one flat EDN map from keywords to
// scalars. EDN treats commas as whitespace.
func readEDNMap(text string) (map[string]ednValue, string, error) {
	r := ednReader{s: text}
	r.skipSpace()
	if !r.consume('{') {
		return nil, "", errors.New("want a map starting with '{'")
	}
	fields := map[string]ednValue{}
	for {
		r.skipSpace()
		if r.consume('}') {
			break
		}
		if r.done() {
			return nil, "", errors.New("map is not closed with '}'")
		}
		key, err := r.value()
		if err != nil {
			return nil, "", err
		}
		if key.kind != ednKeyword {
			return nil, "", fmt.Errorf("want a keyword as map key, got %s", key)
		}
		if !isKVKey(key.text) {
			return nil, key.text, errors.New("unknown key")
		}
		if _, dup := fields[key.text]; dup {
			return nil, key.text, errors.New("duplicate key")
		}
		r.skipSpace()
		if r.done() || r.peek() == '}' {
			return nil, key.text, errors.New("key without a value")
		}
		v, err := r.value()
		if err != nil {
			return nil, key.text, err
		}
		fields[key.text] = v
	}
	r.skipSpace()
	if !r.done() {
		return nil, "", errors.New("trailing data after the map")
	}
	return fields, "", nil
}

func isKVKey(k string) bool {
	for _, want := range kvEventKeys {
		if k == want {
			return true
		}
	}
	return false
}

type ednReader struct {
	s   string
	pos int
}

func (r *ednReader) done() bool { return r.pos >= len(r.s) }
func (r *ednReader) peek() byte { return r.s[r.pos] }

func (r *ednReader) consume(c byte) bool {
	if !r.done() && r.peek() == c {
		r.pos++
		return true
	}
	return false
}

func (r *ednReader) skipSpace() {
	for !r.done() && (r.peek() == ' ' || r.peek() == '\t' || r.peek() == ',') {
		r.pos++
	}
}

// value reads one keyword, string, integer or nil.
func (r *ednReader) value() (ednValue, error) {
	if r.consume('"') {
		return r.stringBody()
	}
	start := r.pos
	for !r.done() && isEDNSymbolByte(r.peek()) {
		r.pos++
	}
	tok := r.s[start:r.pos]
	if tok == "" {
		return ednValue{}, fmt.Errorf("unexpected %q", r.s[r.pos:r.pos+1])
	}
	if !r.done() && !strings.ContainsRune(" \t,}", rune(r.peek())) {
		return ednValue{}, fmt.Errorf("unexpected %q after %s", r.s[r.pos:r.pos+1], tok)
	}
	switch {
	case tok == "nil":
		return ednValue{kind: ednNil}, nil
	case len(tok) > 1 && tok[0] == ':' && !strings.Contains(tok[1:], ":"):
		return ednValue{kind: ednKeyword, text: tok[1:]}, nil
	}
	if _, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return ednValue{kind: ednInt, text: tok}, nil
	}
	return ednValue{}, fmt.Errorf("unsupported value %s (want a keyword, string, integer or nil)", tok)
}

func isEDNSymbolByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(":*+!-_?<>=/.", c) >= 0
}

// stringBody reads the rest of a string literal after its opening quote.
func (r *ednReader) stringBody() (ednValue, error) {
	var b strings.Builder
	for !r.done() {
		c := r.peek()
		r.pos++
		switch c {
		case '"':
			return ednValue{kind: ednString, text: b.String()}, nil
		case '\\':
			if r.done() {
				return ednValue{}, errors.New("string ends in a backslash")
			}
			esc := r.peek()
			r.pos++
			switch esc {
			case '"', '\\':
				b.WriteByte(esc)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				return ednValue{}, fmt.Errorf("unsupported escape \\%c in string", esc)
			}
		default:
			b.WriteByte(c)
		}
	}
	return ednValue{}, errors.New("string is not closed")
}
