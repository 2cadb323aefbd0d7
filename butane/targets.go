package butane

import (
	"fmt"
	"regexp"
	"strconv"
)

// ignitionStable says from which Ignition 2.x release on a spec is stable,
// after Ignition's release notes. Each release accepts every stable spec it
// knows, so the highest entry at or below a release is its maximum.
var ignitionStable = []struct {
	minor int // Ignition 2.<minor>
	spec  string
}{
	{0, "3.0.0"},
	{3, "3.1.0"},
	{7, "3.2.0"},
	{11, "3.3.0"},
	{15, "3.4.0"},
	{20, "3.5.0"},
	{26, "3.6.0"},
}

// flatcarIgnition maps Flatcar major releases to the oldest Ignition they
// ship, read from the sys-apps/ignition ebuild at each release tag and
// Flatcar's release notes. A release between two rows takes the earlier row;
// a release after the last row takes the last row (newer Ignition releases
// still accept older specs).
var flatcarIgnition = []struct {
	firstMajor int
	ignition   int // Ignition 2.<ignition>
	note       string
}{
	{3185, 13, "3185-3510 (incl. LTS-2023 3510): Ignition 2.13-2.14"},
	{3535, 15, "3535-3975: Ignition 2.15-2.18"},
	{4012, 19, "4012-4081 (LTS-2024 4081): Ignition 2.19"},
	{4152, 20, "4152-4593 and alphas to 4790: Ignition 2.20-2.24"},
}

// microOSIgnition is the Ignition minor version of openSUSE's current
// ignition package (2.26 since 2026-02).
const microOSIgnition = 26

var (
	flatcarTargetRe  = regexp.MustCompile(`^flatcar-([0-9]+)(\.[0-9]+\.[0-9]+)?$`)
	ignitionTargetRe = regexp.MustCompile(`^ignition-2\.([0-9]+)(\.[0-9]+)?$`)
)

// TargetForms says which target names are accepted, for messages.
const TargetForms = `"flatcar-MAJOR" or "flatcar-MAJOR.MINOR.PATCH" (e.g. flatcar-3510.2.0), ` +
	`"microos", or "ignition-2.MINOR" or "ignition-2.MINOR.PATCH" (e.g. ignition-2.14)`

// TargetSpec returns the highest Ignition spec that target accepts. Targets
// are "flatcar-MAJOR[.MINOR.PATCH]", "microos" and "ignition-2.MINOR[.PATCH]",
// with decimal numbers only.
func TargetSpec(target string) (string, error) {
	if target == "microos" {
		return ignitionMaxSpec(microOSIgnition), nil
	}
	if m := flatcarTargetRe.FindStringSubmatch(target); m != nil {
		major, err := strconv.Atoi(m[1])
		if err != nil {
			return "", fmt.Errorf("target %q: Flatcar major release %q is out of range", target, m[1])
		}
		if major < flatcarIgnition[0].firstMajor {
			return "", fmt.Errorf("target %q: Flatcar releases before %d accept only Ignition spec 2.x, "+
				"which hardnode does not produce", target, flatcarIgnition[0].firstMajor)
		}
		minor := flatcarIgnition[0].ignition
		for _, row := range flatcarIgnition {
			if major >= row.firstMajor {
				minor = row.ignition
			}
		}
		return ignitionMaxSpec(minor), nil
	}
	if m := ignitionTargetRe.FindStringSubmatch(target); m != nil {
		minor, err := strconv.Atoi(m[1])
		if err != nil {
			return "", fmt.Errorf("target %q: Ignition minor release %q is out of range", target, m[1])
		}
		return ignitionMaxSpec(minor), nil
	}
	return "", fmt.Errorf("unknown target %q: want %s", target, TargetForms)
}

// CheckTarget says why target is not accepted, or nil ("" is accepted).
func CheckTarget(target string) error {
	if target == "" {
		return nil
	}
	_, err := TargetSpec(target)
	return err
}

// CheckIgnitionVersion says why version is not an output spec hardnode
// produces, or nil ("" is accepted).
func CheckIgnitionVersion(version string) error {
	if version == "" || specIndex(version) >= 0 {
		return nil
	}
	return fmt.Errorf("ignition_version %q: want one of %s", version, acceptedSpecs())
}

// CheckCompression says why compression is not accepted, or nil ("" is
// accepted and means auto).
func CheckCompression(compression string) error {
	if compression == "" || compression == CompressionAuto || compression == CompressionNone {
		return nil
	}
	return fmt.Errorf("compression %q: want %q or %q", compression, CompressionAuto, CompressionNone)
}

func ignitionMaxSpec(minor int) string {
	spec := ignitionStable[0].spec
	for _, row := range ignitionStable {
		if minor >= row.minor {
			spec = row.spec
		}
	}
	return spec
}
