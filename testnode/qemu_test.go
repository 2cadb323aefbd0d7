package testnode

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// These tests boot real QEMU (TCG). They do not skip when QEMU is missing
// or fails: a test node that cannot boot is a failure. Only -short skips them.

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

var (
	fakeGuestOnce   sync.Once
	fakeGuestDir    string
	fakeGuestErr    error
	fakeGuestOutput string
)

// fakeGuest builds (once per test binary) the kernel and busybox initramfs
// of testdata/fakeguest and returns the directory holding vmlinuz and
// initrd.img. The kernel .deb is cached under build/testnode/.
func fakeGuest(t *testing.T) (kernel, initrd string) {
	t.Helper()
	fakeGuestOnce.Do(func() {
		root := repoRoot(t)
		dir, err := os.MkdirTemp("", "hardnode-fakeguest-")
		if err != nil {
			fakeGuestErr = err
			return
		}
		fakeGuestDir = dir
		bin := filepath.Join(dir, "fakeguest")
		build := exec.Command("go", "build", "-o", bin, "./testdata/fakeguest")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fakeGuestErr, fakeGuestOutput = err, string(out)
			return
		}
		mk := exec.Command("bash", "testdata/fakeguest/build.sh",
			filepath.Join(root, "build", "testnode", "kernel-cache"), dir, bin)
		if out, err := mk.CombinedOutput(); err != nil {
			fakeGuestErr, fakeGuestOutput = err, string(out)
		}
	})
	if fakeGuestErr != nil {
		t.Fatalf("build the fake guest: %v\n%s", fakeGuestErr, fakeGuestOutput)
	}
	return filepath.Join(fakeGuestDir, "vmlinuz"), filepath.Join(fakeGuestDir, "initrd.img")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fakeGuestDir != "" {
		os.RemoveAll(fakeGuestDir)
	}
	os.Exit(code)
}

// testHostKey is an SSH host key for a node config: the private half as
// OpenSSH PEM, the public half in authorized_keys form.
type testHostKey struct {
	PrivatePEM string
	Public     string
}

func newTestHostKey(t *testing.T) testHostKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return testHostKey{PrivatePEM: string(pem.EncodeToMemory(block)), Public: FormatHostKey(sshPub)}
}

// ignitionWithHostKey renders a spec 3.3.0 config that gives the node the
// host key and lets the user "core" (in wheel, so with sudo on the
// stand-in) log in with adminKey (when set).
func ignitionWithHostKey(t *testing.T, hk testHostKey, adminKey string) []byte {
	t.Helper()
	mode := 0o600
	cfg := map[string]any{
		"ignition": map[string]any{"version": "3.3.0"},
		"storage": map[string]any{"files": []any{map[string]any{
			"path":      "/etc/ssh/ssh_host_ed25519_key",
			"mode":      mode,
			"overwrite": true,
			"contents":  map[string]any{"source": "data:," + url.PathEscape(hk.PrivatePEM)},
		}}},
	}
	if adminKey != "" {
		cfg["passwd"] = map[string]any{"users": []any{map[string]any{
			"name": "core", "groups": []string{"wheel"}, "sshAuthorizedKeys": []string{adminKey},
		}}}
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func logProgress(t *testing.T) Progress {
	return func(msg string, fields map[string]any) { t.Logf("%s %v", msg, fields) }
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test boots QEMU")
	}
}

func TestBootFakeGuest(t *testing.T) {
	skipShort(t)
	kernel, initrd := fakeGuest(t)
	hk := newTestHostKey(t)
	stateDir := t.TempDir()

	// Two disks: a read-only one attached as is, a writable one behind an overlay.
	ro := filepath.Join(t.TempDir(), "ro.img")
	rw := filepath.Join(t.TempDir(), "rw.img")
	for _, f := range []string{ro, rw} {
		if err := os.WriteFile(f, make([]byte, 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := Config{
		StateDir: stateDir, Kernel: kernel, Initrd: initrd,
		KernelArgs: "console=ttyS0 panic=-1 quiet",
		Disks:      []Disk{{Path: ro, ReadOnly: true, Serial: "ro"}, {Path: rw, Serial: "rw"}},
		Ignition:   ignitionWithHostKey(t, hk, ""),
		Family:     Flatcar, MemoryMiB: 256, BootTimeout: 3 * time.Minute,
		HostKey: hk.Public + " host@test",
	}
	node, err := Start(ctx, cfg, logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = Stop(context.Background(), node.Paths, 0) })

	if node.HostKey != hk.Public {
		t.Errorf("host key seen %q, want the configured %q", node.HostKey, hk.Public)
	}
	if pid, alive := Alive(node.Paths); !alive || pid != node.PID {
		t.Errorf("Alive = %d, %v; want %d, true", pid, alive, node.PID)
	}
	if _, err := os.Stat(overlayPath(stateDir, 1)); err != nil {
		t.Errorf("writable disk has no overlay: %v", err)
	}
	if _, err := os.Stat(overlayPath(stateDir, 0)); err == nil {
		t.Errorf("read-only disk got an overlay")
	}

	serial, _ := os.ReadFile(node.SerialLog)
	if !strings.Contains(string(serial), "fakeguest: ignition config from fw_cfg key opt/org.flatcar-linux/config") {
		t.Errorf("serial log does not show the config read under the Flatcar key:\n%s", SerialTail(node.SerialLog, 20))
	}

	qctx, qcancel := context.WithTimeout(ctx, 10*time.Second)
	q, err := DialQMP(qctx, node.QMPSocket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := q.QueryStatus(qctx)
	q.Close()
	qcancel()
	if err != nil || !st.Running {
		t.Errorf("query-status = %+v, %v; want running", st, err)
	}

	how, err := Stop(ctx, node.Paths, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if how != StoppedPowerdown {
		t.Errorf("stopped: %q, want %q", how, StoppedPowerdown)
	}
	if _, alive := Alive(node.Paths); alive {
		t.Error("qemu still alive after Stop")
	}
	serial, _ = os.ReadFile(node.SerialLog)
	if !strings.Contains(string(serial), "fakeguest: power button, powering off") {
		t.Errorf("guest did not see the power button:\n%s", SerialTail(node.SerialLog, 20))
	}

	if err := Remove(stateDir); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(stateDir, "*.qcow2")); len(left) != 0 {
		t.Errorf("overlays left after Remove: %q", left)
	}
}

func TestBootFailureQuotesSerialLog(t *testing.T) {
	skipShort(t)
	kernel, initrd := fakeGuest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := Config{
		StateDir: t.TempDir(), Kernel: kernel, Initrd: initrd,
		KernelArgs: "console=ttyS0 panic=-1 quiet rdinit=/fail",
		Family:     MicroOS, MemoryMiB: 256, BootTimeout: 3 * time.Minute,
	}
	_, err := Start(ctx, cfg, logProgress(t))
	if err == nil {
		t.Fatal("Start succeeded with a guest that powers off before SSH")
	}
	for _, want := range []string{"qemu exited before SSH answered", "fakeguest: failing on purpose before ssh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestBootHostKeyMismatch(t *testing.T) {
	skipShort(t)
	kernel, initrd := fakeGuest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stateDir := t.TempDir()
	cfg := Config{
		StateDir: stateDir, Kernel: kernel, Initrd: initrd,
		KernelArgs: "console=ttyS0 panic=-1 quiet",
		Ignition:   ignitionWithHostKey(t, newTestHostKey(t), ""),
		Family:     MicroOS, MemoryMiB: 256, BootTimeout: 3 * time.Minute,
		HostKey: newTestHostKey(t).Public,
	}
	_, err := Start(ctx, cfg, logProgress(t))
	if err == nil {
		t.Fatal("Start accepted a node that presents another host key than the pinned one")
	}
	if !strings.Contains(err.Error(), "host key mismatch") {
		t.Errorf("error does not report the mismatch: %v", err)
	}
	if !strings.Contains(err.Error(), "opt/com.coreos/config") {
		t.Errorf("serial tail in the error does not show the CoreOS key the guest read:\n%v", err)
	}
	if _, alive := Alive(PathsIn(stateDir)); alive {
		t.Error("a node that failed to start is still running")
	}
}
