//go:build tools

// Package tools pins the programs this module builds, so go.mod and go.sum list them.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
