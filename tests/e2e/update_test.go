package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// family is what differs between the Flatcar-like and the MicroOS-like
// walk-through.
type family struct {
	name    string // os_family and manifest key
	admin   string // the profile's admin user
	profile string // module under profiles/
	extra   string // more module arguments
	// alter changes managed settings on the running node and returns the
	// command that restores them; failing names the checks that must fail.
	alter   func(t *testing.T, a *admin) (restore string)
	failing []string
}

var flatcar = family{
	name:    "flatcar",
	admin:   "core",
	profile: "flatcar-container-host",
	extra:   `update = { window_start = "Thu 04:00", window_length = "1h" }`,
	alter: func(t *testing.T, a *admin) string {
		line := strings.TrimSpace(a.mustRun(t, "grep '^app:' /etc/subuid"))
		// Rewrite in place (keeps the file's inode and SELinux label).
		a.mustRun(t, `sudo -n sh -c 'grep -v "^app:" /etc/subuid > /var/tmp/e2e-subuid; cat /var/tmp/e2e-subuid > /etc/subuid'`)
		a.mustRun(t, "sudo -n systemctl unmask docker.socket")
		return fmt.Sprintf(`sudo -n sh -c 'printf "%%s\n" %q >> /etc/subuid' && sudo -n systemctl mask docker.socket`, line)
	},
	failing: []string{"subuid-app", "unit-docker-socket"},
}

var microos = family{
	name:    "microos",
	admin:   "admin",
	profile: "microos-container-host",
	extra: `update     = { strategy = "external" }
  mount_home = false # the stand-in has no separate /home`,
	alter: func(t *testing.T, a *admin) string {
		line := strings.TrimSpace(a.mustRun(t, "grep '^app:' /etc/subuid"))
		a.mustRun(t, `sudo -n sh -c 'grep -v "^app:" /etc/subuid > /var/tmp/e2e-subuid; cat /var/tmp/e2e-subuid > /etc/subuid'`)
		// strategy external masks rebootmgr: unmasking it is the drift.
		a.mustRun(t, "sudo -n systemctl unmask rebootmgr.service")
		return fmt.Sprintf(`sudo -n sh -c 'printf "%%s\n" %q >> /etc/subuid' && sudo -n systemctl mask rebootmgr.service`, line)
	},
	failing: []string{"subuid-app", "unit-rebootmgr"},
}

// config is the root module: the profile renders the node for the
// stand-in's Ignition, hardnode_test_node boots it, and
// hardnode_node_verification verifies it (the pattern of examples/demo).
func config(e env, f family, keysDir, stateDir string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    hardnode = { source = "hardnode/hardnode" }
  }
}

variable "os_version" { type = string }
variable "allow_rollback" { type = bool }
variable "round" { type = string }
variable "verify_timeout" { type = string }

locals {
  keys_dir = %[1]q
}

module "node" {
  source          = %[2]q
  hostname        = "e2e-%[3]s"
  level           = "restricted"
  admin_ssh_keys  = [trimspace(file("${local.keys_dir}/admin_key.pub"))]
  host_key        = file("${local.keys_dir}/host_key")
  container_users = [{ name = "app", linger = true }]
  target          = "ignition-2.14"
  %[4]s
}

resource "hardnode_test_node" "n" {
  standin_manifest = %[5]q
  os_family        = %[3]q
  ignition         = module.node.rendered
  host_key         = module.node.host_public_key
  state_dir        = %[6]q
  os_version       = var.os_version
  ssh_user         = module.node.admin_user
  ssh_private_key  = file("${local.keys_dir}/admin_key")
}

resource "hardnode_node_verification" "v" {
  host             = hardnode_test_node.n.host
  port             = hardnode_test_node.n.ssh_port
  user             = module.node.admin_user
  private_key      = file("${local.keys_dir}/admin_key")
  host_key         = hardnode_test_node.n.host_key
  expectations     = module.node.expectations
  not_applicable   = hardnode_test_node.n.not_applicable
  expected_version = var.os_version
  allow_rollback   = var.allow_rollback
  timeout          = var.verify_timeout
  triggers = {
    os_version = var.os_version
    round      = var.round
  }
}

output "report" { value = hardnode_node_verification.v.report }
output "admin_user" { value = module.node.admin_user }
output "verification" {
  value = {
    os_version       = hardnode_node_verification.v.os_version
    booted_slot      = hardnode_node_verification.v.booted_slot
    booted_snapshot  = hardnode_node_verification.v.booted_snapshot
    rolled_back      = hardnode_node_verification.v.rolled_back
    previous_version = hardnode_node_verification.v.previous_version
    boot_id          = hardnode_node_verification.v.boot_id
  }
}
output "node" {
  value = {
    host            = hardnode_test_node.n.host
    ssh_port        = hardnode_test_node.n.ssh_port
    host_key        = hardnode_test_node.n.host_key
    pid             = hardnode_test_node.n.pid
    serial_log      = hardnode_test_node.n.serial_log
    os_version      = hardnode_test_node.n.os_version
    running_version = hardnode_test_node.n.running_version
    not_applicable  = hardnode_test_node.n.not_applicable
  }
}
`, keysDir, filepath.Join(e.repo, "profiles", f.profile), f.name, f.extra, e.manifestPath, stateDir)
}

func vars(version string, allowRollback bool, round int) map[string]any {
	return map[string]any{"os_version": version, "allow_rollback": allowRollback, "round": fmt.Sprint(round),
		"verify_timeout": "10m"}
}

// checkAllPass asserts a report in which every check passed; not_applicable
// only for kinds the test node declares, and rows of the kinds in except
// are left to the caller.
func checkAllPass(t *testing.T, s state, except ...string) {
	t.Helper()
	if len(s.Report) == 0 {
		t.Fatal("empty verification report")
	}
	skip := map[string]bool{}
	for _, k := range except {
		skip[k] = true
	}
	seen := map[string]bool{}
	for _, r := range s.Report {
		seen[r.ID] = true
		if skip[r.Kind] {
			continue
		}
		switch r.Status {
		case "pass":
		case "not_applicable":
			if _, declared := s.Node.NotApplicable[r.Kind]; !declared {
				t.Errorf("check %s (%s) not_applicable, but the test node declares no such kind (%v): %s",
					r.ID, r.Kind, s.Node.NotApplicable, r.Detail)
			}
		default:
			t.Errorf("check %s (%s): %s, expected %q, found %q: %s", r.ID, r.Kind, r.Status, r.Expected, r.Actual, r.Detail)
		}
	}
	// The checks the scenarios depend on must be in the report at all.
	for _, id := range []string{"admin-login", "admin-sudo", "sshd-dropin", "subuid-app", "selinux-mode"} {
		if !seen[id] {
			t.Errorf("report has no check %s", id)
		}
	}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// requireTime fails early when go test's deadline would panic in the middle
// of a boot (a timeout panic runs no cleanup and would leave QEMU running).
func requireTime(t *testing.T, need time.Duration) {
	t.Helper()
	if d, ok := t.Deadline(); ok && time.Until(d) < need {
		t.Fatalf("this test needs about %s but go test's -timeout leaves %s: run with -timeout 45m (make test uses 50m)",
			need, time.Until(d).Round(time.Second))
	}
}

func TestFlatcarLifecycle(t *testing.T) { lifecycle(t, flatcar) }
func TestMicroOSLifecycle(t *testing.T) { lifecycle(t, microos) }

// lifecycle walks one node of the family through boot and verification,
// alteration after boot, a reboot during verification, an update, drift
// after the update and a broken update with its rollback, then destroys it.
func lifecycle(t *testing.T, f family) {
	e := requireEnv(t)
	requireTime(t, 20*time.Minute)
	m, ok := e.manifest.Families[f.name]
	if !ok {
		t.Fatalf("manifest %s has no family %s", e.manifestPath, f.name)
	}
	base, good, broken := m.BaseVersion, "1.0.1", "1.0.2-broken"
	if _, ok := m.Versions[good]; !ok {
		t.Fatalf("manifest has no version %s for %s: %v", good, f.name, m.Versions)
	}
	if !strings.Contains(strings.Join(m.BrokenVersions, " "), broken) {
		t.Fatalf("manifest does not list %s as broken for %s: %v", broken, f.name, m.BrokenVersions)
	}

	keysDir := makeKeys(t)
	stateDir := filepath.Join(t.TempDir(), "node")
	r := newRoot(t, e, config(e, f, keysDir, stateDir), vars(base, false, 0))
	// Cleanups run last-registered first: destroy, then the last resort.
	t.Cleanup(func() { killLeftoverQEMU(t, stateDir) })
	destroyed := false
	t.Cleanup(func() {
		if destroyed {
			return
		}
		if out, err := r.destroy(t); err != nil {
			t.Errorf("terraform destroy (cleanup): %v\n%s", err, tail(out, 4000))
		}
	})
	var a *admin
	failed := func() {
		t.Logf("serial console of the node (tail):\n%s", serialTail(stateDir))
		if a == nil {
			if host, port, hostKey, ok := r.nodeFromState(t); ok {
				var s state
				s.Node.Host, s.Node.SSHPort, s.Node.HostKey, s.AdminUser = host, port, hostKey, f.admin
				a = newAdmin(t, keysDir, s)
			}
		}
		if cmd := os.Getenv("E2E_DIAG"); cmd != "" && a != nil {
			out, err := a.run(cmd)
			t.Logf("E2E_DIAG %q on the node: %v\n%s", cmd, err, out)
		}
	}
	round := 0
	next := func() int { round++; return round }
	started := time.Now()
	var first state
	// The walk stops at the first failed step; destroy runs either way.
	func() {

		if !timed(t, "1_boot_and_verify", func(t *testing.T) {
			out := r.mustApply(t, vars(base, false, next()))
			s := r.outputs(t)
			first = s
			a = newAdmin(t, keysDir, s)
			checkAllPass(t, s)
			if got := str(s.Ver.OSVersion); got != base {
				t.Errorf("verification os_version = %s, want %s", got, base)
			}
			if got := str(s.Node.RunningVersion); got != base {
				t.Errorf("test node running_version = %s, want %s", got, base)
			}
			if f.name == "flatcar" && str(s.Ver.BootedSlot) != "USR-A" {
				t.Errorf("booted_slot = %s, want USR-A", str(s.Ver.BootedSlot))
			}
			if f.name == "microos" && s.Ver.BootedSnapshot == nil {
				t.Error("booted_snapshot is null")
			}
			if s.Ver.RolledBack == nil || *s.Ver.RolledBack {
				t.Errorf("rolled_back = %v, want false", s.Ver.RolledBack)
			}
			if s.Node.PID <= 0 || !pidIsQEMU(s.Node.PID, "") {
				t.Errorf("test node pid %d is not a running QEMU", s.Node.PID)
			}
			if t.Failed() {
				t.Logf("apply output:\n%s", tail(out, 6000))
			}
		}) {
			failed()
			return
		}

		if !timed(t, "2_altered_node_fails_then_restored_passes", func(t *testing.T) {
			restore := f.alter(t, a)
			out := r.mustFailApply(t, vars(base, false, next()))
			for _, id := range f.failing {
				mustHaveDiagnostic(t, out, fmt.Sprintf("Check %q failed", id), ` Kind: \S+ Expected: .+ Found: `)
			}
			// A failed verification is not saved: the state keeps the last good one.
			if s := r.outputs(t); len(s.Report) == 0 {
				t.Error("state lost the last successful verification")
			}
			a.mustRun(t, restore)
			r.mustApply(t, vars(base, false, next()))
			checkAllPass(t, r.outputs(t))
		}) {
			failed()
			return
		}

		if !timed(t, "5_reboot_during_verification", func(t *testing.T) {
			before := strings.TrimSpace(a.mustRun(t, "cat /proc/sys/kernel/random/boot_id"))
			a.mustRun(t, `sudo -n sh -c '(sleep 3; systemctl reboot) >/dev/null 2>&1 &'`)
			out := r.mustApply(t, vars(base, false, next()))
			s := r.outputs(t)
			checkAllPass(t, s)
			if got := str(s.Ver.OSVersion); got != base {
				t.Errorf("os_version = %s, want %s", got, base)
			}
			if s.Ver.RolledBack == nil || *s.Ver.RolledBack {
				t.Errorf("a plain reboot was reported as rolled_back = %v", s.Ver.RolledBack)
			}
			after := strings.TrimSpace(a.mustRun(t, "cat /proc/sys/kernel/random/boot_id"))
			if after == before {
				t.Errorf("the node did not reboot (boot id %s unchanged)", before)
			}
			t.Logf("boot id before %s, verified %s, now %s (verification saw the new boot: %v)",
				before, str(s.Ver.BootID), after, str(s.Ver.BootID) == after)
			if t.Failed() {
				t.Logf("apply output:\n%s", tail(out, 6000))
			}
		}) {
			failed()
			return
		}

		var updated state
		if !timed(t, "3_update_ok", func(t *testing.T) {
			out := r.mustApply(t, vars(good, false, next()))
			s := r.outputs(t)
			updated = s
			checkAllPass(t, s)
			if got := str(s.Ver.OSVersion); got != good {
				t.Errorf("os_version = %s, want %s", got, good)
			}
			if got := str(s.Node.RunningVersion); got != good {
				t.Errorf("test node running_version = %s, want %s", got, good)
			}
			if s.Ver.RolledBack == nil || *s.Ver.RolledBack {
				t.Errorf("rolled_back = %v, want false", s.Ver.RolledBack)
			}
			switch f.name {
			case "flatcar":
				if got := str(s.Ver.BootedSlot); got != "USR-B" {
					t.Errorf("booted_slot = %s after the update, want USR-B (was %s)", got, str(first.Ver.BootedSlot))
				}
			case "microos":
				if s.Ver.BootedSnapshot == nil || first.Ver.BootedSnapshot == nil ||
					*s.Ver.BootedSnapshot <= *first.Ver.BootedSnapshot {
					t.Errorf("booted_snapshot %v after the update, want more than %v", s.Ver.BootedSnapshot, first.Ver.BootedSnapshot)
				}
			}
			if t.Failed() {
				t.Logf("apply output:\n%s", tail(out, 6000))
			}
		}) {
			failed()
			return
		}

		if !timed(t, "6_hardening_drift_after_update", func(t *testing.T) {
			// The sshd drop-in is changed on the updated node; re-verification
			// must report it (a comment: sshd's effective settings stay the same,
			// only the managed file's content differs).
			const dropin = "/etc/ssh/sshd_config.d/05-hardnode.conf"
			a.mustRun(t, fmt.Sprintf(`sudo -n sh -c 'cp %[1]s /var/tmp/e2e-dropin && echo "# drift after update" >> %[1]s'`, dropin))
			out := r.mustFailApply(t, vars(good, false, next()))
			mustHaveDiagnostic(t, out, `Check "sshd-dropin" failed`, ` Kind: file Expected: .+ Found: `)
			a.mustRun(t, fmt.Sprintf(`sudo -n sh -c 'cat /var/tmp/e2e-dropin > %s'`, dropin))
			r.mustApply(t, vars(good, false, next()))
			s := r.outputs(t)
			checkAllPass(t, s)
			if str(s.Ver.OSVersion) != good {
				t.Errorf("os_version = %s, want %s", str(s.Ver.OSVersion), good)
			}
		}) {
			failed()
			return
		}

		if !timed(t, "4a_broken_update_fails_without_allow_rollback", func(t *testing.T) {
			out := r.mustFailApply(t, vars(broken, false, next()))
			mustHaveDiagnostic(t, out, "Node rolled back", `Expected: (version )?`+regexp.QuoteMeta(broken)+
				` Found: (version )?`+regexp.QuoteMeta(good)+`\b`)
			// The failed verification is not saved; the test node tells the truth.
			s := r.outputs(t)
			if got := str(s.Node.RunningVersion); got != good {
				t.Errorf("test node running_version = %s after the failed update, want %s (os_version %s)",
					got, good, s.Node.OSVersion)
			}
		}) {
			failed()
			return
		}

		timed(t, "4b_rollback_accepted_with_allow_rollback", func(t *testing.T) {
			// Only allow_rollback changes: the node rolled back during the
			// previous (failed) apply. A short timeout: the verification should
			// conclude at once, not wait for a version that will never come.
			v := vars(broken, true, next())
			v["verify_timeout"] = "2m"
			out := r.mustApply(t, v)
			mustContainAll(t, out, `Node rolled back \(allowed\)`)
			s := r.outputs(t)
			checkAllPass(t, s, "os") // the expected_version row reports the rollback
			if s.Ver.RolledBack == nil || !*s.Ver.RolledBack {
				t.Errorf("rolled_back = %v, want true", s.Ver.RolledBack)
			}
			if got := str(s.Ver.OSVersion); got != good {
				t.Errorf("os_version = %s after the rollback, want %s", got, good)
			}
			if got := str(s.Ver.PreviousVersion); got != good {
				t.Errorf("previous_version = %s, want %s", got, good)
			}
			var osRow *reportRow
			for i := range s.Report {
				if s.Report[i].Kind == "os" {
					osRow = &s.Report[i]
				}
			}
			if osRow == nil {
				t.Error("no expected_version row in the report")
			} else if !strings.Contains(osRow.Expected+" "+osRow.Actual, broken) ||
				!strings.Contains(osRow.Expected+" "+osRow.Actual, good) {
				t.Errorf("expected_version row does not show both versions: %+v", *osRow)
			}
			switch f.name {
			case "flatcar":
				if str(s.Ver.BootedSlot) != str(updated.Ver.BootedSlot) {
					t.Errorf("booted_slot = %s after the rollback, want %s", str(s.Ver.BootedSlot), str(updated.Ver.BootedSlot))
				}
			case "microos":
				if s.Ver.BootedSnapshot == nil || updated.Ver.BootedSnapshot == nil ||
					*s.Ver.BootedSnapshot != *updated.Ver.BootedSnapshot {
					t.Errorf("booted_snapshot = %v after the rollback, want %v", s.Ver.BootedSnapshot, updated.Ver.BootedSnapshot)
				}
			}
			if t.Failed() {
				t.Logf("apply output:\n%s", tail(out, 6000))
			}
		})
	}()

	timed(t, "destroy", func(t *testing.T) {
		pid := first.Node.PID
		out, err := r.destroy(t)
		destroyed = true
		if err != nil {
			t.Fatalf("terraform destroy: %v\n%s", err, tail(out, 4000))
		}
		if pidIsQEMU(pid, filepath.Join(stateDir, "qemu.pid")) {
			t.Errorf("QEMU pid %d still runs after destroy", pid)
		}
		if p, alive := qemuAlive(stateDir); alive {
			t.Errorf("QEMU pid %d (pidfile) still runs after destroy", p)
		}
	})
	t.Logf("scenario %s total: %s", t.Name(), time.Since(started).Round(time.Second))
}
