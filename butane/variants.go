package butane

import (
	"fmt"
	"strings"

	fcos1_0 "github.com/coreos/butane/config/fcos/v1_0"
	fcos1_1 "github.com/coreos/butane/config/fcos/v1_1"
	fcos1_2 "github.com/coreos/butane/config/fcos/v1_2"
	fcos1_3 "github.com/coreos/butane/config/fcos/v1_3"
	fcos1_4 "github.com/coreos/butane/config/fcos/v1_4"
	fcos1_5 "github.com/coreos/butane/config/fcos/v1_5"
	fcos1_6 "github.com/coreos/butane/config/fcos/v1_6"
	fcos1_7 "github.com/coreos/butane/config/fcos/v1_7"
	fcos1_8_exp "github.com/coreos/butane/config/fcos/v1_8_exp"
	fiot1_0 "github.com/coreos/butane/config/fiot/v1_0"
	fiot1_1_exp "github.com/coreos/butane/config/fiot/v1_1_exp"
	flatcar1_0 "github.com/coreos/butane/config/flatcar/v1_0"
	flatcar1_1 "github.com/coreos/butane/config/flatcar/v1_1"
	flatcar1_2_exp "github.com/coreos/butane/config/flatcar/v1_2_exp"
	r4e1_0 "github.com/coreos/butane/config/r4e/v1_0"
	r4e1_1 "github.com/coreos/butane/config/r4e/v1_1"
	r4e1_2_exp "github.com/coreos/butane/config/r4e/v1_2_exp"
)

// variantSpec is one Butane variant version that hardnode can translate,
// with the Ignition spec it produces natively.
type variantSpec struct {
	variant   string
	version   string
	spec      string     // Ignition spec produced, e.g. "3.4.0"
	newConfig func() any // a pointer to a zero Butane config of that version
}

// method is the name of the per-version translation method that returns the
// Ignition config together with its translation set, without validation.
func (v variantSpec) method() string {
	numbers := strings.SplitN(strings.TrimSuffix(v.spec, "-experimental"), ".", 3)
	return "ToIgn" + numbers[0] + "_" + numbers[1] + "Unvalidated"
}

// variants lists every Butane variant version hardnode serves. OpenShift is
// left out on purpose: it produces MachineConfig objects, not Ignition.
var variants = []variantSpec{
	{"fcos", "1.0.0", "3.0.0", func() any { return &fcos1_0.Config{} }},
	{"fcos", "1.1.0", "3.1.0", func() any { return &fcos1_1.Config{} }},
	{"fcos", "1.2.0", "3.2.0", func() any { return &fcos1_2.Config{} }},
	{"fcos", "1.3.0", "3.2.0", func() any { return &fcos1_3.Config{} }},
	{"fcos", "1.4.0", "3.3.0", func() any { return &fcos1_4.Config{} }},
	{"fcos", "1.5.0", "3.4.0", func() any { return &fcos1_5.Config{} }},
	{"fcos", "1.6.0", "3.5.0", func() any { return &fcos1_6.Config{} }},
	{"fcos", "1.7.0", "3.6.0", func() any { return &fcos1_7.Config{} }},
	{"fcos", "1.8.0-experimental", "3.7.0-experimental", func() any { return &fcos1_8_exp.Config{} }},
	{"flatcar", "1.0.0", "3.3.0", func() any { return &flatcar1_0.Config{} }},
	{"flatcar", "1.1.0", "3.4.0", func() any { return &flatcar1_1.Config{} }},
	{"flatcar", "1.2.0-experimental", "3.7.0-experimental", func() any { return &flatcar1_2_exp.Config{} }},
	{"r4e", "1.0.0", "3.3.0", func() any { return &r4e1_0.Config{} }},
	{"r4e", "1.1.0", "3.4.0", func() any { return &r4e1_1.Config{} }},
	{"r4e", "1.2.0-experimental", "3.7.0-experimental", func() any { return &r4e1_2_exp.Config{} }},
	{"fiot", "1.0.0", "3.4.0", func() any { return &fiot1_0.Config{} }},
	{"fiot", "1.1.0-experimental", "3.7.0-experimental", func() any { return &fiot1_1_exp.Config{} }},
}

// errNoTranslator has Butane's own wording, so that messages match the
// Butane command line tool.
func errNoTranslator(variant, version string) error {
	return fmt.Errorf("No translator exists for variant %s with version %s", variant, version) //nolint:staticcheck // ST1005: Butane's wording
}

// lookupVariant finds the translator of a variant and (normalized) version.
func lookupVariant(variant, version string) (variantSpec, error) {
	for _, v := range variants {
		if v.variant == variant && v.version == version {
			return v, nil
		}
	}
	if variant == "openshift" || variant == "rhcos" {
		return variantSpec{}, fmt.Errorf("variant %s is not supported by hardnode: "+
			"it does not produce a plain Ignition config", variant)
	}
	return variantSpec{}, errNoTranslator(variant, version)
}

// knownVariant reports whether hardnode serves any version of variant.
func knownVariant(variant string) bool {
	for _, v := range variants {
		if v.variant == variant {
			return true
		}
	}
	return false
}
