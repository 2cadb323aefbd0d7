terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

# A Flatcar node: the main config plus a snippet, rendered for the Ignition of
# Flatcar 3510 (spec 3.3.0) although the variant yields 3.4.0.
data "hardnode_butane" "node" {
  content = <<-EOT
    variant: flatcar
    version: 1.1.0
    passwd:
      users:
        - name: core
          ssh_authorized_keys:
            - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly core@example.com
    storage:
      files:
        - path: /etc/hostname
          mode: 0644
          contents:
            inline: node-1.example.com
  EOT

  snippets = [
    <<-EOT
    variant: flatcar
    version: 1.0.0
    storage:
      files:
        - path: /etc/flatcar/update.conf
          mode: 0644
          overwrite: true
          contents:
            inline: |
              REBOOT_STRATEGY=reboot
              LOCKSMITHD_REBOOT_WINDOW_START=Thu 04:00
              LOCKSMITHD_REBOOT_WINDOW_LENGTH=1h
    EOT
  ]

  target = "flatcar-3510.2.0"
  strict = true
}

output "ignition" {
  value = data.hardnode_butane.node.rendered
}

output "ignition_version" {
  value = data.hardnode_butane.node.ignition_version
}

output "ignition_size" {
  value = data.hardnode_butane.node.rendered_size
}
