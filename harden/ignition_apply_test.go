package harden

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// ignitionBinary is where Debian's ignition package puts the binary.
const ignitionBinary = "/usr/lib/dracut/modules.d/30ignition/ignition"

// TestIgnitionApply is the proof that what hardnode renders is what a node
// gets: each test node's config, rendered for Ignition 2.14, is applied by
// the real Ignition binary (stages fetch-offline and files) to a temporary
// root, and every expectation that a directory can answer is checked there.
// Sysctl checks are read from the sysctl.d files as the kernel would parse
// them, and the user namespace check from /etc/subuid as the kernel prints
// uid_map. Checks of the running system (SELinux, sshd, login) are counted
// as skipped and must be exactly those.
func TestIgnitionApply(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: Ignition runs useradd and chown in the target root")
	}
	if _, err := os.Stat(ignitionBinary); err != nil {
		t.Skipf("Debian's ignition binary is missing (%v); tests/setup.sh installs it", err)
	}
	for _, tc := range testNodes() {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node(t)
			r, err := Render(n, RenderOptions{Target: "ignition-2.14"})
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if r.IgnitionVersion != "3.3.0" {
				t.Fatalf("target ignition-2.14 gave spec %s, want 3.3.0", r.IgnitionVersion)
			}
			root := prepareRoot(t, n.OS)
			applyIgnition(t, root, r.Ignition)

			skipped, passed := 0, 0
			for _, c := range r.Expectations.Checks {
				ok, detail := checkInRoot(t, root, n, c)
				switch {
				case detail == skipRunning:
					skipped++
				case ok:
					passed++
				default:
					t.Errorf("check %s (%s) failed in the applied root: %s", c.ID, c.ExpectedString(), detail)
				}
			}
			if want := runningOnlyChecks(r.Expectations); skipped != want {
				t.Errorf("skipped %d checks, want %d (only kernel, sshd, podman and login checks)", skipped, want)
			}
			t.Logf("%d checks passed in the applied root, %d need the running node", passed, skipped)
			assertRootFacts(t, root, n)
		})
	}
}

// prepareRoot makes a minimal target root like the image's /etc before
// Ignition: account files, a useradd default shell, an /etc/subuid with a
// line of its own (which must survive), and /etc/selinux/config as the OS
// has it (a symlink into /usr on Flatcar).
func prepareRoot(t *testing.T, osFamily OSFamily) string {
	t.Helper()
	root := t.TempDir()
	// Ignition writes SSH keys with the user's file system UID, which must
	// be able to reach the root: open the temporary directories up.
	for _, d := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n"
	group := "root:x:0:\nusers:x:100:\n"
	shadow := "root:*:19000:0:99999:7:::\n"
	gshadow := "root:*::\nusers:*::\n"
	if osFamily == Flatcar {
		passwd += "core:x:500:500:Flatcar Admin:/home/core:/bin/sh\n"
		group += "core:x:500:\n"
		shadow += "core:*:19000:0:99999:7:::\n"
		gshadow += "core:*::\n"
	}
	files := map[string]string{
		"etc/passwd": passwd, "etc/group": group, "etc/shadow": shadow, "etc/gshadow": gshadow,
		"etc/default/useradd": "SHELL=/bin/sh\n",
		"etc/subuid":          "preexisting:4000000000:65536\n",
		"etc/subgid":          "preexisting:4000000000:65536\n",
	}
	selinux := "SELINUX=permissive\nSELINUXTYPE=mcs\n"
	if osFamily == MicroOS {
		files["etc/selinux/config"] = "SELINUX=enforcing\nSELINUXTYPE=targeted\n"
	} else {
		files["usr/share/selinux/config"] = selinux
	}
	for p, content := range files {
		writeFile(t, filepath.Join(root, p), content, 0o644)
	}
	for _, d := range []string{"home", "var/lib/systemd", "etc/ssh/sshd_config.d", "etc/sudoers.d", "etc/selinux"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if osFamily == Flatcar {
		// The image ships core with its home.
		home := filepath.Join(root, "home/core")
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(home, 500, 500); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../usr/share/selinux/config", filepath.Join(root, "etc/selinux/config")); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// applyIgnition runs Ignition's fetch-offline and files stages on root with
// the file platform, and a no-op setfiles on PATH for the relabel step.
func applyIgnition(t *testing.T, root string, config []byte) {
	t.Helper()
	work := t.TempDir()
	cfg := filepath.Join(work, "config.ign")
	writeFile(t, cfg, string(config), 0o600)
	shim := filepath.Join(work, "bin")
	writeFile(t, filepath.Join(shim, "setfiles"), "#!/bin/sh\ncat >/dev/null\nexit 0\n", 0o755)
	for _, stage := range []string{"fetch-offline", "files"} {
		cmd := exec.Command(ignitionBinary, "-platform", "file", "-stage", stage, "-root", root,
			"-config-cache", filepath.Join(work, "ignition.json"), "-state-file", filepath.Join(work, "state"),
			"-neednet", filepath.Join(work, "neednet"), "-log-to-stdout")
		cmd.Env = append(os.Environ(), "IGNITION_CONFIG_FILE="+cfg, "PATH="+shim+":"+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ignition stage %s: %v\n%s", stage, err, out)
		}
	}
}

const skipRunning = "needs the running node"

// runningOnlyChecks counts the checks that only a running node answers.
func runningOnlyChecks(doc *expect.Document) int {
	count := 0
	for _, c := range doc.Checks {
		switch {
		case c.Kind == expect.KindSELinux:
			count++
		case c.Kind == expect.KindCommand && !rootCommand(c.Argv):
			count++
		case c.Kind == expect.KindFile && strings.HasPrefix(c.Path, LingerDir) && doc.OSFamily == string(MicroOS):
			count++ // created by systemd-tmpfiles at boot
		}
	}
	return count
}

// rootCommand reports whether a command check reads only files, so that the
// test can answer it from the root directory.
func rootCommand(argv []string) bool {
	switch {
	case len(argv) == 4 && argv[0] == "stat", len(argv) == 2 && argv[0] == "sha256sum":
		return true
	case len(argv) == 3 && argv[0] == "id" && argv[1] == "-u":
		return true
	case len(argv) == 4 && argv[0] == "podman" && argv[1] == "unshare" && argv[3] == "/proc/self/uid_map":
		return true // answered from /etc/subuid, formatted as the kernel prints uid_map
	}
	return false
}

// checkInRoot evaluates one check against the applied root.
func checkInRoot(t *testing.T, root string, n *Node, c expect.Check) (bool, string) {
	t.Helper()
	switch c.Kind {
	case expect.KindFile:
		if strings.HasPrefix(c.Path, LingerDir) && n.OS == MicroOS {
			return false, skipRunning
		}
		return checkFile(root, c)
	case expect.KindUnit:
		return checkUnit(root, c)
	case expect.KindSubID:
		return checkSubID(root, c)
	case expect.KindSysctl:
		return checkSysctl(root, c)
	case expect.KindCommand:
		if !rootCommand(c.Argv) {
			return false, skipRunning
		}
		out, err := emulateCommand(root, c.Argv, c.AsUser)
		if err != nil {
			return false, err.Error()
		}
		re := regexp.MustCompile("(?m)" + c.StdoutMatches)
		return re.MatchString(out), fmt.Sprintf("output %q", out)
	}
	return false, skipRunning
}

func checkFile(root string, c expect.Check) (bool, string) {
	p := filepath.Join(root, c.Path)
	fi, err := os.Lstat(p)
	if c.Absent {
		return os.IsNotExist(err), "exists"
	}
	if err != nil {
		return false, err.Error()
	}
	if c.Type == "regular" && !fi.Mode().IsRegular() {
		return false, "not a regular file: " + fi.Mode().String()
	}
	if c.Mode != "" {
		want, _ := strconv.ParseUint(c.Mode, 8, 32)
		if uint64(fi.Mode().Perm()) != want {
			return false, fmt.Sprintf("mode %04o", fi.Mode().Perm())
		}
	}
	st := fi.Sys().(*syscall.Stat_t)
	if c.Owner != "" && lookupName(root, "etc/passwd", st.Uid) != c.Owner {
		return false, fmt.Sprintf("owner uid %d", st.Uid)
	}
	if c.Group != "" && lookupName(root, "etc/group", st.Gid) != c.Group {
		return false, fmt.Sprintf("group gid %d", st.Gid)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return false, err.Error()
	}
	if c.SHA256 != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != c.SHA256 {
			return false, "sha256 " + got
		}
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range c.Contains {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			return false, fmt.Sprintf("no line %q in %q", want, data)
		}
	}
	return true, ""
}

func lookupName(root, file string, id uint32) string {
	data, _ := os.ReadFile(filepath.Join(root, file))
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) > 2 && f[2] == strconv.FormatUint(uint64(id), 10) {
			return f[0]
		}
	}
	return ""
}

// checkUnit reads unit state the way systemd will on first boot: a mask is a
// symlink to /dev/null, enablement is a line of Ignition's preset file.
func checkUnit(root string, c expect.Check) (bool, string) {
	switch c.State {
	case expect.UnitMasked:
		target, err := os.Readlink(filepath.Join(root, "etc/systemd/system", c.Name))
		return err == nil && target == "/dev/null", fmt.Sprintf("link %q, %v", target, err)
	case expect.UnitEnabled:
		data, err := os.ReadFile(filepath.Join(root, "etc/systemd/system-preset/20-ignition.preset"))
		return err == nil && regexp.MustCompile(`(?m)^enable `+regexp.QuoteMeta(c.Name)+`$`).Match(data),
			fmt.Sprintf("preset file %q, %v", data, err)
	}
	return false, "state " + c.State + " is not checkable in a directory"
}

// checkSubID finds the user's line and fails on any other line overlapping it.
func checkSubID(root string, c expect.Check) (bool, string) {
	f, err := os.Open(filepath.Join(root, c.File))
	if err != nil {
		return false, err.Error()
	}
	defer f.Close()
	start, end := uint64(*c.Start), uint64(*c.Start)+uint64(*c.Count)
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ":")
		if len(parts) != 3 {
			continue
		}
		s, _ := strconv.ParseUint(parts[1], 10, 32)
		cnt, _ := strconv.ParseUint(parts[2], 10, 32)
		if parts[0] == c.User && s == start && cnt == uint64(*c.Count) {
			found = true
			continue
		}
		if s < end && start < s+cnt {
			return false, "overlapping line " + sc.Text()
		}
	}
	return found, "no line " + c.User
}

// checkSysctl reads the sysctl.d files in root as systemd-sysctl does (in
// lexical order, the last assignment wins) and compares the value the
// kernel would print back with the check's.
func checkSysctl(root string, c expect.Check) (bool, string) {
	files, _ := filepath.Glob(filepath.Join(root, "etc/sysctl.d/*.conf"))
	value, found := "", false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return false, err.Error()
		}
		for _, l := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(l, "=")
			if ok && !strings.HasPrefix(strings.TrimSpace(l), "#") && strings.TrimSpace(k) == c.Key {
				value, found = canonicalSysctlValue(v), true
			}
		}
	}
	return found && value == c.Value, fmt.Sprintf("the kernel would read %q (set: %v)", value, found)
}

// emulateCommand answers the file-reading commands of a check from root.
func emulateCommand(root string, argv []string, user string) (string, error) {
	switch argv[0] {
	case "podman":
		return emulateUIDMap(root, user)
	case "id":
		data, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
		if err != nil {
			return "", err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Split(l, ":"); len(f) > 2 && f[0] == argv[2] {
				return f[2] + "\n", nil
			}
		}
		return "", fmt.Errorf("no user %s", argv[2])
	case "stat", "sha256sum":
		args := append([]string(nil), argv[1:]...)
		args[len(args)-1] = filepath.Join(root, args[len(args)-1])
		out, err := exec.Command(argv[0], args...).Output()
		return string(out), err
	}
	return "", fmt.Errorf("not emulated: %q", argv)
}

// assertRootFacts checks what the expectations say only indirectly: users
// exist with their homes, the image's own subuid line survived, and the
// SELinux config is a real file now.
func assertRootFacts(t *testing.T, root string, n *Node) {
	t.Helper()
	for _, f := range []string{"etc/subuid", "etc/subgid"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || !strings.HasPrefix(string(data), "preexisting:4000000000:65536\n") {
			t.Errorf("%s lost its existing line: %q, %v", f, data, err)
		}
	}
	fi, err := os.Lstat(filepath.Join(root, SELinuxConfigPath))
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("%s is not a regular file after Ignition: %v, %v", SELinuxConfigPath, fi, err)
	}
	keys := filepath.Join(root, "home", n.AdminName(), ".ssh/authorized_keys.d/ignition")
	if data, err := os.ReadFile(keys); err != nil || !strings.Contains(string(data), "hardnode-test-admin") {
		t.Errorf("admin key not in %s: %q, %v", keys, data, err)
	}
	for _, u := range n.ContainerUsers {
		if _, err := os.Stat(filepath.Join(root, "home", u.Name)); err != nil {
			t.Errorf("container user %s has no home directory: %v", u.Name, err)
		}
	}
}

// emulateUIDMap prints what `podman unshare cat /proc/self/uid_map` shows
// for user: the user's own ID, then its subordinate ranges, in the kernel's
// "%10d %10d %10d" columns.
func emulateUIDMap(root, user string) (string, error) {
	uid, err := emulateCommand(root, []string{"id", "-u", user}, "")
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "etc/subuid"))
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("%10d %10s %10d\n", 0, strings.TrimSpace(uid), 1)
	inside := uint64(1)
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) != 3 || f[0] != user {
			continue
		}
		count, _ := strconv.ParseUint(f[2], 10, 32)
		out += fmt.Sprintf("%10d %10s %10d\n", inside, f[1], count)
		inside += count
	}
	return out, nil
}
