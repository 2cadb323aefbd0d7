package verify

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// ParseUptime reads /proc/uptime: seconds since boot, then idle seconds.
func ParseUptime(data []byte) (time.Duration, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, errors.New("/proc/uptime is empty")
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil || secs < 0 {
		return 0, fmt.Errorf("/proc/uptime: %q is not a number of seconds", truncate(f[0], 40))
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// Facts is what a node says about itself, gathered alongside the checks.
type Facts struct {
	OSID           string         // os-release ID, e.g. "flatcar", "opensuse-microos"
	OSVersion      string         // os-release VERSION
	OSVersionID    string         // os-release VERSION_ID
	Family         string         // "flatcar", "microos" or "" when not recognised
	BootID         string         // /proc/sys/kernel/random/boot_id: changes on every boot
	Uptime         *time.Duration // since the node booted (/proc/uptime); nil when unknown
	BootedSlot     string         // "USR-A" or "USR-B" on A/B /usr nodes, else ""
	BootedSnapshot *int           // btrfs snapshot number of "/" on MicroOS-like nodes
	FailedUnits    []string       // nil when they could not be read (the reason is in Problems)
	RebootPending  bool
	RebootReason   string // what says a reboot is pending
	// RollbackRecord is the node's own record of falling back from a failed
	// update, when it was written during the current boot; "" otherwise.
	RollbackRecord string
	Problems       []string // facts that could not be gathered, with why

	slotErr     error // why BootedSlot could not be determined, if it could not
	snapshotErr error // why BootedSnapshot could not be determined, if it could not
}

// familyOf maps os-release to a hardnode OS family: an ID or ID_LIKE word
// that names the family or a variant of it ("flatcar", "opensuse-microos",
// the stand-ins' "flatcar-standin"), or the stand-ins' STANDIN_FAMILY.
func familyOf(osr OSRelease) string {
	ids := append([]string{osr.ID, osr.Fields["STANDIN_FAMILY"]}, strings.Fields(osr.Fields["ID_LIKE"])...)
	for _, id := range ids {
		for _, family := range expect.Families {
			if id == family || strings.HasPrefix(id, family+"-") || strings.HasSuffix(id, "-"+family) {
				return family
			}
		}
	}
	return ""
}

// gatherFacts reads the node's facts. It fails only when the connection is
// lost; a fact that cannot be read is recorded in Problems.
func gatherFacts(ctx context.Context, c *nodeConn) (Facts, error) {
	var f Facts
	note := func(err error) error {
		if errors.Is(err, errConnectionLost) {
			return err
		}
		f.Problems = append(f.Problems, err.Error())
		return nil
	}

	osr, err := readOSRelease(ctx, c)
	if err != nil {
		if err := note(err); err != nil {
			return f, err
		}
	}
	f.OSID, f.OSVersion, f.OSVersionID, f.Family = osr.ID, osr.Version, osr.VersionID, familyOf(osr)

	if data, err := c.readFile(ctx, "/proc/sys/kernel/random/boot_id"); err == nil {
		f.BootID = strings.TrimSpace(string(data))
	} else if err := note(err); err != nil {
		return f, err
	}

	if data, err := c.readFile(ctx, "/proc/uptime"); err == nil {
		if up, perr := ParseUptime(data); perr == nil {
			f.Uptime = &up
		} else {
			f.Problems = append(f.Problems, perr.Error())
		}
	} else if err := note(err); err != nil {
		return f, err
	}

	if f.BootedSlot, err = bootedSlot(ctx, c); err != nil {
		f.slotErr = err
		if err := note(err); err != nil {
			return f, err
		}
	}
	if data, err := c.readFile(ctx, "/proc/mounts"); err == nil {
		if n, ok := BootedSnapshot(ParseProcMounts(data)); ok {
			f.BootedSnapshot = &n
		}
	} else {
		f.snapshotErr = err
		if err := note(err); err != nil {
			return f, err
		}
	}

	res, err := c.run(ctx, []string{"systemctl", "--failed", "--plain", "--no-legend", "--no-pager"})
	switch {
	case err != nil:
		if err := note(err); err != nil {
			return f, err
		}
	case res.ExitCode != 0:
		f.Problems = append(f.Problems, fmt.Sprintf("systemctl --failed exited %d: %s",
			res.ExitCode, firstLine(res.Stderr)))
	default:
		f.FailedUnits = append([]string{}, ParseUnitList(res.Stdout)...)
	}

	if err := rebootPending(ctx, c, &f); err != nil {
		return f, err
	}
	if err := rollbackRecord(ctx, c, &f); err != nil {
		return f, err
	}
	return f, nil
}

// readOSRelease reads /etc/os-release, falling back to /usr/lib/os-release as
// the os-release specification says.
func readOSRelease(ctx context.Context, c *nodeConn) (OSRelease, error) {
	data, err := c.readFile(ctx, "/etc/os-release")
	if err != nil && isNotExist(err) {
		data, err = c.readFile(ctx, "/usr/lib/os-release")
	}
	if err != nil {
		return OSRelease{}, err
	}
	return ParseOSRelease(data), nil
}

// rebootPending looks for the signs each family leaves when an update waits
// for a reboot: /run/reboot-needed (MicroOS transactional-update),
// /run/reboot-required (Debian-style tools), and on Flatcar the
// update_engine status UPDATE_STATUS_UPDATED_NEED_REBOOT.
func rebootPending(ctx context.Context, c *nodeConn, f *Facts) error {
	for _, p := range []string{"/run/reboot-needed", "/run/reboot-required"} {
		_, err := c.lstat(ctx, p)
		if err == nil {
			f.RebootPending, f.RebootReason = true, p+" exists"
			return nil
		}
		if errors.Is(err, errConnectionLost) {
			return err
		}
		if !isNotExist(err) {
			f.Problems = append(f.Problems, err.Error())
		}
	}
	if f.Family != "flatcar" {
		return nil
	}
	res, err := c.run(ctx, []string{"update_engine_client", "-status"})
	switch {
	case err != nil:
		if errors.Is(err, errConnectionLost) {
			return err
		}
		f.Problems = append(f.Problems, err.Error())
	case res.ExitCode != 0:
		f.Problems = append(f.Problems, fmt.Sprintf("update_engine_client -status exited %d", res.ExitCode))
	case strings.Contains(string(res.Stdout)+string(res.Stderr), "UPDATE_STATUS_UPDATED_NEED_REBOOT"):
		f.RebootPending, f.RebootReason = true, "update_engine: UPDATE_STATUS_UPDATED_NEED_REBOOT"
	}
	return nil
}

// bootedSlot finds which of USR-A and USR-B the /usr mount comes from, by
// comparing the /usr mount's device (its source, its sysfs name, and the
// devices below it when /usr is a dm-verity mapping, as on Flatcar) with the
// targets of /dev/disk/by-partlabel/USR-A and USR-B. "" when the node has no
// such partitions.
func bootedSlot(ctx context.Context, c *nodeConn) (string, error) {
	var targets [2]string
	labels := [2]string{"USR-A", "USR-B"}
	any := false
	for i, label := range labels {
		t, err := c.readLink(ctx, "/dev/disk/by-partlabel/"+label)
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return "", err
		}
		targets[i], any = path.Base(t), true
	}
	if !any {
		return "", nil
	}

	data, err := c.readFile(ctx, "/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	usr, ok := FindMount(ParseMountInfo(data), "/usr")
	if !ok {
		return "", errors.New("booted slot: USR-A/USR-B exist but /usr is not a mount point")
	}
	devices := map[string]bool{}
	if strings.HasPrefix(usr.Source, "/dev/") {
		devices[path.Base(usr.Source)] = true
		if t, err := c.readLink(ctx, usr.Source); err == nil {
			devices[path.Base(t)] = true
		}
	}
	sysDev := fmt.Sprintf("/sys/dev/block/%d:%d", usr.Major, usr.Minor)
	if t, err := c.readLink(ctx, sysDev); err == nil {
		devices[path.Base(t)] = true
	}
	if slaves, err := c.readDir(ctx, sysDev+"/slaves"); err == nil {
		for _, s := range slaves {
			devices[s.Name()] = true
		}
	}
	for i, label := range labels {
		if targets[i] != "" && (devices[targets[i]] || devices[label]) {
			return label, nil
		}
	}
	return "", fmt.Errorf("booted slot: /usr comes from %s (%d:%d), which is neither USR-A (%s) nor USR-B (%s)",
		usr.Source, usr.Major, usr.Minor, targets[0], targets[1])
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return truncate(s, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// rollbackRecords are the files in which a node records that it fell back
// from an update that did not boot: the stand-ins' boot markers
// (Flatcar-like and MicroOS-like).
// TODO(#6): read the real OSes' records too (Flatcar: the other USR
// partition's cgpt priority and tries; MicroOS: health-checker's state).
var rollbackRecords = []string{"/boot/standin/last-rollback", "/var/lib/standin/last-rollback"}

// rollbackRecord sets f.RollbackRecord from the first record written during
// the current boot (its time is at or after the boot time in /proc/stat, on
// the node's own clock). A missing record is the normal case and no problem.
func rollbackRecord(ctx context.Context, c *nodeConn, f *Facts) error {
	stat, err := c.readFile(ctx, "/proc/stat")
	if err != nil {
		if errors.Is(err, errConnectionLost) {
			return err
		}
		f.Problems = append(f.Problems, err.Error())
		return nil
	}
	bootTime, ok := ParseBootTime(stat)
	if !ok {
		f.Problems = append(f.Problems, "no btime line in /proc/stat")
		return nil
	}
	for _, record := range rollbackRecords {
		info, err := c.lstat(ctx, record)
		if errors.Is(err, errConnectionLost) {
			return err
		}
		if err != nil || !info.Mode().IsRegular() || info.ModTime().Before(bootTime) {
			continue
		}
		data, err := c.readFile(ctx, record)
		if errors.Is(err, errConnectionLost) {
			return err
		}
		if err == nil {
			f.RollbackRecord = record + ": " + strings.TrimSpace(string(data))
			return nil
		}
	}
	return nil
}

// ParseBootTime reads the boot time (the "btime" line, seconds since the
// epoch) from /proc/stat.
func ParseBootTime(data []byte) (time.Time, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 2 && fields[0] == "btime" {
			secs, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || secs <= 0 {
				return time.Time{}, false
			}
			return time.Unix(secs, 0), true
		}
	}
	return time.Time{}, false
}
