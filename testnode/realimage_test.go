package testnode

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBootRealImage boots a real Flatcar or MicroOS qcow2 image when its
// path is given in HARDNODE_FLATCAR_IMAGE or HARDNODE_MICROOS_IMAGE (they
// cannot be downloaded on the test machines), with the same checks as the
// stand-in: the pinned host key, a login with the config's user key.
func TestBootRealImage(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		env    string
		family Family
	}{
		{"HARDNODE_FLATCAR_IMAGE", Flatcar},
		{"HARDNODE_MICROOS_IMAGE", MicroOS},
	} {
		t.Run(string(tc.family), func(t *testing.T) {
			image := os.Getenv(tc.env)
			if image == "" {
				t.Skipf("%s is not set: no real %s image to boot", tc.env, tc.family)
			}
			hk := newTestHostKey(t)
			login, loginPub := adminKey(t)
			cfg := Config{
				StateDir: t.TempDir(), Image: image, Family: tc.family,
				Ignition: ignitionWithHostKey(t, hk, loginPub), HostKey: hk.Public,
				MemoryMiB: 2048, BootTimeout: 10 * time.Minute,
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			defer cancel()
			node, err := Start(ctx, cfg, logProgress(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = Stop(context.Background(), node.Paths, time.Minute) })

			out := runSSH(t, node, login, hk.Public, "cat /etc/os-release")
			if !strings.Contains(out, "VERSION=") {
				t.Errorf("no VERSION= in os-release:\n%s", out)
			}
			t.Logf("%s booted:\n%s", tc.family, out)
		})
	}
}
