terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

# Throwaway keys, made with ssh-keygen before the run:
#   ssh-keygen -q -t ed25519 -N "" -f host_key   # the node's host key
#   ssh-keygen -q -t ed25519 -N "" -f admin_key  # the admin's login key
locals {
  host_private = file("${path.module}/host_key")
  host_public  = trimspace(file("${path.module}/host_key.pub"))
  admin_public = trimspace(file("${path.module}/admin_key.pub"))
}

# The node's config, rendered for the stand-in's Ignition 2.14 (spec 3.3.0).
data "hardnode_butane" "node" {
  target  = "ignition-2.14"
  content = <<-EOT
    variant: flatcar
    version: 1.0.0
    passwd:
      users:
        - name: core
          groups: [wheel]
          ssh_authorized_keys: ["${local.admin_public}"]
    storage:
      files:
        - path: /etc/ssh/ssh_host_ed25519_key
          mode: 0600
          overwrite: true
          contents:
            inline: |
              ${indent(10, local.host_private)}
  EOT
}

# Boot the Flatcar-like stand-in that `make standin` builds. For a real
# Flatcar image, set image = "/path/to/flatcar_production_qemu_image.img"
# instead of standin_manifest.
resource "hardnode_test_node" "flatcar" {
  standin_manifest = abspath("${path.module}/../../../build/standin/current/manifest.json")
  os_family        = "flatcar"
  ignition         = data.hardnode_butane.node.rendered
  host_key         = local.host_public
  state_dir        = abspath("${path.module}/.node-flatcar")
  memory           = 512

  # Optional: log in to read the running version, and update in place by
  # changing os_version (the stand-in has 1.0.0, 1.0.1 and 1.0.2-broken).
  ssh_private_key = file("${path.module}/admin_key")
  # os_version    = "1.0.1"
}

output "running_version" {
  value = hardnode_test_node.flatcar.running_version
}

output "ssh" {
  value = "ssh -p ${hardnode_test_node.flatcar.ssh_port} -i admin_key core@${hardnode_test_node.flatcar.host}"
}
