#!/usr/bin/env bash
# Builds the Terraform CLI of VERSION from its Go module source into OUTDIR, for
# the acceptance tests that need a newer Terraform than the machine's (resource
# identity needs 1.12+, list resources and `terraform query` 1.14+). Only the Go
# module proxy is used, so it works offline like CI.
#
#   scripts/build-terraform.sh VERSION OUTDIR    (the GNUmakefile's $(TERRAFORM) target)
#
# `go install` of github.com/hashicorp/terraform fails (its go.mod has replace
# directives), and its module zip lacks the nested modules of the remote-state
# backends (azure, consul, cos, gcs, kubernetes, oci, oss, pg, s3) and of
# internal/legacy, which the proxy does not serve. The build therefore runs in a
# writable copy of the module with those dropped; the local, remote, http, inmem
# and cloud backends remain, which is all the tests use.
#
# Terraform 1.6 and later are under the BUSL-1.1 licence: the binary is built
# for local tests into .cache/ (ignored by git) and must never be committed.
set -euo pipefail

version=${1:?usage: build-terraform.sh VERSION OUTDIR}
outdir=${2:?usage: build-terraform.sh VERSION OUTDIR}
go=${GO:-go}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
bin="$outdir/terraform"

if [ -x "$bin" ] && TF_CLI_CONFIG_FILE=/dev/null "$bin" version 2>/dev/null | head -n1 | grep -qx "Terraform ${version}"; then
	exit 0
fi

moddir=$("$go" mod download -json "github.com/hashicorp/terraform@${version}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ ! -d "$moddir" ]; then
	echo "build-terraform: the Go module proxy did not serve github.com/hashicorp/terraform@${version}" >&2
	exit 1
fi

src=$(mktemp -d "${TMPDIR:-/tmp}/terraform-src.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -R "$moddir/." "$src/"
chmod -R u+w "$src"

missing='azure consul cos gcs kubernetes oci oss pg s3'
# go.mod: the require and replace lines of the nested modules the zip lacks.
sed -i -E '\#github\.com/hashicorp/terraform/internal/(backend/remote-state/[a-z0-9]+|legacy)([[:space:]]|$)#d' "$src/go.mod"
# The backend registry: their imports and their entries.
init="$src/internal/backend/init/init.go"
for b in $missing; do
	sed -i -E "\#\"github\.com/hashicorp/terraform/internal/backend/remote-state/${b}\"#d" "$init"
done
sed -i -E '/backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\.New\(\)/d' "$init"

(cd "$src" && GOFLAGS=-mod=mod "$go" build -trimpath \
	-ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
TF_CLI_CONFIG_FILE=/dev/null "$bin" version | head -n1
