package harden

import (
	"fmt"

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
