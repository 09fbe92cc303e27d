package checker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jepsenMarker precedes every operation Jepsen logs: it is the logger
// name jepsen.util, which Jepsen's log-op writes through.
const jepsenMarker = "jepsen.util - "

// jepsenKey is the one key the imported register lives under.
const jepsenKey = "register"

// parseJepsenEtcd reads a Jepsen log of etcd used as a single
// compare-and-set register. Operation lines look like
//
//	INFO  jepsen.util - 3	:invoke	:cas	[3 0]
//	INFO  jepsen.util - 1	:ok	:read	nil
//	INFO  jepsen.util - 2	:fail	:read	:timed-out
//	INFO  jepsen.util - 4	:info	:write
//
// with the process, :type, :f and value separated by tabs or spaces. An
// :info may carry a reason, nil or no value at all; a :fail may carry its
// reason (a keyword) instead of the arguments.
// Rules, so that noise is skipped but a damaged history is not:
//   - a line containing "jepsen.util - " whose next token is an integer or
//     a keyword is a history line and must parse;
//   - history lines of the :nemesis process are skipped (they record
//     faults, not register operations); any other keyword process is an
//     error;
//   - any other line is log noise and skipped, unless one of its tokens is
//     :invoke, :ok, :fail or :info: then it looks like a damaged history
//     line and is an error.
func parseJepsenEtcd(src *lineSource, sink opSink) error {
	p := newPairer(src.name, sink)
	for {
		text, lineNo, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		perr := func(field string, err error) error {
			return &ParseError{File: src.name, Line: lineNo, Field: field, Msg: err.Error()}
		}
		_, payload, marked := strings.Cut(text, jepsenMarker)
		process, rest := firstField(payload)
		isHistoryLine := marked && process != "" && (process[0] == ':' || isDigits(process))
		if !isHistoryLine {
			if looksLikeJepsenOp(text) {
				return perr("", errors.New(`looks like an operation but lacks the "jepsen.util - " log prefix`))
			}
			continue
		}
		if process == ":nemesis" {
			continue
		}
		ev, field, err := parseJepsenEvent(process, rest)
		if err != nil {
			return perr(field, err)
		}
		ev.line = lineNo
		if err := p.add(ev); err != nil {
			return err
		}
	}
	return p.finish(int64(src.lines+1), FormatJepsenEtcd.String())
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func looksLikeJepsenOp(text string) bool {
	for _, tok := range strings.Fields(text) {
		switch tok {
		case ":invoke", ":ok", ":fail", ":info":
			return true
		}
	}
	return false
}

// parseJepsenEvent maps register operations onto the key-value model:
// read → Get (nil: not found), write → Put, cas [old new] → CAS. Values
// are integers, kept in decimal.
func parseJepsenEvent(process, rest string) (event, string, error) {
	ev := event{key: jepsenKey}
	n, err := strconv.ParseUint(process, 10, 64)
	if err != nil {
		return ev, "process", fmt.Errorf("want a process number or :nemesis, got %q", process)
	}
	ev.process = n
	typ, rest := firstField(rest)
	f, value := firstField(rest)
	value = strings.TrimSpace(value)
	switch typ {
	case ":invoke":
		ev.typ = eventInvoke
	case ":ok":
		ev.typ = eventOK
	case ":fail":
		ev.typ = eventFail
	case ":info":
		ev.typ = eventInfo
	default:
		return ev, "type", fmt.Errorf("want :invoke, :ok, :fail or :info, got %q", typ)
	}
	switch f {
	case ":read":
		ev.kind = OpGet
	case ":write":
		ev.kind = OpPut
	case ":cas":
		ev.kind = OpCAS
	default:
		return ev, "f", fmt.Errorf("want :read, :write or :cas, got %q", f)
	}
	if ev.typ == eventInfo || ev.typ == eventFail && (value == "" || value[0] == ':') {
		// Jepsen logs an indeterminate outcome with the reason
		// (":timed-out"), nil, or nothing at all, and may log a failure
		// with its reason instead of the arguments: neither observed a
		// value, and the arguments are the invocation's.
		ev.noArgs = true
		return ev, "", nil
	}
	if value == "" {
		return ev, "value", errors.New("missing")
	}
	switch ev.kind {
	case OpGet:
		err = ev.readValue(value)
	case OpPut:
		ev.value, err = jepsenInt(value)
	case OpCAS:
		ev.expected, ev.value, err = jepsenPair(value)
	}
	if err != nil {
		return ev, "value", err
	}
	return ev, "", nil
}

// readValue interprets the value of a read event: nil on invocation;
// otherwise nil (the register was never written) or an integer. Only an
// :ok read observed the value; a failed read observed nothing.
func (ev *event) readValue(value string) error {
	if value == "nil" {
		return nil
	}
	if ev.typ == eventInvoke {
		return fmt.Errorf("a read is invoked with nil, got %q", value)
	}
	v, err := jepsenInt(value)
	if err != nil {
		return err
	}
	if ev.typ == eventOK {
		ev.found, ev.output = true, v
	}
	return nil
}

func jepsenInt(s string) (string, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", fmt.Errorf("want an integer, got %q", s)
	}
	return strconv.FormatInt(n, 10), nil
}

// jepsenPair parses a CAS argument "[old new]"; EDN allows commas between
// the elements.
func jepsenPair(s string) (expected, value string, err error) {
	inner, ok := strings.CutPrefix(s, "[")
	if ok {
		inner, ok = strings.CutSuffix(inner, "]")
	}
	parts := strings.Fields(strings.ReplaceAll(inner, ",", " "))
	if !ok || len(parts) != 2 {
		return "", "", fmt.Errorf("want [old new], got %q", s)
	}
	if expected, err = jepsenInt(parts[0]); err != nil {
		return "", "", err
	}
	value, err = jepsenInt(parts[1])
	return expected, value, err
}
