package expect

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The example document of ../shared/EXPECTATIONS.md, with the sha256 filled in.
const contractExample = `{
  "version": 1,
  "os_family": "flatcar",
  "checks": [
    {"id": "selinux-mode", "kind": "selinux", "mode": "enforcing"},
    {"id": "subuid-app", "kind": "subid", "file": "/etc/subuid",
     "user": "app", "start": 100000, "count": 65536},
    {"id": "docker-socket", "kind": "unit", "name": "docker.socket",
     "state": "masked"},
    {"id": "sshd-dropin", "kind": "file", "path": "/etc/ssh/sshd_config.d/10-hardnode.conf",
     "mode": "0600", "owner": "root", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"id": "ptrace", "kind": "sysctl", "key": "kernel.yama.ptrace_scope", "value": "1"},
    {"id": "userns-app", "kind": "command", "as_user": "app",
     "argv": ["podman", "unshare", "cat", "/proc/self/uid_map"],
     "stdout_matches": "^\\s*1\\s+100000\\s+65536\\s*$"}
  ]
}`

func TestParseContractExample(t *testing.T) {
	doc, err := Parse([]byte(contractExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if doc.OSFamily != "flatcar" || len(doc.Checks) != 6 {
		t.Fatalf("got family %q and %d checks, want flatcar and 6", doc.OSFamily, len(doc.Checks))
	}
	sub := doc.Checks[1]
	if sub.Kind != KindSubID || *sub.Start != 100000 || *sub.Count != 65536 || sub.User != "app" {
		t.Fatalf("subid check decoded as %+v", sub)
	}
	if got := doc.Checks[5].AsUser; got != "app" {
		t.Fatalf("command as_user = %q, want app", got)
	}
}

// The example in the shared contract itself must parse, where ../shared exists.
func TestParseSharedContractDocument(t *testing.T) {
	data, err := os.ReadFile("../../shared/EXPECTATIONS.md")
	if os.IsNotExist(err) {
		t.Skip("../shared/EXPECTATIONS.md is not beside this checkout; the inline copy is tested above")
	}
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```json\n(.*?)```").FindSubmatch(data)
	if block == nil {
		t.Fatal("no json block in EXPECTATIONS.md")
	}
	text := strings.ReplaceAll(string(block[1]), `"…"`, `"`+strings.Repeat("0", 64)+`"`)
	if _, err := Parse([]byte(text)); err != nil {
		t.Fatalf("the contract's own example does not parse: %v", err)
	}
}

func TestMarshalRoundTripIsStable(t *testing.T) {
	doc, err := Parse([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	first, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(first)
	if err != nil {
		t.Fatalf("re-parse of marshalled document: %v", err)
	}
	second, err := again.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Fatalf("marshal is not stable:\n%s\n---\n%s", first, second)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"newer version", `{"version": 2, "checks": []}`, "newer"},
		{"missing version", `{"checks": []}`, "missing \"version\""},
		{"unknown kind", `{"version": 1, "checks": [{"id": "x", "kind": "kernel"}]}`, `check "x": unknown kind "kernel"`},
		{"missing kind", `{"version": 1, "checks": [{"id": "x"}]}`, `check "x": missing "kind"`},
		{"duplicate id", `{"version": 1, "checks": [{"id": "a", "kind": "selinux", "mode": "enforcing"},
			{"id": "a", "kind": "selinux", "mode": "permissive"}]}`, "share the id"},
		{"no id", `{"version": 1, "checks": [{"kind": "selinux", "mode": "enforcing"}]}`, `has no "id"`},
		{"unknown field", `{"version": 1, "checks": [{"id": "a", "kind": "selinux", "mode": "enforcing", "moed": 1}]}`, "unknown field"},
		{"bad unit state", `{"version": 1, "checks": [{"id": "u", "kind": "unit", "name": "a", "state": "on"}]}`, "state \"on\""},
		{"bad selinux", `{"version": 1, "checks": [{"id": "s", "kind": "selinux", "mode": "disabled"}]}`, "mode \"disabled\""},
		{"short sha256", `{"version": 1, "checks": [{"id": "f", "kind": "file", "path": "/a", "sha256": "00"}]}`, "64 hexadecimal"},
		{"bad file mode", `{"version": 1, "checks": [{"id": "f", "kind": "file", "path": "/a", "mode": "644x"}]}`, "octal"},
		{"subid overflow", `{"version": 1, "checks": [{"id": "s", "kind": "subid", "file": "/etc/subuid",
			"user": "u", "start": 4294967295, "count": 2}]}`, "32-bit"},
		{"subid wrong file", `{"version": 1, "checks": [{"id": "s", "kind": "subid", "file": "/etc/passwd",
			"user": "u", "start": 1, "count": 2}]}`, "/etc/subuid"},
		{"command bad regexp", `{"version": 1, "checks": [{"id": "c", "kind": "command", "argv": ["true"],
			"stdout_matches": "("}]}`, "stdout_matches"},
		{"command empty argv", `{"version": 1, "checks": [{"id": "c", "kind": "command"}]}`, "argv"},
		{"bad slot", `{"version": 1, "checks": [{"id": "o", "kind": "os", "version": "1", "slot": "USR-C"}]}`, "USR-C"},
		{"trailing data", `{"version": 1, "checks": []} {}`, "trailing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted %s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestAppliesTo(t *testing.T) {
	c := Check{OSFamily: "microos"}
	if c.AppliesTo("flatcar") || !c.AppliesTo("microos") {
		t.Fatal("a microos-only check must apply to microos only")
	}
	if !(&Check{}).AppliesTo("flatcar") {
		t.Fatal("a check without os_family applies to every family")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(contractExample))
	f.Add([]byte(`{"version": 1, "checks": [{"id": "s", "kind": "subid", "file": "/etc/subgid", "user": "u", "start": 1, "count": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			return
		}
		out, err := doc.Marshal()
		if err != nil {
			t.Fatalf("a parsed document does not marshal: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("a marshalled document does not parse: %v", err)
		}
		for i := range doc.Checks {
			_ = doc.Checks[i].ExpectedString()
		}
	})
}
