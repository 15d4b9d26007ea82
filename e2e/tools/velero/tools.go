//go:build tools

// Package tools pins the programs this module builds, so go.mod and go.sum list them.
package tools

import (
	_ "github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws"
	_ "github.com/vmware-tanzu/velero/cmd/velero"
)
