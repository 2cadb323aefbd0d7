package verify

import (
	"strings"
	"testing"

	"github.com/hardnode/terraform-provider-hardnode/expect"
	"github.com/hardnode/terraform-provider-hardnode/verify/nodesim"
)

// The stand-in nodes' os-release IDs name their family; a document for the
// other family is a warning naming the node's real family, and its
// family-limited checks say what the node is.
func TestFamilyOfStandInAndMismatchWarning(t *testing.T) {
	for _, tc := range []struct{ osRelease, want string }{
		{"ID=flatcar-standin\nID_LIKE=debian\nVERSION=1.0.0\nSTANDIN_FAMILY=flatcar\n", "flatcar"},
		{"ID=microos-standin\nID_LIKE=debian\nVERSION=1.0.0\n", "microos"},
		{"ID=opensuse-microos\nID_LIKE=\"suse opensuse\"\nVERSION=20260101\n", "microos"},
		{"ID=flatcar\nVERSION=4152.2.0\n", "flatcar"},
		{"ID=debian\nVERSION=12\n", ""},
	} {
		if got := familyOf(ParseOSRelease([]byte(tc.osRelease))); got != tc.want {
			t.Errorf("%q: family %q, want %q", tc.osRelease, got, tc.want)
		}
	}

	node, tgt := simTarget(t, nodesim.Flatcar, "1.0.0")
	_ = node.WriteFile("/etc/os-release", "ID=flatcar-standin\nID_LIKE=debian\nVERSION=1.0.0\n")
	doc := mustDoc(t, "microos", expect.Check{ID: "snap", Kind: expect.KindOS, Snapshot: expect.Int(1),
		OSFamily: "microos"})
	rep := verifyOK(t, tgt, doc, fastOptions())
	if r := rowByID(t, rep, "snap"); r.Status != expect.StatusNotApplicable || !strings.Contains(r.Detail, `node is "flatcar"`) {
		t.Errorf("row %+v, want skipped naming the node's family", r)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `the node is "flatcar"`) {
		t.Errorf("warnings %q, want one naming the mismatch", rep.Warnings)
	}
}
