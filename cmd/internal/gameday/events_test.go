package gameday

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKnownEventsAreTheRunbooks: every event name runbooks/bin/dr can write
// is known to the analysis, and no known name is one the runbook never
// writes. Names come from the literal first argument of
// dr::timeline::event/write and from the two names passed to
// dr::snapshot::take.
func TestKnownEventsAreTheRunbooks(t *testing.T) {
	files, err := filepath.Glob("../../../runbooks/bin/lib/*.sh")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	literal := regexp.MustCompile(`dr::timeline::(?:event|write) ([a-z][a-z-]+) `)
	snapshot := regexp.MustCompile(`dr::snapshot::take ([a-z][a-z-]+) ([a-z][a-z-]+) `)
	var written []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			written = append(written, m[1])
		}
		for _, m := range snapshot.FindAllStringSubmatch(string(src), -1) {
			written = append(written, m[1], m[2])
		}
	}
	slices.Sort(written)
	written = slices.Compact(written)
	for _, name := range written {
		assert.Contains(t, knownEvents, name, "the runbook writes %q; name it in knownEvents", name)
	}
	for _, name := range knownEvents {
		assert.Contains(t, written, name, "knownEvents names %q; the runbook never writes it", name)
	}
}
