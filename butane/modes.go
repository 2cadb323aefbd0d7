package butane

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// decimalModeMessage rewrites Butane's decimal-mode warning so that it says
// which octal mode was probably meant. line and column locate the mode value.
func decimalModeMessage(root *yaml.Node, line, column int) string {
	n := nodeAt(root, line, column)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "file mode looks like an octal number written in decimal; add a leading zero (e.g. 0644)"
	}
	dec, err := strconv.Atoi(n.Value)
	if err != nil {
		return fmt.Sprintf("file mode %s looks like an octal number written in decimal; add a leading zero", n.Value)
	}
	return fmt.Sprintf("mode %d is decimal (octal 0o%o); you probably meant 0%s: write it with a leading zero",
		dec, dec, n.Value)
}

// nodeAt returns the node that starts at line and column.
func nodeAt(n *yaml.Node, line, column int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Line == line && n.Column == column && n.Kind == yaml.ScalarNode {
		return n
	}
	for _, c := range n.Content {
		if found := nodeAt(c, line, column); found != nil {
			return found
		}
	}
	return nil
}
