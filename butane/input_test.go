package butane

import (
	"strings"
	"testing"
)

// TestTargetAndVersionParsing: target and ignition_version names are read
// strictly, and the messages list the accepted forms.
func TestTargetAndVersionParsing(t *testing.T) {
	for _, bad := range []string{"flatcar-4152.x.y", "flatcar-+4152", "flatcar-4152.2", "flatcar-stable",
		"ignition-2.14.x", "ignition-2.+5", "ignition-2.-1", "ignition-2.14.0.1", "MicroOS", " microos"} {
		err := CheckTarget(bad)
		if err == nil {
			t.Errorf("CheckTarget(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "flatcar-3510.2.0") && !strings.Contains(err.Error(), "Flatcar releases before") {
			t.Errorf("CheckTarget(%q) = %v, want the accepted forms", bad, err)
		}
	}
	for _, ok := range []string{"", "flatcar-4152", "flatcar-4152.2.0", "microos", "ignition-2.14", "ignition-2.14.1"} {
		if err := CheckTarget(ok); err != nil {
			t.Errorf("CheckTarget(%q) = %v", ok, err)
		}
	}
	err := CheckIgnitionVersion("3.9.0")
	if err == nil || !strings.Contains(err.Error(), "3.0.0") || !strings.Contains(err.Error(), "3.6.0") ||
		!strings.Contains(err.Error(), "3.7.0-experimental") {
		t.Errorf("CheckIgnitionVersion(3.9.0) = %v, want every accepted spec incl. experimental", err)
	}
	if err := CheckIgnitionVersion("3.7.0-experimental"); err != nil {
		t.Errorf("experimental spec refused: %v", err)
	}
	if err := CheckCompression("gzip"); err == nil || !strings.Contains(err.Error(), `"auto" or "none"`) {
		t.Errorf("CheckCompression(gzip) = %v", err)
	}
}

// TestHeaderAsButaneReadsIt: aliases and merge keys in the header work as in
// Butane, and a second YAML document is reported.
func TestHeaderAsButaneReadsIt(t *testing.T) {
	for _, src := range []string{
		"x: &v fcos\nvariant: *v\nversion: 1.4.0\n",
		"h: &h\n  variant: fcos\n  version: 1.4.0\n<<: *h\n",
	} {
		if res := mustTranslate(t, Options{Content: []byte(src)}); res.IgnitionVersion != "3.3.0" {
			t.Errorf("%q: spec %s", src, res.IgnitionVersion)
		}
	}
	multi := "variant: fcos\nversion: 1.4.0\n---\nvariant: fcos\nversion: 1.4.0\n"
	res := mustTranslate(t, Options{Content: []byte(multi)})
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 4 || !strings.Contains(res.Warnings[0].Message, "second YAML document") {
		t.Errorf("warnings = %+v", res.Warnings)
	}
	mustError(t, Options{Content: []byte(multi), Strict: true})
	mustTranslate(t, Options{Content: []byte("---\nvariant: fcos\nversion: 1.4.0\n...\n"), Strict: true})
}

// TestDecimalModeForms: every YAML integer form of a decimal-looking mode
// gets the octal it has and the one probably meant.
func TestDecimalModeForms(t *testing.T) {
	for _, mode := range []string{"644", "+644", "0o1204", "*m"} {
		src := "variant: fcos\nversion: 1.4.0\nx-m: &m 644\nstorage:\n  files:\n    - path: /f\n      mode: " + mode + "\n"
		res := mustTranslate(t, Options{Content: []byte(src)})
		found := false
		for _, w := range res.Warnings {
			if w.Line == 7 && strings.Contains(w.Message, "0o1204") && strings.Contains(w.Message, "0644") {
				found = true
			}
		}
		if !found {
			t.Errorf("mode %s: warnings = %+v", mode, res.Warnings)
		}
	}
}
