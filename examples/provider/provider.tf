terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

# The provider takes no configuration.
provider "hardnode" {}
