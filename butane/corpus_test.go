package butane

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vincent-petithory/dataurl"
)

const corpusDir = "testdata/corpus"

// entryRe parses the report lines of the corpus' .expected.warn and
// .expected.err files.
var entryRe = regexp.MustCompile(`^(error|warning) at (\S+), line (\d+) col (\d+): (.*)$`)

type wantEntry struct {
	severity, path, message string
	line, column            int
}

func parseEntries(t *testing.T, lines []string) []wantEntry {
	t.Helper()
	var out []wantEntry
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		m := entryRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("cannot parse expected entry %q", l)
		}
		line, _ := strconv.Atoi(m[3])
		col, _ := strconv.Atoi(m[4])
		out = append(out, wantEntry{severity: m[1], path: m[2], line: line, column: col, message: m[5]})
	}
	return out
}

// findEntry reports whether got has an entry at the wanted place whose
// message contains the wanted one (hardnode may add how to fix it).
func findEntry(got []Entry, w wantEntry) bool {
	for _, e := range got {
		if e.Severity == w.severity && e.Path == w.path && e.Line == w.line && e.Column == w.column &&
			strings.Contains(e.Message, w.message) {
			return true
		}
	}
	return false
}

func TestCorpus(t *testing.T) {
	configs, err := filepath.Glob(filepath.Join(corpusDir, "*.bu"))
	if err != nil || len(configs) == 0 {
		t.Fatalf("no corpus configs under %s (run make testdata): %v", corpusDir, err)
	}
	for _, cfgPath := range configs {
		name := strings.TrimSuffix(filepath.Base(cfgPath), ".bu")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(cfgPath, ".bu")
			res, err := Translate(Options{Content: src, FilesDir: filepath.Join(corpusDir, "files"), PrettyPrint: true})

			if wantErr, readErr := os.ReadFile(base + ".expected.err"); readErr == nil {
				checkExpectedError(t, string(wantErr), err)
				return
			}
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			wantIgn, err := os.ReadFile(base + ".expected.ign")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := normalizeIgnition(t, res.Rendered), normalizeIgnition(t, wantIgn); got != want {
				t.Errorf("rendered differs from %s.expected.ign\n got: %s\nwant: %s", name, got, want)
			}

			wantWarn, _ := os.ReadFile(base + ".expected.warn")
			wants := parseEntries(t, strings.Split(string(wantWarn), "\n"))
			for _, w := range wants {
				if !findEntry(res.Warnings, w) {
					t.Errorf("warning %+v not surfaced; got %+v", w, res.Warnings)
				}
			}
			if len(wants) == 0 && len(res.Warnings) > 0 {
				t.Errorf("unexpected warnings: %+v", res.Warnings)
			}
		})
	}
}

func checkExpectedError(t *testing.T, want string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Translate succeeded; want failure %q", want)
	}
	var berr *Error
	if !errors.As(err, &berr) {
		t.Fatalf("error %v is %T, want *butane.Error", err, err)
	}
	lines := strings.Split(want, "\n")
	first := strings.TrimPrefix(lines[0], "error: ")
	var report []string
	for i, l := range lines {
		if l == "report:" {
			report = lines[i+1:]
		}
	}
	entries := parseEntries(t, report)
	if len(entries) == 0 {
		// No report from Butane: the message must match, and hardnode
		// locates it on the header line itself.
		if !strings.Contains(err.Error(), first) {
			t.Errorf("error %q does not contain %q", err, first)
		}
		if len(berr.Entries) == 0 || berr.Entries[0].Line == 0 {
			t.Errorf("error has no located entry: %+v", berr.Entries)
		}
		return
	}
	for _, w := range entries {
		if w.severity == "error" && !findEntry(berr.Entries, w) {
			t.Errorf("error entry %+v not found in %+v", w, berr.Entries)
		}
	}
}

// normalizeIgnition re-marshals JSON with every data URL replaced by its
// decoded (and, for gzip, decompressed) content, so that configs compare by
// content whatever the encoding choice.
func normalizeIgnition(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, raw)
	}
	v = decodeDataURLs(t, v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func decodeDataURLs(t *testing.T, v any) any {
	switch val := v.(type) {
	case map[string]any:
		if src, ok := val["source"].(string); ok && strings.HasPrefix(src, "data:") {
			du, err := dataurl.DecodeString(src)
			if err != nil {
				t.Fatalf("bad data URL %q: %v", src, err)
			}
			data := du.Data
			if val["compression"] == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			val["source"] = "decoded:" + string(data)
			delete(val, "compression")
		}
		for k, c := range val {
			val[k] = decodeDataURLs(t, c)
		}
	case []any:
		for i, c := range val {
			val[i] = decodeDataURLs(t, c)
		}
	}
	return v
}
