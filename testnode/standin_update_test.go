package testnode

import (
	"context"
	"testing"
	"time"
)

// TestUpdateStandin drives updates on the MicroOS-like stand-in (btrfs
// snapshots) through the Go API: an update that boots the new version, then
// a broken version that the node rolls back from. The Flatcar-like A/B
// stand-in gets the same scenario through Terraform in
// provider.TestAccTestNode_standin.
func TestUpdateStandin(t *testing.T) {
	skipShort(t)
	s, err := LoadStandin(standinManifest(t), MicroOS)
	if err != nil {
		t.Fatal(err)
	}
	hk := newTestHostKey(t)
	signer, loginPub := adminKey(t)
	cfg := s.Apply(Config{StateDir: t.TempDir(), Ignition: ignitionWithHostKey(t, hk, loginPub), HostKey: hk.Public})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	node, err := Start(ctx, cfg, logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = Stop(context.Background(), node.Paths, 0) })
	target := Target{Host: node.Host, Port: node.SSHPort, HostKey: node.HostKey}
	login := Login{User: "core", Signer: signer}

	for _, step := range []struct {
		version, wantRunning string
		wantRollback         bool
	}{
		{"1.0.1", "1.0.1", false},
		{"1.0.2-broken", "1.0.1", true},
	} {
		cmd, err := UpdateCommand(MicroOS, true, step.version)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Update(ctx, node.Paths, target, login, cmd, 10*time.Minute, logProgress(t))
		if err != nil {
			t.Fatalf("update to %s: %v", step.version, err)
		}
		if res.After.Version != step.wantRunning || res.RolledBack(step.version) != step.wantRollback {
			t.Errorf("update to %s: running %s (rolled back: %v), want %s (rolled back: %v)",
				step.version, res.After.Version, res.RolledBack(step.version), step.wantRunning, step.wantRollback)
		}
		if pid, alive := Alive(node.Paths); !alive || pid != node.PID {
			t.Errorf("update to %s: QEMU pid %d alive %v, want the same process %d", step.version, pid, alive, node.PID)
		}
	}
}
