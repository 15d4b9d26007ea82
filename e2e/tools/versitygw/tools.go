//go:build tools

// Package tools pins the programs this module builds, so go.mod and go.sum list them.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
