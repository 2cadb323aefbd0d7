package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// passingChecks are checks a fresh simulated node of the family satisfies.
func passingChecks(family nodesim.Family, version string) []expect.Check {
	selinux := expect.SELinuxPermissive
	if family == nodesim.MicroOS {
		selinux = expect.SELinuxEnforcing
	}
	checks := []expect.Check{
		{ID: "sshd-dropin", Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf",
			Mode: "0600", Owner: "root", Group: "root", SHA256: sha(nodesim.SSHDDropIn),
			Contains: []string{"PasswordAuthentication no"}},
		{ID: "no-docker-conf", Kind: expect.KindFile, Path: "/etc/docker/daemon.json", Absent: true},
		{ID: "home-app", Kind: expect.KindFile, Path: "/home/app", Type: "directory", Mode: "0700", Owner: "app"},
		{ID: "selinux", Kind: expect.KindSELinux, Mode: selinux},
		{ID: "ptrace", Kind: expect.KindSysctl, Key: "kernel.yama.ptrace_scope", Value: "1"},
		{ID: "printk", Kind: expect.KindSysctl, Key: "kernel.printk", Value: "4 4 1 7"},
		{ID: "subuid-app", Kind: expect.KindSubID, File: "/etc/subuid", User: "app",
			Start: u32(100000), Count: u32(65536)},
		{ID: "sshd", Kind: expect.KindUnit, Name: "sshd.service", State: expect.UnitActive},
		{ID: "whoami", Kind: expect.KindCommand, AsUser: "app", Argv: []string{"id", "-un"},
			StdoutMatches: `^app$`},
		{ID: "os", Kind: expect.KindOS, Version: version},
	}
	if family == nodesim.Flatcar {
		checks = append(checks,
			expect.Check{ID: "docker-socket", Kind: expect.KindUnit, Name: "docker.socket", State: expect.UnitMasked},
			expect.Check{ID: "os-slot", Kind: expect.KindOS, Version: version, Slot: "USR-A", OSFamily: "flatcar"},
			expect.Check{ID: "sel-config-symlink", Kind: expect.KindFile, Path: "/etc/selinux/config", Type: "symlink"},
		)
	} else {
		checks = append(checks,
			expect.Check{ID: "os-snap", Kind: expect.KindOS, Version: version, Snapshot: expect.Int(1)},
			expect.Check{ID: "sel-config", Kind: expect.KindFile, Path: "/etc/selinux/config", Type: "regular",
				Contains: []string{"SELINUX=enforcing"}},
			expect.Check{ID: "flatcar-only", Kind: expect.KindUnit, Name: "docker.socket",
				State: expect.UnitMasked, OSFamily: "flatcar"},
		)
	}
	return checks
}

func TestVerifyPassesOnHardenedNode(t *testing.T) {
	for _, tc := range []struct {
		family  nodesim.Family
		version string
	}{{nodesim.Flatcar, "4152.2.0"}, {nodesim.MicroOS, "20260101"}} {
		t.Run(string(tc.family), func(t *testing.T) {
			node, tgt := simTarget(t, tc.family, tc.version)
			doc := mustDoc(t, string(tc.family), passingChecks(tc.family, tc.version)...)
			rep := verifyOK(t, tgt, doc, fastOptions())

			for _, r := range rep.Results {
				want := expect.StatusPass
				if r.ID == "flatcar-only" {
					want = expect.StatusNotApplicable
				}
				if r.Status != want {
					t.Errorf("%s: status %s, want %s (actual %q, detail %q)", r.ID, r.Status, want, r.Actual, r.Detail)
				}
			}
			if len(rep.Results) != len(doc.Checks) {
				t.Errorf("%d rows for %d checks", len(rep.Results), len(doc.Checks))
			}
			if rep.Facts.OSVersion != tc.version || rep.Facts.Family != string(tc.family) {
				t.Errorf("facts: version %q family %q", rep.Facts.OSVersion, rep.Facts.Family)
			}
			if tc.family == nodesim.Flatcar && rep.Facts.BootedSlot != "USR-A" {
				t.Errorf("booted slot %q, want USR-A", rep.Facts.BootedSlot)
			}
			if tc.family == nodesim.MicroOS && (rep.Facts.BootedSnapshot == nil || *rep.Facts.BootedSnapshot != 1) {
				t.Errorf("booted snapshot %v, want 1", rep.Facts.BootedSnapshot)
			}
			if rep.Connections != 1 || node.Accepted.Load() != 1 {
				t.Errorf("connections: client %d, server %d; want one", rep.Connections, node.Accepted.Load())
			}
		})
	}
}

func TestVerifyReportsFailures(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "4152.2.0")
	node.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", nodesim.Meta{Mode: 0o644, UID: 500, GID: 500})
	_ = node.WriteFile("/etc/subuid", "app:100000:65536\nbob:165000:65536\n")
	_ = node.WriteFile("/etc/subgid", "other:100000:65536\n")
	node.SetUnit("docker.socket", nodesim.Unit{Enabled: "enabled", Active: "active"})
	node.HandleCommand("podman", func([]string, string) (string, string, int) {
		return "0 1000 1\n", "cannot find newuidmap\n", 125
	})

	cases := []struct {
		check      expect.Check
		actualHas  string
		detailHas  string
		wantStatus expect.Status
	}{
		{expect.Check{Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf", Mode: "0600", Owner: "root"},
			"mode=0644 owner=core", "mode is 0644, want 0600; owner is core, want root", expect.StatusFail},
		{expect.Check{Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf", SHA256: sha("other")},
			"sha256=" + sha(nodesim.SSHDDropIn), "sha256 mismatch", expect.StatusFail},
		{expect.Check{Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf",
			Contains: []string{"PermitRootLogin no", "X11Forwarding no"}}, "X11Forwarding no", "missing lines", expect.StatusFail},
		{expect.Check{Kind: expect.KindFile, Path: "/etc/passwd", Absent: true}, "exists (regular)", "must not exist", expect.StatusFail},
		{expect.Check{Kind: expect.KindFile, Path: "/etc/nope", Mode: "0644"}, "absent", "does not exist", expect.StatusFail},
		{expect.Check{Kind: expect.KindFile, Path: "/etc/selinux/config", Type: "regular"}, "type=symlink", "type is symlink", expect.StatusFail},
		{expect.Check{Kind: expect.KindUnit, Name: "docker.socket", State: expect.UnitMasked}, "enabled", "is-enabled says enabled", expect.StatusFail},
		{expect.Check{Kind: expect.KindUnit, Name: "nosuch.service", State: expect.UnitDisabled}, "not-found", "", expect.StatusFail},
		{expect.Check{Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing}, "permissive", "SELinux is permissive", expect.StatusFail},
		{expect.Check{Kind: expect.KindSysctl, Key: "kernel.kptr_restrict", Value: "1"}, "kernel.kptr_restrict=2", `value is "2"`, expect.StatusFail},
		{expect.Check{Kind: expect.KindSysctl, Key: "kernel.unprivileged_bpf_disabled", Value: "1"}, "missing", "no such sysctl", expect.StatusFail},
		{expect.Check{Kind: expect.KindSubID, File: "/etc/subuid", User: "app", Start: u32(100000), Count: u32(65536)},
			"app:100000:65536", "line 2 (bob:165000:65536) overlaps", expect.StatusFail},
		{expect.Check{Kind: expect.KindSubID, File: "/etc/subgid", User: "app", Start: u32(100000), Count: u32(65536)},
			"app has no range", "no line app:100000:65536", expect.StatusFail},
		{expect.Check{Kind: expect.KindSubID, File: "/etc/subuid", User: "app", Start: u32(1000), Count: u32(100)},
			"", "contains the ID 1001 of app", expect.StatusFail},
		{expect.Check{Kind: expect.KindCommand, AsUser: "app", Argv: []string{"podman", "unshare", "cat", "/proc/self/uid_map"},
			StdoutMatches: `^\s*1\s+100000\s+65536\s*$`}, "exits 125", "exit code 125, want 0 (stderr: cannot find newuidmap); stdout does not match", expect.StatusFail},
		{expect.Check{Kind: expect.KindCommand, Argv: []string{"nosuchtool"}}, "", "not found", expect.StatusError},
		{expect.Check{Kind: expect.KindOS, Version: "4200.0.0", Slot: "USR-B"}, "version 4152.2.0 slot USR-A",
			"runs version 4152.2.0, want 4200.0.0; booted slot is USR-A, want USR-B", expect.StatusFail},
		{expect.Check{Kind: expect.KindOS, Version: "4152.2.0", Snapshot: expect.Int(3)}, "snapshot none", "not mounted from a btrfs snapshot", expect.StatusFail},
	}
	var checks []expect.Check
	for i, tc := range cases {
		tc.check.ID = "c" + string(rune('a'+i))
		cases[i] = tc
		checks = append(checks, tc.check)
	}
	rep := verifyOK(t, tgt, mustDoc(t, "flatcar", checks...), fastOptions())
	for _, tc := range cases {
		r := rowByID(t, rep, tc.check.ID)
		if r.Status != tc.wantStatus || !strings.Contains(r.Actual, tc.actualHas) || !strings.Contains(r.Detail, tc.detailHas) {
			t.Errorf("%s (%s): got status %s actual %q detail %q; want %s, actual with %q, detail with %q",
				r.ID, r.Expected, r.Status, r.Actual, r.Detail, tc.wantStatus, tc.actualHas, tc.detailHas)
		}
		if r.Expected == "" {
			t.Errorf("%s: empty expected", r.ID)
		}
	}
}

func TestSELinuxMissingFailsUnlessDeclaredNotApplicable(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	_ = node.Remove("/sys/fs/selinux")
	doc := mustDoc(t, "flatcar", expect.Check{ID: "se", Kind: expect.KindSELinux, Mode: expect.SELinuxEnforcing})

	r := verifyOK(t, tgt, doc, fastOptions()).Results[0]
	if r.Status != expect.StatusFail || !strings.Contains(r.Detail, "SELinux is not enabled") {
		t.Errorf("undeclared: got %s %q, want fail saying SELinux is not enabled", r.Status, r.Detail)
	}

	opts := fastOptions()
	opts.NotApplicable = map[expect.Kind]string{expect.KindSELinux: "stand-in kernel has no SELinux"}
	r = verifyOK(t, tgt, doc, opts).Results[0]
	if r.Status != expect.StatusNotApplicable || r.Detail != "stand-in kernel has no SELinux" {
		t.Errorf("declared: got %s %q, want not_applicable with the reason", r.Status, r.Detail)
	}
}

func TestUnknownKindIsAnErrorNamingTheCheck(t *testing.T) {
	_, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	doc := &expect.Document{Version: 1, Checks: []expect.Check{{ID: "future", Kind: "apparmor"}}}
	r := verifyOK(t, tgt, doc, fastOptions()).Results[0]
	if r.Status != expect.StatusError || !strings.Contains(r.Detail, `"future"`) || !strings.Contains(r.Detail, "apparmor") {
		t.Errorf("got %s %q, want error naming check future and kind apparmor", r.Status, r.Detail)
	}
}

func TestUnreadableFiles(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", nodesim.Meta{Mode: 0o600, NoRead: true})
	doc := mustDoc(t, "flatcar",
		expect.Check{ID: "content", Kind: expect.KindFile, Path: "/etc/ssh/sshd_config.d/10-hardnode.conf",
			SHA256: sha(nodesim.SSHDDropIn)},
		expect.Check{ID: "hidden", Kind: expect.KindFile, Path: "/home/app/.config/containers/storage.conf",
			Mode: "0644", Owner: "root"},
	)

	rep := verifyOK(t, tgt, doc, fastOptions())
	for _, r := range rep.Results {
		if r.Status != expect.StatusPass {
			t.Errorf("with sudo: %s is %s (%q), want pass through the sudo -n fallback", r.ID, r.Status, r.Detail)
		}
	}

	node.SetSudo(false)
	rep = verifyOK(t, tgt, doc, fastOptions())
	for _, r := range rep.Results {
		if r.Status != expect.StatusError || !strings.Contains(r.Detail, "permission denied") ||
			!strings.Contains(r.Detail, "a password is required") {
			t.Errorf("without sudo: %s is %s (%q), want error naming both causes", r.ID, r.Status, r.Detail)
		}
	}
}

func TestAuthentication(t *testing.T) {
	for _, tc := range []struct{ name, typ, pass string }{
		{"ed25519", "ed25519", ""}, {"rsa", "rsa", ""}, {"ecdsa", "ecdsa", ""},
		{"encrypted-ed25519", "ed25519", "s3cret"}, {"encrypted-rsa", "rsa", "s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
			key, pub := testKey(t, tc.typ, tc.pass)
			node.Authorize(pub)
			tgt.Auth = Auth{PrivateKey: key, Passphrase: []byte(tc.pass)}
			rep := verifyOK(t, tgt, nil, fastOptions())
			if rep.Facts.OSVersion != "1.0.0" {
				t.Errorf("facts not read: %+v", rep.Facts)
			}
		})
	}
}

func TestPrivateKeyErrorsNameTheReasonNotTheKey(t *testing.T) {
	enc, _ := testKey(t, "ed25519", "right")
	plain, _ := testKey(t, "ed25519", "")
	for _, tc := range []struct {
		name       string
		key, pass  []byte
		wantReason string
	}{
		{"encrypted-no-passphrase", enc, nil, "set private_key_passphrase"},
		{"wrong-passphrase", enc, []byte("wrong"), "passphrase is wrong"},
		{"garbage", []byte("not a key at all"), nil, "not a PEM or OpenSSH private key"},
		{"passphrase-for-plain-key", plain, []byte("x"), "not encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.key, tc.pass)
			if err == nil || !strings.Contains(err.Error(), tc.wantReason) {
				t.Fatalf("got %v, want an error with %q", err, tc.wantReason)
			}
			if strings.Contains(err.Error(), "-----BEGIN OPENSSH") || (len(tc.key) > 60 && strings.Contains(err.Error(), string(tc.key[40:60]))) {
				t.Errorf("error leaks key material: %v", err)
			}
		})
	}
}

func TestHostKeyPinning(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	opts := fastOptions()

	t.Run("fingerprint", func(t *testing.T) {
		pin, err := ParseHostKeyPin(sshFingerprint(node))
		if err != nil {
			t.Fatal(err)
		}
		tt := tgt
		tt.HostKey = HostKeyPolicy{Pin: pin}
		verifyOK(t, tt, nil, opts)
	})

	t.Run("trust-on-first-use-records-key", func(t *testing.T) {
		tt := tgt
		tt.HostKey = HostKeyPolicy{TrustOnFirstUse: true}
		rep := verifyOK(t, tt, nil, opts)
		if want := KnownHostsLine(node.Address, node.HostKey()); rep.HostKey != want {
			t.Errorf("recorded %q, want %q", rep.HostKey, want)
		}
	})

	t.Run("no-pin-no-tofu-refused", func(t *testing.T) {
		tt := tgt
		tt.HostKey = HostKeyPolicy{}
		_, err := Verify(context.Background(), tt, nil, opts)
		if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "trust_on_first_use") {
			t.Errorf("got %v, want a permanent error asking for host_key or trust_on_first_use", err)
		}
	})

	t.Run("changed-key-is-hard-error", func(t *testing.T) {
		old := sshFingerprint(node)
		node.ChangeHostKey()
		_, err := Verify(context.Background(), tgt, nil, opts)
		var mismatch *HostKeyMismatchError
		if !errors.As(err, &mismatch) {
			t.Fatalf("got %v, want HostKeyMismatchError", err)
		}
		if !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), sshFingerprint(node)) {
			t.Errorf("error %q should name expected %s and seen %s", err, old, sshFingerprint(node))
		}
		if node.Handshakes.Load() > 3 || node.Accepted.Load() > 4 {
			t.Errorf("a host key mismatch must not be retried: %d connections", node.Accepted.Load())
		}
	})
}

func sshFingerprint(n *nodesim.Node) string {
	return sshFP(n.HostKey())
}

func TestConnectionDroppedMidCheckIsRetried(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.DropConnections(6, 1)
	doc := mustDoc(t, "flatcar", passingChecks(nodesim.Flatcar, "1.0.0")...)
	rep := verifyOK(t, tgt, doc, fastOptions())
	for _, r := range rep.Results {
		if r.Status != expect.StatusPass && r.Status != expect.StatusNotApplicable {
			t.Errorf("%s: %s (%s)", r.ID, r.Status, r.Detail)
		}
	}
	if rep.Connections != 2 || node.Accepted.Load() != 2 {
		t.Errorf("connections: client %d, server %d; want 2 (one dropped, one reconnect)",
			rep.Connections, node.Accepted.Load())
	}
}

func TestConnectionAlwaysDroppedNeverPasses(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	doc := mustDoc(t, "flatcar", passingChecks(nodesim.Flatcar, "1.0.0")...)
	// Enough operations for the facts, then the connection dies mid-checks.
	node.DropConnections(18, -1) // facts take 15 operations, the rollback record 3 more
	opts := fastOptions()
	opts.Timeout = 1 * time.Second
	rep, err := Verify(context.Background(), tgt, doc, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	first := -1
	for i, r := range rep.Results {
		if r.Status == expect.StatusError && first < 0 {
			first = i
		}
		if first >= 0 && r.Status != expect.StatusError {
			t.Errorf("%s is %s after the connection was lost at %s", r.ID, r.Status, rep.Results[first].ID)
		}
	}
	if first < 0 {
		t.Fatalf("no error rows although every connection dropped: %+v", rep.Results)
	}
	if node.Accepted.Load() < 2 {
		t.Errorf("%d connections: the verifier should have retried", node.Accepted.Load())
	}
}

func TestSlowHandshakeTimesOut(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.SetHandshakeDelay(1500 * time.Millisecond)
	opts := fastOptions()
	opts.Timeout = 800 * time.Millisecond
	opts.Timeouts.Handshake = 100 * time.Millisecond
	var mu sync.Mutex
	var attempts []error
	opts.Progress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, p.Err)
	}
	_, err := Verify(context.Background(), tgt, nil, opts)
	if err == nil || !strings.Contains(err.Error(), "did not answer within") {
		t.Fatalf("got %v, want a did-not-answer error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The first attempt ends by the handshake limit, long before the overall one.
	if len(attempts) == 0 || attempts[0] == nil || !strings.Contains(attempts[0].Error(), "timed out") {
		t.Errorf("first attempt: %v, want a handshake timeout", attempts)
	}
}

// rebootOnFirstWait reboots the node (applying change) the first time the
// verifier reports that it waits for the expected version.
func rebootOnFirstWait(node *nodesim.Node, change func(*nodesim.Node)) func(Progress) {
	var once sync.Once
	return func(p Progress) {
		if strings.Contains(p.Message, "waiting for it to reboot") {
			once.Do(func() { node.Reboot(300*time.Millisecond, change) })
		}
	}
}

func TestUpdateWaitsAcrossReboot(t *testing.T) {
	for _, family := range []nodesim.Family{nodesim.Flatcar, nodesim.MicroOS} {
		t.Run(string(family), func(t *testing.T) {
			node, tgt := simTarget(t, family, "1.0.0")
			opts := fastOptions()
			opts.ExpectedVersion = "1.0.1"
			opts.Progress = rebootOnFirstWait(node, func(n *nodesim.Node) {
				_ = n.SetState(n.State().Updated("1.0.1"))
			})
			doc := mustDoc(t, string(family), expect.Check{ID: "ptrace", Kind: expect.KindSysctl,
				Key: "kernel.yama.ptrace_scope", Value: "1"})
			rep := verifyOK(t, tgt, doc, opts)

			u := rep.Update
			if u == nil || u.Running != "1.0.1" || u.RolledBack || !u.Rebooted || u.PreviousVersion != "1.0.0" {
				t.Fatalf("update outcome %+v, want running 1.0.1 after a reboot from 1.0.0", u)
			}
			row := rowByID(t, rep, UpdateCheckID)
			if row.Status != expect.StatusPass {
				t.Errorf("update row %+v, want pass", row)
			}
			if family == nodesim.Flatcar && rep.Facts.BootedSlot != "USR-B" {
				t.Errorf("slot %q, want USR-B", rep.Facts.BootedSlot)
			}
			if family == nodesim.MicroOS && *rep.Facts.BootedSnapshot != 2 {
				t.Errorf("snapshot %d, want 2", *rep.Facts.BootedSnapshot)
			}
			if rowByID(t, rep, "ptrace").Status != expect.StatusPass {
				t.Errorf("hardening not re-checked after the update")
			}
		})
	}
}

func TestRollbackIsReported(t *testing.T) {
	for _, family := range []nodesim.Family{nodesim.Flatcar, nodesim.MicroOS} {
		t.Run(string(family), func(t *testing.T) {
			node, tgt := simTarget(t, family, "1.0.0")
			opts := fastOptions()
			opts.ExpectedVersion = "9.9.9-broken"
			// The broken update fails before userspace; the node comes back on
			// its old slot or snapshot.
			opts.Progress = rebootOnFirstWait(node, nil)
			rep := verifyOK(t, tgt, nil, opts)

			u := rep.Update
			if u == nil || !u.RolledBack || u.Running != "1.0.0" || u.Expected != "9.9.9-broken" {
				t.Fatalf("update outcome %+v, want a rollback to 1.0.0", u)
			}
			row := rowByID(t, rep, UpdateCheckID)
			if row.Status != expect.StatusFail || !strings.Contains(row.Detail, "rolled back") ||
				!strings.Contains(row.Detail, "9.9.9-broken") || !strings.Contains(row.Detail, "1.0.0") {
				t.Errorf("update row %+v, want fail naming both versions", row)
			}
		})
	}
}

func TestRollbackDetectedFromPreviousVerification(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	first := verifyOK(t, tgt, nil, fastOptions())
	opts := fastOptions()
	opts.ApplyStarted = time.Now().Add(-time.Minute)
	// During this apply, before verification began, the update was tried
	// and failed (as hardnode_test_node's update does): uptime 0.5s.
	node.Reboot(0, nil)

	opts.ExpectedVersion = "1.0.1"
	opts.Previous = &Baseline{BootID: first.Facts.BootID, Version: first.Facts.OSVersion, Slot: first.Facts.BootedSlot}
	rep := verifyOK(t, tgt, nil, opts)
	if rep.Update == nil || !rep.Update.RolledBack || rep.Update.PreviousSlot != "USR-A" {
		t.Fatalf("update outcome %+v, want rollback to USR-A", rep.Update)
	}
}

// A reboot before this apply (a stale boot id in state) is no evidence that
// an update was tried: wait, then time out without claiming a rollback.
func TestRebootBeforeApplyIsNoRollback(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	first := verifyOK(t, tgt, nil, fastOptions())
	node.Reboot(0, nil)
	_ = node.WriteFile("/proc/uptime", "7200.00 7000.00\n") // booted two hours ago

	opts := fastOptions()
	opts.Timeout = 300 * time.Millisecond
	opts.ApplyStarted = time.Now()
	opts.ExpectedVersion = "1.0.1"
	opts.Previous = &Baseline{BootID: first.Facts.BootID, Version: first.Facts.OSVersion, Slot: first.Facts.BootedSlot}
	rep := verifyOK(t, tgt, nil, opts)
	row := rowByID(t, rep, UpdateCheckID)
	if rep.Update == nil || rep.Update.RolledBack || !rep.Update.TimedOut ||
		!strings.Contains(row.Detail, "not during this apply") {
		t.Fatalf("update outcome %+v, row %+v; want a timeout without rollback", rep.Update, row)
	}
}

// An apply that failed on a rollback leaves the node rebooted before the
// next apply; applied again (with allow_rollback), the node's own record
// of the fallback, written during its current boot, shows the rollback.
func TestRollbackRecordedBeforeApply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record string
		stamp  time.Duration // record's age relative to the boot
		want   bool
	}{
		{"recorded-this-boot", "/boot/standin/last-rollback", time.Minute, true},
		{"recorded-last-boot", "/boot/standin/last-rollback", -time.Hour, false},
		{"no-record", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
			first := verifyOK(t, tgt, nil, fastOptions())
			node.Reboot(0, nil)
			boot := time.Now().Add(-2 * time.Hour)
			_ = node.WriteFile("/proc/uptime", "7200.00 7000.00\n")
			_ = node.WriteFile("/proc/stat", fmt.Sprintf("cpu  1 2 3\nbtime %d\nprocesses 9\n", boot.Unix()))
			if tc.record != "" {
				_ = node.WriteFile(tc.record, "failed=B booted=A\n")
				stamp := boot.Add(tc.stamp)
				if err := node.Chtimes(tc.record, stamp); err != nil {
					t.Fatal(err)
				}
			}

			opts := fastOptions()
			opts.Timeout = 300 * time.Millisecond
			opts.ApplyStarted = time.Now()
			opts.ExpectedVersion = "1.0.1"
			opts.Previous = &Baseline{BootID: first.Facts.BootID, Version: first.Facts.OSVersion, Slot: first.Facts.BootedSlot}
			rep := verifyOK(t, tgt, nil, opts)
			if rep.Update == nil || rep.Update.RolledBack != tc.want || rep.Update.TimedOut == tc.want {
				t.Fatalf("update outcome %+v; want rolled back %v", rep.Update, tc.want)
			}
		})
	}
}

func TestParseBootTime(t *testing.T) {
	got, ok := ParseBootTime([]byte("cpu  1 2\nbtime 1796407834\n"))
	if !ok || got.Unix() != 1796407834 {
		t.Fatalf("ParseBootTime = %v, %v", got, ok)
	}
	for _, bad := range []string{"", "btime x\n", "btime -1\n", "btime\n"} {
		if _, ok := ParseBootTime([]byte(bad)); ok {
			t.Errorf("ParseBootTime(%q) accepted", bad)
		}
	}
}

func TestWaitingForVersionTimesOut(t *testing.T) {
	_, tgt := simTarget(t, nodesim.MicroOS, "1.0.0")
	opts := fastOptions()
	opts.Timeout = 500 * time.Millisecond
	opts.ExpectedVersion = "1.0.1"
	doc := mustDoc(t, "microos", expect.Check{ID: "selinux", Kind: expect.KindSELinux, Mode: "enforcing"})
	rep := verifyOK(t, tgt, doc, opts)
	row := rowByID(t, rep, UpdateCheckID)
	if row.Status != expect.StatusFail || !strings.Contains(row.Detail, "timed out") || rep.Update.RolledBack {
		t.Errorf("update row %+v, want a timeout failure without rollback", row)
	}
	if rowByID(t, rep, "selinux").Status != expect.StatusPass {
		t.Errorf("the checks should still run on the node as it is")
	}
}

func TestRebootMidVerification(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	var once sync.Once
	node.HandleCommand("podman", func([]string, string) (string, string, int) {
		rebooted := false
		once.Do(func() { node.Reboot(200*time.Millisecond, nil); rebooted = true })
		if rebooted {
			return "", "", 255
		}
		return "ok\n", "", 0
	})
	doc := mustDoc(t, "flatcar",
		expect.Check{ID: "a", Kind: expect.KindSysctl, Key: "kernel.kptr_restrict", Value: "2"},
		expect.Check{ID: "podman", Kind: expect.KindCommand, Argv: []string{"podman", "info"}},
		expect.Check{ID: "b", Kind: expect.KindSELinux, Mode: "permissive"},
	)
	rep := verifyOK(t, tgt, doc, fastOptions())
	for _, r := range rep.Results {
		if r.Status != expect.StatusPass {
			t.Errorf("%s: %s %q, want pass after reconnecting", r.ID, r.Status, r.Detail)
		}
	}
	if rep.Connections < 2 {
		t.Errorf("%d connections, want a reconnect after the reboot", rep.Connections)
	}
}

func TestAgentSocket(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	sock := startAgent(t, node)
	tgt.Auth = Auth{AgentSocket: sock}
	rep := verifyOK(t, tgt, nil, fastOptions())
	if rep.Facts.OSVersion != "1.0.0" {
		t.Errorf("facts not read through agent login: %+v", rep.Facts)
	}
}

func TestCheckTimeoutIsAnError(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	node.HandleCommand("hang", func([]string, string) (string, string, int) {
		<-release
		return "", "", 0
	})
	opts := fastOptions()
	opts.Timeouts.Check = 200 * time.Millisecond
	doc := mustDoc(t, "flatcar",
		expect.Check{ID: "hang", Kind: expect.KindCommand, Argv: []string{"hang"}},
		expect.Check{ID: "after", Kind: expect.KindSysctl, Key: "kernel.kptr_restrict", Value: "2"},
	)
	rep := verifyOK(t, tgt, doc, opts)
	if r := rowByID(t, rep, "hang"); r.Status != expect.StatusError || !strings.Contains(r.Detail, "timed out") {
		t.Errorf("hung check: %s %q, want error 'timed out'", r.Status, r.Detail)
	}
	if r := rowByID(t, rep, "after"); r.Status != expect.StatusPass {
		t.Errorf("the next check on the same connection: %s %q, want pass", r.Status, r.Detail)
	}
}

func TestKeyAndAgentTogether(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	sock := startAgent(t, node)
	// A key the node does not accept, then the agent's key that it does.
	stranger, _ := testKey(t, "ed25519", "")
	tgt.Auth = Auth{PrivateKey: stranger, AgentSocket: sock}
	rep := verifyOK(t, tgt, nil, fastOptions())
	if rep.Facts.OSVersion != "1.0.0" {
		t.Errorf("facts not read: %+v", rep.Facts)
	}
}

func TestUnitCheckWithoutSystemctlIsAnError(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	node.HandleCommand("systemctl", func([]string, string) (string, string, int) {
		return "", "sh: systemctl: not found\n", 127
	})
	doc := mustDoc(t, "flatcar", expect.Check{ID: "u", Kind: expect.KindUnit, Name: "sshd.service", State: "active"})
	r := verifyOK(t, tgt, doc, fastOptions()).Results[0]
	if r.Status != expect.StatusError || !strings.Contains(r.Detail, "not_applicable") {
		t.Errorf("got %s %q, want error suggesting not_applicable", r.Status, r.Detail)
	}
}

func TestHardeningDriftAfterUpdateIsReported(t *testing.T) {
	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	opts := fastOptions()
	opts.ExpectedVersion = "1.0.1"
	// The update brings back the image's default: a world-readable drop-in.
	opts.Progress = rebootOnFirstWait(node, func(n *nodesim.Node) {
		_ = n.SetState(n.State().Updated("1.0.1"))
		n.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", nodesim.Meta{Mode: 0o644})
	})
	doc := mustDoc(t, "flatcar", expect.Check{ID: "dropin", Kind: expect.KindFile,
		Path: "/etc/ssh/sshd_config.d/10-hardnode.conf", Mode: "0600"})
	rep := verifyOK(t, tgt, doc, opts)
	if r := rowByID(t, rep, UpdateCheckID); r.Status != expect.StatusPass {
		t.Errorf("update row %+v, want pass", r)
	}
	if r := rowByID(t, rep, "dropin"); r.Status != expect.StatusFail || !strings.Contains(r.Detail, "mode is 0644") {
		t.Errorf("drift row %+v, want fail naming the mode", r)
	}
}
