package verify

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// realSSHD is an OpenSSH sshd started by the test on 127.0.0.1 with a
// generated host key, logging in a temporary user.
type realSSHD struct {
	t       *testing.T
	dir     string
	port    int
	user    string
	key     []byte
	hostKey ssh.PublicKey
	mu      sync.Mutex
	cmd     *exec.Cmd
	log     []string
}

func requireRealSSHD(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to create a temporary user and run sshd (tests/setup.sh, make test run as root)")
	}
	for _, bin := range []string{"/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/sbin/useradd", "/usr/bin/sudo"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("%s missing: run tests/setup.sh (installs openssh-server, sudo)", bin)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// tempUser creates a login user (removed at cleanup), optionally with
// passwordless sudo.
func tempUser(t *testing.T, sudo bool) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	user := fmt.Sprintf("hnv%x", b)
	mustRun(t, "useradd", "--create-home", "--shell", "/bin/sh", user)
	// An unusable but unlocked password: sshd without PAM refuses locked accounts.
	mustRun(t, "usermod", "-p", "*", user)
	sudoers := "/etc/sudoers.d/" + user
	if sudo {
		if err := os.WriteFile(sudoers, []byte(user+" ALL=(ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = os.Remove(sudoers)
		_ = exec.Command("userdel", "--force", "--remove", user).Run()
	})
	return user
}

func startRealSSHD(t *testing.T, users ...string) *realSSHD {
	t.Helper()
	requireRealSSHD(t)
	// sshd reads the authorized keys as the user: a world-readable directory,
	// not t.TempDir (whose parent is private).
	dir, err := os.MkdirTemp("", "hardnode-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &realSSHD{t: t, dir: dir, port: freePort(t), user: users[0]}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	hostKeyPath := filepath.Join(s.dir, "host_ed25519")
	mustRun(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKeyPath)
	pubText, _ := os.ReadFile(hostKeyPath + ".pub")
	hk, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	s.hostKey = hk
	key, pub := testKey(t, "ed25519", "")
	s.key = key
	authKeys := filepath.Join(s.dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile %s
StrictModes no
AllowUsers %s
Subsystem sftp internal-sftp
`, s.port, hostKeyPath, authKeys, strings.Join(users, " "))
	if err := os.WriteFile(filepath.Join(s.dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.start(0)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			s.mu.Lock()
			t.Logf("sshd log:\n%s", strings.Join(s.log, "\n"))
			s.mu.Unlock()
		}
	})
	return s
}

// start runs sshd after delay, in the background when delay > 0.
func (s *realSSHD) start(delay time.Duration) {
	launch := func() {
		cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			s.t.Errorf("start sshd: %v", err)
			return
		}
		s.mu.Lock()
		s.cmd = cmd
		s.mu.Unlock()
		// Wait until sshd says it listens, so tests do not race its start.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Server listening") {
				break
			}
		}
		go func() {
			for sc.Scan() {
				s.mu.Lock()
				s.log = append(s.log, sc.Text())
				s.mu.Unlock()
			}
		}()
	}
	if delay == 0 {
		launch()
		return
	}
	go func() { time.Sleep(delay); launch() }()
}

func (s *realSSHD) stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

func (s *realSSHD) target(t *testing.T) Target {
	pin, err := ParseHostKeyPin(KnownHostsLine(fmt.Sprintf("127.0.0.1:%d", s.port), s.hostKey))
	if err != nil {
		t.Fatal(err)
	}
	return Target{Host: "127.0.0.1", Port: s.port, User: s.user, Auth: Auth{PrivateKey: s.key},
		HostKey: HostKeyPolicy{Pin: pin}}
}

func TestRealSSHD(t *testing.T) {
	requireRealSSHD(t)
	admin := tempUser(t, true)
	plain := tempUser(t, false)
	srv := startRealSSHD(t, admin, plain)

	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.conf")
	if err := os.WriteFile(secret, []byte("token=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(secretDir, 0o755)
	pidMax, _ := os.ReadFile("/proc/sys/kernel/pid_max")
	osRel, _ := os.ReadFile("/etc/os-release")
	localOS := ParseOSRelease(osRel)

	checks := []expect.Check{
		{ID: "passwd", Kind: expect.KindFile, Path: "/etc/passwd", Mode: "0644", Owner: "root", Group: "root",
			Contains: []string{}},
		{ID: "secret", Kind: expect.KindFile, Path: secret, Mode: "0600", Owner: "root", SHA256: sha("token=1\n"),
			Contains: []string{"token=1"}},
		{ID: "nope", Kind: expect.KindFile, Path: "/etc/hardnode-not-here", Absent: true},
		{ID: "pid-max", Kind: expect.KindSysctl, Key: "kernel.pid_max", Value: strings.TrimSpace(string(pidMax))},
		{ID: "as-root", Kind: expect.KindCommand, AsUser: "root", Argv: []string{"id", "-un"}, StdoutMatches: "^root$"},
		// The admin's home is closed to other users: a command run as one
		// of them must not start there (podman, for one, fails in it).
		{ID: "as-other-cwd", Kind: expect.KindCommand, AsUser: plain, Argv: []string{"pwd"}, StdoutMatches: "^/$"},
		{ID: "exit-3", Kind: expect.KindCommand, Argv: []string{"sh", "-c", "echo \"it's\"; exit 3"},
			ExitCode: expect.Int(3), StdoutMatches: "^it's$"},
	}
	if localOS.Version != "" {
		checks = append(checks, expect.Check{ID: "os", Kind: expect.KindOS, Version: localOS.Version})
	}
	doc := mustDoc(t, "", checks...)

	t.Run("checks-with-sudo-fallback", func(t *testing.T) {
		rep := verifyOK(t, srv.target(t), doc, fastOptions())
		for _, r := range rep.Results {
			if r.Status != expect.StatusPass {
				t.Errorf("%s: %s actual %q detail %q", r.ID, r.Status, r.Actual, r.Detail)
			}
		}
		if rep.Connections != 1 {
			t.Errorf("%d connections, want 1", rep.Connections)
		}
		if rep.Facts.BootID == "" || rep.Facts.OSID != localOS.ID {
			t.Errorf("facts %+v", rep.Facts)
		}
	})

	t.Run("unreadable-without-sudo-is-error", func(t *testing.T) {
		tgt := srv.target(t)
		tgt.User = plain
		rep := verifyOK(t, tgt, mustDoc(t, "", checks[1]), fastOptions())
		r := rep.Results[0]
		if r.Status != expect.StatusError || !strings.Contains(r.Detail, "permission denied") {
			t.Errorf("got %s %q, want error about permission", r.Status, r.Detail)
		}
	})

	t.Run("sudo-refused-or-missing-command-is-error", func(t *testing.T) {
		tgt := srv.target(t)
		tgt.User = plain
		doc := mustDoc(t, "",
			expect.Check{ID: "as-root-exit-1", Kind: expect.KindCommand, AsUser: "root", Argv: []string{"true"},
				ExitCode: expect.Int(1)},
			expect.Check{ID: "not-found-127", Kind: expect.KindCommand, Argv: []string{"definitely-not-a-command"},
				ExitCode: expect.Int(127)},
			expect.Check{ID: "absent-behind-sudo", Kind: expect.KindFile, Path: secretDir + "/gone/x", Absent: true})
		_ = os.Chmod(secretDir, 0o700)
		defer func() { _ = os.Chmod(secretDir, 0o755) }()
		rep := verifyOK(t, tgt, doc, fastOptions())
		for _, r := range rep.Results {
			if r.Status != expect.StatusError {
				t.Errorf("%s: %s (actual %q, detail %q), want error", r.ID, r.Status, r.Actual, r.Detail)
			}
		}
		// With passwordless sudo the same probes run: stat says ENOENT.
		rep = verifyOK(t, srv.target(t), mustDoc(t, "", doc.Checks[2]), fastOptions())
		if r := rep.Results[0]; r.Status != expect.StatusPass {
			t.Errorf("absent through sudo: %s %q, want pass", r.Status, r.Detail)
		}
	})

	t.Run("selinux-missing-fails", func(t *testing.T) {
		if _, err := os.Stat(selinuxEnforce); err == nil {
			t.Skip("this host has SELinux")
		}
		rep := verifyOK(t, srv.target(t), mustDoc(t, "", expect.Check{ID: "se", Kind: expect.KindSELinux,
			Mode: "enforcing"}), fastOptions())
		if r := rep.Results[0]; r.Status != expect.StatusFail {
			t.Errorf("got %+v, want fail", r)
		}
	})

	t.Run("wrong-host-key", func(t *testing.T) {
		_, other := testKey(t, "ed25519", "")
		pin, _ := ParseHostKeyPin(ssh.FingerprintSHA256(other))
		tgt := srv.target(t)
		tgt.HostKey = HostKeyPolicy{Pin: pin}
		_, err := Verify(context.Background(), tgt, nil, fastOptions())
		if err == nil || !strings.Contains(err.Error(), ssh.FingerprintSHA256(srv.hostKey)) {
			t.Errorf("got %v, want a mismatch naming the seen key", err)
		}
	})

	t.Run("waits-for-restart", func(t *testing.T) {
		srv.stop()
		srv.start(500 * time.Millisecond)
		rep := verifyOK(t, srv.target(t), nil, fastOptions())
		if rep.Facts.BootID == "" {
			t.Errorf("no facts after restart: %+v", rep.Facts)
		}
	})

	t.Run("rollback-against-baseline", func(t *testing.T) {
		if localOS.Version == "" {
			t.Skip("host os-release has no VERSION")
		}
		opts := fastOptions()
		opts.ExpectedVersion = localOS.Version + "-next"
		opts.Previous = &Baseline{BootID: "an-earlier-boot", Version: localOS.Version}
		// As if this apply had begun before the host booted: a reboot during it.
		up, _ := os.ReadFile("/proc/uptime")
		uptime, err := ParseUptime(up)
		if err != nil {
			t.Fatal(err)
		}
		opts.ApplyStarted = time.Now().Add(-uptime - time.Hour)
		rep := verifyOK(t, srv.target(t), nil, opts)
		if rep.Update == nil || !rep.Update.RolledBack {
			t.Errorf("update outcome %+v, want rolled back", rep.Update)
		}
	})
}
