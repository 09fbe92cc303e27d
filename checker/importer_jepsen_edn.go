package checker

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"olympos.io/encoding/edn"
)

// parseJepsenEDN reads Jepsen's history.edn: a sequence of EDN maps, one
// per event, either at the top level (one per line, as jepsen.store
// writes them) or inside one vector. A map may be tagged (Jepsen 0.3
// prints its Op records as #jepsen.history.Op{...}). Each map has
//
//	:type    :invoke, :ok, :fail or :info
//	:f       :read, :write or :cas
//	:process an integer, or :nemesis (skipped: it records faults)
//	:value   the register workload: nil or v (read), v (write), [old new] (cas);
//	         the key-value workload (jepsen.independent): [k value-as-above]
//
// Other keys (:time, :index, :error, ...) are ignored. Events are ordered
// by their position in the file, which is the order Jepsen observed them
// in; the event's ordinal (1-based) stands for its time, and errors name
// the line the event starts on. Parsing goes through a real EDN reader,
// so strings, comments, sets and tagged values anywhere are read as EDN
// defines them, and malformed EDN is an error naming its line.
func parseJepsenEDN(name string, data []byte, sink opSink) error {
	if err := ednDepth(name, data); err != nil {
		return err
	}
	p := newPairer(name, sink)
	forms, err := ednTopForms(name, data)
	if err != nil {
		return err
	}
	for i, f := range forms {
		perr := func(field string, err error) error {
			return &ParseError{File: name, Line: f.line, Field: field, Msg: err.Error()}
		}
		m, err := ednOpMap(f.value)
		if err != nil {
			return perr("", err)
		}
		if proc, ok := m[edn.Keyword("process")].(edn.Keyword); ok && proc == "nemesis" {
			continue
		}
		ev, field, err := jepsenEDNEvent(m, p)
		if err != nil {
			return perr(field, err)
		}
		ev.line = f.line
		if err := p.addAt(ev, int64(i+1)); err != nil {
			return err
		}
	}
	return p.finish(int64(len(forms)+1), FormatJepsenEDN.String())
}

// ednDepth checks that the collections of an EDN text nest at most
// MaxEDNDepth deep, before the decoder (which follows them by recursion)
// reads it. Strings, characters and comments are skipped.
func ednDepth(name string, data []byte) error {
	depth, line := 0, 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				switch data[i] {
				case '\\':
					i++
				case '\n':
					line++
				}
			}
		case '\\':
			i++ // a character literal: \( is no parenthesis
		case ';':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '(', '[', '{':
			if depth++; depth > maxEDNDepth {
				return &ParseError{File: name, Line: line, Msg: fmt.Sprintf("collections nested more than %d deep (MaxEDNDepth)", maxEDNDepth)}
			}
		case ')', ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// ednForm is one top-level value of a history.edn and the line it starts on.
type ednForm struct {
	value any
	line  int
}

// maxEDNForms bounds the number of events a history.edn may hold; the
// file's size is bounded by Parse already, this bounds the slice of
// decoded values built from it.
const maxEDNForms = 20_000_000

// ednTopForms decodes the events of a history.edn with their lines. The
// decoder reads from a bytes.Reader, so the bytes it consumed, less what
// it holds buffered, give the position at which each value ends.
func ednTopForms(name string, data []byte) ([]ednForm, error) {
	body, base := data, 0
	if start := ednSkipSpace(data, 0); start < len(data) && data[start] == '[' {
		// One vector of events: read its elements one by one, so that
		// each keeps its line. The vector ends at the last ']'.
		end := bytes.LastIndexByte(data, ']')
		if end <= start || ednSkipSpace(data, end+1) != len(data) {
			return nil, &ParseError{File: name, Line: lineAt(data, start), Msg: "the vector of events is not closed by a final ]"}
		}
		body, base = data[start+1:end], start+1
	}
	r := bytes.NewReader(body)
	dec := edn.NewDecoder(r)
	var out []ednForm
	pos := 0
	for {
		start := ednSkipSpace(body, pos)
		if start >= len(body) {
			return out, nil
		}
		line := lineAt(data, base+start)
		if len(out) >= maxEDNForms {
			return nil, &ParseError{File: name, Line: line, Msg: fmt.Sprintf("more than %d events", maxEDNForms)}
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, &ParseError{File: name, Line: line, Msg: "EDN: " + err.Error()}
		}
		out = append(out, ednForm{value: v, line: line})
		pos = len(body) - r.Len() - dec.Buffered().Buffered()
	}
}

// ednSkipSpace returns the first position at or after i that is not EDN
// whitespace (commas included) or inside a ; comment.
func ednSkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r', ',', '\f':
			i++
		case ';':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// lineAt is the 1-based line of byte offset i.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:min(i, len(data))], []byte{'\n'}) + 1
}

// ednOpMap unwraps a tagged record and checks that v is a map with
// keyword keys.
func ednOpMap(v any) (map[edn.Keyword]any, error) {
	if t, ok := v.(edn.Tag); ok {
		v = t.Value
	}
	raw, ok := v.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("want an event map {:type ... :f ... :process ... :value ...}, got %s", ednShow(v))
	}
	m := make(map[edn.Keyword]any, len(raw))
	for k, val := range raw {
		if kw, ok := k.(edn.Keyword); ok {
			m[kw] = val
		}
	}
	return m, nil
}

// jepsenEDNEvent turns one event map into an event. The pairer gives the
// key and arguments of the open invocation, which completions that carry
// no value (a failed read, an :info) take over.
func jepsenEDNEvent(m map[edn.Keyword]any, p *pairer) (event, string, error) {
	var ev event
	proc, ok := m[edn.Keyword("process")].(int64)
	if !ok || proc < 0 {
		return ev, "process", fmt.Errorf("want a process number or :nemesis, got %s", ednShow(m[edn.Keyword("process")]))
	}
	ev.process = uint64(proc)
	switch typ, _ := m[edn.Keyword("type")].(edn.Keyword); typ {
	case "invoke":
		ev.typ = eventInvoke
	case "ok":
		ev.typ = eventOK
	case "fail":
		ev.typ = eventFail
	case "info":
		ev.typ = eventInfo
	default:
		return ev, "type", fmt.Errorf("want :invoke, :ok, :fail or :info, got %s", ednShow(m[edn.Keyword("type")]))
	}
	switch f, _ := m[edn.Keyword("f")].(edn.Keyword); f {
	case "read":
		ev.kind = OpGet
	case "write":
		ev.kind = OpPut
	case "cas":
		ev.kind = OpCAS
	default:
		return ev, "f", fmt.Errorf("want :read, :write or :cas (the register and key-value workloads), got %s", ednShow(m[edn.Keyword("f")]))
	}
	value, hasValue := m[edn.Keyword("value")]
	if !hasValue && ev.typ == eventInvoke && ev.kind != OpGet {
		return ev, "value", errors.New("missing")
	}
	ev.key = jepsenKey
	if k, inner, ok := independentTuple(ev.kind, value); ok {
		key, err := ednScalar(k)
		if err != nil {
			return ev, "value", fmt.Errorf("key: %v", err)
		}
		ev.key, value = key, inner
	} else if ev.typ != eventInvoke {
		if key, open := p.openKey(ev.process); open {
			// A completion without the [k v] tuple (a failure or an
			// :info with nil value) belongs to its invocation's key.
			ev.key = key
		}
	}
	if ev.typ == eventFail || ev.typ == eventInfo {
		// A failure or an indeterminate outcome observed nothing; its
		// value, if any, repeats the arguments or names an error.
		ev.noArgs = true
		return ev, "", nil
	}
	return ev, "value", ev.ednArgs(value)
}

// independentTuple recognizes jepsen.independent's [key value] tuple: a
// read or write whose value is a two-element vector, or a cas whose
// second element is itself the [old new] pair.
func independentTuple(kind OpKind, v any) (key, inner any, ok bool) {
	vec, isVec := v.([]any)
	if !isVec || len(vec) != 2 {
		return nil, nil, false
	}
	if kind == OpCAS {
		if _, pair := vec[1].([]any); !pair {
			return nil, nil, false
		}
	}
	return vec[0], vec[1], true
}

// ednArgs sets the arguments (invocations) or results (:ok) of a read,
// write or cas from its value.
func (ev *event) ednArgs(v any) error {
	switch ev.kind {
	case OpGet:
		if v == nil {
			return nil
		}
		if ev.typ == eventInvoke {
			return fmt.Errorf("a read is invoked with nil, got %s", ednShow(v))
		}
		s, err := ednScalar(v)
		if err != nil {
			return err
		}
		ev.found, ev.output = true, s
		return nil
	case OpPut:
		s, err := ednScalar(v)
		ev.value = s
		return err
	default:
		pair, ok := v.([]any)
		if !ok || len(pair) != 2 {
			return fmt.Errorf("want [old new], got %s", ednShow(v))
		}
		var err error
		if ev.expected, err = ednScalar(pair[0]); err != nil {
			return err
		}
		ev.value, err = ednScalar(pair[1])
		return err
	}
}

// ednScalar spells a register value or key: integers in decimal, strings
// as they are, keywords with their colon. Anything else is not a value
// the key-value model holds.
func ednScalar(v any) (string, error) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), nil
	case big.Int:
		return x.String(), nil
	case string:
		return x, nil
	case edn.Keyword:
		return ":" + string(x), nil
	}
	return "", fmt.Errorf("want an integer, string or keyword, got %s", ednShow(v))
}

// ednShow prints a decoded value back as EDN for error messages.
func ednShow(v any) string {
	if v == nil {
		return "nil"
	}
	b, err := edn.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

// isPorcupineKVLine tells porcupine's key-value events, which name a :key
// or get, put and append, from Jepsen's register events.
func isPorcupineKVLine(line string) bool {
	for _, s := range []string{":key ", ":f :get", ":f :put", ":f :append"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}
