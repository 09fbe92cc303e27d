package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports a fuzz campaign as it goes, on stderr: a progress bar
// with seeds per second and failures found when stderr is a terminal,
// otherwise (or with --json) plain lines now and then. Failures are
// reported as they are found. Only the collecting goroutine calls it.
type progress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	total  int
	done   int
	failed int
	// inconclusive counts runs whose only finding is a linearizability
	// check out of budget: neither failed nor passed.
	inconclusive int
	start        time.Time
	every        int
	verbose      bool
	// label starts each line: the command ("fuzz", "run").
	label string
}

func newProgress(w io.Writer, total int, jsonOut, verbose bool) *progress {
	p := &progress{w: w, total: total, start: time.Now(), every: max(1, total/10), verbose: verbose, label: "fuzz"}
	if f, ok := w.(*os.File); ok && !jsonOut && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("fuzz: 0 failures"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("seeds"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) add(r seedResult) {
	p.done++
	if r.Result == "inconclusive" {
		p.inconclusive++
		p.line("%s: seed %d inconclusive (the linearizability check ran out of budget): %s", p.label, r.Seed, r.Reproducer)
	} else if r.Result != "pass" {
		p.failed++
		var ids []string
		for _, f := range r.Failures {
			ids = append(ids, f.Kind+"/"+f.Name)
		}
		p.line("%s: seed %d FAILED (%s): %s", p.label, r.Seed, strings.Join(ids, ", "), r.Reproducer)
		if r.Minimized != "" {
			p.line("%s: seed %d minimized: %s", p.label, r.Seed, r.Minimized)
		}
	} else if p.verbose {
		p.line("%s: seed %d passed (%d ops)", p.label, r.Seed, r.Ops)
	}
	if p.bar != nil {
		p.bar.Describe(p.label + ": " + p.counts())
		p.bar.Add(1)
		return
	}
	if p.done%p.every == 0 || p.done == p.total {
		rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-9)
		fmt.Fprintf(p.w, "%s: %d/%d seeds, %.1f seeds/s, %s\n", p.label, p.done, p.total, rate, p.counts())
	}
}

// counts says how many runs failed, and how many were inconclusive.
func (p *progress) counts() string {
	s := plural(p.failed, "failure")
	if p.inconclusive > 0 {
		s += fmt.Sprintf(", %d inconclusive", p.inconclusive)
	}
	return s
}

// line prints a line without tearing the bar.
func (p *progress) line(format string, args ...any) {
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
