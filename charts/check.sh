#!/usr/bin/env bash
# Checks the Helm chart offline, without a cluster:
#   1. helm lint --strict with each charts/spiegel/ci/*.yaml
#   2. helm template with each, validated against the Kubernetes schemas
#      (kubernetes-validate, strict) and the chart's own security promises
#      (charts/validate_manifests.py)
#   3. negative cases: the chart's defaults alone, and each
#      charts/invalid-values/*.yaml layered over ci/production-values.yaml
#      (or the ci file on its `# base:` line), must be rejected by helm lint
#      and helm template (or those on its `# rejected by:` line), with the
#      message on its `# expect:` line.
#
# Installs what it needs into the git-ignored cache (.cache/ at the repository
# root, or $SPIEGEL_CACHE_DIR): Helm with `go install` (a few minutes, once)
# and kubernetes-validate from PyPI in its own venv (unless the project's
# .venv already has it). Re-runs reuse both. Exits non-zero on any failure.
#
# Environment: HELM=/path/to/helm to use another binary (it must be v3).
set -euo pipefail

HELM_VERSION=v3.21.4
KUBERNETES_VALIDATE_VERSION=1.37.0
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
KUBERNETES_VERSIONS=(1.27.0 1.37.0)
# Custom resources the chart may render; kubernetes-validate has no schema for them.
ALLOWED_CRDS=(PodMonitor)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHARTS="$ROOT/charts"
CHART="$CHARTS/spiegel"
CACHE="${SPIEGEL_CACHE_DIR:-$ROOT/.cache}"
WORK="$CACHE/helm-check"
mkdir -p "$CACHE/bin" "$WORK"

passed=0
failed=0
ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$*"; }
die() { printf 'check.sh: %s\n' "$*" >&2; exit 2; }
rel() { printf '%s' "${1#"$CHARTS"/}"; }
started=$SECONDS

# --- Helm -------------------------------------------------------------------
if [[ -n "${HELM:-}" ]]; then
    helm_bin="$HELM"
else
    helm_bin="$CACHE/bin/helm-$HELM_VERSION"
    if [[ ! -x "$helm_bin" ]]; then
        command -v go >/dev/null || die "Helm $HELM_VERSION is not in $CACHE/bin and Go is not installed to build it"
        echo "== installing Helm $HELM_VERSION with go install (once; takes a few minutes)"
        # CGO off: a static binary, no C toolchain needed. -X: `helm version` tells the truth.
        # Built into a folder of its own and moved into place in one step: another check running
        # at the same time on the same cache (or the `helm` link of an older version) is not
        # written through.
        gobin="$(mktemp -d "$CACHE/bin/.go-install.XXXXXX")"
        (cd "$CACHE" && GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-trimpath \
            go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
            "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") || { rm -rf "$gobin"; die "go install of Helm $HELM_VERSION failed"; }
        mv -f "$gobin/helm" "$helm_bin"
        rm -rf "$gobin"
        ln -sfn "helm-$HELM_VERSION" "$CACHE/bin/helm"
    fi
fi
echo "== $("$helm_bin" version --short 2>/dev/null || echo "helm ?") ($helm_bin)"

# --- kubernetes-validate ----------------------------------------------------
python_bin=""
if [[ -x "$ROOT/.venv/bin/python" ]] && "$ROOT/.venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
    python_bin="$ROOT/.venv/bin/python"
else
    venv="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
    if ! "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
        echo "== installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $venv"
        rm -rf "$venv"
        uv_bin="$(command -v uv || true)"
        [[ -z "$uv_bin" && -x "$CACHE/uv-tool/bin/uv" ]] && uv_bin="$CACHE/uv-tool/bin/uv"
        if [[ -n "$uv_bin" ]]; then
            "$uv_bin" venv --quiet --python 3 "$venv" >/dev/null
            "$uv_bin" pip install --quiet --python "$venv/bin/python" \
                "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
        else
            command -v python3 >/dev/null || die "neither uv nor python3 is installed"
            python3 -m venv "$venv"
            "$venv/bin/pip" install --quiet --disable-pip-version-check \
                "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
        fi
    fi
    python_bin="$venv/bin/python"
fi
echo "== kubernetes-validate $("$python_bin" -c 'import kubernetes_validate as k; print(k.__version__)') ($python_bin)"

ci_files=("$CHART"/ci/*.yaml)
[[ -e "${ci_files[0]}" ]] || die "no CI values in $CHART/ci/"
kube="${KUBERNETES_VERSIONS[-1]}"

# --- 1. lint ------------------------------------------------------------------
echo "== helm lint --strict"
for values in "${ci_files[@]}"; do
    log="$WORK/lint-$(basename "$values" .yaml).log"
    if "$helm_bin" lint --strict --kube-version "$kube" "$CHART" -f "$values" >"$log" 2>&1; then
        ok "$(rel "$values")"
    else
        bad "$(rel "$values")"
        sed 's/^/        /' "$log"
    fi
done

# --- 2. template + validate ------------------------------------------------
echo "== helm template + validate (Kubernetes ${KUBERNETES_VERSIONS[*]})"
validator_args=()
for kind in "${ALLOWED_CRDS[@]}"; do validator_args+=(--allow-crd "$kind"); done
for version in "${KUBERNETES_VERSIONS[@]}"; do validator_args+=(--kubernetes-version "$version"); done
rendered_files=()
for values in "${ci_files[@]}"; do
    name="$(basename "$values" .yaml)"
    rendered="$WORK/rendered-$name.yaml"
    if "$helm_bin" template spiegel "$CHART" --namespace spiegel --kube-version "$kube" \
            -f "$values" >"$rendered" 2>"$WORK/template-$name.log"; then
        rendered_files+=("$rendered")
    else
        bad "$(rel "$values"): helm template failed"
        sed 's/^/        /' "$WORK/template-$name.log"
    fi
done
if ((${#rendered_files[@]})); then
    # One process for all files and versions: loading the schemas is the slow part.
    report="$("$python_bin" "$CHARTS/validate_manifests.py" "${validator_args[@]}" \
        "${rendered_files[@]}" 2>&1)" || true
    for rendered in "${rendered_files[@]}"; do
        values="spiegel/ci/$(basename "$rendered" | sed 's/^rendered-//')"
        for version in "${KUBERNETES_VERSIONS[@]}"; do
            lines="$(grep -F -- " $rendered [$version]" <<<"$report" || true)"
            if [[ -n "$lines" ]] && ! grep -q '^FAIL' <<<"$lines"; then
                ok "$values [Kubernetes $version] ${lines#*]: }"
            else
                bad "$values [Kubernetes $version]"
                lines="${lines:-$report}"
                # The first problems, without the path of the rendered file.
                sed -e "s|^FAIL $rendered \[$version\]: ||" -e 's/^/        /' <<<"$lines" | head -n 8
                count="$(wc -l <<<"$lines")"
                ((count <= 8)) || echo "        ... and $((count - 8)) more (rendered manifests: $rendered)"
            fi
        done
    done
fi

# --- 3. negative cases ------------------------------------------------------
# Schema violations must fail both lint and template; checks that only a
# template can make (`fail`: helm lint merely logs those) must fail template.
echo "== invalid values must be rejected"
expect_rejected() {  # label, expected message, lint|template..., -- helm value args...
    local label="$1" expected="$2"; shift 2
    local commands=()
    while [[ "$1" != "--" ]]; do commands+=("$1"); shift; done
    shift
    local command output problems=()
    for command in "${commands[@]}"; do
        if [[ "$command" == lint ]]; then
            output="$("$helm_bin" lint --strict --kube-version "$kube" "$CHART" "$@" 2>&1)" && {
                problems+=("helm lint accepted it"); continue; }
        else
            output="$("$helm_bin" template spiegel "$CHART" --kube-version "$kube" "$@" 2>&1)" && {
                problems+=("helm template accepted it"); continue; }
        fi
        grep -qF -- "$expected" <<<"$output" || problems+=("helm $command failed without \"$expected\": $(grep -m1 -iE 'error|fail' <<<"$output" || true)")
    done
    if ((${#problems[@]})); then
        local IFS=";"
        bad "$label: ${problems[*]}"
    else
        ok "$label: rejected by ${commands[*]} (\"$expected\")"
    fi
}

expect_rejected "chart defaults alone (Kafka and the JWKS are required)" \
    "/kafka/bootstrapServers" lint template --
for case in "$CHARTS"/invalid-values/*.yaml; do
    expected="$(sed -n 's/^# expect: //p' "$case" | head -n1)"
    stages="$(sed -n 's/^# rejected by: //p' "$case" | head -n1)"
    base="$(sed -n 's/^# base: //p' "$case" | head -n1)"
    [[ -n "$expected" ]] || { bad "$(rel "$case"): no '# expect:' line"; continue; }
    read -r -a stage_list <<<"${stages:-lint template}"
    expect_rejected "$(rel "$case")" "$expected" "${stage_list[@]}" -- \
        -f "$CHART/ci/${base:-production-values.yaml}" -f "$case"
done

echo "== $((SECONDS - started))s; rendered manifests and logs in $WORK"
echo "helm-check: $passed passed, $failed failed"
((failed == 0))
