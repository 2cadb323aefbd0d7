package testnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Node is a started test node: where to reach it and where its files are.
type Node struct {
	Paths
	PID     int
	Host    string // always DefaultHost
	SSHPort int
	HostKey string // authorized_keys form of the key SSH presented (and, when configured, pinned)
}

// Progress receives a short message and structured fields while a node
// boots or stops, for logging.
type Progress func(msg string, fields map[string]any)

func (p Progress) report(msg string, fields map[string]any) {
	if p != nil {
		p(msg, fields)
	}
}

// portAttempts is how often Start retries when the free port it picked was
// taken by someone else before QEMU bound it.
const portAttempts = 3

// Start boots a node from cfg and waits until SSH answers on its forwarded
// port (with the pinned host key, when cfg.HostKey is set). QEMU runs
// detached and outlives the caller. When the node does not come up, Start
// ends it and returns an error that quotes the serial console's last lines.
func Start(ctx context.Context, cfg Config, progress Progress) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var pinned *hostKey
	if cfg.HostKey != "" {
		k, err := parseHostKey(cfg.HostKey)
		if err != nil {
			return nil, err
		}
		pinned = k
	}
	qemu, err := exec.LookPath(cfg.QEMU)
	if err != nil {
		return nil, fmt.Errorf("find QEMU %q: %w (install qemu-system-x86 with make setup)", cfg.QEMU, err)
	}

	p := PathsIn(cfg.StateDir)
	if pid, alive := Alive(p); alive {
		return nil, fmt.Errorf("a test node already runs from state_dir %s (pid %d): destroy it first", p.StateDir, pid)
	}
	if err := prepareStateDir(cfg, p); err != nil {
		return nil, err
	}
	drives, err := attachDrives(ctx, cfg)
	if err != nil {
		return nil, err
	}
	progress.report("disks ready", map[string]any{"state_dir": p.StateDir, "drives": len(drives)})

	port, err := launch(ctx, qemu, cfg, p, drives)
	if err != nil {
		return nil, err
	}
	pid, _ := readPIDFile(p.PIDFile)
	node := &Node{Paths: p, PID: pid, Host: DefaultHost, SSHPort: port}
	progress.report("qemu started", map[string]any{
		"pid": pid, "ssh_port": port, "accelerator": string(cfg.Accelerator), "serial_log": p.SerialLog,
	})

	seen, err := waitSSH(ctx, p, DefaultHost, port, pinned, cfg.BootTimeout, progress)
	if err != nil {
		_, _ = Stop(context.Background(), p, 0)
		return nil, fmt.Errorf("%w\n\nlast lines of the serial console (%s):\n%s",
			err, p.SerialLog, SerialTail(p.SerialLog, 40))
	}
	node.HostKey = seen
	return node, nil
}

// prepareStateDir creates the state directory, clears files of an earlier
// node and writes the Ignition config that fw_cfg passes on.
func prepareStateDir(cfg Config, p Paths) error {
	if err := os.MkdirAll(p.StateDir, 0o750); err != nil {
		return fmt.Errorf("create state_dir: %w", err)
	}
	for _, f := range []string{p.PIDFile, p.QMPSocket, p.SerialLog, p.Ignition} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", f, err)
		}
	}
	if len(cfg.Ignition) > 0 {
		if err := os.WriteFile(p.Ignition, cfg.Ignition, 0o600); err != nil {
			return fmt.Errorf("write ignition config for fw_cfg: %w", err)
		}
	}
	return nil
}

// attachDrives turns the image and the disks into drives, with a fresh
// qcow2 overlay in the state directory for each writable one.
func attachDrives(ctx context.Context, cfg Config) ([]Drive, error) {
	type source struct {
		disk    Disk
		overlay string
	}
	var sources []source
	if cfg.Image != "" {
		sources = append(sources, source{Disk{Path: cfg.Image}, overlayPath(cfg.StateDir, -1)})
	}
	for i, d := range cfg.Disks {
		sources = append(sources, source{d, overlayPath(cfg.StateDir, i)})
	}

	drives := make([]Drive, 0, len(sources))
	for _, s := range sources {
		abs, err := filepath.Abs(s.disk.Path)
		if err != nil {
			return nil, fmt.Errorf("disk %s: %w", s.disk.Path, err)
		}
		format, err := imageFormat(abs)
		if err != nil {
			return nil, err
		}
		if s.disk.ReadOnly {
			drives = append(drives, Drive{File: abs, Format: format, ReadOnly: true, Serial: s.disk.Serial})
			continue
		}
		if err := createOverlay(ctx, cfg.QEMUImg, abs, format, s.overlay); err != nil {
			return nil, err
		}
		drives = append(drives, Drive{File: s.overlay, Format: "qcow2", Serial: s.disk.Serial})
	}
	return drives, nil
}

// imageFormat tells qcow2 from raw by the qcow2 magic.
func imageFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open disk image: %w", err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := f.Read(magic); err != nil {
		return "", fmt.Errorf("read disk image %s: %w", path, err)
	}
	if bytes.Equal(magic, []byte{'Q', 'F', 'I', 0xfb}) {
		return "qcow2", nil
	}
	return "raw", nil
}

func createOverlay(ctx context.Context, qemuImg, backing, format, overlay string) error {
	if err := os.Remove(overlay); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove old overlay: %w", err)
	}
	cmd := exec.CommandContext(ctx, qemuImg, "create", "-q", "-f", "qcow2", "-b", backing, "-F", format, overlay)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create overlay %s of %s: %w: %s", overlay, backing, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// launch starts QEMU, which daemonizes once the machine is set up, and
// returns the forwarded SSH port. QEMU reports setup errors (a taken port, a
// bad disk) on stderr before it detaches, so they come back here.
func launch(ctx context.Context, qemu string, cfg Config, p Paths, drives []Drive) (int, error) {
	var lastErr error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		args := Args(cfg, p, drives, port)
		cmd := exec.CommandContext(ctx, qemu, args...)
		cmd.Dir = p.StateDir
		out, err := cmd.CombinedOutput()
		if err == nil {
			if _, err := readPIDFile(p.PIDFile); err != nil {
				return 0, fmt.Errorf("qemu detached but left no pidfile: %w", err)
			}
			return port, nil
		}
		lastErr = fmt.Errorf("start qemu: %w: %s", err, strings.TrimSpace(string(out)))
		if !strings.Contains(string(out), "hostfwd") && !strings.Contains(string(out), "host forwarding") {
			break
		}
	}
	return 0, lastErr
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before QEMU binds it; launch retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(DefaultHost, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", DefaultHost, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release probe port %d: %w", port, err)
	}
	return port, nil
}

func readPIDFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pidfile %s holds %q, not a pid", path, strings.TrimSpace(string(data)))
	}
	return pid, nil
}

// Alive reports whether the QEMU of the node at p runs: its pidfile names a
// process whose command line is QEMU's with this very pidfile. A pid reused
// by an unrelated process does not count.
func Alive(p Paths) (int, bool) {
	pid, err := readPIDFile(p.PIDFile)
	if err != nil {
		return 0, false
	}
	return pid, isOurQEMU(pid, p.PIDFile)
}

func isOurQEMU(pid int, pidFile string) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "qemu") {
		return false
	}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-pidfile" && args[i+1] == pidFile {
			return true
		}
	}
	return false
}

// How Stop ended a node.
const (
	StoppedAlready   = "not running"
	StoppedPowerdown = "powered off by the guest (ACPI power button)"
	StoppedQuit      = "ended by QMP quit"
	StoppedKill      = "killed by pid"
)

// DefaultPowerdownTimeout is how long Stop waits for the guest to power off
// after the ACPI power button before it ends QEMU.
const DefaultPowerdownTimeout = 60 * time.Second

// Stop ends the node at p: the ACPI power button through QMP first (the
// guest syncs and powers off), QMP quit after powerdownTimeout, then
// SIGKILL to the pid of the pidfile, but only while that pid is still our
// QEMU. powerdownTimeout 0 skips the power button. It returns how the node
// ended.
func Stop(ctx context.Context, p Paths, powerdownTimeout time.Duration) (string, error) {
	pid, alive := Alive(p)
	if !alive {
		return StoppedAlready, nil
	}

	if powerdownTimeout > 0 {
		if err := qmpDo(ctx, p.QMPSocket, func(q *QMP, c context.Context) error {
			return q.SystemPowerdown(c)
		}); err == nil && waitGone(ctx, pid, p.PIDFile, powerdownTimeout) {
			return StoppedPowerdown, nil
		}
	}

	if err := qmpDo(ctx, p.QMPSocket, func(q *QMP, c context.Context) error {
		return q.Quit(c)
	}); err == nil && waitGone(ctx, pid, p.PIDFile, 10*time.Second) {
		return StoppedQuit, nil
	}

	if !isOurQEMU(pid, p.PIDFile) {
		return StoppedQuit, nil
	}
	proc, err := os.FindProcess(pid)
	if err == nil {
		err = proc.Kill()
	}
	if err != nil {
		return "", fmt.Errorf("kill qemu pid %d: %w", pid, err)
	}
	if !waitGone(ctx, pid, p.PIDFile, 10*time.Second) {
		return "", fmt.Errorf("qemu pid %d still runs after SIGKILL", pid)
	}
	return StoppedKill, nil
}

func qmpDo(ctx context.Context, socket string, f func(*QMP, context.Context) error) error {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q, err := DialQMP(c, socket)
	if err != nil {
		return err
	}
	defer func() { _ = q.Close() }()
	return f(q, c)
}

// waitGone polls until pid is no longer our QEMU or d has passed.
func waitGone(ctx context.Context, pid int, pidFile string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !isOurQEMU(pid, pidFile) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Remove deletes what Start put into the state directory except the serial
// log, which stays for diagnosis. The node must be stopped first.
func Remove(stateDir string) error {
	p := PathsIn(stateDir)
	if pid, alive := Alive(p); alive {
		return fmt.Errorf("refuse to remove the files of a running node (pid %d) in %s", pid, stateDir)
	}
	overlays, _ := filepath.Glob(filepath.Join(stateDir, "*-overlay.qcow2"))
	var errs []error
	for _, f := range append(overlays, p.PIDFile, p.QMPSocket, p.Ignition) {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
