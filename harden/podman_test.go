package harden

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestRegistriesD: every sigstore scope, and only those, turns on sigstore
// attachments; a scope with a lookaside gets it; in YAML that
// containers/image's registries.d layout reads.
func TestRegistriesD(t *testing.T) {
	n := testNodes()[1].node(t) // one sigstore and one gpg scope
	var doc struct {
		Docker map[string]struct {
			UseSigstoreAttachments bool   `yaml:"use-sigstore-attachments"`
			Lookaside              string `yaml:"lookaside"`
		} `yaml:"docker"`
	}
	if err := yaml.Unmarshal([]byte(n.registriesD()), &doc); err != nil {
		t.Fatalf("registries.d is not YAML: %v", err)
	}
	gpg := doc.Docker["quay.io/acme/batch"]
	if len(doc.Docker) != 2 || !doc.Docker["ghcr.io/acme"].UseSigstoreAttachments ||
		gpg.UseSigstoreAttachments || gpg.Lookaside != "https://sigs.example.internal/quay" {
		t.Fatalf("registries.d %+v, want ghcr.io/acme with attachments, quay.io/acme/batch with its lookaside", doc.Docker)
	}
	if testNodes()[0].node(t).registriesD() != "" {
		t.Fatal("registries.d written without any sigstore scope or lookaside")
	}
}

// TestPolicyJSONShape: reject by default, one requirement per scope with
// exactly one key source, of the scope's type.
func TestPolicyJSONShape(t *testing.T) {
	n := testNodes()[1].node(t)
	out, err := n.policyJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Default) != 1 || doc.Default[0].Type != "reject" {
		t.Fatalf("default %+v, want reject", doc.Default)
	}
	want := map[string]string{"ghcr.io/acme": "sigstoreSigned", "quay.io/acme/batch": "signedBy"}
	for scope, typ := range want {
		reqs := doc.Transports["docker"][scope]
		if len(reqs) != 1 || reqs[0].Type != typ || !strings.HasPrefix(reqs[0].KeyPath, TrustKeyDir+"/") {
			t.Errorf("%s: %+v, want one %s with a key path", scope, reqs, typ)
		}
	}
}

// TestQuadletHardening: the unit carries every hardening key.
func TestQuadletHardening(t *testing.T) {
	n := testNodes()[1].node(t)
	unit := n.quadletUnit(n.Podman.Quadlets[0])
	for _, line := range []string{"NoNewPrivileges=true", "ReadOnly=true", "DropCapability=all", "UserNS=auto",
		"AddCapability=NET_BIND_SERVICE", "Image=ghcr.io/acme/web:1.4.2", "WantedBy=default.target"} {
		if !strings.Contains(unit, "\n"+line+"\n") {
			t.Errorf("quadlet lacks %q:\n%s", line, unit)
		}
	}
}
