package checker

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Format names a history file format.
type Format uint8

const (
	// FormatAuto detects the format from the content.
	FormatAuto Format = iota + 1
	// FormatRaftsim is our own JSON-lines format (see [WriteHistory]).
	FormatRaftsim
	// FormatPorcupineKV is porcupine's key-value test format: one EDN map
	// per event.
	FormatPorcupineKV
	// FormatJepsenEtcd is a Jepsen log of etcd used as a compare-and-set
	// register: the older text format, one jepsen.util log line per event.
	FormatJepsenEtcd
	// FormatJepsenEDN is Jepsen's history.edn: one EDN map per event, of
	// the register or the key-value (independent keys) workload.
	FormatJepsenEDN
	formatLimit
)

var formatNames = [...]string{FormatAuto: "auto", FormatRaftsim: "raftsim",
	FormatPorcupineKV: "porcupine-kv", FormatJepsenEtcd: "jepsen-etcd", FormatJepsenEDN: "jepsen-edn"}

// FormatNames lists the names ParseFormat accepts, for help text and shell
// completion.
func FormatNames() []string {
	return append([]string(nil), formatNames[FormatAuto:]...)
}

func (f Format) String() string {
	if f >= FormatAuto && f < formatLimit {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the Format whose String is s, for command-line flags.
func ParseFormat(s string) (Format, error) {
	for f := FormatAuto; f < formatLimit; f++ {
		if formatNames[f] == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("checker: unknown history format %q (want one of %s)", s, strings.Join(FormatNames(), ", "))
}

// ParseError reports bad input in a history file. Line is 1-based; 0
// means the file as a whole. Field names the offending field, or is empty.
type ParseError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// maxHistoryBytes bounds what Parse reads, so that a wrong path (a disk
// image, /dev/zero) ends in an error rather than in exhausted memory.
const maxHistoryBytes = 1 << 30

// Load reads the history file at path; see [Parse].
func Load(path string, format Format) (History, error) {
	f, err := os.Open(path)
	if err != nil {
		return History{}, fmt.Errorf("checker: %w", err)
	}
	defer f.Close()
	return Parse(path, f, format)
}

// Parse reads a history in the given format, or detects it when format is
// FormatAuto. name is used in errors only. Bad content is reported as a
// *ParseError; every history Parse returns is valid.
func Parse(name string, r io.Reader, format Format) (History, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxHistoryBytes+1))
	if err != nil {
		return History{}, fmt.Errorf("checker: reading %s: %w", name, err)
	}
	if len(data) > maxHistoryBytes {
		return History{}, &ParseError{File: name, Msg: fmt.Sprintf("larger than %d bytes", maxHistoryBytes)}
	}
	lines := splitLines(data)
	if format == FormatAuto {
		if format, err = detectFormat(name, lines); err != nil {
			return History{}, err
		}
	}
	var h History
	switch format {
	case FormatRaftsim:
		h, err = parseRaftsim(name, lines)
	case FormatPorcupineKV:
		h, err = parsePorcupineKV(name, lines)
	case FormatJepsenEtcd:
		h, err = parseJepsenEtcd(name, lines)
	case FormatJepsenEDN:
		h, err = parseJepsenEDN(name, data)
	default:
		return History{}, fmt.Errorf("checker: parsing %s: invalid format %v", name, format)
	}
	if err != nil {
		return History{}, err
	}
	if err := h.validate(); err != nil {
		// Parsers check each operation as they build it; reaching this is
		// a parser bug, not bad input.
		panic(fmt.Sprintf("checker: parser for %v accepted an invalid history from %s: %v", format, name, err))
	}
	return h, nil
}

// splitLines splits at "\n" and drops one trailing "\r" per line, so that
// files written on Windows read the same.
func splitLines(data []byte) []string {
	text := string(data)
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// detectFormat looks at the first non-blank line: our format, porcupine's
// and Jepsen's history.edn all start with a map, told apart by JSON's
// quoted keys and EDN's keywords, and among EDN maps by porcupine's :key
// or its :get/:put/:append (Jepsen's register has no key and reads,
// writes and compares-and-sets). A history.edn may also be one vector of
// maps, or maps tagged as Jepsen's Op records. Jepsen logs may open with
// any log noise, so they are recognized by the logger name on any line.
func detectFormat(name string, lines []string) (Format, error) {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "{"); ok {
			rest = strings.TrimLeft(rest, " \t,")
			switch {
			case strings.HasPrefix(rest, `"`):
				return FormatRaftsim, nil
			case strings.HasPrefix(rest, ":") && isPorcupineKVLine(t):
				return FormatPorcupineKV, nil
			case strings.HasPrefix(rest, ":"):
				return FormatJepsenEDN, nil
			}
			return 0, &ParseError{File: name, Line: i + 1, Msg: "cannot detect the history format: the line opens a map that is neither JSON nor EDN"}
		}
		if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "#jepsen") || strings.HasPrefix(t, ";") {
			return FormatJepsenEDN, nil
		}
		for _, l := range lines[i:] {
			if strings.Contains(l, jepsenMarker) {
				return FormatJepsenEtcd, nil
			}
		}
		return 0, &ParseError{File: name, Line: i + 1, Msg: "cannot detect the history format (raftsim JSON lines, porcupine kv maps or a Jepsen log); name it explicitly"}
	}
	return 0, &ParseError{File: name, Msg: "empty history file"}
}

// eventType is the :type of a Jepsen-style event.
type eventType uint8

const (
	eventInvoke eventType = iota + 1
	eventOK
	eventFail
	eventInfo
)

var eventTypeNames = [...]string{eventInvoke: "invoke", eventOK: "ok", eventFail: "fail", eventInfo: "info"}

// event is one line of an event-style log (porcupine kv, Jepsen): either
// an invocation or a completion, to be paired per process. The importers
// use the line number as the event's time.
type event struct {
	line    int
	process uint64
	typ     eventType
	kind    OpKind
	key     string
	// value and expected are the operation's arguments; on :info events
	// they are not known (Jepsen logs ":timed-out") and not compared.
	value, expected string
	// Get results, meaningful on an :ok completion.
	found, foundUnknown bool
	output              string
	// noArgs marks a completion that does not repeat its invocation's
	// arguments (a :fail whose value is the reason, such as :timed-out);
	// they are not compared.
	noArgs bool
}

// pairer turns events into operations: an invocation opens an operation
// for its process, the next completion of that process closes it.
type pairer struct {
	file string
	ops  []Operation
	// pending maps a process to the index in ops of its open operation.
	pending map[uint64]int
	// pendingLine maps a process to the line of its open invocation.
	pendingLine map[uint64]int
	seq         map[uint64]uint64
}

func newPairer(file string) *pairer {
	return &pairer{file: file, pending: map[uint64]int{}, pendingLine: map[uint64]int{}, seq: map[uint64]uint64{}}
}

// openKey returns the key of the operation process has open, if any.
func (p *pairer) openKey(process uint64) (string, bool) {
	i, open := p.pending[process]
	if !open {
		return "", false
	}
	return p.ops[i].Key, true
}

// add adds an event whose time is its line.
func (p *pairer) add(ev event) error {
	return p.addAt(ev, int64(ev.line))
}

// addAt adds an event that happened at time at; ev.line is for errors.
func (p *pairer) addAt(ev event, at int64) error {
	perr := func(field, format string, args ...any) error {
		return &ParseError{File: p.file, Line: ev.line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	i, open := p.pending[ev.process]
	if ev.typ == eventInvoke {
		if open {
			return perr("type", "process %d invokes again while its operation from line %d is still open", ev.process, p.pendingLine[ev.process])
		}
		p.seq[ev.process]++
		p.pending[ev.process] = len(p.ops)
		p.pendingLine[ev.process] = ev.line
		p.ops = append(p.ops, Operation{
			ClientID: ev.process, Seq: p.seq[ev.process], Kind: ev.kind, Key: ev.key,
			Value: ev.value, Expected: ev.expected, Invoke: at,
		})
		return nil
	}
	if !open {
		return perr("type", "process %d completes an operation it never invoked", ev.process)
	}
	op := &p.ops[i]
	switch {
	case ev.kind != op.Kind:
		return perr("f", "completes a %s but line %d invoked a %s", ev.kind, p.pendingLine[ev.process], op.Kind)
	case ev.key != op.Key:
		return perr("key", "completes key %q but line %d invoked key %q", ev.key, p.pendingLine[ev.process], op.Key)
	case ev.typ != eventInfo && !ev.noArgs && (ev.value != op.Value || ev.expected != op.Expected):
		return perr("value", "arguments differ from the invocation on line %d", p.pendingLine[ev.process])
	}
	delete(p.pending, ev.process)
	delete(p.pendingLine, ev.process)
	op.Complete = at
	switch ev.typ {
	case eventOK:
		op.Outcome = OutcomeOK
		if op.Kind == OpGet {
			op.Found, op.FoundUnknown, op.Output = ev.found, ev.foundUnknown, ev.output
		}
		// Jepsen and porcupine log a CAS that did not match as :fail.
		op.Swapped = op.Kind == OpCAS
	case eventFail:
		op.Outcome = OutcomeFail
	case eventInfo:
		op.Outcome = OutcomeUnknown
	}
	if field, problem := op.check(); problem != "" {
		return perr(field, "%s", problem)
	}
	return nil
}

// finish closes the operations still open at the end of the log as
// Unknown: the log stopped before their outcome was known, which is what
// Jepsen means by a crashed process. end is the time the log ends.
func (p *pairer) finish(end int64, meta string) (History, error) {
	if len(p.ops) == 0 {
		return History{}, &ParseError{File: p.file, Msg: "no client operations"}
	}
	for _, i := range p.pending {
		p.ops[i].Outcome = OutcomeUnknown
		p.ops[i].Complete = end
	}
	return History{Meta: map[string]string{"imported_from": meta}, Ops: p.ops}, nil
}

// firstField returns the text up to the first run of whitespace in s and
// the rest after it.
func firstField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.TrimLeft(s[i:], " \t")
	}
	return s, ""
}
