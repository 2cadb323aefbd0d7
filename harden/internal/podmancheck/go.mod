module github.com/hardnode/terraform-provider-hardnode/harden/internal/podmancheck

go 1.26.0

require go.podman.io/common v0.66.0

require (
	github.com/opencontainers/runtime-spec v1.3.0 // indirect
	github.com/seccomp/libseccomp-golang v0.11.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/hardnode/terraform-provider-hardnode => ../../..
