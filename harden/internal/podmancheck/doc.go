// Package podmancheck ties hardnode's rendered Podman files to Podman's own
// code: it derives the embedded seccomp profile from
// go.podman.io/common/pkg/seccomp.DefaultProfile, and its tests parse every
// rendered policy.json and registries.conf with containers/image's strict
// parsers. It is a separate module so that the provider's module does not
// carry Podman's dependency tree; harden/podman_strict_test.go runs its tests.
//
// Regenerate the profile (from this directory):
//
//	go run ./cmd/seccompgen -out ../../seccomp
package podmancheck
