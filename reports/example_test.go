package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/sim"
)

var rewrite = flag.Bool("rewrite", false, "regenerate the committed example report under examples/")

// exampleDir holds the committed example report that the README shows.
const exampleDir = "examples/leader-crash-partition"

// exampleSeeds are the example's seeds: timelines from the first.
const exampleSeeds = 20

// exampleConfig is the example's scenario: the default 5-node cluster and
// 10 clients on the standard load's flaky network; the leader crashes and
// comes back, then the new leader is cut off and the cluster heals, then a
// node pauses.
func exampleConfig() sim.Config {
	cfg := sim.Defaults()
	cfg.Network = standardLoad().Network
	cfg.Duration = 10 * time.Second
	cfg.HealDuration = 5 * time.Second
	cfg.Liveness.ProgressWithin = 5 * time.Second
	cfg.Timeline = []sim.Action{
		{At: 2 * time.Second, Kind: sim.ActCrash, Leader: true},
		{At: 4 * time.Second, Kind: sim.ActRestart},
		{At: 5500 * time.Millisecond, Kind: sim.ActIsolate, Leader: true},
		{At: 7 * time.Second, Kind: sim.ActHeal},
		{At: 8 * time.Second, Kind: sim.ActPause, Nodes: []raft.NodeID{3}},
		{At: 8500 * time.Millisecond, Kind: sim.ActResume, Nodes: []raft.NodeID{3}},
	}
	return cfg
}

// TestExample checks the committed example report as a reader gets it:
// the page parses, every image and link it references is there, and each
// PNG has the size the page gives it. With -rewrite it first regenerates
// the report (the screenshot is then retaken with go run ./cmd/screenshot, as make report-example does).
func TestExample(t *testing.T) {
	if *rewrite {
		seeds := make([]uint64, exampleSeeds)
		for i := range seeds {
			seeds[i] = uint64(i + 1)
		}
		opts := Options{
			OutDir: exampleDir, Scenario: "leader-crash-partition",
			Command: "go test ./reports/ -run TestExample -rewrite",
		}
		if _, err := Run(exampleConfig(), seeds, opts); err != nil {
			t.Fatal(err)
		}
	}
	page := filepath.Join(exampleDir, "index.html")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("%v (regenerate with: go test ./reports/ -run TestExample -rewrite)", err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	images, links := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s does not parse: %v", page, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(name string) string {
			for _, a := range se.Attr {
				if a.Name.Local == name {
					return a.Value
				}
			}
			return ""
		}
		switch se.Name.Local {
		case "img":
			images++
			checkExampleImage(t, attr("src"), attr("width"), attr("height"))
		case "a":
			links++
			if _, err := os.Stat(filepath.Join(exampleDir, attr("href"))); err != nil {
				t.Errorf("%s links %q: %v", page, attr("href"), err)
			}
		}
	}
	if images != len(figureNames) || links < 2*len(figureNames) {
		t.Errorf("%s shows %d images and %d links, want %d images and a link to each SVG and PNG", page, images, links, len(figureNames))
	}
	for _, n := range figureNames {
		checkSVG(t, filepath.Join(exampleDir, n+".svg"))
	}
	if _, err := os.Stat(filepath.Join(exampleDir, "screenshot.png")); err != nil {
		t.Errorf("%v (take it with: go run ./cmd/screenshot %s %s/screenshot.png)", err, page, exampleDir)
	}
}

func checkExampleImage(t *testing.T, src, width, height string) {
	t.Helper()
	f, err := os.Open(filepath.Join(exampleDir, src))
	if err != nil {
		t.Errorf("image %q: %v", src, err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("image %q: %v", src, err)
		return
	}
	w, _ := strconv.Atoi(width)
	h, _ := strconv.Atoi(height)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h || !strings.HasSuffix(src, ".png") {
		t.Errorf("image %q is %dx%d, the page says %sx%s", src, b.Dx(), b.Dy(), width, height)
	}
}
