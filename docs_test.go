package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/docgen"
)

// TestReadmeTablesAreGenerated: the README's config reference and outputs
// table are exactly what config.Reference and outputs.Table make. Run
// `make docs` after changing either.
func TestReadmeTablesAreGenerated(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	want, err := docgen.Render(string(raw), docgen.Sections)
	require.NoError(t, err)
	assert.Equal(t, want, string(raw), "README.md is out of date: run `make docs`")
}
