package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/sftp"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// checker runs the checks of one document on one connection.
type checker struct {
	conn          *nodeConn
	facts         Facts
	family        string
	notApplicable map[expect.Kind]string
}

// run runs one check. It never returns pass for a check that did not run:
// anything that stops a check from completing is StatusError.
func (k *checker) run(ctx context.Context, c *expect.Check) (expect.Result, error) {
	r := expect.Result{ID: c.ID, Kind: c.Kind, Expected: c.ExpectedString()}
	if reason, ok := k.notApplicable[c.Kind]; ok {
		r.Status, r.Detail = expect.StatusNotApplicable, reason
		return r, nil
	}
	if !c.AppliesTo(k.family) {
		r.Status = expect.StatusNotApplicable
		r.Detail = fmt.Sprintf("check is for os_family %q; this node is %q (os-release ID %q)",
			c.OSFamily, k.family, k.facts.OSID)
		return r, nil
	}
	var err error
	switch c.Kind {
	case expect.KindFile:
		err = k.file(ctx, c, &r)
	case expect.KindUnit:
		err = k.unit(ctx, c, &r)
	case expect.KindSELinux:
		err = k.selinux(ctx, c, &r)
	case expect.KindSysctl:
		err = k.sysctl(ctx, c, &r)
	case expect.KindSubID:
		err = k.subid(ctx, c, &r)
	case expect.KindCommand:
		err = k.command(ctx, c, &r)
	case expect.KindOS:
		err = k.os(c, &r)
	default:
		err = fmt.Errorf("check %q has unknown kind %q; this hardnode knows %v", c.ID, c.Kind, expect.Kinds)
	}
	if err != nil {
		r.Status, r.Actual, r.Detail = expect.StatusError, "", err.Error()
	}
	return r, err
}

// outcome sets pass or fail from a list of mismatches.
func outcome(r *expect.Result, actual string, mismatches []string) {
	r.Actual = actual
	if len(mismatches) == 0 {
		r.Status = expect.StatusPass
		return
	}
	r.Status = expect.StatusFail
	r.Detail = strings.Join(mismatches, "; ")
}

// fileMeta is what a file check needs to know about a path.
type fileMeta struct {
	exists bool
	typ    string // regular, directory, symlink, other
	perm   uint32 // permission bits including setuid, setgid, sticky
	uid    uint32
	gid    uint32
	hasIDs bool
}

func metaFromInfo(fi fs.FileInfo) fileMeta {
	m := fileMeta{exists: true, typ: "other", perm: uint32(fi.Mode().Perm())}
	switch {
	case fi.Mode().IsRegular():
		m.typ = "regular"
	case fi.IsDir():
		m.typ = "directory"
	case fi.Mode()&fs.ModeSymlink != 0:
		m.typ = "symlink"
	}
	if fi.Mode()&fs.ModeSetuid != 0 {
		m.perm |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		m.perm |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		m.perm |= 0o1000
	}
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		m.uid, m.gid, m.hasIDs = st.UID, st.GID, true
	}
	return m
}

// statPath reads a path's metadata over SFTP; when the login user may not
// see the path (permission denied), it asks `sudo -n stat`, which the
// hardened admin user may run without a password.
func (k *checker) statPath(ctx context.Context, path string, follow bool) (fileMeta, error) {
	var (
		fi  fs.FileInfo
		err error
	)
	if follow {
		err = k.conn.within(ctx, func() error {
			var e error
			fi, e = k.conn.sftp.Stat(path)
			return e
		})
	} else {
		fi, err = k.conn.lstat(ctx, path)
	}
	switch {
	case err == nil:
		return metaFromInfo(fi), nil
	case isNotExist(err):
		return fileMeta{}, nil
	case !isPermission(err):
		return fileMeta{}, fmt.Errorf("stat %s over sftp: %w", path, err)
	}
	argv := []string{"stat", "-c", "%f %u %g", "--", path}
	if follow {
		argv = []string{"stat", "-L", "-c", "%f %u %g", "--", path}
	}
	res, rerr := k.conn.runProbe(ctx, "root", argv)
	if rerr != nil {
		return fileMeta{}, k.sudoFallbackError(path, "stat", rerr)
	}
	if res.ExitCode != 0 {
		// stat itself ran (the wrapper said so): only its own ENOENT means absent.
		if strings.Contains(string(res.Stderr), "No such file") {
			return fileMeta{}, nil
		}
		return fileMeta{}, k.sudoFallbackError(path, "stat",
			fmt.Errorf("stat exited %d: %s", res.ExitCode, firstLine(res.Stderr)))
	}
	return parseStatOutput(string(res.Stdout))
}

// parseStatOutput reads `stat -c '%f %u %g'`: raw mode in hex, uid, gid.
func parseStatOutput(out string) (fileMeta, error) {
	f := strings.Fields(out)
	if len(f) != 3 {
		return fileMeta{}, fmt.Errorf("unexpected stat output %q", truncate(out, 80))
	}
	raw, err1 := strconv.ParseUint(f[0], 16, 32)
	uid, err2 := strconv.ParseUint(f[1], 10, 32)
	gid, err3 := strconv.ParseUint(f[2], 10, 32)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fileMeta{}, fmt.Errorf("unexpected stat output %q: %w", truncate(out, 80), err)
	}
	m := fileMeta{exists: true, perm: uint32(raw) & 0o7777, uid: uint32(uid), gid: uint32(gid), hasIDs: true}
	switch raw & 0o170000 {
	case 0o100000:
		m.typ = "regular"
	case 0o040000:
		m.typ = "directory"
	case 0o120000:
		m.typ = "symlink"
	default:
		m.typ = "other"
	}
	return m, nil
}

// readContent reads a file over SFTP, falling back to `sudo -n cat` when the
// login user may not read it.
func (k *checker) readContent(ctx context.Context, path string) ([]byte, error) {
	data, err := k.conn.readFile(ctx, path)
	if err == nil || !isPermission(err) {
		return data, err
	}
	res, rerr := k.conn.runProbe(ctx, "root", []string{"cat", "--", path})
	if rerr != nil {
		return nil, k.sudoFallbackError(path, "cat", rerr)
	}
	if res.ExitCode != 0 {
		cause := fmt.Errorf("cat exited %d: %s", res.ExitCode, firstLine(res.Stderr))
		if strings.Contains(string(res.Stderr), "No such file") {
			cause = fmt.Errorf("%w (cat: %s)", fs.ErrNotExist, firstLine(res.Stderr))
		}
		return nil, k.sudoFallbackError(path, "cat", cause)
	}
	return res.Stdout, nil
}

// sudoFallbackError says that a path unreadable over SFTP could not be read
// through sudo either, naming both causes and the fix.
func (k *checker) sudoFallbackError(path, tool string, cause error) error {
	return fmt.Errorf("%s is not readable by %s over sftp (permission denied) and `sudo -n %s` "+
		"failed: %w; give %s passwordless sudo (as the hardened config does) or make the path readable",
		path, k.conn.user, tool, cause, k.conn.user)
}

func (k *checker) file(ctx context.Context, c *expect.Check, r *expect.Result) error {
	meta, err := k.statPath(ctx, c.Path, false)
	if err != nil {
		return err
	}
	if c.Absent {
		if meta.exists {
			outcome(r, c.Path+" exists ("+meta.typ+")", []string{"path must not exist"})
		} else {
			outcome(r, c.Path+" absent", nil)
		}
		return nil
	}
	if !meta.exists {
		outcome(r, c.Path+" absent", []string{"path does not exist"})
		return nil
	}

	var found, bad []string
	if c.Type != "" {
		found = append(found, "type="+meta.typ)
		if meta.typ != c.Type {
			bad = append(bad, fmt.Sprintf("type is %s, want %s", meta.typ, c.Type))
		}
	}
	// Everything else describes what a reader of the path sees: follow a symlink.
	if meta.typ == "symlink" && c.Type != "symlink" {
		if meta, err = k.statPath(ctx, c.Path, true); err != nil {
			return err
		}
		if !meta.exists {
			found = append(found, "dangling symlink")
			outcome(r, c.Path+" "+strings.Join(found, " "), append(bad, "symlink target does not exist"))
			return nil
		}
	}
	if c.Mode != "" {
		want, _ := strconv.ParseUint(c.Mode, 8, 32)
		found = append(found, fmt.Sprintf("mode=%04o", meta.perm))
		if uint32(want) != meta.perm {
			bad = append(bad, fmt.Sprintf("mode is %04o, want %04o", meta.perm, want))
		}
	}
	if c.Owner != "" || c.Group != "" {
		if !meta.hasIDs {
			return fmt.Errorf("the SFTP server did not report the owner of %s", c.Path)
		}
		users, groups, err := k.conn.idTables(ctx)
		if err != nil {
			return fmt.Errorf("resolve owner names: %w", err)
		}
		if c.Owner != "" {
			name := nameOf(users, meta.uid)
			found = append(found, "owner="+name)
			if !sameID(c.Owner, name, meta.uid) {
				bad = append(bad, fmt.Sprintf("owner is %s, want %s", name, c.Owner))
			}
		}
		if c.Group != "" {
			name := nameOf(groups, meta.gid)
			found = append(found, "group="+name)
			if !sameID(c.Group, name, meta.gid) {
				bad = append(bad, fmt.Sprintf("group is %s, want %s", name, c.Group))
			}
		}
	}
	if c.SHA256 != "" || len(c.Contains) > 0 {
		if meta.typ != "regular" {
			outcome(r, c.Path+" "+strings.Join(append(found, "type="+meta.typ), " "),
				append(bad, "content checks need a regular file"))
			return nil
		}
		data, err := k.readContent(ctx, c.Path)
		if err != nil {
			return err
		}
		if c.SHA256 != "" {
			sum := sha256.Sum256(data)
			got := hex.EncodeToString(sum[:])
			found = append(found, "sha256="+got)
			if !strings.EqualFold(got, c.SHA256) {
				bad = append(bad, "content differs (sha256 mismatch)")
			}
		}
		if missing := missingLines(data, c.Contains); len(missing) > 0 {
			found = append(found, fmt.Sprintf("lacks %q", missing))
			bad = append(bad, fmt.Sprintf("missing lines %q", missing))
		}
	}
	outcome(r, strings.TrimSpace(c.Path+" "+strings.Join(found, " ")), bad)
	return nil
}

func nameOf(table []IDEntry, id uint32) string {
	for _, e := range table {
		if e.ID == id {
			return e.Name
		}
	}
	return strconv.FormatUint(uint64(id), 10)
}

func idOf(table []IDEntry, name string) (uint32, bool) {
	for _, e := range table {
		if e.Name == name {
			return e.ID, true
		}
	}
	return 0, false
}

// sameID accepts an expected owner given by name or by number.
func sameID(want, name string, id uint32) bool {
	return want == name || want == strconv.FormatUint(uint64(id), 10)
}

// missingLines returns the wanted lines that are not lines of data
// (compared with surrounding whitespace trimmed).
func missingLines(data []byte, want []string) []string {
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var missing []string
	for _, w := range want {
		if !have[strings.TrimSpace(w)] {
			missing = append(missing, w)
		}
	}
	return missing
}

func (k *checker) unit(ctx context.Context, c *expect.Check, r *expect.Result) error {
	verb := "is-enabled"
	if c.State == expect.UnitActive {
		verb = "is-active"
	}
	res, err := k.conn.runProbe(ctx, "", []string{"systemctl", verb, "--", c.Name})
	var probe *ProbeError
	if errors.As(err, &probe) {
		return fmt.Errorf("systemctl is not available on the node (exit %d: %s); a node without "+
			"systemd needs the unit kind declared not_applicable", probe.ExitCode, probe.Stderr)
	}
	if err != nil {
		return err
	}
	state := firstLine(res.Stdout)
	if state == "" {
		if strings.Contains(string(res.Stderr), "No such file") || strings.Contains(string(res.Stderr), "not found") {
			state = "not-found"
		} else {
			return fmt.Errorf("systemctl %s %s printed no state (exit %d: %s)",
				verb, c.Name, res.ExitCode, firstLine(res.Stderr))
		}
	}
	var bad []string
	if state != c.State {
		bad = []string{fmt.Sprintf("systemctl %s says %s", verb, state)}
	}
	outcome(r, c.Name+" "+state, bad)
	return nil
}

const selinuxEnforce = "/sys/fs/selinux/enforce"

func (k *checker) selinux(ctx context.Context, c *expect.Check, r *expect.Result) error {
	data, err := k.readContent(ctx, selinuxEnforce)
	if err != nil {
		if isNotExist(err) {
			outcome(r, "disabled", []string{"SELinux is not enabled on this node (" + selinuxEnforce +
				" does not exist); if the kernel has no SELinux, declare the kind not_applicable"})
			return nil
		}
		return err
	}
	var mode string
	switch strings.TrimSpace(string(data)) {
	case "1":
		mode = expect.SELinuxEnforcing
	case "0":
		mode = expect.SELinuxPermissive
	default:
		return fmt.Errorf("unexpected content %q in %s", truncate(string(data), 20), selinuxEnforce)
	}
	var bad []string
	if mode != c.Mode {
		bad = []string{"SELinux is " + mode}
	}
	outcome(r, mode, bad)
	return nil
}

// SysctlPath maps a sysctl key (dotted, or slashed as sysctl(8) also
// accepts) to its file under /proc/sys. Keys with empty or ".." parts are
// refused so that a key cannot name a file outside /proc/sys.
func SysctlPath(key string) (string, error) {
	sep := "."
	if strings.Contains(key, "/") {
		sep = "/"
	}
	parts := strings.Split(strings.Trim(key, sep), sep)
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\x00") {
			return "", fmt.Errorf("sysctl key %q is not a valid key", key)
		}
	}
	return "/proc/sys/" + strings.Join(parts, "/"), nil
}

func (k *checker) sysctl(ctx context.Context, c *expect.Check, r *expect.Result) error {
	p, err := SysctlPath(c.Key)
	if err != nil {
		return err
	}
	data, err := k.readContent(ctx, p)
	if err != nil {
		if isNotExist(err) {
			outcome(r, c.Key+" missing", []string{"the kernel has no such sysctl (" + p +
				" does not exist): the feature or its module is missing"})
			return nil
		}
		return err
	}
	got := strings.Join(strings.Fields(string(data)), " ")
	var bad []string
	if got != strings.Join(strings.Fields(c.Value), " ") {
		bad = []string{fmt.Sprintf("value is %q", got)}
	}
	outcome(r, c.Key+"="+got, bad)
	return nil
}

func (k *checker) subid(ctx context.Context, c *expect.Check, r *expect.Result) error {
	data, err := k.readContent(ctx, c.File)
	if err != nil {
		if isNotExist(err) {
			outcome(r, c.File+" missing", []string{c.File + " does not exist"})
			return nil
		}
		return err
	}
	ranges, perr := ParseSubIDs(data)
	if perr != nil {
		outcome(r, c.File+" malformed", []string{fmt.Sprintf("%s: %v", c.File, perr)})
		return nil
	}
	users, groups, err := k.conn.idTables(ctx)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", c.User, err)
	}
	table := users
	if c.File == "/etc/subgid" {
		table = groups
	}
	ownID, hasOwnID := idOf(users, c.User)
	want := SubIDRange{Owner: c.User, Start: uint64(*c.Start), Count: uint64(*c.Count)}
	owns := func(owner string) bool {
		return owner == c.User || (hasOwnID && owner == strconv.FormatUint(uint64(ownID), 10))
	}

	var mine []string
	exact := -1
	for i, rg := range ranges {
		if owns(rg.Owner) {
			mine = append(mine, fmt.Sprintf("%d:%d", rg.Start, rg.Count))
			if rg.Start == want.Start && rg.Count == want.Count && exact < 0 {
				exact = i
			}
		}
	}
	var bad []string
	if exact < 0 {
		bad = append(bad, fmt.Sprintf("no line %s:%d:%d", c.User, want.Start, want.Count))
	}
	for i, rg := range ranges {
		if i != exact && rg.Overlaps(want) {
			bad = append(bad, fmt.Sprintf("line %d (%s:%d:%d) overlaps the range", rg.Line, rg.Owner, rg.Start, rg.Count))
		}
	}
	for _, e := range table {
		if uint64(e.ID) >= want.Start && uint64(e.ID) < want.End() {
			bad = append(bad, fmt.Sprintf("the range contains the ID %d of %s", e.ID, e.Name))
		}
	}
	actual := c.User + " has no range"
	if len(mine) > 0 {
		actual = c.User + ":" + strings.Join(mine, ", ")
	}
	outcome(r, actual+" in "+c.File, bad)
	return nil
}

func (k *checker) command(ctx context.Context, c *expect.Check, r *expect.Result) error {
	res, err := k.conn.runProbe(ctx, c.AsUser, c.Argv)
	if err != nil {
		return err
	}
	wantCode := 0
	if c.ExitCode != nil {
		wantCode = *c.ExitCode
	}
	actual := fmt.Sprintf("exits %d stdout %q", res.ExitCode, truncate(strings.TrimSpace(string(res.Stdout)), 200))
	var bad []string
	if res.ExitCode != wantCode {
		bad = append(bad, fmt.Sprintf("exit code %d, want %d (stderr: %s)", res.ExitCode, wantCode, firstLine(res.Stderr)))
	}
	if c.StdoutMatches != "" {
		re, err := regexp.Compile("(?m)" + c.StdoutMatches)
		if err != nil {
			return fmt.Errorf("stdout_matches: %w", err)
		}
		if !re.Match(res.Stdout) {
			bad = append(bad, "stdout does not match /"+c.StdoutMatches+"/")
		}
	}
	outcome(r, actual, bad)
	return nil
}

func (k *checker) os(c *expect.Check, r *expect.Result) error {
	f := k.facts
	if f.OSVersion == "" {
		return fmt.Errorf("the node's os-release has no VERSION (%s)", strings.Join(f.Problems, "; "))
	}
	actual := "version " + f.OSVersion
	var bad []string
	if c.Version != "" && f.OSVersion != c.Version {
		bad = append(bad, fmt.Sprintf("runs version %s, want %s", f.OSVersion, c.Version))
	}
	if c.Slot != "" {
		if f.slotErr != nil {
			return f.slotErr
		}
		slot := f.BootedSlot
		if slot == "" {
			slot = "none"
		}
		actual += " slot " + slot
		if f.BootedSlot != c.Slot {
			bad = append(bad, fmt.Sprintf("booted slot is %s, want %s", slot, c.Slot))
		}
	}
	if c.Snapshot != nil {
		if f.snapshotErr != nil {
			return f.snapshotErr
		}
		if f.BootedSnapshot == nil {
			actual += " snapshot none"
			bad = append(bad, "/ is not mounted from a btrfs snapshot")
		} else {
			actual += fmt.Sprintf(" snapshot %d", *f.BootedSnapshot)
			if *f.BootedSnapshot != *c.Snapshot {
				bad = append(bad, fmt.Sprintf("booted snapshot is %d, want %d", *f.BootedSnapshot, *c.Snapshot))
			}
		}
	}
	outcome(r, actual, bad)
	return nil
}
