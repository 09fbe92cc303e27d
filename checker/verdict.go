package checker

import "fmt"

// Verdict is the three-valued answer of a check. A check that runs out of
// budget says Unknown, never OK: an inconclusive check is not a pass.
type Verdict uint8

const (
	// VerdictOK: the property holds.
	VerdictOK Verdict = iota + 1
	// VerdictIllegal: the property is violated.
	VerdictIllegal
	// VerdictUnknown: the check ran out of budget before deciding.
	VerdictUnknown
)

var verdictNames = [...]string{VerdictOK: "ok", VerdictIllegal: "illegal", VerdictUnknown: "unknown"}

func (v Verdict) String() string {
	if v >= VerdictOK && v <= VerdictUnknown {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}
