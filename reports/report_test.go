package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font/sfnt"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/netsim"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

// shortConfig is a few virtual seconds on a flaky network with a leader
// crash, a partition and a pause: every kind of figure has something to
// draw, and a run takes a fraction of a second.
func shortConfig() sim.Config {
	cfg := sim.Defaults()
	cfg.Network = netsim.Reliable(netsim.LongTail(time.Millisecond, 5*time.Millisecond, netsim.Ratio{Num: 1, Den: 10}, 50*time.Millisecond))
	cfg.Network.Loss = netsim.Ratio{Num: 5, Den: 100}
	cfg.Network.Duplicate = netsim.Ratio{Num: 5, Den: 100}
	cfg.Duration = 3 * time.Second
	cfg.HealDuration = 2 * time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: 1500 * time.Millisecond, ProgressWithin: 1800 * time.Millisecond}
	cfg.Timeline = []sim.Action{
		{At: 500 * time.Millisecond, Kind: sim.ActCrash, Leader: true},
		{At: 1200 * time.Millisecond, Kind: sim.ActRestart},
		{At: 1600 * time.Millisecond, Kind: sim.ActIsolate, Leader: true},
		{At: 2300 * time.Millisecond, Kind: sim.ActHeal},
		{At: 2500 * time.Millisecond, Kind: sim.ActPause, Nodes: []raft.NodeID{3}},
		{At: 2800 * time.Millisecond, Kind: sim.ActResume, Nodes: []raft.NodeID{3}},
	}
	return cfg
}

// runs simulates shortConfig for seeds, failing the test on a bad config.
func runs(t testing.TB, seeds ...uint64) []*sim.Result {
	t.Helper()
	cfg := shortConfig()
	var out []*sim.Result
	for _, s := range seeds {
		cfg.Seed = s
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatalf("seed %d: %v", s, err)
		}
		out = append(out, res)
	}
	return out
}

func campaignOf(results []*sim.Result) *Campaign {
	c := &Campaign{}
	for _, r := range results {
		c.Add(r)
	}
	return c
}

var figureNames = []string{"latency-cdf", "latency-timeline", "throughput", "roles", "message-diagram", "latency-quantiles", "elections", "messages"}

// A short run writes every figure as PNG and SVG, and index.html; each
// PNG decodes at the size the page gives it, at the requested DPI.
func TestWriteProducesEveryFile(t *testing.T) {
	res := runs(t, 1, 2, 3)
	for _, dpi := range []int{0, 48} {
		dir := t.TempDir()
		idx, err := Write(res[0], campaignOf(res), Options{OutDir: dir, Scenario: "short", Config: shortConfig(), DPI: dpi})
		if err != nil {
			t.Fatalf("dpi %d: %v", dpi, err)
		}
		var want []string
		for _, n := range figureNames {
			want = append(want, n+".png", n+".svg")
		}
		want = append(want, "index.html")
		slices.Sort(want)
		if !slices.Equal(idx.Files, want) {
			t.Fatalf("dpi %d: wrote %v, want %v", dpi, idx.Files, want)
		}
		if idx.Page != filepath.Join(dir, "index.html") {
			t.Fatalf("page %q", idx.Page)
		}
		if dpi == 0 {
			dpi = DefaultDPI
		}
		for _, f := range idx.Figures {
			checkPNG(t, filepath.Join(dir, f.PNG), f, dpi)
			checkSVG(t, filepath.Join(dir, f.SVG))
		}
		checkPage(t, dir, idx)
	}
}

func checkPNG(t *testing.T, path string, f Figure, dpi int) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	img, err := png.Decode(file)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// Every figure is figureWidth wide: 11 inches.
	wantW := int(11*float64(dpi) + 0.5)
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != f.HeightPx || f.WidthPx != wantW {
		t.Fatalf("%s: %dx%d pixels, figure says %dx%d, want width %d at %d DPI",
			path, b.Dx(), b.Dy(), f.WidthPx, f.HeightPx, wantW, dpi)
	}
	if f.HeightPx < 2*dpi {
		t.Fatalf("%s: %d pixels high at %d DPI", path, f.HeightPx, dpi)
	}
}

// fontData matches the font vgsvg embeds.
var fontData = regexp.MustCompile(`src: url\(data:font/ttf;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)`)

// checkSVG parses the SVG as XML and checks that it embeds a font that
// has the digits (every figure draws numbers).
func checkSVG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	texts := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "text" {
			texts++
		}
	}
	if texts == 0 {
		t.Fatalf("%s: no text", path)
	}
	m := fontData.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no embedded font", path)
	}
	ttf, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatalf("%s: font data: %v", path, err)
	}
	f, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatalf("%s: embedded font: %v", path, err)
	}
	var buf sfnt.Buffer
	for _, r := range "0123456789 msnode" {
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			t.Fatalf("%s: embedded font lacks %q", path, r)
		}
	}
	if len(ttf) > 40_000 {
		t.Fatalf("%s: embedded font is %d bytes; the subset should be far smaller", path, len(ttf))
	}
}

// pageRefs parses index.html as XML (the page is written to be
// well-formed) and returns its img sources and link targets.
func pageRefs(t *testing.T, path string) (imgs, links []string, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var sb strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: does not parse: %v", path, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, a := range tok.Attr {
				switch {
				case tok.Name.Local == "img" && a.Name.Local == "src":
					imgs = append(imgs, a.Value)
				case tok.Name.Local == "a" && a.Name.Local == "href":
					links = append(links, a.Value)
				}
			}
		case xml.CharData:
			sb.Write(tok)
		}
	}
	return imgs, links, sb.String()
}

// checkPage: the page parses, shows every figure's PNG and links its SVG,
// and every file it references exists.
func checkPage(t *testing.T, dir string, idx *Index) {
	t.Helper()
	imgs, links, text := pageRefs(t, idx.Page)
	for _, f := range idx.Figures {
		if !slices.Contains(imgs, f.PNG) {
			t.Errorf("index.html shows no <img src=%q>", f.PNG)
		}
		if !slices.Contains(links, f.SVG) {
			t.Errorf("index.html has no link to %q", f.SVG)
		}
	}
	for _, ref := range append(imgs, links...) {
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "#") {
			t.Errorf("index.html references %q: the page must be self-contained", ref)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, ref)); err != nil {
			t.Errorf("index.html references %q: %v", ref, err)
		}
	}
	for _, want := range []string{"verdict", "p50", "p95", "p99", "longest window without a successful operation", "elections"} {
		if !strings.Contains(text, want) {
			t.Errorf("index.html does not mention %q", want)
		}
	}
}

// The same inputs give byte-identical files, whether the Results are
// reused or simulated afresh, and whatever the order of Campaign.Add.
func TestWriteIsDeterministic(t *testing.T) {
	a := runs(t, 4, 5)
	b := runs(t, 4, 5)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	opts := Options{Scenario: "short", Config: shortConfig(), DPI: 40}
	for i, in := range []struct {
		timeline *sim.Result
		campaign *Campaign
	}{
		{a[0], campaignOf(a)},
		{a[0], campaignOf(a)},
		{b[0], campaignOf([]*sim.Result{b[1], b[0]})},
	} {
		opts.OutDir = dirs[i]
		if _, err := Write(in.timeline, in.campaign, opts); err != nil {
			t.Fatal(err)
		}
	}
	ref := readDir(t, dirs[0])
	for _, d := range dirs[1:] {
		got := readDir(t, d)
		if len(got) != len(ref) {
			t.Fatalf("%d files, then %d", len(ref), len(got))
		}
		for name, data := range ref {
			if !bytes.Equal(got[name], data) {
				t.Errorf("%s differs between two reports of seeds 4 and 5 (%d and %d bytes)", name, len(data), len(got[name]))
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

// illegalResult is a made-up run whose history is not linearizable: a get
// reads a value no one wrote.
func illegalResult(t *testing.T, seed uint64) *sim.Result {
	t.Helper()
	msec := int64(time.Millisecond)
	h := []checker.Operation{
		{ClientID: 1, Seq: 1, Kind: checker.OpPut, Key: "k0", Value: "a", Invoke: 1 * msec, Complete: 5 * msec, Outcome: checker.OutcomeOK},
		{ClientID: 2, Seq: 1, Kind: checker.OpGet, Key: "k0", Invoke: 10 * msec, Complete: 12 * msec, Outcome: checker.OutcomeOK, Found: true, Output: "b"},
		{ClientID: 1, Seq: 2, Kind: checker.OpGet, Key: "k1", Invoke: 20 * msec, Complete: 25 * msec, Outcome: checker.OutcomeOK},
	}
	lin, err := checker.CheckLinearizable(checker.History{Ops: h}, checker.LinearizabilityOptions{Budget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if lin.Verdict != checker.VerdictIllegal || !lin.Located {
		t.Fatalf("made-up history: %v, want a located illegal verdict", lin)
	}
	end := clock.Time(40 * msec)
	return &sim.Result{
		Seed: seed, End: end, History: h, Linearizability: lin,
		Failures: []sim.Failure{{Kind: sim.FailureLinearizability, Name: "linearizability", Message: lin.String(), Time: end}},
		Roles: []sim.RoleChange{
			{Time: 0, Node: 1, Role: raft.RoleFollower, Term: 0},
			{Time: clock.Time(msec), Node: 1, Role: raft.RoleLeader, Term: 1},
		},
		Tenures: []sim.Tenure{{Node: 1, Term: 1, Elected: clock.Time(msec), Committed: clock.Time(2 * msec), Ended: end}},
		Faults:  []sim.FaultWindow{{Kind: "partition", Nodes: []raft.NodeID{1}, Start: clock.Time(8 * msec), End: clock.Time(15 * msec), Label: "isolate [1]"}},
		Stats:   sim.Stats{Ops: 3, OpsOK: 3, Elections: 1, LeaderChanges: 1, FirstLeader: clock.Time(msec)},
	}
}

// When linearizability fails, the report writes porcupine's visualization
// of the offending key and links it from the page, next to the verdict.
func TestLinearizabilityFailureLinksVisualization(t *testing.T) {
	dir := t.TempDir()
	bad := illegalResult(t, 99)
	good := runs(t, 1)[0]
	idx, err := Write(good, campaignOf([]*sim.Result{good, bad}), Options{OutDir: dir, DPI: 30})
	if err != nil {
		t.Fatal(err)
	}
	want := Visualization{Seed: 99, Key: "k0", File: "linearizability-seed-99.html"}
	if len(idx.Visualizations) != 1 || idx.Visualizations[0] != want {
		t.Fatalf("visualizations %+v, want [%+v]", idx.Visualizations, want)
	}
	if !slices.Contains(idx.Files, want.File) {
		t.Fatalf("files %v lack %s", idx.Files, want.File)
	}
	data, err := os.ReadFile(filepath.Join(dir, want.File))
	if err != nil || !bytes.Contains(data, []byte("<html")) {
		t.Fatalf("visualization: %v, %d bytes", err, len(data))
	}
	_, links, text := pageRefs(t, idx.Page)
	if !slices.Contains(links, want.File) {
		t.Fatalf("index.html does not link %s; links %v", want.File, links)
	}
	if !strings.Contains(text, "1 of 2 passed") || !strings.Contains(text, "seed 99") {
		t.Fatalf("index.html does not report the failing seed 99")
	}

	// The failing run as the timeline run: its own verdict shows.
	dir2 := t.TempDir()
	idx, err = Write(bad, nil, Options{OutDir: dir2, DPI: 30})
	if err != nil {
		t.Fatal(err)
	}
	_, links, text = pageRefs(t, idx.Page)
	if !slices.Contains(links, want.File) || !strings.Contains(text, "illegal") {
		t.Fatalf("timeline run's illegal verdict or visualization link missing")
	}
	checkPage(t, dir2, idx)

	// Porcupine's visualization is as repeatable as the rest.
	dir3 := t.TempDir()
	if _, err := Write(bad, nil, Options{OutDir: dir3, DPI: 30}); err != nil {
		t.Fatal(err)
	}
	a, b := readDir(t, dir2), readDir(t, dir3)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two reports of the same run", name)
		}
	}
}

func TestWriteRejectsBadInput(t *testing.T) {
	res := illegalResult(t, 1)
	for _, c := range []struct {
		name     string
		timeline *sim.Result
		opts     Options
	}{
		{"no timeline", nil, Options{OutDir: t.TempDir()}},
		{"no directory", res, Options{}},
		{"dpi too high", res, Options{OutDir: t.TempDir(), DPI: 5000}},
		{"dpi negative", res, Options{OutDir: t.TempDir(), DPI: -1}},
	} {
		if _, err := Write(c.timeline, nil, c.opts); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if _, err := Run(shortConfig(), nil, Options{OutDir: t.TempDir()}); !errors.Is(err, ErrNoRuns) {
		t.Errorf("Run without seeds: %v, want ErrNoRuns", err)
	}
	bad := shortConfig()
	bad.Nodes = 0
	if _, err := Run(bad, []uint64{1}, Options{OutDir: t.TempDir()}); err == nil {
		t.Errorf("Run with 0 nodes: no error")
	}
}

// Run simulates the seeds and writes the same report as Write would.
func TestRunMatchesWrite(t *testing.T) {
	cfg := shortConfig()
	d1, d2 := t.TempDir(), t.TempDir()
	if _, err := Run(cfg, []uint64{6, 7}, Options{OutDir: d1, DPI: 30}); err != nil {
		t.Fatal(err)
	}
	res := runs(t, 6, 7)
	if _, err := Write(res[0], campaignOf(res), Options{OutDir: d2, DPI: 30, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	a, b := readDir(t, d1), readDir(t, d2)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: Run and Write differ", name)
		}
	}
	if len(a) != len(b) {
		t.Errorf("Run wrote %d files, Write %d", len(a), len(b))
	}
}

func ExampleRun() {
	cfg := sim.Defaults()
	cfg.Duration, cfg.HealDuration = time.Second, time.Second
	cfg.Liveness = sim.LivenessConfig{LeaderWithin: 500 * time.Millisecond, ProgressWithin: time.Second}
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	idx, err := Run(cfg, []uint64{1, 2}, Options{OutDir: dir, Scenario: "defaults", DPI: 30})
	if err != nil {
		panic(err)
	}
	fmt.Println(filepath.Base(idx.Page), len(idx.Figures), "figures")
	// Output: index.html 8 figures
}
