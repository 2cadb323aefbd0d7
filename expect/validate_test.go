package expect

import (
	"strings"
	"testing"
)

// Checks that would assert nothing, or something else than written, are
// errors naming the check, not silent skips.
func TestValidateRejectsChecksThatAssertNothingOrTheWrongThing(t *testing.T) {
	for _, tc := range []struct{ doc, errHas string }{
		{`{"version":1,"os_family":"flatcr","checks":[]}`, `"flatcr" is not one of`},
		{`{"version":1,"checks":[{"id":"a","kind":"unit","name":"x","state":"masked","os_family":"coreos"}]}`,
			`check "a": os_family: "coreos"`},
		{`{"version":1,"checks":[{"id":"o","kind":"os"}]}`, `check "o": kind "os" needs at least one of`},
		{`{"version":1,"checks":[{"id":"f","kind":"file","path":"etc/x"}]}`, `check "f": path "etc/x" is not absolute`},
		{`{"version":1,"checks":[{"id":"f","kind":"file","path":"/x","sha256":"zz"}]}`, `check "f": sha256 "zz"`},
		{`{"version":1,"checks":[{"id":"s","kind":"sysctl","key":"kernel..x","value":"1"}]}`, `check "s": key`},
		{`{"version":1,"checks":[{"id":"s","kind":"sysctl","key":"kernel/yama","value":"1"}]}`, `check "s": key`},
		{`{"version":1,"checks":[{"id":"s","kind":"sysctl","key":"../../etc/shadow","value":"1"}]}`, `check "s": key`},
		{`{"version":1,"checks":[{"id":"c","kind":"command","argv":["id",""]}]}`, `check "c": argv[1] is empty`},
		{`{"version":1,"checks":[{"id":"e","kind":"selinux","mode":"enforcing","path":"/x"}]}`,
			`check "e": field "path" does not belong to kind "selinux"`},
		{`{"version":1,"checks":[{"id":"u","kind":"unit","name":"x","state":"masked","argv":["a"]}]}`,
			`field "argv" does not belong`},
	} {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: got %v, want error with %q", tc.doc, err, tc.errHas)
		}
	}
	ok := `{"version":1,"os_family":"microos","checks":[{"id":"o","kind":"os","slot":"USR-A"},` +
		`{"id":"s","kind":"sysctl","key":"net.ipv4.conf.all.rp_filter","value":"1"},` +
		`{"id":"f","kind":"file","path":"/etc/x"}]}`
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("valid document refused: %v", err)
	}
}
