#!/usr/bin/env python3
"""The directories Flux and Argo CD apply from a rendered tree, and what they hold.

    applied.py rendered-path ENV_DIR      prints the environments' gitops.repository.renderedPath
    applied.py REPO RENDERED_PATH

REPO is a directory standing for the Git repository, with the rendered tree at
REPO/RENDERED_PATH. Prints one line per directory to build, `DIR<TAB>OBJECTS<TAB>WHY`, with DIR
relative to REPO and OBJECTS the number of YAML documents below it (recursively, as Flux's
generated kustomization takes them):
- every `spec.path` of a Flux Kustomization, every `spec.source(s).path` of an Argo CD
  Application and every literal `path` of an ApplicationSet generator element (Argo CD applies
  these with directory recursion off, so their files must sit in the directory itself);
- every other directory holding YAML (what the operator bootstraps: flux/, argocd/, _fleet/);
- every environment's whole tree, since all of it lands in one cluster: no resource may be
  declared twice across its directories.
Exits 1 when a referenced path does not exist or holds nothing.
"""

import os
import sys

import yaml


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def count(directory, recursive=True):
    n = 0
    for root, dirs, files in os.walk(directory):
        for fn in files:
            if fn.endswith((".yaml", ".yml")):
                n += len(docs(os.path.join(root, fn)))
        if not recursive:
            break
    return n


def paths_in(doc):
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Kustomization" and doc.get("apiVersion", "").startswith("kustomize.toolkit.fluxcd.io/"):
        yield spec.get("path"), "Flux Kustomization " + doc["metadata"]["name"]
    elif kind == "Application":
        for s in [spec.get("source")] + list(spec.get("sources") or []):
            if s and s.get("path"):
                yield s["path"], "Argo CD Application " + doc["metadata"]["name"]
    elif kind == "ApplicationSet":
        for g in spec.get("generators") or []:
            for e in (g.get("list") or {}).get("elements") or []:
                if isinstance(e, dict) and e.get("path"):
                    yield e["path"], "ApplicationSet " + doc["metadata"]["name"] + " element"


def rendered_path(env_dir):
    """The one renderedPath the environment files of ENV_DIR declare (default `rendered`)."""
    found = set()
    for fn in sorted(os.listdir(env_dir)):
        if fn.endswith(".yaml"):
            for doc in docs(os.path.join(env_dir, fn)):
                p = (((doc.get("gitops") or {}).get("repository") or {}).get("renderedPath"))
                if p:
                    found.add(p.strip("/"))
    if len(found) > 1:
        sys.exit(f"applied.py: several renderedPath values in {env_dir}: {sorted(found)}")
    return found.pop() if found else "rendered"


def main():
    if sys.argv[1] == "rendered-path":
        print(rendered_path(sys.argv[2]))
        return
    repo, tree = sys.argv[1], sys.argv[2]
    rendered = os.path.join(repo, tree)
    out, bad = {}, False
    for root, _dirs, files in sorted(os.walk(rendered)):
        for fn in sorted(files):
            if not fn.endswith((".yaml", ".yml")):
                continue
            for doc in docs(os.path.join(root, fn)):
                for p, why in paths_in(doc):
                    if "{{" in p:
                        continue  # a template: its values are the elements above
                    d = os.path.normpath(os.path.join(repo, p))
                    if not os.path.isdir(d) or count(d, recursive=False) == 0:
                        print(f"applied.py: {why} applies {p}, which holds no objects", file=sys.stderr)
                        bad = True
                        continue
                    out.setdefault(os.path.relpath(d, repo), why)
    for root, _dirs, files in sorted(os.walk(rendered)):
        rel = os.path.relpath(root, repo)
        if any(f.endswith((".yaml", ".yml")) for f in files):
            out.setdefault(rel, "a directory of the rendered tree")
    for env in sorted(os.listdir(rendered)):
        d = os.path.join(rendered, env)
        if os.path.isdir(d):
            out.setdefault(os.path.relpath(d, repo) + "/", "the whole tree of one cluster")
    for d, why in sorted(out.items()):
        print(f"{d}\t{count(os.path.join(repo, d))}\t{why}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
