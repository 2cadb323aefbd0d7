package butane

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/coreos/butane/config/common"
	"github.com/coreos/vcontext/path"
	"gopkg.in/yaml.v3"
)

// ErrNoFilesDir is wrapped by the Error returned when a config refers to
// local files but no files directory is set.
var ErrNoFilesDir = errors.New("the config refers to local files but files_dir is not set")

// localRef is one reference to a file or directory under files_dir, taken
// from the decoded Butane config: the values Butane will read, after YAML
// anchors, aliases and merge keys are resolved and unused keys dropped.
type localRef struct {
	at    path.ContextPath // YAML path of the value
	value string
	dir   bool // a tree: the value names a directory that Butane walks
}

// localKeys are the YAML keys of Butane's config types whose values name
// files (or, in a tree, a directory) under files_dir.
var localKeys = map[string]bool{"local": true, "contents_local": true, "ssh_authorized_keys_local": true}

// localRefs lists every local reference in the decoded config v.
func localRefs(v reflect.Value) []localRef {
	var refs []localRef
	collectRefs(v, path.New("yaml"), false, &refs)
	return refs
}

func collectRefs(v reflect.Value, at path.ContextPath, inTree bool, refs *[]localRef) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		tree := t.Name() == "Tree"
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			fv := v.Field(i)
			if f.Anonymous && (name == "" || strings.Contains(f.Tag.Get("yaml"), "inline")) {
				collectRefs(fv, at, inTree, refs)
				continue
			}
			if name == "" || name == "-" {
				continue
			}
			if localKeys[name] {
				addRefs(fv, at.Append(name), tree, refs)
				continue
			}
			collectRefs(fv, at.Append(name), tree, refs)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			collectRefs(v.Index(i), at.Append(i), inTree, refs)
		}
	case reflect.Map:
		// Butane's config types have no maps that hold local references.
	}
}

// addRefs adds the string, *string or []string value v.
func addRefs(v reflect.Value, at path.ContextPath, dir bool, refs *[]localRef) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		*refs = append(*refs, localRef{at: at.Copy(), value: v.String(), dir: dir})
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			addRefs(v.Index(i), at.Append(i), dir, refs)
		}
	}
}

// checkLocalRefs refuses, before Butane reads anything, every reference
// that is absolute, climbs out of filesDir, resolves (through symlinks at
// any depth) to a place outside filesDir, does not exist, or is not what
// Butane will read there: a regular file, or a directory for a tree. With
// no filesDir, one error on files_dir names the first reference.
func (d *document) checkLocalRefs(refs []localRef, filesDir string) *Error {
	if len(refs) == 0 {
		return nil
	}
	if filesDir == "" {
		first := refs[0]
		e := d.entryAt(first.at, "error", fmt.Sprintf("%s %q refers to a local %s, but no files directory is "+
			"set: set files_dir to the directory that holds it", refKey(first.at), first.value, refKind(first)))
		return &Error{Attribute: AttrFilesDir, Source: d.source, Summary: "files_dir not set",
			Entries: []Entry{e}, Err: ErrNoFilesDir}
	}
	base, err := resolveDir(filesDir)
	if err != nil {
		return &Error{Attribute: AttrFilesDir, Source: d.source, Summary: "Unreadable files_dir", Err: err}
	}
	var entries []Entry
	for _, ref := range refs {
		if msg := checkLocalPath(base, filesDir, ref); msg != "" {
			entries = append(entries, d.entryAt(ref.at, "error", msg))
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return &Error{Attribute: attributeOf(d.source), Source: d.source, Summary: "Local file refused",
		Entries: entries, Err: errors.New("a local file reference is outside files_dir or missing")}
}

func refKey(at path.ContextPath) string {
	for i := len(at.Path) - 1; i >= 0; i-- {
		if s, ok := at.Path[i].(string); ok {
			return s + ":"
		}
	}
	return "local:"
}

func refKind(ref localRef) string {
	if ref.dir {
		return "directory"
	}
	return "file"
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
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("files_dir %q cannot be read: %w", dir, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("files_dir %q is not a directory", dir)
	}
	return real, nil
}

// checkLocalPath returns why ref may not be read from base, or "".
func checkLocalPath(base, filesDir string, ref localRef) string {
	p := ref.value
	kind := refKind(ref)
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return fmt.Sprintf("local %s path %q is absolute; give it relative to files_dir %s", kind, p, filesDir)
	}
	joined := filepath.Join(base, filepath.FromSlash(p))
	if !within(joined, base) {
		return common.ErrFilesDirEscape.Error() + fmt.Sprintf(" (%q climbs out of %s)", p, filesDir)
	}
	real, err := filepath.EvalSymlinks(joined)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("local %s %q does not exist in files_dir %s", kind, p, filesDir)
	}
	if err != nil {
		return fmt.Sprintf("local %s %q: %v", kind, p, err)
	}
	if !within(real, base) {
		return common.ErrFilesDirEscape.Error() +
			fmt.Sprintf(" (%q goes through a symlink that leads to %s)", p, real)
	}
	info, err := os.Stat(real)
	if err != nil {
		return fmt.Sprintf("local %s %q: %v", kind, p, err)
	}
	switch {
	case ref.dir && !info.IsDir():
		return fmt.Sprintf("tree %q is not a directory in files_dir %s", p, filesDir)
	case !ref.dir && !info.Mode().IsRegular():
		return fmt.Sprintf("local file %q is not a regular file in files_dir %s", p, filesDir)
	}
	return ""
}

func within(p, base string) bool {
	return p == base || strings.HasPrefix(p, base+string(filepath.Separator))
}

// lookupNode follows a YAML path from n the way the YAML decoder resolves
// the document: through aliases and merge keys (<<), with aliased keys.
// The node returned is the one written at that place: an alias node when
// the value was written as an alias.
func lookupNode(n *yaml.Node, elems []any) *yaml.Node {
	for _, e := range elems {
		n = deref(n)
		if n == nil {
			return nil
		}
		switch key := e.(type) {
		case string:
			n = mappingValue(n, key, 0)
		case int:
			if n.Kind != yaml.SequenceNode || key < 0 || key >= len(n.Content) {
				return nil
			}
			n = n.Content[key]
		default:
			return nil
		}
	}
	return n
}

// deref resolves document and alias nodes to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// mappingValue finds key in mapping m: keys written in m win over keys
// merged in with <<, as in the YAML decoder.
func mappingValue(m *yaml.Node, key string, depth int) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 32 {
		return nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k == nil {
			continue
		}
		if k.Value == key && k.Tag != "!!merge" {
			return m.Content[i+1]
		}
		if k.Tag == "!!merge" {
			merged = append(merged, m.Content[i+1])
		}
	}
	for _, mv := range merged {
		mv = deref(mv)
		if mv == nil {
			continue
		}
		if mv.Kind == yaml.SequenceNode {
			for _, c := range mv.Content {
				if v := mappingValue(c, key, depth+1); v != nil {
					return v
				}
			}
			continue
		}
		if v := mappingValue(mv, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}
