package checker

import (
	"time"

	"github.com/anishathalye/porcupine"
)

// porcupineVerdict is the whole-history check the incremental one is
// compared with: porcupine over every operation at once, partitioned by
// key, with the unobserved appends left out (see unobserved).
func porcupineVerdict(h History, budget time.Duration) Verdict {
	switch porcupine.CheckOperationsTimeout(kvModel(), toPorcupine(h.Ops), budget) {
	case porcupine.Ok:
		return VerdictOK
	case porcupine.Illegal:
		return VerdictIllegal
	}
	return VerdictUnknown
}
