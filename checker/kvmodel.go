package checker

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
)

// kvInput is what a porcupine operation of the key-value model was asked.
type kvInput struct {
	op Operation
}

// kvOutput is what it answered. Unknown outcomes answer nothing; the
// input says so.
type kvOutput struct {
	found   bool
	output  string
	swapped bool
}

// kvState is the state of one key: the model is partitioned by key, so a
// partition's state is a single optional value.
// Invariant: !present implies value == "".
type kvState struct {
	present bool
	value   string
}

// kvMeta is what the visualization shows about an operation besides its
// call: who issued it and how it ended.
type kvMeta struct {
	clientID, seq uint64
	outcome       Outcome
}

// kvModel returns the sequential specification of the key-value store
// described on [OpKind], partitioned by key. A linearizable history is one
// whose operations can be ordered, each inside its [Invoke, Complete]
// window, so that this model accepts every result.
func kvModel() porcupine.Model {
	return porcupine.Model{
		Partition:                 partitionByKey,
		PartitionEvent:            partitionEventsByKey,
		Init:                      func() any { return kvState{} },
		Step:                      kvStep,
		Equal:                     func(a, b any) bool { return a.(kvState) == b.(kvState) },
		Hash:                      kvHash,
		DescribeOperation:         describeKVOperation,
		DescribeState:             describeKVState,
		DescribeOperationMetadata: describeKVMeta,
	}
}

// kvStart is the initial state of kvModelFrom: each key's partition
// starts from its own state, looked up at the key's first step.
type kvStart struct{}

// kvModelFrom is kvModel with each key starting in its state in inits
// (absent if not listed): for histories of keys from a point where their
// state was certain.
func kvModelFrom(inits map[string]kvState) porcupine.Model {
	m := kvModel()
	m.Init = func() any { return kvStart{} }
	m.Step = func(state, input, output any) (bool, any) {
		if _, ok := state.(kvStart); ok {
			state = inits[input.(kvInput).op.Key]
		}
		return kvStep(state, input, output)
	}
	m.Equal = func(a, b any) bool { return a == b }
	m.Hash = func(state any) uint64 {
		if _, ok := state.(kvStart); ok {
			return 0x5ca1ab1e
		}
		return kvHash(state)
	}
	m.DescribeState = func(state any) string {
		if _, ok := state.(kvStart); ok {
			return "(the state at the window's start)"
		}
		return describeKVState(state)
	}
	return m
}

// kvStep applies one operation to a key's state and tells whether the
// results the client saw are possible at this point. Operations with an
// unknown outcome always are: only their effect is applied.
func kvStep(state, input, output any) (bool, any) {
	s := state.(kvState)
	op := input.(kvInput).op
	out, _ := output.(kvOutput)
	known := op.Outcome == OutcomeOK
	switch op.Kind {
	case OpGet:
		if !known {
			return true, s
		}
		if op.FoundUnknown {
			// The source cannot tell a missing key from an empty one.
			return out.output == s.value, s
		}
		return out.found == s.present && out.output == s.value, s
	case OpPut:
		return true, kvState{present: true, value: op.Value}
	case OpAppend:
		return true, kvState{present: true, value: s.value + op.Value}
	case OpDelete:
		return true, kvState{}
	case OpCAS:
		matches := s.present && s.value == op.Expected
		next := s
		if matches {
			next = kvState{present: true, value: op.Value}
		}
		if known && out.swapped != matches {
			return false, s
		}
		return true, next
	}
	panic("checker: kvStep: operation of unknown kind " + op.Kind.String())
}

// kvHash is FNV-1a over the value, with presence folded into the seed so
// that an absent key and an empty value hash apart. porcupine uses it only
// to find cached states, so any function agreeing with Equal is correct;
// a fixed one keeps runs comparable.
func kvHash(state any) uint64 {
	s := state.(kvState)
	h := uint64(14695981039346656037)
	if s.present {
		h ^= 0xff
	}
	for i := 0; i < len(s.value); i++ {
		h ^= uint64(s.value[i])
		h *= 1099511628211
	}
	return h
}

func describeKVOperation(input, output any) string {
	op := input.(kvInput).op
	if out, ok := output.(kvOutput); ok {
		op.Found, op.Output, op.Swapped = out.found, out.output, out.swapped
	}
	return describeCall(op)
}

func describeKVState(state any) string {
	s := state.(kvState)
	if !s.present {
		return "(absent)"
	}
	return showValue(s.value)
}

func describeKVMeta(meta any) string {
	m, ok := meta.(kvMeta)
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString("client ")
	b.WriteString(strconv.FormatUint(m.clientID, 10))
	b.WriteString(" seq ")
	b.WriteString(strconv.FormatUint(m.seq, 10))
	if m.outcome == OutcomeUnknown {
		b.WriteString(", outcome unknown (may take effect at any later time, or never)")
	}
	return b.String()
}

// inert tells whether op cannot matter to a verdict: a failed operation
// did nothing, and a Get with an unknown outcome neither observed nor
// changed anything.
func inert(op Operation) bool {
	return op.Outcome == OutcomeFail || op.Outcome == OutcomeUnknown && op.Kind == OpGet
}

// unobserved marks the appends with an unknown outcome whose value no
// read ever returned, on keys that no CAS touches: they cannot matter to a
// verdict, and porcupine pays dearly for each (it may place it anywhere
// after its invocation, or nowhere). Leaving one out changes nothing:
//
//   - a linearization without it is one of the history with it, since an
//     unknown operation may never take effect;
//   - in a linearization with it, no read comes between it and the next
//     put or delete of the key (the read would contain its value), only
//     writes, which observe nothing; after that put or delete the states
//     agree. So dropping it leaves a linearization.
//
// A CAS observes the value, and an empty append still creates the key,
// so neither case is touched.
func unobserved(ops []Operation) []bool {
	type keyReads struct {
		cas  bool
		seen map[string]bool // the distinct outputs of successful reads
	}
	keys := map[string]*keyReads{}
	for _, op := range ops {
		k := keys[op.Key]
		if k == nil {
			k = &keyReads{seen: map[string]bool{}}
			keys[op.Key] = k
		}
		switch {
		case op.Kind == OpCAS:
			k.cas = true
		case op.Kind == OpGet && op.Outcome == OutcomeOK:
			k.seen[op.Output] = true
		}
	}
	out := make([]bool, len(ops))
	for i, op := range ops {
		if op.Kind != OpAppend || op.Outcome != OutcomeUnknown || op.Value == "" {
			continue
		}
		k := keys[op.Key]
		if k.cas {
			continue
		}
		out[i] = true
		for read := range k.seen {
			if strings.Contains(read, op.Value) {
				out[i] = false
				break
			}
		}
	}
	return out
}

// toPorcupine converts the operations that are not inert, leaving out the
// unobserved ones too. The unknown ones never return: their window stays
// open to the end of time. Clients are numbered densely in order of
// ClientID, as the visualization draws one row per number up to the
// largest.
func toPorcupine(ops []Operation) []porcupine.Operation {
	return porcupineOps(ops, unobserved(ops))
}

// porcupineOps converts the operations that are neither inert nor marked
// in skip (nil skips none).
func porcupineOps(ops []Operation, skip []bool) []porcupine.Operation {
	kept := make([]Operation, 0, len(ops))
	for i, op := range ops {
		if !inert(op) && (skip == nil || !skip[i]) {
			kept = append(kept, op)
		}
	}
	clients := clientsOf(kept)
	out := make([]porcupine.Operation, 0, len(kept))
	for _, op := range kept {
		row, _ := slices.BinarySearch(clients, op.ClientID)
		p := porcupine.Operation{
			ClientId: row,
			Input:    kvInput{op: op},
			Call:     op.Invoke,
			Return:   op.Complete,
			Metadata: kvMeta{clientID: op.ClientID, seq: op.Seq, outcome: op.Outcome},
		}
		if op.Outcome == OutcomeUnknown {
			p.Return = endOfTime
		} else {
			p.Output = kvOutput{found: op.Found, output: op.Output, swapped: op.Swapped}
		}
		out = append(out, p)
	}
	return out
}

// endOfTime is the return time of an operation whose outcome is unknown:
// later than any real event, so it may be linearized anywhere after its
// invocation, or not before anything that matters.
const endOfTime = math.MaxInt64

// partitionByKey splits a history into one sub-history per key, in key
// order so that the partition order never depends on map iteration.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	for _, op := range history {
		k := op.Input.(kvInput).op.Key
		byKey[k] = append(byKey[k], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// partitionEventsByKey is partitionByKey for event histories: a return
// event carries no key, so it follows its call by Id.
func partitionEventsByKey(history []porcupine.Event) [][]porcupine.Event {
	keyOf := map[int]string{}
	byKey := map[string][]porcupine.Event{}
	for _, ev := range history {
		if ev.Kind == porcupine.CallEvent {
			keyOf[ev.Id] = ev.Value.(kvInput).op.Key
		}
		k := keyOf[ev.Id]
		byKey[k] = append(byKey[k], ev)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Event, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}
