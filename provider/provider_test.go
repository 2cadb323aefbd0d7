package provider

import (
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the real
// terraform binary in acceptance tests.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"hardnode": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck makes sure acceptance tests use the terraform on PATH and
// never download one or phone home.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		tf, err := exec.LookPath("terraform")
		if err != nil {
			t.Fatalf("terraform not on PATH and TF_ACC_TERRAFORM_PATH unset: %v", err)
		}
		t.Setenv("TF_ACC_TERRAFORM_PATH", tf)
	}
	t.Setenv("CHECKPOINT_DISABLE", "1")
}
