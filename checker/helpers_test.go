package checker

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Builders for hand-written histories. Times are small integers; c is the
// client.

func okPut(c uint64, key, value string, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpPut, Key: key, Value: value, Invoke: invoke, Complete: complete, Outcome: OutcomeOK}
}

func okAppend(c uint64, key, value string, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpAppend, Key: key, Value: value, Invoke: invoke, Complete: complete, Outcome: OutcomeOK}
}

func okDelete(c uint64, key string, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpDelete, Key: key, Invoke: invoke, Complete: complete, Outcome: OutcomeOK}
}

// okGet reads value from an existing key.
func okGet(c uint64, key, value string, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpGet, Key: key, Invoke: invoke, Complete: complete, Outcome: OutcomeOK, Found: true, Output: value}
}

// okGetMissing finds no key.
func okGetMissing(c uint64, key string, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpGet, Key: key, Invoke: invoke, Complete: complete, Outcome: OutcomeOK}
}

func okCAS(c uint64, key, expected, value string, swapped bool, invoke, complete int64) Operation {
	return Operation{ClientID: c, Kind: OpCAS, Key: key, Expected: expected, Value: value,
		Invoke: invoke, Complete: complete, Outcome: OutcomeOK, Swapped: swapped}
}

// unknown turns op into one whose client gave up at its Complete time.
func unknown(op Operation) Operation {
	return withOutcome(op, OutcomeUnknown)
}

func failed(op Operation) Operation {
	return withOutcome(op, OutcomeFail)
}

func withOutcome(op Operation, o Outcome) Operation {
	op.Outcome = o
	op.Found, op.FoundUnknown, op.Output, op.Swapped = false, false, "", false
	return op
}

// numbered gives every client's operations sequence numbers 1, 2, ... in
// the order listed, as a client session would.
func numbered(ops ...Operation) History {
	seq := map[uint64]uint64{}
	out := make([]Operation, len(ops))
	for i, op := range ops {
		seq[op.ClientID]++
		op.Seq = seq[op.ClientID]
		out[i] = op
	}
	return History{Ops: out}
}

// genConfig shapes a generated history.
type genConfig struct {
	seed    uint64
	ops     int
	clients int
	keys    int
	// unknownPer1000 and failPer1000 are the shares of operations whose
	// client gives up, or that fail without effect.
	unknownPer1000, failPer1000 int
}

// genLinearizable simulates a sequential store under concurrent clients:
// operations take effect one at a time at increasing linearization points,
// and each client's interval is drawn around its operation's point, never
// overlapping the client's previous interval. The result is linearizable
// by construction. An Unknown operation takes effect (at its point, which
// may be after its client gave up) or never, with equal chance.
func genLinearizable(cfg genConfig) History {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x6b76))
	store := map[string]string{}
	freeAt := make([]int64, cfg.clients) // a client's next interval starts after this
	for i := range freeAt {
		freeAt[i] = -1
	}
	seq := make([]uint64, cfg.clients)
	var ops []Operation
	var point int64
	for len(ops) < cfg.ops {
		point += 1 + rng.Int64N(10)
		c := rng.IntN(cfg.clients)
		for tries := 0; freeAt[c] >= point && tries < cfg.clients; tries++ {
			c = (c + 1) % cfg.clients
		}
		if freeAt[c] >= point {
			continue // every client is busy: let time pass
		}
		seq[c]++
		op := Operation{ClientID: uint64(c + 1), Seq: seq[c], Key: fmt.Sprintf("k%02d", rng.IntN(cfg.keys))}
		lo := max(freeAt[c]+1, point-200)
		op.Invoke = lo + rng.Int64N(point-lo+1)
		op.Complete = point + rng.Int64N(200)
		op.Outcome = OutcomeOK
		switch r := rng.IntN(1000); {
		case r < cfg.unknownPer1000:
			op.Outcome = OutcomeUnknown
			op.Complete = op.Invoke + rng.Int64N(200)
		case r < cfg.unknownPer1000+cfg.failPer1000:
			op.Outcome = OutcomeFail
		}
		applies := op.Outcome == OutcomeOK || op.Outcome == OutcomeUnknown && rng.IntN(2) == 0
		genStep(rng, &op, store, applies)
		freeAt[c] = op.Complete
		ops = append(ops, op)
	}
	slices.SortStableFunc(ops, func(a, b Operation) int {
		return cmp.Or(cmp.Compare(a.Invoke, b.Invoke), cmp.Compare(a.ClientID, b.ClientID))
	})
	return History{Meta: map[string]string{"seed": fmt.Sprint(cfg.seed)}, Ops: ops}
}

// genStep picks the operation's kind and arguments, applies it to store if
// it applies, and records the results if its outcome is OK.
func genStep(rng *rand.Rand, op *Operation, store map[string]string, applies bool) {
	cur, present := store[op.Key]
	tag := fmt.Sprintf("c%ds%d;", op.ClientID, op.Seq)
	switch r := rng.IntN(100); {
	case r < 40:
		op.Kind = OpGet
	case r < 60:
		op.Kind, op.Value = OpPut, tag
	case r < 75:
		op.Kind, op.Value = OpAppend, tag
	case r < 85:
		op.Kind = OpDelete
	default:
		op.Kind, op.Value, op.Expected = OpCAS, tag, "nope"
		if present && rng.IntN(3) > 0 {
			op.Expected = cur
		}
	}
	known := op.Outcome == OutcomeOK
	switch op.Kind {
	case OpGet:
		if known {
			op.Found, op.Output = present, cur
		}
	case OpPut:
		if applies {
			store[op.Key] = op.Value
		}
	case OpAppend:
		if applies {
			store[op.Key] = cur + op.Value
		}
	case OpDelete:
		if applies {
			delete(store, op.Key)
		}
	case OpCAS:
		swapped := present && cur == op.Expected
		if applies && swapped {
			store[op.Key] = op.Value
		}
		op.Swapped = known && swapped
	}
}
