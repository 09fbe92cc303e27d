package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftsim/raftsim/checker"
)

// This file is what a run keeps of its client history: the operations go
// to the online linearizability check as they are invoked and completed,
// to Config.HistorySink in invocation order, into summaries (counts and
// latencies by kind), and the first HistoryLimit of them into
// Result.History. Nothing here grows with the length of the run but the
// latency summary, bounded by the number of distinct microsecond
// latencies, itself bounded by the workload's deadline.

// DefaultHistoryLimit is how many operations Result.History keeps when
// Config.HistoryLimit is zero.
const DefaultHistoryLimit = 100_000

// OpSummary counts a run's operations and their latencies, by kind.
type OpSummary struct {
	// kinds[k] summarizes the operations of kind k.
	kinds [checker.OpCAS + 1]KindSummary
}

// KindSummary counts the operations of one kind by outcome, and the
// latencies of the OK ones.
type KindSummary struct {
	OK, Failed, Unknown uint64
	// latencyUs counts OK operations by latency in whole microseconds.
	latencyUs map[int64]uint64
}

// Kind returns the summary of one kind.
func (s *OpSummary) Kind(k checker.OpKind) *KindSummary {
	if k < checker.OpGet || k > checker.OpCAS {
		panic(fmt.Sprintf("sim: OpSummary.Kind(%v)", k))
	}
	return &s.kinds[k]
}

func (s *OpSummary) add(op *checker.Operation) {
	k := s.Kind(op.Kind)
	switch op.Outcome {
	case checker.OutcomeOK:
		k.OK++
		if k.latencyUs == nil {
			k.latencyUs = map[int64]uint64{}
		}
		k.latencyUs[(op.Complete-op.Invoke)/1000]++
	case checker.OutcomeFail:
		k.Failed++
	default:
		k.Unknown++
	}
}

// Quantile returns the nearest-rank latency quantile num/den of the OK
// operations, in whole microseconds: the smallest latency such that at
// least num/den of them took at most that long. Zero when there are none.
func (k *KindSummary) Quantile(num, den uint64) time.Duration {
	if k.OK == 0 {
		return 0
	}
	rank := max((num*k.OK+den-1)/den, 1)
	keys := make([]int64, 0, len(k.latencyUs))
	for us := range k.latencyUs {
		keys = append(keys, us)
	}
	slices.Sort(keys)
	var seen uint64
	for _, us := range keys {
		seen += k.latencyUs[us]
		if seen >= rank {
			return time.Duration(us) * time.Microsecond
		}
	}
	return time.Duration(keys[len(keys)-1]) * time.Microsecond
}

// history is the simulator's side of the client history.
type history struct {
	lin     *checker.Linearizer
	summary OpSummary
	// kept holds Result.History, up to limit operations; dropped counts
	// the operations past it; openKept counts the kept ones that were
	// still open at the end (the last ones kept).
	kept     []checker.Operation
	limit    int
	dropped  uint64
	openKept int
	// sink receives the operations in invocation order: order[head:]
	// holds the operations from the oldest one not yet passed on, in
	// invocation order; an entry is ready once its operation completed.
	// It holds at most the operations invoked while the oldest open one
	// is open, which the workload's deadline bounds.
	sink  func(checker.Operation)
	order []orderedOp
	head  int
	// first is the invocation number of order[head]; next the number the
	// next call gets.
	first uint64
	next  uint64
}

type orderedOp struct {
	op    checker.Operation
	ready bool
}

// opHandle names an invoked operation to history.complete.
type opHandle struct {
	ref    checker.OpRef
	number uint64
}

func newHistory(cfg *Config) *history {
	h := &history{limit: cfg.HistoryLimit, sink: cfg.HistorySink}
	switch {
	case cfg.VisualizationPath != "":
		h.limit = int(^uint(0) >> 1) // the visualization draws the whole history
	case h.limit == 0:
		h.limit = DefaultHistoryLimit
	}
	if !cfg.SkipLinearizability {
		opts := cfg.CheckLimits
		if cfg.LinearizabilityBudget != 0 {
			opts.Budget = cfg.LinearizabilityBudget
		}
		if opts.Budget == 0 {
			opts.Budget = 10 * time.Second
		}
		h.lin = checker.NewLinearizer(opts)
	}
	return h
}

// invoke records a call.
func (h *history) invoke(op checker.Operation) opHandle {
	var hd opHandle
	if h.lin != nil {
		ref, err := h.lin.Invoke(op)
		if err != nil {
			panic(fmt.Sprintf("sim: the linearizability check refused the call %v: %v", op, err))
		}
		hd.ref = ref
	}
	hd.number = h.next
	h.next++
	if h.sink != nil {
		h.order = append(h.order, orderedOp{})
	}
	return hd
}

// complete records the outcome of an invoked operation.
func (h *history) complete(hd opHandle, op checker.Operation) {
	if h.lin != nil {
		if err := h.lin.Complete(hd.ref, op); err != nil {
			panic(fmt.Sprintf("sim: the linearizability check refused the completion %v: %v", op, err))
		}
	}
	h.summary.add(&op)
	if h.limit < 0 || len(h.kept) >= h.limit {
		h.dropped++
	} else {
		h.kept = append(h.kept, op)
	}
	if h.sink == nil {
		return
	}
	h.order[h.head+int(hd.number-h.first)] = orderedOp{op: op, ready: true}
	for h.head < len(h.order) && h.order[h.head].ready {
		h.sink(h.order[h.head].op)
		h.order[h.head] = orderedOp{}
		h.head++
		h.first++
	}
	if h.head > len(h.order)/2 {
		h.order = append(h.order[:0], h.order[h.head:]...)
		h.head = 0
	}
}

// completeAtEnd closes an operation still open when the run ended.
func (h *history) completeAtEnd(hd opHandle, op checker.Operation) {
	kept := len(h.kept)
	h.complete(hd, op)
	if len(h.kept) > kept {
		h.openKept++
	}
}
