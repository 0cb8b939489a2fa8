// Package docgen keeps the README's generated tables in step with the
// program: the outputs table comes from outputs.Table and the config
// reference from config.Reference. Each table sits between marker comments;
// Render replaces what is between them, and the root package's test fails
// when the README differs from what Render makes (run `make docs`).
package docgen

import (
	"fmt"
	"strings"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/outputs"
)

// Section is one generated part of a document.
type Section struct {
	Name string // the marker's name: <!-- generated:NAME begin --> … end
	Body func() string
}

// Sections are the README's generated parts.
var Sections = []Section{
	{Name: "config", Body: config.Markdown},
	{Name: "outputs", Body: outputs.Markdown},
}

// Render returns doc with every section's body regenerated. A section
// whose markers are missing is an error: the README must keep them.
func Render(doc string, sections []Section) (string, error) {
	for _, s := range sections {
		begin := fmt.Sprintf("<!-- generated:%s begin (make docs) -->\n", s.Name)
		end := fmt.Sprintf("<!-- generated:%s end -->", s.Name)
		i := strings.Index(doc, begin)
		j := strings.Index(doc, end)
		if i < 0 || j < i {
			return "", fmt.Errorf("docgen: markers for section %q not found (%q ... %q)", s.Name, strings.TrimSpace(begin), end)
		}
		doc = doc[:i+len(begin)] + s.Body() + doc[j:]
	}
	return doc, nil
}
