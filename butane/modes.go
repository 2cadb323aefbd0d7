package butane

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decimalModeMessage rewrites Butane's decimal-mode warning so that it says
// which octal mode was probably meant. line and column locate the mode value
// (or an alias of it). Any YAML integer form is read: 644, +644, 0o1204.
func decimalModeMessage(root *yaml.Node, line, column int) string {
	n := deref(nodeAt(root, line, column))
	if n == nil || n.Kind != yaml.ScalarNode {
		return "file mode looks like an octal number written in decimal; add a leading zero (e.g. 0644)"
	}
	text := strings.ReplaceAll(n.Value, "_", "")
	if strings.HasPrefix(text, "0o") || strings.HasPrefix(text, "+0o") {
		text = strings.Replace(text, "0o", "0", 1) // YAML 1.2 octal; 0NNN is octal in YAML 1.1 too
	}
	val, err := strconv.ParseInt(text, 0, 64)
	if err != nil {
		return fmt.Sprintf("file mode %s looks like an octal number written in decimal; add a leading zero", n.Value)
	}
	return fmt.Sprintf("mode %s is %d in decimal (octal 0o%o); you probably meant 0%d: "+
		"write it with a leading zero", n.Value, val, val, val)
}

// nodeAt returns the scalar or alias node that starts at line and column.
func nodeAt(n *yaml.Node, line, column int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Line == line && n.Column == column && (n.Kind == yaml.ScalarNode || n.Kind == yaml.AliasNode) {
		return n
	}
	for _, c := range n.Content {
		if found := nodeAt(c, line, column); found != nil {
			return found
		}
	}
	return nil
}
