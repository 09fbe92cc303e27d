package checker

import (
	"fmt"
	"io"
	"slices"
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

// Load reads the history file at path; see [Parse]. It refuses what is
// not a regular file, and files larger than MaxHistoryBytes.
func Load(path string, format Format) (History, error) {
	f, err := openHistoryFile(path)
	if err != nil {
		return History{}, err
	}
	defer f.Close()
	return Parse(path, f, format)
}

// Parse reads a history in the given format, or detects it when format is
// FormatAuto. name is used in errors only. Bad content is reported as a
// *ParseError; every history Parse returns is valid. It reads within the
// limits documented with MaxHistoryBytes; it holds the whole history in
// memory (CheckFile does not).
func Parse(name string, r io.Reader, format Format) (History, error) {
	var c collector
	format, err := parseStream(name, r, format, &c)
	if err != nil {
		return History{}, err
	}
	if err := c.h.validate(); err != nil {
		// Parsers check each operation as they build it; reaching this is
		// a parser bug, not bad input.
		panic(fmt.Sprintf("checker: parser for %v accepted an invalid history from %s: %v", format, name, err))
	}
	return c.h, nil
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
// for its process, the next completion of that process closes it. It
// hands both to a sink as they come, holding only the open operations.
type pairer struct {
	file string
	sink opSink
	// pending maps a process to its open operation.
	pending map[uint64]pendingOp
	seq     map[uint64]uint64
}

type pendingOp struct {
	op     Operation
	line   int
	handle int
}

func newPairer(file string, sink opSink) *pairer {
	return &pairer{file: file, sink: sink, pending: map[uint64]pendingOp{}, seq: map[uint64]uint64{}}
}

// openKey returns the key of the operation process has open, if any.
func (p *pairer) openKey(process uint64) (string, bool) {
	po, open := p.pending[process]
	return po.op.Key, open
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
	po, open := p.pending[ev.process]
	if ev.typ == eventInvoke {
		if open {
			return perr("type", "process %d invokes again while its operation from line %d is still open", ev.process, po.line)
		}
		p.seq[ev.process]++
		op := Operation{
			ClientID: ev.process, Seq: p.seq[ev.process], Kind: ev.kind, Key: ev.key,
			Value: ev.value, Expected: ev.expected, Invoke: at,
		}
		handle, err := p.sink.call(ev.line, op)
		if err != nil {
			return err
		}
		p.pending[ev.process] = pendingOp{op: op, line: ev.line, handle: handle}
		return nil
	}
	if !open {
		return perr("type", "process %d completes an operation it never invoked", ev.process)
	}
	op := po.op
	switch {
	case ev.kind != op.Kind:
		return perr("f", "completes a %s but line %d invoked a %s", ev.kind, po.line, op.Kind)
	case ev.key != op.Key:
		return perr("key", "completes key %q but line %d invoked key %q", ev.key, po.line, op.Key)
	case ev.typ != eventInfo && !ev.noArgs && (ev.value != op.Value || ev.expected != op.Expected):
		return perr("value", "arguments differ from the invocation on line %d", po.line)
	}
	delete(p.pending, ev.process)
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
	return p.sink.done(ev.line, po.handle, op)
}

// finish closes the operations still open at the end of the log as
// Unknown, in the order they were invoked: the log stopped before their
// outcome was known, which is what Jepsen means by a crashed process. end
// is the time the log ends.
func (p *pairer) finish(end int64, meta string) error {
	if p.sink.ops() == 0 {
		return &ParseError{File: p.file, Msg: "no client operations"}
	}
	open := make([]pendingOp, 0, len(p.pending))
	for _, po := range p.pending { // sorted below
		open = append(open, po)
	}
	slices.SortFunc(open, func(a, b pendingOp) int { return a.handle - b.handle })
	for _, po := range open {
		po.op.Outcome, po.op.Complete = OutcomeUnknown, end
		if err := p.sink.done(po.line, po.handle, po.op); err != nil {
			return err
		}
	}
	p.sink.setMeta(map[string]string{"imported_from": meta})
	return nil
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
