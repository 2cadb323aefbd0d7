package testnode

import (
	"slices"
	"strings"
	"testing"
)

// argAfter returns every value that follows flag in args.
func argsAfter(args []string, flag string) []string {
	var vals []string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			vals = append(vals, args[i+1])
		}
	}
	return vals
}

func TestArgs(t *testing.T) {
	p := PathsIn("/var/lib/hn/node1")
	kernelCfg := Config{
		StateDir: p.StateDir, Kernel: "/k/vmlinuz", Initrd: "/k/initrd.img",
		KernelArgs: "console=ttyS0 quiet", Ignition: []byte(`{}`), Family: Flatcar,
	}
	drives := []Drive{
		{File: "/img/usr-a.img", Format: "raw", ReadOnly: true, Serial: "usr-a"},
		{File: p.StateDir + "/disk1-overlay.qcow2", Format: "qcow2"},
	}

	tests := []struct {
		name   string
		cfg    Config
		drives []Drive
		want   map[string][]string // flag -> all its values, in order
		absent []string
	}{
		{
			name:   "kernel boot with defaults",
			cfg:    kernelCfg,
			drives: drives,
			want: map[string][]string{
				"-machine": {"q35"},
				"-accel":   {"tcg,tb-size=64"},
				"-cpu":     {"max"},
				"-m":       {"512"},
				"-smp":     {"1"},
				"-display": {"none"},
				"-kernel":  {"/k/vmlinuz"},
				"-initrd":  {"/k/initrd.img"},
				"-append":  {"console=ttyS0 quiet"},
				"-fw_cfg":  {"name=opt/org.flatcar-linux/config,file=/var/lib/hn/node1/ignition.json"},
				"-drive": {
					"if=none,id=disk0,file=/img/usr-a.img,format=raw,readonly=on",
					"if=none,id=disk1,file=/var/lib/hn/node1/disk1-overlay.qcow2,format=qcow2",
				},
				"-netdev":  {"user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22"},
				"-pidfile": {"/var/lib/hn/node1/qemu.pid"},
				"-qmp":     {"unix:/var/lib/hn/node1/qmp.sock,server=on,wait=off"},
				"-chardev": {"file,id=serial0,path=/var/lib/hn/node1/serial.log"},
				"-serial":  {"chardev:serial0"},
				"-device": {
					"virtio-blk-pci,drive=disk0,serial=usr-a",
					"virtio-blk-pci,drive=disk1",
					"virtio-net-pci,netdev=net0,romfile=",
					"virtio-rng-pci,rng=rng0",
				},
			},
		},
		{
			name: "microos family uses the CoreOS key; kvm and sizes as asked",
			cfg: func() Config {
				c := kernelCfg
				c.Family, c.Accelerator, c.MemoryMiB, c.CPUs = MicroOS, KVM, 1024, 2
				return c
			}(),
			want: map[string][]string{
				"-fw_cfg": {"name=opt/com.coreos/config,file=/var/lib/hn/node1/ignition.json"},
				"-accel":  {"kvm"},
				"-m":      {"1024"},
				"-smp":    {"2"},
			},
		},
		{
			name: "image boot: no kernel flags, first disk is the boot disk",
			cfg: Config{StateDir: p.StateDir, Image: "/img/flatcar.qcow2", Family: Flatcar,
				Ignition: []byte(`{}`)},
			drives: []Drive{{File: p.StateDir + "/image-overlay.qcow2", Format: "qcow2"}},
			want: map[string][]string{
				"-device": {
					"virtio-blk-pci,drive=disk0,bootindex=0",
					"virtio-net-pci,netdev=net0,romfile=",
					"virtio-rng-pci,rng=rng0",
				},
			},
			absent: []string{"-kernel", "-initrd", "-append"},
		},
		{
			name:   "no ignition: no fw_cfg",
			cfg:    func() Config { c := kernelCfg; c.Ignition = nil; return c }(),
			absent: []string{"-fw_cfg"},
		},
		{
			name: "commas in paths are doubled",
			cfg: func() Config {
				c := kernelCfg
				c.StateDir = "/tmp/a,b"
				return c
			}(),
			want: map[string][]string{
				"-fw_cfg": {"name=opt/org.flatcar-linux/config,file=/tmp/a,,b/ignition.json"},
				"-qmp":    {"unix:/tmp/a,,b/qmp.sock,server=on,wait=off"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := PathsIn(tt.cfg.StateDir)
			args := Args(tt.cfg, paths, tt.drives, 2222)
			for flag, want := range tt.want {
				if got := argsAfter(args, flag); !slices.Equal(got, want) {
					t.Errorf("%s: got %q, want %q", flag, got, want)
				}
			}
			for _, flag := range tt.absent {
				if slices.Contains(args, flag) {
					t.Errorf("%s present, want absent: %s", flag, strings.Join(args, " "))
				}
			}
			for _, flag := range []string{"-nodefaults", "-daemonize"} {
				if !slices.Contains(args, flag) {
					t.Errorf("%s missing: %s", flag, strings.Join(args, " "))
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Config{StateDir: "/tmp/n", Kernel: "/k", Initrd: "/i", Family: Flatcar}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // "" = valid
	}{
		{"kernel boot", func(*Config) {}, ""},
		{"image boot", func(c *Config) { c.Kernel, c.Initrd, c.Image = "", "", "/x.qcow2" }, ""},
		{"no state dir", func(c *Config) { c.StateDir = "" }, "state_dir is required"},
		{"relative state dir", func(c *Config) { c.StateDir = "rel" }, "absolute path"},
		{"state dir too long", func(c *Config) { c.StateDir = "/" + strings.Repeat("d", 120) }, "too long"},
		{"image and kernel", func(c *Config) { c.Image = "/x.qcow2" }, "not both"},
		{"kernel without initrd", func(c *Config) { c.Initrd = "" }, "set image, or both kernel and initrd"},
		{"kernel args with image", func(c *Config) { c.Kernel, c.Initrd, c.Image, c.KernelArgs = "", "", "/x", "q" },
			"kernel_args needs kernel+initrd"},
		{"unknown family", func(c *Config) { c.Family = "debian" }, `os_family "debian"`},
		{"unknown accelerator", func(c *Config) { c.Accelerator = "hvf" }, `accelerator "hvf"`},
		{"too little memory", func(c *Config) { c.MemoryMiB = 32 }, "64 MiB minimum"},
		{"disk without path", func(c *Config) { c.Disks = []Disk{{}} }, "disk 0 has no path"},
		{"serial with comma", func(c *Config) { c.Disks = []Disk{{Path: "/d", Serial: "a,b"}} }, "serial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
