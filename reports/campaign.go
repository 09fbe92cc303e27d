package reports

import (
	"cmp"
	"slices"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/sim"
)

// Campaign gathers what the distribution plots need from many runs, so
// that a caller need not keep every Result: a run of the standard load
// holds about 70,000 operations, of which Campaign keeps one latency each.
//
// A Campaign is not safe for concurrent use; a caller that runs seeds in
// parallel adds their results from one goroutine. The order of Add does not
// matter: runs are sorted by seed when the report is written.
type Campaign struct {
	runs []*runSummary
}

// runSummary is what a report keeps of one run.
type runSummary struct {
	seed        uint64
	passed      bool
	failures    []failureLine
	lin         checker.LinearizabilityResult
	annotations []checker.Annotation // only when lin is a located Illegal
	stats       sim.Stats
	end         clock.Time
	latency     *kindLatencies
	gap         span
	losses      []recovery
	handovers   int
}

// failureLine is a failure without its trace tail.
type failureLine struct {
	Kind string
	Text string
}

// Add records what the report needs of res.
func (c *Campaign) Add(res *sim.Result) {
	c.runs = append(c.runs, summarize(res))
}

// Len returns the number of runs added.
func (c *Campaign) Len() int { return len(c.runs) }

func summarize(res *sim.Result) *runSummary {
	r := &runSummary{
		seed: res.Seed, passed: res.Passed(), lin: res.Linearizability,
		stats: res.Stats, end: res.End,
		latency: latenciesOf(res.History, res.OpenAtEnd),
		gap:     longestGap(res.History, res.End),
	}
	for _, f := range res.Failures {
		r.failures = append(r.failures, failureLine{Kind: f.Kind.String(), Text: f.String()})
	}
	if res.Linearizability.Verdict == checker.VerdictIllegal && res.Linearizability.Located {
		r.annotations = res.Annotations()
	}
	r.losses, r.handovers = recoveries(res.Tenures, res.End)
	return r
}

// campaignView is a Campaign ready to render: runs sorted by seed, and
// their latencies pooled.
type campaignView struct {
	runs   []*runSummary
	pooled *kindLatencies
}

func (c *Campaign) view() *campaignView {
	runs := slices.Clone(c.runs)
	// Stable, so that a seed added twice keeps a fixed order (and the two
	// are identical anyway: a run is a function of its seed).
	slices.SortStableFunc(runs, func(a, b *runSummary) int { return cmp.Compare(a.seed, b.seed) })
	lats := make([]*kindLatencies, len(runs))
	for i, r := range runs {
		lats[i] = r.latency
	}
	return &campaignView{runs: runs, pooled: poolLatencies(lats)}
}
