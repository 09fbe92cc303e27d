package main

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/raftsim/raftsim/raft/disk"
	"github.com/raftsim/raftsim/sim"
)

// fuzzDisk is the disk dimension of a fuzz campaign: per fault kind, how
// many faults of it the runs injected and how the runs that met it
// ended, so that a campaign answers "did any run lose data (a safety
// failure) or stay unavailable after healing (a liveness failure) with
// this fault?". It is folded from the runs' disk counts (diskJSON), and
// the failed and inconclusive runs a summary lists carry theirs, so that
// fuzz merge can check the verdict counts against the lists.
type fuzzDisk struct {
	// FileStore counts the runs on the file store and how they ended;
	// AnyFault those of them in which some disk fault happened.
	// Invariant: AnyFault.Runs <= FileStore.Runs <= the campaign's runs.
	FileStore diskRuns `json:"file_store"`
	AnyFault  diskRuns `json:"any_fault"`
	// ErrorCrashes, Refusals, Repairs and OverBudget sum the runs'
	// counts: nodes stopped on a storage error, restarts refused on
	// corruption, restarts that repaired damage fenced, latent faults
	// skipped past the corruption budget.
	ErrorCrashes uint64 `json:"error_crashes"`
	Refusals     uint64 `json:"refusals"`
	Repairs      uint64 `json:"repairs"`
	OverBudget   uint64 `json:"over_budget"`
	// Kinds has a row for every disk.FaultKinds kind, in that order, the
	// kinds no run met included.
	// Invariant: Kinds[i].Runs <= AnyFault.Runs.
	Kinds []diskKindRuns `json:"kinds"`
}

// diskRuns counts runs and how they ended. A failed run counts once: as
// safety if any of its failures is a safety failure (an invariant,
// linearizability or a panic: data lost or changed), else as liveness if
// the cluster did not recover after healing, else as other (a limit).
// Invariant: Safety+Liveness+Other+Inconclusive <= Runs.
type diskRuns struct {
	Runs         uint64 `json:"runs"`
	Safety       uint64 `json:"safety"`
	Liveness     uint64 `json:"liveness"`
	Other        uint64 `json:"other"`
	Inconclusive uint64 `json:"inconclusive"`
}

// diskKindRuns is one fault kind's row: the faults injected over the
// campaign, and the runs with at least one.
// Invariant: Injected >= Runs, and Injected is zero when Runs is.
type diskKindRuns struct {
	Kind     string `json:"kind"`
	Injected uint64 `json:"injected"`
	diskRuns
}

// runOutcome is how one run ended, as the disk rows count it.
type runOutcome uint8

const (
	outcomePass runOutcome = iota + 1
	outcomeSafety
	outcomeLiveness
	outcomeOther
	outcomeInconclusive
)

// failureKindNames maps a failure kind's name, as JSON spells it, to
// the kind: a summary read back is classified as the run was.
var failureKindNames = func() map[string]sim.FailureKind {
	m := map[string]sim.FailureKind{}
	for k := sim.FailureKind(1); k != 0; k++ {
		if name := k.String(); name != fmt.Sprintf("FailureKind(%d)", uint8(k)) {
			m[name] = k
		}
	}
	return m
}()

// outcomeOf classifies a run by its result and failures.
func outcomeOf(r *seedResult) runOutcome {
	switch r.Result {
	case "pass":
		return outcomePass
	case "inconclusive":
		return outcomeInconclusive
	}
	o := outcomeOther
	for _, f := range r.Failures {
		k := failureKindNames[f.Kind]
		if k.IsSafety() {
			return outcomeSafety
		}
		if k == sim.FailureLiveness {
			o = outcomeLiveness
		}
	}
	return o
}

// tally counts an ended run's outcome, not the run itself.
func (d *diskRuns) tally(o runOutcome) {
	switch o {
	case outcomeSafety:
		d.Safety++
	case outcomeLiveness:
		d.Liveness++
	case outcomeOther:
		d.Other++
	case outcomeInconclusive:
		d.Inconclusive++
	}
}

func (d *diskRuns) merge(o diskRuns) {
	d.Runs += o.Runs
	d.Safety += o.Safety
	d.Liveness += o.Liveness
	d.Other += o.Other
	d.Inconclusive += o.Inconclusive
}

// init gives Kinds its rows, once.
func (d *fuzzDisk) init() {
	if d.Kinds != nil {
		return
	}
	for _, k := range disk.FaultKinds() {
		d.Kinds = append(d.Kinds, diskKindRuns{Kind: k.String()})
	}
}

// add folds one run in; a run on MemoryStorage (no disk counts) counts
// nowhere.
func (d *fuzzDisk) add(r *seedResult) {
	d.init()
	if r.Disk == nil {
		return
	}
	o := outcomeOf(r)
	d.FileStore.Runs++
	d.FileStore.tally(o)
	d.ErrorCrashes += r.Disk.ErrorCrashes
	d.Refusals += r.Disk.Refusals
	d.Repairs += r.Disk.Repairs
	d.OverBudget += r.Disk.OverBudget
	if len(r.Disk.Faults) == 0 {
		return
	}
	d.AnyFault.Runs++
	d.AnyFault.tally(o)
	for i := range d.Kinds {
		if n := r.Disk.Faults[d.Kinds[i].Kind]; n > 0 {
			d.Kinds[i].Injected += n
			d.Kinds[i].Runs++
			d.Kinds[i].tally(o)
		}
	}
}

// merge adds another shard's section; both have been checked (their
// kinds are disk.FaultKinds, in order).
func (d *fuzzDisk) merge(o *fuzzDisk) {
	d.init()
	d.FileStore.merge(o.FileStore)
	d.AnyFault.merge(o.AnyFault)
	d.ErrorCrashes += o.ErrorCrashes
	d.Refusals += o.Refusals
	d.Repairs += o.Repairs
	d.OverBudget += o.OverBudget
	for i := range d.Kinds {
		d.Kinds[i].Injected += o.Kinds[i].Injected
		d.Kinds[i].merge(o.Kinds[i].diskRuns)
	}
}

// checkFuzzDisk checks a shard's disk section against itself and against
// the runs the shard lists. The lists hold every failed and inconclusive
// run with its disk counts, so they give each row's safety, liveness,
// other and inconclusive counts exactly, and bound its faults and totals
// from below. bad builds the error for a field.
func checkFuzzDisk(s *fuzzSummary, bad func(field, format string, args ...any) error) error {
	d := &s.Disk
	kinds := disk.FaultKinds()
	if len(d.Kinds) != len(kinds) {
		return bad("disk.kinds", "%d rows, want one for each of the %d fault kinds", len(d.Kinds), len(kinds))
	}
	for i, k := range kinds {
		if d.Kinds[i].Kind != k.String() {
			return bad(fmt.Sprintf("disk.kinds[%d].kind", i), "%q, want %q (every fault kind, in order)", d.Kinds[i].Kind, k)
		}
	}
	switch {
	case d.FileStore.Runs > s.Runs:
		return bad("disk.file_store.runs", "%d runs on the file store, of %d runs", d.FileStore.Runs, s.Runs)
	case d.AnyFault.Runs > d.FileStore.Runs:
		return bad("disk.any_fault.runs", "%d runs with a disk fault, of %d on the file store", d.AnyFault.Runs, d.FileStore.Runs)
	case d.FileStore.Runs == 0 && d.ErrorCrashes+d.Refusals+d.Repairs+d.OverBudget > 0:
		return bad("disk.error_crashes", "disk counts (%d, %d, %d, %d) without a run on the file store", d.ErrorCrashes, d.Refusals, d.Repairs, d.OverBudget)
	}
	listed, err := listedDisk(s, bad)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		field     string
		got, want uint64
	}{{"error_crashes", d.ErrorCrashes, listed.ErrorCrashes}, {"refusals", d.Refusals, listed.Refusals}, {"repairs", d.Repairs, listed.Repairs}, {"over_budget", d.OverBudget, listed.OverBudget}} {
		if t.got < t.want {
			return bad("disk."+t.field, "%d, fewer than the %d of the runs listed", t.got, t.want)
		}
	}
	if err := checkDiskRuns("disk.file_store", d.FileStore, listed.FileStore, bad); err != nil {
		return err
	}
	if err := checkDiskRuns("disk.any_fault", d.AnyFault, listed.AnyFault, bad); err != nil {
		return err
	}
	return checkDiskKinds(d, listed, bad)
}

// checkDiskKinds checks the kinds' rows against the runs with a disk
// fault and against the runs listed.
func checkDiskKinds(d, listed *fuzzDisk, bad func(field, format string, args ...any) error) error {
	var sum uint64
	for i, k := range d.Kinds {
		field := fmt.Sprintf("disk.kinds[%d]", i)
		switch {
		case k.Injected < k.Runs || k.Runs == 0 && k.Injected > 0:
			return bad(field+".injected", "%d %s faults in %s: each run counted met at least one", k.Injected, k.Kind, plural(k.Runs, "run"))
		case k.Injected < listed.Kinds[i].Injected:
			return bad(field+".injected", "%d, fewer than the %d of the runs listed", k.Injected, listed.Kinds[i].Injected)
		case k.Runs > d.AnyFault.Runs:
			return bad(field+".runs", "%s with %s, of %s with a disk fault", plural(k.Runs, "run"), k.Kind, plural(d.AnyFault.Runs, "run"))
		}
		if err := checkDiskRuns(field, k.diskRuns, listed.Kinds[i].diskRuns, bad); err != nil {
			return err
		}
		sum += k.Runs
	}
	if d.AnyFault.Runs > sum {
		return bad("disk.any_fault.runs", "%d runs with a disk fault, but the kinds' rows count %d runs in all", d.AnyFault.Runs, sum)
	}
	return nil
}

// listedDisk folds the disk counts of the runs a summary lists, checking
// that every fault they name is a fault kind, counted at least once.
func listedDisk(s *fuzzSummary, bad func(field, format string, args ...any) error) (*fuzzDisk, error) {
	var listed fuzzDisk
	listed.init()
	for _, l := range []struct {
		field string
		runs  []seedResult
	}{{"failures", s.Failures}, {"inconclusive_runs", s.InconclusiveRuns}} {
		for j := range l.runs {
			r := &l.runs[j]
			if r.Disk == nil {
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(r.Disk.Faults)) {
				field := fmt.Sprintf("%s[%d].disk.faults.%s", l.field, j, name)
				if _, ok := disk.ParseFaultKind(name); !ok {
					return nil, bad(field, "%q is not a disk fault kind", name)
				}
				if r.Disk.Faults[name] == 0 {
					return nil, bad(field, "a fault kind counted zero times (kinds that never happened are left out)")
				}
			}
			listed.add(r)
		}
	}
	return &listed, nil
}

// checkDiskRuns checks a row's outcome counts against those of the runs
// listed, which are every failed and inconclusive run.
func checkDiskRuns(field string, got, listed diskRuns, bad func(field, format string, args ...any) error) error {
	for _, t := range []struct {
		name      string
		got, want uint64
	}{{"safety", got.Safety, listed.Safety}, {"liveness", got.Liveness, listed.Liveness}, {"other", got.Other, listed.Other}, {"inconclusive", got.Inconclusive, listed.Inconclusive}} {
		if t.got != t.want {
			return bad(field+"."+t.name, "%d, but the runs listed give %d", t.got, t.want)
		}
	}
	if ended := got.Safety + got.Liveness + got.Other + got.Inconclusive; got.Runs < ended {
		return bad(field+".runs", "%d runs, fewer than the %d that failed or were inconclusive", got.Runs, ended)
	}
	return nil
}

// printFuzzDisk writes the disk rows of a campaign's text summary, only
// when some run was on the file store.
func printFuzzDisk(w io.Writer, d *fuzzDisk) {
	if d.FileStore.Runs == 0 {
		return
	}
	fmt.Fprintf(w, "  disk: %s on the file store, %d with a disk fault; %s, %s, %s, %s past the corruption budget skipped\n",
		plural(d.FileStore.Runs, "run"), d.AnyFault.Runs,
		pluralWord(d.ErrorCrashes, "crash on a disk error", "crashes on disk errors"), plural(d.Refusals, "refused restart"),
		pluralWord(d.Repairs, "store repaired", "stores repaired"), plural(d.OverBudget, "latent fault"))
	row := func(label, injected string, r diskRuns) {
		fmt.Fprintf(w, "    %-12s %9s %6d %7d %9d %6d %13d\n", label, injected, r.Runs, r.Safety, r.Liveness, r.Other, r.Inconclusive)
	}
	fmt.Fprintf(w, "    %-12s %9s %6s %7s %9s %6s %13s\n", "fault", "injected", "runs", "safety", "liveness", "other", "inconclusive")
	for _, k := range d.Kinds {
		row(k.Kind, fmt.Sprint(k.Injected), k.diskRuns)
	}
	row("any fault", "", d.AnyFault)
	row("file store", "", d.FileStore)
	fmt.Fprintln(w, "    (runs that failed: safety = data lost or changed (invariant, linearizability, panic); liveness = no recovery after healing)")
}
