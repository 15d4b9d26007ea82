module ck8s-gen.io/e2e/gotemplate

go 1.22
