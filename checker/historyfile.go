package checker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// historyFormatName and historyFormatVersion open every file in our
// JSON-lines format, so that a reader can tell it from anything else and
// a later format can change without misreading old files.
const (
	historyFormatName    = "raftsim-history"
	historyFormatVersion = 1
)

// WriteHistory writes h in the canonical JSON-lines format described in
// the package documentation. The output is a function of h alone: fields
// in a fixed order, meta keys sorted, no optional whitespace. Reading it
// back with [Parse] gives h again.
func WriteHistory(w io.Writer, h History) error {
	if err := h.validate(); err != nil {
		return err
	}
	hw, err := NewHistoryWriter(w, h.Meta)
	if err != nil {
		return err
	}
	for _, op := range h.Ops {
		if err := hw.Write(op); err != nil {
			return err
		}
	}
	return hw.Flush()
}

// HistoryWriter writes a history one operation at a time, as a run
// records it, in the format of [WriteHistory].
type HistoryWriter struct {
	bw  *bufio.Writer
	buf []byte
}

// NewHistoryWriter writes the header line (with meta) and returns a
// writer for the operations.
func NewHistoryWriter(w io.Writer, meta map[string]string) (*HistoryWriter, error) {
	h := History{Meta: meta}
	if err := h.validate(); err != nil {
		return nil, err
	}
	hw := NewOperationWriter(w)
	hw.buf = appendHeader(hw.buf, meta)
	_, err := hw.bw.Write(hw.buf)
	return hw, err
}

// NewOperationWriter returns a writer of operation lines without the
// header, for a history whose header is only known once it ends: the
// lines go to a scratch file, to be copied after NewHistoryWriter's
// header.
func NewOperationWriter(w io.Writer) *HistoryWriter {
	return &HistoryWriter{bw: bufio.NewWriter(w)}
}

// Write writes one operation, which must be valid (see [Operation]).
func (hw *HistoryWriter) Write(op Operation) error {
	if field, problem := op.check(); problem != "" {
		return fmt.Errorf("%w: %v: %s: %s", ErrInvalidHistory, op, field, problem)
	}
	hw.buf = appendOperation(hw.buf[:0], op)
	_, err := hw.bw.Write(hw.buf)
	return err
}

// Flush writes what is buffered.
func (hw *HistoryWriter) Flush() error { return hw.bw.Flush() }

func appendHeader(b []byte, meta map[string]string) []byte {
	b = append(b, `{"format":`...)
	b = appendJSONString(b, historyFormatName)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, historyFormatVersion, 10)
	if len(meta) > 0 {
		b = append(b, `,"meta":{`...)
		for i, k := range slices.Sorted(maps.Keys(meta)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, meta[k])
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// appendOperation writes exactly the fields that apply to op's kind and
// outcome; parseOperation requires exactly those.
func appendOperation(b []byte, op Operation) []byte {
	b = append(b, `{"client":`...)
	b = strconv.AppendUint(b, op.ClientID, 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, op.Seq, 10)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, op.Kind.String())
	b = append(b, `,"key":`...)
	b = appendJSONString(b, op.Key)
	if op.Kind == OpCAS {
		b = append(b, `,"expected":`...)
		b = appendJSONString(b, op.Expected)
	}
	if op.Kind == OpPut || op.Kind == OpAppend || op.Kind == OpCAS {
		b = append(b, `,"value":`...)
		b = appendJSONString(b, op.Value)
	}
	b = append(b, `,"invoke":`...)
	b = strconv.AppendInt(b, op.Invoke, 10)
	b = append(b, `,"complete":`...)
	b = strconv.AppendInt(b, op.Complete, 10)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, op.Outcome.String())
	if op.Outcome == OutcomeOK {
		switch {
		case op.Kind == OpGet && op.FoundUnknown:
			b = append(b, `,"found_unknown":true,"output":`...)
			b = appendJSONString(b, op.Output)
		case op.Kind == OpGet:
			b = append(b, `,"found":`...)
			b = strconv.AppendBool(b, op.Found)
			b = append(b, `,"output":`...)
			b = appendJSONString(b, op.Output)
		case op.Kind == OpCAS:
			b = append(b, `,"swapped":`...)
			b = strconv.AppendBool(b, op.Swapped)
		}
	}
	return append(b, "}\n"...)
}

// appendJSONString escapes only what JSON requires. encoding/json would
// also escape <, > and &, which is legal but makes files harder to read;
// s is valid UTF-8 (validate checked), so the bytes pass through as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// parseRaftsim reads our JSON-lines format: a header line, then one
// operation per line. Blank lines are skipped.
func parseRaftsim(src *lineSource, sink opSink) error {
	header := true
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
		perr := func(field, format string, args ...any) error {
			return &ParseError{File: src.name, Line: lineNo, Field: field, Msg: fmt.Sprintf(format, args...)}
		}
		if !utf8.ValidString(text) {
			return perr("", "line is not valid UTF-8")
		}
		fields, field, err := readFlatObject(text)
		if err != nil {
			return perr(field, "%v", err)
		}
		if header {
			meta, field, err := parseHeader(fields)
			if err != nil {
				return perr(field, "%v", err)
			}
			sink.setMeta(meta)
			header = false
			continue
		}
		op, field, err := parseOperation(fields)
		if err != nil {
			return perr(field, "%v", err)
		}
		if err := sink.op(lineNo, op); err != nil {
			return err
		}
	}
	if header {
		return &ParseError{File: src.name, Field: "format",
			Msg: fmt.Sprintf("missing header line {\"format\":%q,\"version\":%d}", historyFormatName, historyFormatVersion)}
	}
	return nil
}

// jsonField is one member of a flat JSON object, in file order. Value is
// a string, json.Number, bool, nil (null) or, for nested objects,
// map[string]string.
type jsonField struct {
	key   string
	value any
}

// readFlatObject decodes one line holding a JSON object whose members are
// scalars or objects of strings. It rejects duplicate keys, which
// encoding/json would silently resolve to the last one, and trailing data.
// On error it names the member at fault, if any.
func readFlatObject(text string) ([]jsonField, string, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	var fields []jsonField
	seen := map[string]bool{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, "", err
		}
		if seen[key] {
			return nil, key, errors.New("duplicate field")
		}
		seen[key] = true
		value, err := readValue(dec)
		if err != nil {
			return nil, key, err
		}
		fields = append(fields, jsonField{key, value})
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", errors.New("trailing data after the object")
	}
	return fields, "", nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("invalid JSON: want %q, got %v", want, tok)
	}
	return nil
}

func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("invalid JSON: %v", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("invalid JSON: want a field name, got %v", tok)
	}
	return key, nil
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if d != '{' {
		return nil, errors.New("arrays are not allowed")
	}
	nested := map[string]string{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := nested[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%q: want a string, got %s", key, describeJSON(tok))
		}
		nested[key] = s
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return nested, nil
}

func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v)
	case json.Delim:
		return "a nested " + string(v)
	case map[string]string:
		return "an object"
	}
	return fmt.Sprint(v)
}

func parseHeader(fields []jsonField) (map[string]string, string, error) {
	if !slices.ContainsFunc(fields, func(f jsonField) bool { return f.key == "format" }) {
		return nil, "format", fmt.Errorf("missing: the first line must be the header {\"format\":%q,\"version\":%d}",
			historyFormatName, historyFormatVersion)
	}
	var meta map[string]string
	seen := map[string]bool{}
	for _, f := range fields {
		seen[f.key] = true
		switch f.key {
		case "format":
			if s, ok := f.value.(string); !ok || s != historyFormatName {
				return nil, f.key, fmt.Errorf("want %q, got %s", historyFormatName, describeJSON(f.value))
			}
		case "version":
			if n, ok := f.value.(json.Number); !ok || n.String() != strconv.Itoa(historyFormatVersion) {
				return nil, f.key, fmt.Errorf("unsupported version %s (this build reads %d)", describeJSON(f.value), historyFormatVersion)
			}
		case "meta":
			m, ok := f.value.(map[string]string)
			if !ok {
				return nil, f.key, fmt.Errorf("want an object of strings, got %s", describeJSON(f.value))
			}
			meta = m
		default:
			return nil, f.key, errors.New("unknown field in header")
		}
	}
	for _, req := range [...]string{"format", "version"} {
		if !seen[req] {
			return nil, req, errors.New("missing from header")
		}
	}
	return meta, "", nil
}

// operationFields lists every field an operation line may have, in the
// order WriteHistory writes them.
var operationFields = [...]string{"client", "seq", "kind", "key", "expected", "value",
	"invoke", "complete", "outcome", "found_unknown", "found", "output", "swapped"}

// wantedFields returns the fields a line of this kind and outcome must
// have: exactly those appendOperation writes.
func wantedFields(kind OpKind, outcome Outcome, foundUnknown bool) map[string]bool {
	want := map[string]bool{"client": true, "seq": true, "kind": true, "key": true,
		"invoke": true, "complete": true, "outcome": true}
	if kind == OpCAS {
		want["expected"] = true
	}
	if kind == OpPut || kind == OpAppend || kind == OpCAS {
		want["value"] = true
	}
	if outcome == OutcomeOK {
		switch {
		case kind == OpGet && foundUnknown:
			want["found_unknown"], want["output"] = true, true
		case kind == OpGet:
			want["found"], want["output"] = true, true
		case kind == OpCAS:
			want["swapped"] = true
		}
	}
	return want
}

func parseOperation(fields []jsonField) (Operation, string, error) {
	var op Operation
	byKey := map[string]any{}
	for _, f := range fields {
		if !slices.Contains(operationFields[:], f.key) {
			return op, f.key, errors.New("unknown field")
		}
		byKey[f.key] = f.value
	}
	// kind and outcome decide which other fields belong, so read them first.
	for _, req := range [...]string{"kind", "outcome"} {
		if _, ok := byKey[req]; !ok {
			return op, req, errors.New("missing")
		}
	}
	var err error
	if op.Kind, err = parseEnum[OpKind](byKey["kind"], opKindNames[:]); err != nil {
		return op, "kind", err
	}
	if op.Outcome, err = parseEnum[Outcome](byKey["outcome"], outcomeNames[:]); err != nil {
		return op, "outcome", err
	}
	if v, ok := byKey["found_unknown"]; ok {
		if b, isBool := v.(bool); !isBool || !b {
			return op, "found_unknown", fmt.Errorf("want true or no field, got %s", describeJSON(v))
		}
		op.FoundUnknown = true
	}
	want := wantedFields(op.Kind, op.Outcome, op.FoundUnknown)
	for _, f := range fields {
		if !want[f.key] {
			return op, f.key, fmt.Errorf("not allowed on a %s %s", op.Outcome, op.Kind)
		}
	}
	for _, name := range operationFields {
		if _, ok := byKey[name]; want[name] && !ok {
			return op, name, errors.New("missing")
		}
	}
	if field, err := op.decodeFields(byKey); err != nil {
		return op, field, err
	}
	if field, problem := op.check(); problem != "" {
		return op, field, errors.New(problem)
	}
	return op, "", nil
}

// decodeFields fills op from the values of a line whose set of fields has
// been checked already; absent fields stay zero.
func (op *Operation) decodeFields(byKey map[string]any) (string, error) {
	var err error
	for _, u := range [...]struct {
		field string
		dst   *uint64
	}{{"client", &op.ClientID}, {"seq", &op.Seq}} {
		if *u.dst, err = jsonUint(byKey[u.field]); err != nil {
			return u.field, err
		}
	}
	for _, t := range [...]struct {
		field string
		dst   *int64
	}{{"invoke", &op.Invoke}, {"complete", &op.Complete}} {
		if *t.dst, err = jsonInt(byKey[t.field]); err != nil {
			return t.field, err
		}
	}
	for _, s := range [...]struct {
		field string
		dst   *string
	}{{"key", &op.Key}, {"value", &op.Value}, {"expected", &op.Expected}, {"output", &op.Output}} {
		v, ok := byKey[s.field]
		if !ok {
			continue
		}
		if *s.dst, ok = v.(string); !ok {
			return s.field, fmt.Errorf("want a string, got %s", describeJSON(v))
		}
	}
	for _, b := range [...]struct {
		field string
		dst   *bool
	}{{"found", &op.Found}, {"swapped", &op.Swapped}} {
		v, ok := byKey[b.field]
		if !ok {
			continue
		}
		if *b.dst, ok = v.(bool); !ok {
			return b.field, fmt.Errorf("want true or false, got %s", describeJSON(v))
		}
	}
	return "", nil
}

func parseEnum[E ~uint8](v any, names []string) (E, error) {
	s, ok := v.(string)
	if ok {
		for i, name := range names {
			if name != "" && name == s {
				return E(i), nil
			}
		}
	}
	return 0, fmt.Errorf("want one of %s, got %s", strings.Join(slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == "" }), ", "), describeJSON(v))
}

func jsonUint(v any) (uint64, error) {
	n, ok := v.(json.Number)
	if ok {
		if u, err := strconv.ParseUint(n.String(), 10, 64); err == nil {
			return u, nil
		}
	}
	return 0, fmt.Errorf("want an unsigned 64-bit integer, got %s", describeJSON(v))
}

func jsonInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if ok {
		if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("want a signed 64-bit integer, got %s", describeJSON(v))
}
