package testnode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSerialTail(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&b, "\x1b[0;32mline %d\x1b[0m\r\n", i)
	}
	log := filepath.Join(dir, "serial.log")
	if err := os.WriteFile(log, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	got := SerialTail(log, 40)
	lines := strings.Split(got, "\n")
	if len(lines) != 40 || lines[0] != "line 61" || lines[39] != "line 100" {
		t.Errorf("tail = %d lines from %q to %q, want 40 from \"line 61\" to \"line 100\"",
			len(lines), lines[0], lines[len(lines)-1])
	}
	if strings.ContainsAny(got, "\r\x1b") {
		t.Errorf("tail keeps control characters: %q", got)
	}

	if got := SerialTail(filepath.Join(dir, "missing.log"), 40); !strings.HasPrefix(got, "(no serial log") {
		t.Errorf("missing log: %q", got)
	}
	empty := filepath.Join(dir, "empty.log")
	_ = os.WriteFile(empty, nil, 0o600)
	if got := SerialTail(empty, 40); got != "(serial log is empty)" {
		t.Errorf("empty log: %q", got)
	}
}
