package harden

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/hardnode/terraform-provider-hardnode/butane"
	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// Butane returns the node's hardened Butane config. Invalid input gives
// ValidationErrors.
func Butane(n *Node) ([]byte, error) {
	p, err := newPlan(n)
	if err != nil {
		return nil, err
	}
	return p.butane()
}

// Expectations returns what verification must find on the booted node.
func Expectations(n *Node) (*expect.Document, error) {
	p, err := newPlan(n)
	if err != nil {
		return nil, err
	}
	return p.expectations()
}

// HostPublicKey returns the public half of the node's configured host key in
// authorized_keys format, or "" when the node generates its own.
func HostPublicKey(n *Node) (string, error) {
	if n.SSH.HostKey == "" {
		return "", nil
	}
	return hostPublicKey(n.SSH.HostKey)
}

// RenderOptions are the translation options of Render.
type RenderOptions struct {
	Snippets        [][]byte // Butane documents merged after the hardened config
	IgnitionVersion string   // output spec; empty: from Target, else 3.3.0-compatible default
	Target          string   // such as "flatcar-3510.2.0" or "ignition-2.14"
	PrettyPrint     bool
	Strict          bool
}

// Rendered is a node's config in every form.
type Rendered struct {
	Butane          []byte
	Ignition        []byte
	IgnitionVersion string
	Expectations    *expect.Document
	HostPublicKey   string
	Warnings        []butane.Entry // Butane's warnings
	SnippetWarnings []SnippetWarning
}

// Render builds the Butane config, translates it (with snippets) to
// Ignition and derives the expectations.
func Render(n *Node, opts RenderOptions) (*Rendered, error) {
	if err := n.checkTarget(opts.Target); err != nil {
		return nil, err
	}
	p, err := newPlan(n)
	if err != nil {
		return nil, err
	}
	yml, err := p.butane()
	if err != nil {
		return nil, err
	}
	doc, err := p.expectations()
	if err != nil {
		return nil, err
	}
	out := &Rendered{Butane: yml, Expectations: doc, HostPublicKey: p.hostPub}
	checker := p.snippetChecker()
	for i, s := range opts.Snippets {
		out.SnippetWarnings = append(out.SnippetWarnings, checker.check(i, s)...)
	}
	res, err := butane.Translate(butane.Options{
		Content:         yml,
		Snippets:        opts.Snippets,
		Strict:          opts.Strict,
		PrettyPrint:     opts.PrettyPrint,
		IgnitionVersion: opts.IgnitionVersion,
		Target:          opts.Target,
	})
	if err != nil {
		return nil, fmt.Errorf("translate hardened config: %w", err)
	}
	out.Ignition, out.IgnitionVersion, out.Warnings = res.Rendered, res.IgnitionVersion, res.Warnings
	return out, nil
}

// FlatcarPodmanSysextRelease is the first Flatcar release whose initrd
// fetches the official Podman system extension named in
// enabled-sysext.conf.
const FlatcarPodmanSysextRelease = 3941

var flatcarTargetRE = regexp.MustCompile(`^flatcar-([0-9]+)`)

// checkTarget refuses a Flatcar target that cannot run what the node
// describes: container users need Podman, which older releases lack.
func (n *Node) checkTarget(target string) error {
	m := flatcarTargetRE.FindStringSubmatch(target)
	if m == nil || n.OS != Flatcar || (len(n.ContainerUsers) == 0 && len(n.Podman.Quadlets) == 0) {
		return nil
	}
	release, err := strconv.Atoi(m[1])
	if err != nil || release >= FlatcarPodmanSysextRelease {
		return nil
	}
	return ValidationErrors{{Path: Path{"target"}, Summary: "Flatcar release without the Podman system extension",
		Detail: fmt.Sprintf("%s is older than Flatcar %d, the first release that ships the official Podman "+
			"system extension; container users and Quadlet units need Podman. Target flatcar-%d or later "+
			"(e.g. the current stable or LTS-2024 4081), or remove container_users and podman.quadlets.",
			target, FlatcarPodmanSysextRelease, FlatcarPodmanSysextRelease)}}
}
