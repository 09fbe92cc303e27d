package main

import "fmt"

// integer is any count the command line prints.
type integer interface {
	~int | ~int64 | ~uint64 | ~uint32
}

// plural spells a count with its noun: "1 run", "2 runs", "0 runs".
func plural[T integer](n T, noun string) string {
	return pluralWord(n, noun, noun+"s")
}

// pluralWord is plural for nouns whose plural is not noun+"s".
func pluralWord[T integer](n T, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
