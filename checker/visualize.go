package checker

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
)

// WriteHistoryVisualization writes porcupine's interactive HTML view of a
// whole history to path: every key, each with the longest linearizations
// porcupine found within budget, and the given annotations. Unlike
// [LinearizabilityResult.WriteVisualization] it needs no counterexample,
// so it serves a history that is linearizable, undecided, or cut short by
// a safety failure before it could be checked. The verdict porcupine
// reached on the way is returned.
func WriteHistoryVisualization(h History, annotations []Annotation, path string, budget time.Duration) (Verdict, error) {
	if err := h.validate(); err != nil {
		return 0, err
	}
	if budget <= 0 {
		budget = DefaultLinearizabilityBudget
	}
	var ops []Operation
	for _, op := range h.Ops {
		if !inert(op) {
			ops = append(ops, op)
		}
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel(), toPorcupine(ops), budget)
	info.AddAnnotations(toPorcupineAnnotations(annotations, clientsOf(ops)))
	if err := porcupine.VisualizePath(kvModel(), info, path); err != nil {
		return 0, fmt.Errorf("checker: writing visualization %s: %w", path, err)
	}
	switch res {
	case porcupine.Ok:
		return VerdictOK, nil
	case porcupine.Illegal:
		return VerdictIllegal, nil
	}
	return VerdictUnknown, nil
}
