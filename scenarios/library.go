package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// library holds the built-in scenarios. They are ordinary scenario files
// in scenarios/library/, embedded in the binary, so users can read and
// copy them.
//
//go:embed library/*.toml
var library embed.FS

// LibraryDir is the directory of the built-in files inside the embedded
// file system, and in the source tree under scenarios/.
const LibraryDir = "library"

var (
	builtinsOnce sync.Once
	builtins     map[string]*Scenario
	builtinText  map[string][]byte
	builtinNames []string
	builtinErr   error
)

func loadBuiltins() {
	entries, err := fs.ReadDir(library, LibraryDir)
	if err != nil {
		builtinErr = err
		return
	}
	builtins = map[string]*Scenario{}
	builtinText = map[string][]byte{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		file := path.Join(LibraryDir, e.Name())
		data, err := library.ReadFile(file)
		if err != nil {
			builtinErr = err
			return
		}
		s, err := Parse(file, data)
		if err != nil {
			builtinErr = err
			return
		}
		if _, dup := builtins[s.Name]; dup {
			builtinErr = fmt.Errorf("%s: a second built-in scenario named %q", file, s.Name)
			return
		}
		builtins[s.Name] = s
		builtinText[s.Name] = data
		builtinNames = append(builtinNames, s.Name)
	}
	slices.Sort(builtinNames)
}

// mustBuiltins returns the library; a built-in file that does not parse
// is a defect of the binary, caught by the tests.
func mustBuiltins() map[string]*Scenario {
	builtinsOnce.Do(loadBuiltins)
	if builtinErr != nil {
		panic(fmt.Sprintf("scenarios: built-in library: %v", builtinErr))
	}
	return builtins
}

// Builtin returns a copy of the built-in scenario called name.
func Builtin(name string) (*Scenario, bool) {
	s, ok := mustBuiltins()[name]
	if !ok {
		return nil, false
	}
	return s.WithSeed(s.Seed), true
}

// Builtins returns copies of every built-in scenario, sorted by name.
func Builtins() []*Scenario {
	m := mustBuiltins()
	out := make([]*Scenario, 0, len(builtinNames))
	for _, name := range builtinNames {
		out = append(out, m[name].WithSeed(m[name].Seed))
	}
	return out
}

// BuiltinSource returns the file text of the built-in scenario called
// name, comments included, for users who want a copy.
func BuiltinSource(name string) ([]byte, bool) {
	if _, ok := mustBuiltins()[name]; !ok {
		return nil, false
	}
	return slices.Clone(builtinText[name]), true
}
