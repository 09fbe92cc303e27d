package main

import (
	"errors"
	"os"
	"strings"

	"github.com/raftsim/raftsim/scenarios"
)

// demoScenario is what `raftsim run` runs when given no scenario.
const demoScenario = "demo"

// resolveScenario finds a built-in scenario by name or loads a file. It
// returns the scenario and the --scenario argument that finds it again.
func resolveScenario(arg string) (*scenarios.Scenario, error) {
	if arg == "" {
		arg = demoScenario
	}
	looksLikeFile := strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".toml")
	if !looksLikeFile {
		if s, ok := scenarios.Builtin(arg); ok {
			return s, nil
		}
		if _, err := os.Stat(arg); errors.Is(err, os.ErrNotExist) {
			return nil, usageErrorf("--scenario: no built-in scenario and no file named %q (see 'raftsim list')", arg)
		}
	}
	return scenarios.Load(arg)
}
