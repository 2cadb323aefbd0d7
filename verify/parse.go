package verify

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// OSRelease holds the fields of /etc/os-release that verification uses.
type OSRelease struct {
	ID        string
	VersionID string
	Version   string
	Fields    map[string]string
}

// ParseOSRelease reads an os-release file (KEY=value lines, values optionally
// quoted with shell quoting rules for ", ' and \). Malformed lines are
// skipped, as systemd does.
func ParseOSRelease(data []byte) OSRelease {
	fields := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !validOSReleaseKey(key) {
			continue
		}
		fields[key] = unquoteOSRelease(value)
	}
	return OSRelease{
		ID:        fields["ID"],
		VersionID: fields["VERSION_ID"],
		Version:   fields["VERSION"],
		Fields:    fields,
	}
}

func validOSReleaseKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func unquoteOSRelease(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		quote := v[0]
		v = v[1 : len(v)-1]
		if quote == '\'' {
			return v
		}
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// SubIDRange is one line of /etc/subuid or /etc/subgid: OWNER:START:COUNT,
// OWNER being a user name or a numeric ID.
type SubIDRange struct {
	Owner string
	Start uint64
	Count uint64
	Line  int // 1-based line number in the file
}

// End returns the first ID after the range.
func (r SubIDRange) End() uint64 { return r.Start + r.Count }

// Overlaps reports whether two ranges share at least one ID.
func (r SubIDRange) Overlaps(o SubIDRange) bool {
	return r.Count > 0 && o.Count > 0 && r.Start < o.End() && o.Start < r.End()
}

// ParseSubIDs reads /etc/subuid or /etc/subgid. Blank lines and comments are
// skipped; a malformed line is an error naming its line number, because a
// file that shadow-utils cannot read is a finding, not noise.
func ParseSubIDs(data []byte) ([]SubIDRange, error) {
	var out []SubIDRange
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) != 3 || parts[0] == "" {
			return nil, fmt.Errorf("line %d: want OWNER:START:COUNT, got %q", i+1, line)
		}
		start, err := strconv.ParseUint(parts[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: start %q is not a 32-bit number", i+1, parts[1])
		}
		count, err := strconv.ParseUint(parts[2], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: count %q is not a 32-bit number", i+1, parts[2])
		}
		out = append(out, SubIDRange{Owner: parts[0], Start: start, Count: count, Line: i + 1})
	}
	return out, nil
}

// IDEntry is one line of /etc/passwd or /etc/group: a name and its numeric ID.
type IDEntry struct {
	Name string
	ID   uint32
}

// ParseIDTable reads /etc/passwd or /etc/group (NAME:x:ID:...). Lines that do
// not have a name and a numeric third field are skipped (NIS "+" entries and
// the like).
func ParseIDTable(data []byte) []IDEntry {
	var out []IDEntry
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.Split(strings.TrimSpace(line), ":")
		if len(parts) < 3 || parts[0] == "" || strings.HasPrefix(parts[0], "#") {
			continue
		}
		id, err := strconv.ParseUint(parts[2], 10, 32)
		if err != nil {
			continue
		}
		out = append(out, IDEntry{Name: parts[0], ID: uint32(id)})
	}
	return out
}

// ParseUnitList reads the unit names from `systemctl list-units --plain
// --no-legend` style output (e.g. `systemctl --failed`): the first field of
// each line. A leading status bullet, if present, is dropped.
func ParseUnitList(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && (fields[0] == "●" || fields[0] == "*" || fields[0] == "×") {
			fields = fields[1:]
		}
		if len(fields) == 0 || !strings.Contains(fields[0], ".") {
			continue
		}
		out = append(out, fields[0])
	}
	return out
}

// MountInfo is one line of /proc/self/mountinfo.
type MountInfo struct {
	Major, Minor uint32
	Root         string
	MountPoint   string
	FSType       string
	Source       string
	SuperOptions string
}

// ParseMountInfo reads /proc/self/mountinfo. Lines that do not have the
// documented shape (optional fields ended by "-") are skipped.
func ParseMountInfo(data []byte) []MountInfo {
	var out []MountInfo
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+3 {
			continue
		}
		majStr, minStr, ok := strings.Cut(fields[2], ":")
		if !ok {
			continue
		}
		major, err1 := strconv.ParseUint(majStr, 10, 32)
		minor, err2 := strconv.ParseUint(minStr, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		m := MountInfo{
			Major:      uint32(major),
			Minor:      uint32(minor),
			Root:       unescapeMount(fields[3]),
			MountPoint: unescapeMount(fields[4]),
			FSType:     fields[sep+1],
			Source:     unescapeMount(fields[sep+2]),
		}
		if len(fields) > sep+3 {
			m.SuperOptions = fields[sep+3]
		}
		out = append(out, m)
	}
	return out
}

// Mount is one line of /proc/mounts.
type Mount struct {
	Source     string
	MountPoint string
	FSType     string
	Options    []string
}

// ParseProcMounts reads /proc/mounts (fstab format).
func ParseProcMounts(data []byte) []Mount {
	var out []Mount
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue
		}
		out = append(out, Mount{
			Source:     unescapeMount(fields[0]),
			MountPoint: unescapeMount(fields[1]),
			FSType:     fields[2],
			Options:    strings.Split(fields[3], ","),
		})
	}
	return out
}

// unescapeMount undoes the kernel's octal escaping (\040 for a space) in
// mount table fields.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// BootedSnapshot returns the btrfs snapshot number N that "/" is mounted from
// (subvol=/@/.snapshots/N/snapshot), as openSUSE MicroOS shows it in
// /proc/mounts. ok is false when "/" is not such a snapshot.
func BootedSnapshot(mounts []Mount) (n int, ok bool) {
	for _, m := range mounts {
		if m.MountPoint != "/" || m.FSType != "btrfs" {
			continue
		}
		for _, opt := range m.Options {
			sub, found := strings.CutPrefix(opt, "subvol=")
			if !found {
				continue
			}
			sub = strings.TrimPrefix(sub, "/")
			rest, found := strings.CutPrefix(sub, "@/.snapshots/")
			if !found {
				continue
			}
			num, tail, _ := strings.Cut(rest, "/")
			v, err := strconv.Atoi(num)
			if err != nil || tail != "snapshot" || v < 0 {
				continue
			}
			// The last "/" mount wins: it is the one on top.
			n, ok = v, true
		}
	}
	return n, ok
}

// FindMount returns the last (topmost) mountinfo entry for the mount point.
func FindMount(mounts []MountInfo, mountPoint string) (MountInfo, bool) {
	var found MountInfo
	ok := false
	for _, m := range mounts {
		if m.MountPoint == mountPoint {
			found, ok = m, true
		}
	}
	return found, ok
}

// ShellQuote joins argv into one POSIX shell command line, single-quoting
// every word, for SSH exec requests (which the login shell interprets).
func ShellQuote(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+%") == "" {
			words[i] = a
			continue
		}
		words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(words, " ")
}
