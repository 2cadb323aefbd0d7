// Command seccompgen writes hardnode's seccomp profile (hardnode.json) and
// its list of removals (REMOVED.md) into a directory, derived from Podman's
// default profile.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/hardnode/terraform-provider-hardnode/harden/internal/podmancheck"
)

func main() {
	out := flag.String("out", "../../seccomp", "directory to write hardnode.json and REMOVED.md into")
	flag.Parse()

	profile, removed, err := podmancheck.Derive()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "hardnode.json"), profile, 0o644); err != nil {
		log.Fatalf("write profile: %v", err)
	}
	doc := podmancheck.RemovalsMarkdown(removed)
	if err := os.WriteFile(filepath.Join(*out, "REMOVED.md"), []byte(doc), 0o644); err != nil {
		log.Fatalf("write removals: %v", err)
	}
	log.Printf("wrote %s: removed %d system calls", *out, len(removed))
}
