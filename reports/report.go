package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/sim"
)

// Options say what a report is about and where it goes.
type Options struct {
	// OutDir receives the files; it is created if missing. Files of an
	// earlier report that this one does not write are left alone.
	OutDir string
	// Scenario names the scenario in titles and on the page.
	Scenario string
	// Config is the configuration the runs shared (their seeds aside). The
	// page lists its main settings and the plots mark where the healing
	// phase began. The zero Config (Nodes == 0) leaves both out.
	Config sim.Config
	// Command, if set, is shown on the page as the command line that
	// reproduces the report.
	Command string
	// DPI is the PNG resolution; zero means DefaultDPI.
	DPI int
	// DiagramAt centres the message diagram's window (0: around the first
	// failure, else the first change of leader); DiagramSpan is its length
	// (0: DefaultDiagramSpan). The diagram reruns the timeline run with
	// Config, so a zero Config draws none.
	DiagramAt, DiagramSpan time.Duration
}

// DefaultDPI renders a figure 11 inches wide as 1056 pixels, its size on
// the page.
const DefaultDPI = 96

// visualizationsMax bounds the porcupine visualizations a report writes,
// one per run whose history is not linearizable.
const visualizationsMax = 10

// Index describes a written report.
type Index struct {
	// Page is index.html's path.
	Page string
	// Figures are the plots, in page order.
	Figures []Figure
	// Visualizations are porcupine's views of non-linearizable histories,
	// relative to the output directory, by seed.
	Visualizations []Visualization
	// Files lists every file written, relative to the output directory,
	// sorted.
	Files []string
}

// Visualization is porcupine's view of the key at fault in one run.
type Visualization struct {
	Seed uint64
	Key  string
	File string
}

// ErrNoRuns is returned by Write without a timeline run, and by Run without
// seeds.
var ErrNoRuns = errors.New("reports: no runs to report")

// Write renders a report into opts.OutDir: timelines from the timeline run,
// distributions across the campaign's runs (nil: the timeline run alone),
// and index.html. The same inputs give byte-identical files.
func Write(timeline *sim.Result, campaign *Campaign, opts Options) (*Index, error) {
	if timeline == nil {
		return nil, ErrNoRuns
	}
	if opts.OutDir == "" {
		return nil, errors.New("reports: Options.OutDir is empty")
	}
	dpi := opts.DPI
	if dpi == 0 {
		dpi = DefaultDPI
	}
	if dpi < 24 || dpi > 600 {
		return nil, fmt.Errorf("reports: Options.DPI %d is outside [24, 600]", opts.DPI)
	}
	if campaign == nil || campaign.Len() == 0 {
		campaign = &Campaign{}
		campaign.Add(timeline)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	th, err := newTheme(opts.Scenario)
	if err != nil {
		return nil, err
	}
	b := &builder{th: th, res: timeline, run: summarize(timeline), camp: campaign.view(), cfg: opts.Config, opts: opts}
	if opts.Config.Nodes > 0 {
		from, to, why := diagramWindow(timeline, opts.DiagramAt, opts.DiagramSpan)
		copies, err := recordWindow(opts.Config, timeline, from, to)
		if err != nil {
			return nil, err
		}
		sortCopies(copies)
		b.diagram = b.diagramFigure(copies, from, to, why)
	}

	idx := &Index{}
	for _, f := range b.figures() {
		fig, err := f.render(opts.OutDir, dpi)
		if err != nil {
			return nil, err
		}
		idx.Figures = append(idx.Figures, fig)
		idx.Files = append(idx.Files, fig.PNG, fig.SVG)
	}
	vis, err := b.writeVisualizations()
	if err != nil {
		return nil, err
	}
	idx.Visualizations = vis
	for _, v := range vis {
		idx.Files = append(idx.Files, v.File)
	}
	idx.Page = filepath.Join(opts.OutDir, "index.html")
	if err := b.writePage(idx.Page, idx); err != nil {
		return nil, err
	}
	idx.Files = append(idx.Files, "index.html")
	slices.Sort(idx.Files)
	return idx, nil
}

// Run runs cfg once per seed and writes the report: timelines from the
// first seed, distributions across all of them. It runs the seeds one
// after the other and keeps only the first Result; a caller that wants
// them in parallel runs them itself and calls Write. cfg.Trace and
// cfg.VisualizationPath are ignored.
func Run(cfg sim.Config, seeds []uint64, opts Options) (*Index, error) {
	if len(seeds) == 0 {
		return nil, ErrNoRuns
	}
	cfg.Trace, cfg.VisualizationPath = nil, ""
	var timeline *sim.Result
	campaign := &Campaign{}
	for i, seed := range seeds {
		cfg.Seed = seed
		res, err := sim.Run(cfg)
		if err != nil {
			return nil, fmt.Errorf("reports: seed %d: %w", seed, err)
		}
		if i == 0 {
			timeline = res
		}
		campaign.Add(res)
	}
	if opts.Config.Nodes == 0 {
		opts.Config = cfg
		opts.Config.Seed = 0
	}
	return Write(timeline, campaign, opts)
}

// builder holds what the figures and the page are made from.
type builder struct {
	th   *theme
	res  *sim.Result // the timeline run
	run  *runSummary // its summary
	camp *campaignView
	cfg  sim.Config
	opts Options
	// diagram is the message diagram, nil without a Config.
	diagram *figure
}

// figures returns the report's figures in page order. The three timeline
// figures share their time axis, so their data areas are aligned: one
// above the other on the page, the same instant is at the same x.
func (b *builder) figures() []*figure {
	t := b.timeline()
	type tl struct {
		name, title, caption string
		height               vg.Length
		build                func(timeline) (*plot.Plot, plot.Legend)
	}
	tls := []tl{
		{"latency-timeline", "Latency over time",
			"One point per operation of seed " + fmt.Sprint(b.res.Seed) + ": its invocation time and latency; OK operations coloured by kind, " +
				"the others by outcome (an unknown outcome is plotted at the time the client gave up; an operation still open when the run ended, in grey, at the end). " +
				"Black lines: p50 (solid), p95 (dashed), p99 (dotted) and max (thin) of the OK operations of each window. " +
				"Red: a safety failure (and, for a linearizability failure, the operations on the key with no linearization, ringed). " +
				"Shaded: fault windows. Dashed green lines: a leader was elected.",
			3.8 * vg.Inch, b.latencyTimelineFigure},
		{"throughput", "Throughput",
			"Operations completed per second of virtual time, in buckets of " + throughputWidth(b.res.End).String() + ", by kind (colour) and outcome " +
				"(solid: ok, dashed: failed, dotted: unknown); the last bucket, cut short by the run's end, is divided by its own length. " +
				"Operations still open at the end never completed and are not counted. Same fault windows and elections as above.",
			3.0 * vg.Inch, b.throughputFigure},
		{"roles", "Roles and terms",
			"Each node's role over time; a leader's band carries its term, a candidate's band the term it stands for, " +
				"and a pre-candidate asks for votes (pre-vote) without changing its term. " +
				"The top track lists the fault windows.",
			0, b.rolesFigure},
	}
	nodes := max(b.cfg.Nodes, 1)
	for _, rc := range b.res.Roles {
		nodes = max(nodes, int(rc.Node))
	}
	tls[2].height = vg.Length(nodes+1)*0.42*vg.Inch + 1.1*vg.Inch

	plots := make([]*plot.Plot, len(tls))
	legends := make([]plot.Legend, len(tls))
	var left vg.Length
	for i, x := range tls {
		plots[i], legends[i] = x.build(t)
		left = max(left, dataLeft(plots[i], tls[i].height))
	}
	out := []*figure{b.cdfFigure()}
	for i, x := range tls {
		p, l := plots[i], legends[i]
		out = append(out, &figure{
			name: x.name, title: x.title, caption: x.caption, width: figureWidth, height: x.height,
			draw: func(dc draw.Canvas) { drawWithLegend(dc, p, l, left) },
		})
	}
	if b.diagram != nil {
		out = append(out, b.diagram)
	}
	if q := b.quantilesFigure(); q != nil {
		out = append(out, q)
	}
	return append(out, b.electionsFigure(), b.messagesFigure())
}

// dataLeft is how far right of its canvas p's data area starts in a
// timeline figure (the width of its y axis), as drawWithLegend lays it
// out.
func dataLeft(p *plot.Plot, height vg.Length) vg.Length {
	dc := draw.NewCanvas(new(recorder.Canvas), figureWidth, height)
	pc := plotArea(dc)
	return p.DataCanvas(pc).Min.X - pc.Min.X
}

// writeVisualizations writes porcupine's view of each run whose history
// is not linearizable, up to visualizationsMax, the timeline run first.
func (b *builder) writeVisualizations() ([]Visualization, error) {
	runs := []*runSummary{b.run}
	for _, r := range b.camp.runs {
		if r.seed != b.run.seed {
			runs = append(runs, r)
		}
	}
	var out []Visualization
	for _, r := range runs {
		if r.lin.Verdict != checker.VerdictIllegal || !r.lin.Located || len(out) == visualizationsMax {
			continue
		}
		v := Visualization{Seed: r.seed, Key: r.lin.Key, File: fmt.Sprintf("linearizability-seed-%d.html", r.seed)}
		if err := r.lin.WriteVisualization(filepath.Join(b.opts.OutDir, v.File), r.annotations); err != nil {
			return nil, fmt.Errorf("reports: seed %d: %w", r.seed, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// runName names the timeline run in figure titles, so that a figure
// says where it comes from when it travels without its page.
func (b *builder) runName() string {
	if b.opts.Scenario == "" {
		return fmt.Sprintf("seed %d", b.res.Seed)
	}
	return fmt.Sprintf("%s, seed %d", b.opts.Scenario, b.res.Seed)
}
