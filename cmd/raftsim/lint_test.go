package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The determinism lint: simulated packages must not let a run depend on
// anything but its seed. It parses their source (tests excluded) and
// rejects wall-clock reads, global or unseeded randomness, goroutines,
// channels, select, sync, environment variables and GOMAXPROCS. Each
// exception is listed below with its reason; an exception that no longer
// matches anything is an error too, so the list stays true.

// simulatedDirs are the packages whose behaviour a run depends on,
// relative to the module root. Every sub-package is included unless
// excluded.
var simulatedDirs = []string{"raft", "clock", "netsim", "sim", "checker", "scenarios"}

// excludedDirs are not simulated: the durable file store does real I/O,
// raft/bench is a separate module comparing with etcd, and the runtime
// packages run a real node on real sockets and clocks.
var excludedDirs = []string{"raft/filestore", "raft/bench", "raft/transport", "raft/server", "raft/resp", "raft/replica", "raft/localcluster", "raft/faultproxy"}

// lintAllowed maps "file: finding" to the reason it is allowed.
var lintAllowed = map[string]string{
	"checker/linearizability.go: calls porcupine.CheckOperationsTimeout": "porcupine searches on goroutines against a wall-clock budget: " +
		"the budget can turn OK into Unknown (never a pass), never into Illegal, and no trace depends on it",
	"checker/linearizability.go: calls porcupine.CheckOperationsVerbose": "as above: the budgeted search for the counterexample to draw",
	"checker/visualize.go: calls porcupine.CheckOperationsVerbose":       "as above: the partial linearizations a visualization draws",
	"checker/window.go: calls porcupine.CheckOperationsTimeout":          "as above: the budgeted search of a key's window of history",
	"scenarios/library.go: imports sync": "sync.Once parses the embedded library once for all fuzz workers; " +
		"no simulated decision depends on it",
	"raft/bugs/on.go: imports sync/atomic": "raftbugs builds only: selftest's parallel runs count how often a planted bug fired; " +
		"the count is only ever read by selftest, never by a run",
}

// forbiddenImports are packages a simulated package must not import.
var forbiddenImports = map[string]string{
	"sync":        "sync primitives imply goroutines",
	"sync/atomic": "sync primitives imply goroutines",
	"math/rand":   "math/rand's global source is not seeded per run; use math/rand/v2 with rand.NewPCG",
	"crypto/rand": "randomness that no seed reproduces",
	"unsafe":      "pointer values must not matter",
}

// forbiddenCalls are package-level functions a simulated package must not
// call, by import path.
var forbiddenCalls = map[string][]string{
	"time":                              {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
	"os":                                {"Getenv", "LookupEnv", "Environ", "Getpid", "Hostname"},
	"runtime":                           {"GOMAXPROCS", "NumCPU", "NumGoroutine", "Gosched"},
	"github.com/anishathalye/porcupine": {"CheckOperations", "CheckOperationsTimeout", "CheckOperationsVerbose", "CheckEvents", "CheckEventsTimeout", "CheckEventsVerbose"},
}

// randAllowed are the math/rand/v2 functions that build seeded sources;
// every other package-level function there draws from the global source.
var randAllowed = []string{"New", "NewPCG", "NewChaCha8", "NewZipf"}

// lintSource returns the findings in one file, as "finding" strings with
// positions.
func lintSource(fset *token.FileSet, f *ast.File) []lintFinding {
	var out []lintFinding
	add := func(pos token.Pos, what string) {
		out = append(out, lintFinding{pos: fset.Position(pos), what: what})
	}
	imported := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if _, bad := forbiddenImports[path]; bad {
			add(imp.Pos(), "imports "+path)
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if path == "math/rand/v2" {
			name = "rand"
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imported[name] = path
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			add(n.Pos(), "starts a goroutine")
		case *ast.SelectStmt:
			add(n.Pos(), "uses select")
		case *ast.ChanType:
			add(n.Pos(), "uses a channel")
		case *ast.SelectorExpr:
			x, ok := n.X.(*ast.Ident)
			if !ok || x.Obj != nil {
				return true
			}
			path := imported[x.Name]
			if slices.Contains(forbiddenCalls[path], n.Sel.Name) {
				add(n.Pos(), fmt.Sprintf("calls %s.%s", x.Name, n.Sel.Name))
			}
			if path == "math/rand/v2" && ast.IsExported(n.Sel.Name) && !slices.Contains(randAllowed, n.Sel.Name) && !isRandType(n.Sel.Name) {
				add(n.Pos(), fmt.Sprintf("calls %s.%s (the global source)", x.Name, n.Sel.Name))
			}
		}
		return true
	})
	return out
}

// isRandType tells math/rand/v2's types, which are fine to name.
func isRandType(name string) bool {
	return slices.Contains([]string{"Rand", "Source", "PCG", "ChaCha8", "Zipf"}, name)
}

type lintFinding struct {
	pos  token.Position
	what string
}

func TestDeterminismLint(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	used := map[string]bool{}
	files := 0
	for _, dir := range simulatedDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if slices.Contains(excludedDirs, rel) || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			files++
			for _, finding := range lintSource(fset, f) {
				key := rel + ": " + finding.what
				if _, ok := lintAllowed[key]; ok {
					used[key] = true
					continue
				}
				t.Errorf("%s:%d: %s", rel, finding.pos.Line, finding.what)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 20 {
		t.Fatalf("only %d files checked: is the module root %s?", files, root)
	}
	for key := range lintAllowed {
		if !used[key] {
			t.Errorf("allowed finding %q no longer occurs: remove it from lintAllowed", key)
		}
	}
}

// The lint finds what it is meant to find.
func TestDeterminismLintFindsViolations(t *testing.T) {
	src := `package p

import (
	"math/rand/v2"
	mrand "math/rand"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func f(rng *rand.Rand) {
	_ = time.Now()
	_ = time.Duration(3) * time.Second
	_ = rand.IntN(3)
	_ = rand.New(rand.NewPCG(1, 2))
	_ = rng.IntN(3)
	_ = mrand.Intn(2)
	_ = os.Getenv("X")
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case <-ch:
	}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, finding := range lintSource(fset, f) {
		got = append(got, fmt.Sprintf("%d %s", finding.pos.Line, finding.what))
	}
	want := []string{
		"5 imports math/rand", "7 imports sync", "14 calls time.Now", "16 calls rand.IntN (the global source)",
		"20 calls os.Getenv", "21 uses a channel", "22 starts a goroutine", "23 uses select",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("lint missed %q; found %q", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("lint found %d things, want %d: %q", len(got), len(want), got)
	}
}
