package checker

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// OpKind is the operation a client asked the key-value store to perform.
type OpKind uint8

// Kinds start at 1 so that a zero OpKind is caught as invalid.
const (
	// OpGet reads a key: Found tells whether it existed, Output its value.
	OpGet OpKind = iota + 1
	// OpPut sets a key to Value.
	OpPut
	// OpAppend appends Value to a key, creating it if it is missing.
	OpAppend
	// OpDelete removes a key; deleting a missing key succeeds.
	OpDelete
	// OpCAS sets a key to Value iff the key exists and holds Expected.
	OpCAS
)

var opKindNames = [...]string{OpGet: "get", OpPut: "put", OpAppend: "append", OpDelete: "delete", OpCAS: "cas"}

func (k OpKind) String() string {
	if k >= OpGet && k <= OpCAS {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// Outcome is what the client learned about its operation.
type Outcome uint8

const (
	// OutcomeOK: the operation completed and its results are known.
	OutcomeOK Outcome = iota + 1
	// OutcomeFail: the operation definitely did not take effect. Checkers
	// drop such operations: they neither observed nor changed anything.
	OutcomeFail
	// OutcomeUnknown: the client gave up (timeout, leader lost). The
	// operation may take effect at any time after its invocation, or never;
	// its results are not known.
	OutcomeUnknown
)

var outcomeNames = [...]string{OutcomeOK: "ok", OutcomeFail: "fail", OutcomeUnknown: "unknown"}

func (o Outcome) String() string {
	if o >= OutcomeOK && o <= OutcomeUnknown {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Operation is one client request with its invocation and completion.
//
// Fields that do not apply to the Kind and Outcome must be zero, so that a
// history has a single written form (see [WriteHistory]).
type Operation struct {
	ClientID uint64
	// Seq is the client's session sequence number. Checkers do not
	// interpret it; it lets a report point back at the client's trace.
	Seq  uint64
	Kind OpKind
	Key  string
	// Value is the argument of Put and Append, and the new value of CAS.
	Value string
	// Expected is the value CAS compares against.
	Expected string

	// Invoke and Complete are virtual times in nanoseconds; histories
	// imported from event logs use line numbers instead. For an Unknown
	// outcome Complete is when the client gave up; the operation itself
	// is treated as never completing.
	// Invariant: Invoke <= Complete.
	Invoke   int64
	Complete int64
	Outcome  Outcome

	// Results, set only when Outcome is OutcomeOK.

	// Found tells whether the key existed (Get).
	// Invariant: !Found implies Output == "".
	Found bool
	// FoundUnknown marks a Get whose source did not record whether the
	// key existed (porcupine's kv format). Only Output is compared, and a
	// missing key reads as "". Our own histories never set it.
	// Invariant: FoundUnknown implies !Found.
	FoundUnknown bool
	// Output is the value a Get read.
	Output string
	// Swapped tells whether a CAS took effect. A CAS whose Expected did not
	// match is an OK operation with Swapped false: it observed the value.
	Swapped bool
}

func (op Operation) String() string {
	return fmt.Sprintf("client %d seq %d: %s [%d, %d] %s",
		op.ClientID, op.Seq, describeCall(op), op.Invoke, op.Complete, op.Outcome)
}

// History is what a run (or an imported log) recorded: operations in the
// order they were invoked, plus free-form provenance.
type History struct {
	// Meta holds provenance such as "seed" or "scenario". It is written
	// sorted by key and never affects a verdict.
	Meta map[string]string
	Ops  []Operation
}

// ErrInvalidHistory is wrapped by errors about histories that break the
// rules documented on [Operation], such as a Complete before its Invoke.
var ErrInvalidHistory = errors.New("checker: invalid history")

// validate checks one history: every operation, and the metadata strings.
func (h History) validate() error {
	// Sorted, so that the error names the same key every time.
	for _, k := range slices.Sorted(maps.Keys(h.Meta)) {
		if !utf8.ValidString(k) || !utf8.ValidString(h.Meta[k]) {
			return fmt.Errorf("%w: meta %q: not valid UTF-8", ErrInvalidHistory, k)
		}
	}
	for i, op := range h.Ops {
		if field, problem := op.check(); problem != "" {
			return fmt.Errorf("%w: operation %d (client %d seq %d): %s: %s",
				ErrInvalidHistory, i, op.ClientID, op.Seq, field, problem)
		}
	}
	return nil
}

// check returns the first rule op breaks, as the name of the offending
// field (as spelled in the JSON-lines format) and a message; an empty
// message means op is valid. Parsers and checkers share it so that
// everything a parser accepts, a checker accepts too.
func (op Operation) check() (field, problem string) {
	if op.Kind < OpGet || op.Kind > OpCAS {
		return "kind", fmt.Sprintf("unknown kind %d", op.Kind)
	}
	if op.Outcome < OutcomeOK || op.Outcome > OutcomeUnknown {
		return "outcome", fmt.Sprintf("unknown outcome %d", op.Outcome)
	}
	if op.Complete < op.Invoke {
		return "complete", fmt.Sprintf("%d is before invoke %d", op.Complete, op.Invoke)
	}
	for _, s := range [...]struct{ field, v string }{
		{"key", op.Key}, {"value", op.Value}, {"expected", op.Expected}, {"output", op.Output},
	} {
		if !utf8.ValidString(s.v) {
			return s.field, "not valid UTF-8"
		}
	}
	takesValue := op.Kind == OpPut || op.Kind == OpAppend || op.Kind == OpCAS
	if !takesValue && op.Value != "" {
		return "value", "must be empty for " + op.Kind.String()
	}
	if op.Kind != OpCAS && op.Expected != "" {
		return "expected", "must be empty for " + op.Kind.String()
	}
	return op.checkResults()
}

// checkResults checks that only the results the Kind and Outcome produce
// are set.
func (op Operation) checkResults() (field, problem string) {
	isOKGet := op.Kind == OpGet && op.Outcome == OutcomeOK
	isOKCAS := op.Kind == OpCAS && op.Outcome == OutcomeOK
	if !isOKGet {
		for _, r := range [...]struct {
			field string
			set   bool
		}{{"found", op.Found}, {"found_unknown", op.FoundUnknown}, {"output", op.Output != ""}} {
			if r.set {
				return r.field, "only an ok get has it, not a " + op.Outcome.String() + " " + op.Kind.String()
			}
		}
	}
	if !isOKCAS && op.Swapped {
		return "swapped", "only an ok cas has it, not a " + op.Outcome.String() + " " + op.Kind.String()
	}
	if op.FoundUnknown && op.Found {
		return "found", "set together with found_unknown"
	}
	if !op.Found && !op.FoundUnknown && op.Output != "" {
		return "output", "non-empty although the key was not found"
	}
	return "", ""
}

// describeCall renders the operation and, if known, its result the way
// the visualization shows it: "put(k, v)", "get(k) -> v",
// "cas(k, a→b) -> swapped".
func describeCall(op Operation) string {
	var call string
	switch op.Kind {
	case OpGet:
		call = fmt.Sprintf("get(%s)", showValue(op.Key))
	case OpPut, OpAppend:
		call = fmt.Sprintf("%s(%s, %s)", op.Kind, showValue(op.Key), showValue(op.Value))
	case OpDelete:
		call = fmt.Sprintf("delete(%s)", showValue(op.Key))
	case OpCAS:
		call = fmt.Sprintf("cas(%s, %s→%s)", showValue(op.Key), showValue(op.Expected), showValue(op.Value))
	default:
		call = op.Kind.String()
	}
	switch {
	case op.Outcome == OutcomeUnknown:
		return call + " -> ?"
	case op.Outcome != OutcomeOK:
		return call
	case op.Kind == OpGet && op.FoundUnknown:
		return call + " -> " + showValue(op.Output)
	case op.Kind == OpGet && !op.Found:
		return call + " -> not found"
	case op.Kind == OpGet:
		return call + " -> " + showValue(op.Output)
	case op.Kind == OpCAS && op.Swapped:
		return call + " -> swapped"
	case op.Kind == OpCAS:
		return call + " -> not swapped"
	}
	return call
}

// showValue prints plain words as they are and quotes anything else
// (empty strings, spaces, punctuation), so that "x 0 y" cannot be misread
// as three arguments and an empty value stays visible.
func showValue(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		plain := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '-' || r == '.' || r == '/' || r == ':'
		if !plain {
			return strconv.Quote(s)
		}
	}
	return s
}
