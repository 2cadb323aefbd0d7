package verify

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseOSRelease(t *testing.T) {
	got := ParseOSRelease([]byte("# comment\nNAME=\"openSUSE MicroOS\"\nID=\"opensuse-microos\"\n" +
		"VERSION='20260101'\nVERSION_ID=\"a\\\"b\"\nbad line\nlower=x\n"))
	if got.ID != "opensuse-microos" || got.Version != "20260101" || got.VersionID != `a"b` {
		t.Errorf("got %+v", got)
	}
	if _, ok := got.Fields["lower"]; ok {
		t.Errorf("invalid key accepted")
	}
}

func TestParseSubIDs(t *testing.T) {
	got, err := ParseSubIDs([]byte("app:100000:65536\n\n# c\n1001:165536:65536\n"))
	want := []SubIDRange{{"app", 100000, 65536, 1}, {"1001", 165536, 65536, 4}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"app:1", "app:x:1", ":1:1", "app:1:99999999999"} {
		if _, err := ParseSubIDs([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v, want an error naming line 1", bad, err)
		}
	}
	a, b := SubIDRange{Start: 100000, Count: 65536}, SubIDRange{Start: 165536, Count: 10}
	if a.Overlaps(b) || !a.Overlaps(SubIDRange{Start: 165535, Count: 1}) {
		t.Errorf("overlap at the edges is wrong")
	}
}

func TestParseUnitList(t *testing.T) {
	out := "● foo.service loaded failed failed Foo\nbar.mount   loaded failed failed Bar\n\n0 loaded units listed.\n"
	if got := ParseUnitList([]byte(out)); !reflect.DeepEqual(got, []string{"foo.service", "bar.mount"}) {
		t.Errorf("got %q", got)
	}
}

func TestParseMountInfoAndSnapshot(t *testing.T) {
	mi := ParseMountInfo([]byte("22 1 254:0 / /usr ro,relatime shared:2 - ext4 /dev/mapper/usr ro\n" +
		"30 1 8:1 / /mnt/a\\040b rw - ext4 /dev/sda1 rw\nshort line\n"))
	if len(mi) != 2 || mi[0].Major != 254 || mi[0].Source != "/dev/mapper/usr" || mi[1].MountPoint != "/mnt/a b" {
		t.Errorf("got %+v", mi)
	}
	if m, ok := FindMount(mi, "/usr"); !ok || m.Minor != 0 {
		t.Errorf("FindMount /usr: %+v %v", m, ok)
	}
	mounts := ParseProcMounts([]byte("/dev/vda3 / btrfs ro,subvolid=260,subvol=/@/.snapshots/4/snapshot 0 0\n" +
		"/dev/vda3 /var btrfs rw,subvol=/@/var 0 0\n"))
	if n, ok := BootedSnapshot(mounts); !ok || n != 4 {
		t.Errorf("snapshot %d %v, want 4", n, ok)
	}
	if _, ok := BootedSnapshot(ParseProcMounts([]byte("/dev/vda9 / ext4 rw 0 0\n"))); ok {
		t.Errorf("ext4 root reported as a snapshot")
	}
}

func TestHostKeyPinFormats(t *testing.T) {
	_, pub := testKey(t, "ed25519", "")
	line := KnownHostsLine("127.0.0.1:2222", pub)
	for _, text := range []string{line, "ssh-ed25519 " + strings.Fields(line)[2] + " comment", sshFP(pub)} {
		pin, err := ParseHostKeyPin(text)
		if err != nil || !pin.Matches(pub) {
			t.Errorf("%q: %v", text, err)
		}
	}
	_, other := testKey(t, "ed25519", "")
	if pin, _ := ParseHostKeyPin(line); pin.Matches(other) {
		t.Errorf("pin matches another key")
	}
	for _, bad := range []string{"", "SHA256:", "@cert-authority * ssh-ed25519 AAAA", "hello world"} {
		if _, err := ParseHostKeyPin(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestShellQuoteAndSysctlPath(t *testing.T) {
	if got := ShellQuote([]string{"id", "-un", "it's", ""}); got != `id -un 'it'\''s' ''` {
		t.Errorf("ShellQuote: %s", got)
	}
	if p, err := SysctlPath("net.ipv4.ip_forward"); err != nil || p != "/proc/sys/net/ipv4/ip_forward" {
		t.Errorf("got %q %v", p, err)
	}
	if p, err := SysctlPath("kernel/yama/ptrace_scope"); err != nil || p != "/proc/sys/kernel/yama/ptrace_scope" {
		t.Errorf("got %q %v", p, err)
	}
	for _, bad := range []string{"..", "kernel/../../etc/shadow", "a..b", ""} {
		if _, err := SysctlPath(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add("ID=flatcar\nVERSION=4152.2.0\n")
	f.Add("VERSION=\"a\\\\\"\nX='")
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseOSRelease([]byte(s))
		if got.Version != got.Fields["VERSION"] {
			t.Fatalf("Version %q differs from field %q", got.Version, got.Fields["VERSION"])
		}
	})
}

func FuzzParseSubIDs(f *testing.F) {
	f.Add("app:100000:65536\n")
	f.Add("a:1:2\n#x\n\nb:3")
	f.Fuzz(func(t *testing.T, s string) {
		ranges, err := ParseSubIDs([]byte(s))
		if err != nil {
			return
		}
		// What parses re-renders to lines that parse to the same ranges.
		var b strings.Builder
		for _, r := range ranges {
			fmt.Fprintf(&b, "%s:%d:%d\n", r.Owner, r.Start, r.Count)
		}
		again, err := ParseSubIDs([]byte(b.String()))
		if err != nil || len(again) != len(ranges) {
			t.Fatalf("re-parse of %q: %v %v", b.String(), again, err)
		}
		for i := range again {
			if again[i].Owner != ranges[i].Owner || again[i].Start != ranges[i].Start || again[i].Count != ranges[i].Count {
				t.Fatalf("round trip changed %+v to %+v", ranges[i], again[i])
			}
		}
	})
}

func FuzzParseUnitList(f *testing.F) {
	f.Add("● foo.service loaded failed failed Foo\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, u := range ParseUnitList([]byte(s)) {
			if u == "" || strings.ContainsAny(u, " \t\n") {
				t.Fatalf("bad unit name %q", u)
			}
		}
	})
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add("22 1 254:0 / /usr ro,relatime shared:2 - ext4 /dev/mapper/usr ro\n")
	f.Add("1 0 0:1 / / rw - btrfs \\04 x\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ParseMountInfo([]byte(s)) {
			if m.FSType == "" {
				t.Fatalf("entry without fstype: %+v", m)
			}
		}
		_, _ = BootedSnapshot(ParseProcMounts([]byte(s)))
	})
}

func FuzzParseHostKeyPin(f *testing.F) {
	f.Add("[127.0.0.1]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd8")
	f.Add("SHA256:abc")
	f.Fuzz(func(t *testing.T, s string) {
		pin, err := ParseHostKeyPin(s)
		if err == nil && pin.String() == "" {
			t.Fatalf("accepted pin %q describes no key", s)
		}
	})
}

func FuzzSysctlPath(f *testing.F) {
	f.Add("kernel.yama.ptrace_scope")
	f.Add("net/ipv4/../x")
	f.Fuzz(func(t *testing.T, key string) {
		p, err := SysctlPath(key)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/proc/sys/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
			t.Fatalf("key %q maps outside /proc/sys: %q", key, p)
		}
	})
}
