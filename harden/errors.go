package harden

import (
	"fmt"
	"strconv"
	"strings"
)

// MapKey is a Path step that names a map element.
type MapKey string

// Path is where in a Node a value sits, as steps such as
// {"container_users", 1, "name"}: strings name attributes, ints index lists,
// MapKeys name map elements.
// Its steps use the Terraform attribute names of hardnode_node_config, so the
// provider can turn it into an attribute path.
type Path []any

// String renders the path as "container_users[1].name".
func (p Path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch v := s.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case MapKey:
			b.WriteString("[" + strconv.Quote(string(v)) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

func (p Path) with(steps ...any) Path {
	out := make(Path, 0, len(p)+len(steps))
	return append(append(out, p...), steps...)
}

// ValidationError is one invalid value of a Node.
type ValidationError struct {
	Path    Path
	Summary string // the problem, e.g. "Overlapping subordinate ID ranges"
	Detail  string // where and how to fix it
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Path, e.Summary, e.Detail)
}

// ValidationErrors is every problem found in a Node, in attribute order.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

type collector struct{ errs ValidationErrors }

func (c *collector) add(p Path, summary, format string, args ...any) {
	c.errs = append(c.errs, &ValidationError{Path: p, Summary: summary, Detail: fmt.Sprintf(format, args...)})
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
