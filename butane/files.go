package butane

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coreos/butane/config/common"
	"gopkg.in/yaml.v3"
)

// localKeys are the Butane keys whose value names a path under files_dir.
var localKeys = map[string]bool{"local": true, "contents_local": true}

// checkLocalPaths refuses, before Butane reads anything, every local path
// that is absolute, climbs out of filesDir with "..", resolves through a
// symlink to a place outside filesDir, or does not exist. Each entry names
// the YAML path and the line of the reference.
func checkLocalPaths(root *yaml.Node, filesDir string, source int) []Entry {
	if filesDir == "" {
		return nil // Butane itself refuses local paths without a files directory
	}
	var entries []Entry
	base, baseErr := resolveDir(filesDir)
	walkLocal(root, "$", func(n *yaml.Node, at string) {
		var msg string
		if baseErr != nil {
			msg = baseErr.Error()
		} else {
			msg = checkLocalPath(base, filesDir, n.Value)
		}
		if msg != "" {
			entries = append(entries, Entry{Severity: "error", Source: source, Line: n.Line,
				Column: n.Column, Path: at, Message: msg})
		}
	})
	return entries
}

// resolveDir returns the absolute, symlink-free form of dir.
func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("files_dir %q: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("files_dir %q cannot be read: %w", dir, err)
	}
	return real, nil
}

// checkLocalPath returns why p may not be read from base, or "".
func checkLocalPath(base, filesDir, p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return fmt.Sprintf("local file path %q is absolute; give it relative to files_dir %s", p, filesDir)
	}
	joined := filepath.Join(base, filepath.FromSlash(p))
	if !within(joined, base) {
		return common.ErrFilesDirEscape.Error() + fmt.Sprintf(" (%q climbs out of %s)", p, filesDir)
	}
	real, err := filepath.EvalSymlinks(joined)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("local file %q does not exist in files_dir %s", p, filesDir)
	}
	if err != nil {
		return fmt.Sprintf("local file %q: %v", p, err)
	}
	if !within(real, base) {
		return common.ErrFilesDirEscape.Error() +
			fmt.Sprintf(" (%q is a symlink that leads to %s)", p, real)
	}
	if _, err := os.Stat(real); err != nil {
		return fmt.Sprintf("local file %q: %v", p, err)
	}
	return ""
}

func within(p, base string) bool {
	return p == base || strings.HasPrefix(p, base+string(filepath.Separator))
}

// walkLocal calls fn for every scalar value of a local key, with its path.
func walkLocal(n *yaml.Node, at string, fn func(*yaml.Node, string)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkLocal(c, at, fn)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			p := at + "." + key.Value
			if localKeys[key.Value] && val.Kind == yaml.ScalarNode {
				fn(val, p)
				continue
			}
			walkLocal(val, p, fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkLocal(c, at+"."+strconv.Itoa(i), fn)
		}
	}
}
