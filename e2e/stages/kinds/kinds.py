#!/usr/bin/env python3
"""Core kinds of a rendered tree, checked against the real schemas.

    kinds.py RENDERED PRB_CRD VERSION...

- every object that is not Velero, Flux or Argo CD (those are the conformance checker's) and not
  a PrometheusRule is validated strictly (unknown fields rejected) with kubernetes-validate
  against the Kubernetes OpenAPI schemas of each VERSION (e.g. 1.33);
- every PrometheusRule against the openAPIV3Schema of the prometheus-operator CRD PRB_CRD, made
  strict the way `kubectl apply --validate=strict` is (unknown fields are errors, except where
  the schema preserves them);
- every pod template (CronJob, Job, Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod) meets
  the Pod Security Standards `restricted` profile, control by control as published
  (kubernetes.io/docs/concepts/security/pod-security-standards, baseline + restricted);
- a kind nobody checks is an error, so a new kind cannot slip through.

Prints one line per object checked; exits 1 on any failure.
"""

import copy
import functools
import os
import sys

import jsonschema
import kubernetes_validate
from kubernetes_validate import utils as kv

# kubernetes-validate reads and parses each schema file (the definitions are megabytes) on every
# call; the files do not change during a run.
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)
import yaml

CHECKED_ELSEWHERE = ("velero.io/", "helm.toolkit.fluxcd.io/", "source.toolkit.fluxcd.io/",
                     "kustomize.toolkit.fluxcd.io/", "argoproj.io/")
CORE_GROUPS = ("v1", "batch/", "rbac.authorization.k8s.io/", "apps/", "networking.k8s.io/",
               "policy/", "admissionregistration.k8s.io/", "coordination.k8s.io/")

failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")
    print(f"FAIL {where}: {msg}", file=sys.stderr)


def load(rendered):
    for root, _dirs, files in sorted(os.walk(rendered)):
        for fn in sorted(files):
            if fn.endswith((".yaml", ".yml")):
                path = os.path.join(root, fn)
                with open(path) as f:
                    for i, doc in enumerate(yaml.safe_load_all(f)):
                        if doc is not None:
                            yield f"{os.path.relpath(path, rendered)}#{i}", doc


def strict(schema):
    """The CRD schema with additionalProperties: false wherever the API server would prune."""
    s = copy.deepcopy(schema)

    def walk(n):
        if isinstance(n, dict):
            if (n.get("type") == "object" and "properties" in n and "additionalProperties" not in n
                    and not n.get("x-kubernetes-preserve-unknown-fields")):
                n["additionalProperties"] = False
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(s)
    return s


# ---- Pod Security Standards, restricted (includes baseline) ----------------------------------

BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                      "persistentVolumeClaim", "projected", "secret"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def pod_templates(doc):
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Pod":
        yield "spec", doc.get("metadata") or {}, spec
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        t = spec.get("template") or {}
        yield "spec.template.spec", t.get("metadata") or {}, t.get("spec") or {}
    elif kind == "CronJob":
        t = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        yield "spec.jobTemplate.spec.template.spec", t.get("metadata") or {}, t.get("spec") or {}


def restricted(where, meta, pod):
    bad = []
    psc = pod.get("securityContext") or {}
    containers = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(pod.get(field) or []):
            containers.append((f"{field}[{i}]({c.get('name')})", c, c.get("securityContext") or {}))
    if not pod.get("containers"):
        bad.append("no containers")
    # baseline: HostProcess
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        bad.append("securityContext.windowsOptions.hostProcess")
    # baseline: host namespaces
    for f in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(f):
            bad.append(f"{f}: true")
    # baseline: hostPath volumes; restricted: volume types
    for v in pod.get("volumes") or []:
        kinds = set(v) - {"name"}
        if "hostPath" in kinds:
            bad.append(f"volume {v.get('name')}: hostPath")
        for k in kinds - RESTRICTED_VOLUMES:
            bad.append(f"volume {v.get('name')}: type {k} is not allowed by restricted")
    # baseline: sysctls
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            bad.append(f"sysctl {s.get('name')}")
    # baseline: AppArmor (annotations and fields)
    for k, v in (meta.get("annotations") or {}).items():
        if k.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
                v == "runtime/default" or v.startswith("localhost/")):
            bad.append(f"annotation {k}: {v}")

    def apparmor(ctx, sc):
        t = (sc.get("appArmorProfile") or {}).get("type")
        if t not in (None, "RuntimeDefault", "Localhost"):
            bad.append(f"{ctx}appArmorProfile.type: {t}")

    def selinux(ctx, sc):
        o = sc.get("seLinuxOptions") or {}
        if o.get("type", "") not in SELINUX_TYPES:
            bad.append(f"{ctx}seLinuxOptions.type: {o.get('type')}")
        for f in ("user", "role"):
            if o.get(f):
                bad.append(f"{ctx}seLinuxOptions.{f} is set")

    apparmor("securityContext.", psc)
    selinux("securityContext.", psc)
    # restricted: seccomp
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        bad.append(f"securityContext.seccompProfile.type: {pod_seccomp}")
    # restricted: running as non-root, non-root user
    pod_nonroot = psc.get("runAsNonRoot")
    if pod_nonroot is False:
        bad.append("securityContext.runAsNonRoot: false")
    if psc.get("runAsUser") == 0:
        bad.append("securityContext.runAsUser: 0")
    for name, c, sc in containers:
        ctx = f"{name}.securityContext."
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            bad.append(f"{ctx}windowsOptions.hostProcess")
        if sc.get("privileged"):
            bad.append(f"{ctx}privileged: true")
        caps = sc.get("capabilities") or {}
        for cap in caps.get("add") or []:
            if cap not in BASELINE_CAPS:
                bad.append(f"{ctx}capabilities.add {cap} (baseline)")
            if cap != "NET_BIND_SERVICE":
                bad.append(f"{ctx}capabilities.add {cap} (restricted allows NET_BIND_SERVICE only)")
        if "ALL" not in (caps.get("drop") or []):
            bad.append(f"{ctx}capabilities.drop must include ALL")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                bad.append(f"{name}.ports: hostPort {p['hostPort']}")
        apparmor(ctx, sc)
        selinux(ctx, sc)
        if sc.get("procMount", "Default") != "Default":
            bad.append(f"{ctx}procMount: {sc.get('procMount')}")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"{ctx}allowPrivilegeEscalation must be false")
        t = (sc.get("seccompProfile") or {}).get("type")
        if t is None and pod_seccomp is None:
            bad.append(f"{ctx}seccompProfile: neither the pod nor the container sets RuntimeDefault or Localhost")
        elif t not in (None, "RuntimeDefault", "Localhost"):
            bad.append(f"{ctx}seccompProfile.type: {t}")
        nonroot = sc.get("runAsNonRoot")
        if nonroot is False or (nonroot is None and pod_nonroot is not True):
            bad.append(f"{ctx}runAsNonRoot: must be true (here or in the pod's securityContext)")
        if sc.get("runAsUser") == 0:
            bad.append(f"{ctx}runAsUser: 0")
    for b in bad:
        fail(where, f"Pod Security restricted: {b}")
    return not bad


def main():
    rendered, crd_path, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not versions:
        sys.exit("kinds.py: no Kubernetes versions given")
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    served = [v for v in crd["spec"]["versions"] if v.get("served")]
    prb = {f"{crd['spec']['group']}/{v['name']}": strict(v["schema"]["openAPIV3Schema"]) for v in served}
    counts = {"core": 0, "prometheusrule": 0, "pods": 0, "elsewhere": 0}
    for where, doc in load(rendered):
        api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
        if api.startswith(CHECKED_ELSEWHERE):
            counts["elsewhere"] += 1
            continue
        if kind == "PrometheusRule":
            schema = prb.get(api)
            if schema is None:
                fail(where, f"PrometheusRule {api} is not served by the CRD")
                continue
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
            for e in errors:
                fail(where, f"PrometheusRule schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
            if not errors:
                print(f"ok   {where}: {kind} against the prometheus-operator CRD (strict)")
            counts["prometheusrule"] += 1
            continue
        if not api.startswith(CORE_GROUPS):
            fail(where, f"{api} {kind}: no schema checks this kind (add it to a stage)")
            continue
        ok = True
        for v in versions:
            try:
                kubernetes_validate.validate(doc, v, strict=True)
            except kv.ValidationError as e:
                ok = False
                fail(where, f"{kind} on Kubernetes {v}: {'/'.join(map(str, e.path))}: {e.message}")
            except (kv.SchemaNotFoundError, kv.VersionNotSupportedError) as e:
                ok = False
                fail(where, f"{kind} on Kubernetes {v}: no schema for {api} {kind} ({type(e).__name__})")
        if ok:
            print(f"ok   {where}: {kind} strict on Kubernetes {', '.join(versions)}")
        counts["core"] += 1
        for path, meta, pod in pod_templates(doc):
            counts["pods"] += 1
            if restricted(f"{where} {path}", meta, pod):
                print(f"ok   {where}: {kind} {path} meets Pod Security restricted")
    print(f"     {counts['core']} core objects, {counts['prometheusrule']} PrometheusRules, "
          f"{counts['pods']} pod templates; {counts['elsewhere']} Velero/Flux/Argo CD objects left to the conformance checker")
    if counts["core"] == 0:
        fail(rendered, "no core objects: nothing was checked")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
