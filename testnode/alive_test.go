package testnode

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestAliveIgnoresUnrelatedProcesses(t *testing.T) {
	p := PathsIn(t.TempDir())

	if _, alive := Alive(p); alive {
		t.Fatal("alive without a pidfile")
	}

	// The pidfile names a live process that is not our QEMU: this test.
	if err := os.WriteFile(p.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, alive := Alive(p); alive {
		t.Fatal("the test process counted as the node's QEMU")
	}
	how, err := Stop(context.Background(), p, 0)
	if err != nil || how != StoppedAlready {
		t.Fatalf("Stop on an unrelated pid = %q, %v; want %q and no kill", how, err, StoppedAlready)
	}

	if err := os.WriteFile(p.PIDFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, alive := Alive(p); alive {
		t.Fatal("alive with a garbage pidfile")
	}
}

func TestRemoveKeepsSerialLog(t *testing.T) {
	dir := t.TempDir()
	p := PathsIn(dir)
	files := []string{p.PIDFile, p.Ignition, p.SerialLog, overlayPath(dir, 0), overlayPath(dir, -1)}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 || left[0] != p.SerialLog {
		t.Errorf("left after Remove: %q, want only the serial log", left)
	}
}
