"""A stateful stand-in for `kubectl` and the API server behind it, for the restore-test script.

It answers exactly the calls the script makes (the stage README lists them) and rejects every
other verb or flag with exit status 3, so the script cannot start using a call this simulation
does not know. State lives in $FAKE_STATE/state.json (namespaces with labels, Restores with a
phase plan, the history ConfigMap) and every call is appended to state["events"].

Velero is simulated by the Restore's plan: each `get` of a Restore advances one step, a step
may set the phase and counters and create scratch namespaces. A namespace deleted while its
Restore is not finished is re-created on the next step, as Velero would, and the deletion is
recorded as an event `deleted-while-restoring` (the stage asserts there is none).
"""

import fcntl
import json
import os
import re
import sys
import time

TERMINAL = {"Completed", "PartiallyFailed", "Failed", "FailedValidation"}
STATE_DIR = os.environ["FAKE_STATE"]
STATE = os.path.join(STATE_DIR, "state.json")


def die(message, code=1):
    sys.stderr.write(f"Error from server: {message}\n")
    sys.exit(code)


def unsupported(args):
    sys.stderr.write(f"fake kubectl: unsupported call: {args!r}\n")
    sys.exit(3)


def jsonpath(template, obj):
    """The subset of kubectl's JSONPath the script uses: {.a.b}, {range .items[*]}…{end}, {"\\n"}."""

    def field(path, o):
        for part in path.strip(".").split("."):
            if not isinstance(o, dict) or part not in o:
                return ""
            o = o[part]
        return str(o)

    def render(t, o):
        out, i = [], 0
        while i < len(t):
            if t[i] != "{":
                j = t.find("{", i)
                j = len(t) if j < 0 else j
                out.append(t[i:j])
                i = j
                continue
            j = t.index("}", i)
            expr = t[i + 1 : j]
            if expr.startswith("range "):
                end = t.index("{end}", j)
                body = t[j + 1 : end]
                items = o.get(expr[len("range ") :].replace("[*]", "").strip("."), [])
                out.extend(render(body, item) for item in items)
                i = end + len("{end}")
                continue
            if expr.startswith('"'):
                out.append(json.loads(expr))
            elif expr.startswith("."):
                out.append(field(expr, o))
            else:
                unsupported(["jsonpath", expr])
            i = j + 1
        return "".join(out)

    return render(template, obj)


def step_restore(state, name):
    """Velero, one step: apply the next step of the Restore's plan."""
    r = state["restores"][name]
    plan = r.get("plan", [])
    if r["step"] < len(plan):
        step = plan[r["step"]]
        r["step"] += 1
        for ns in step.get("createNamespaces", []):
            if ns not in state["namespaces"]:
                state["namespaces"][ns] = {"labels": {}, "deleting": 0}
                state["events"].append({"event": "velero-created-namespace", "namespace": ns, "restore": name})
        status = r.setdefault("status", {})
        if "phase" in step:
            status["phase"] = step["phase"]
            state["events"].append({"event": "phase", "restore": name, "phase": step["phase"]})
        for key in ("itemsRestored", "totalItems"):
            if key in step:
                status.setdefault("progress", {})[key] = step[key]
        for key in ("warnings", "errors"):
            if key in step:
                status[key] = step[key]
        if step.get("backupName"):
            r["spec"]["backupName"] = step["backupName"]
    # Velero re-creates a copy deleted while the restore still runs.
    if r.get("status", {}).get("phase") not in TERMINAL:
        for ns in r.get("mapsTo", []):
            if ns not in state["namespaces"] and ns in r.get("created", []):
                state["namespaces"][ns] = {"labels": {}, "deleting": 0}
                state["events"].append({"event": "velero-recreated-namespace", "namespace": ns})
    r["created"] = sorted(set(r.get("created", [])) | {n for n in r.get("mapsTo", []) if n in state["namespaces"]})


def running_restore(state):
    return [n for n, r in state["restores"].items() if r.get("status", {}).get("phase") not in TERMINAL]


def main(state, argv):
    args, namespace, output, ignore_not_found, selector, extra = [], None, None, False, None, {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--request-timeout="):
            extra["request-timeout"] = a.split("=", 1)[1]
        elif a in ("-n", "--namespace"):
            i += 1
            namespace = argv[i]
        elif a == "-o":
            i += 1
            output = argv[i]
        elif a == "--ignore-not-found":
            ignore_not_found = True
        elif a == "-l":
            i += 1
            selector = argv[i]
        elif a in ("-f", "-p", "--type"):
            i += 1
            extra[a] = argv[i]
        elif a in ("--wait=false", "--overwrite"):
            extra[a] = True
        elif a.startswith("-"):
            unsupported(argv)
        else:
            args.append(a)
        i += 1
    state["events"].append({"event": "call", "argv": argv})
    if extra.get("request-timeout") is None:
        die("fake kubectl: every call must bound itself with --request-timeout", 4)
    verb = args[0] if args else ""
    fail = state["scenario"].get("fail", {})

    if verb == "get" and args[1:2] == ["restores"] and len(args) == 2:
        if namespace != state["veleroNamespace"] or selector != "ck8s-gen.io/restore-test=true":
            unsupported(argv)
        items = []
        for name, r in sorted(state["restores"].items()):
            if r.get("status", {}).get("phase") not in TERMINAL:
                step_restore(state, name)
            items.append({"metadata": {"name": name}, "status": r.get("status", {})})
        print(jsonpath(output.split("=", 1)[1], {"items": items}), end="")
        return 0
    if verb == "get" and len(args) == 2 and args[1].startswith("restore.velero.io/"):
        name = args[1].split("/", 1)[1]
        if namespace != state["veleroNamespace"] or name not in state["restores"]:
            die(f'restores.velero.io "{name}" not found')
        step_restore(state, name)
        r = state["restores"][name]
        print(jsonpath(output.split("=", 1)[1], r), end="")
        return 0
    if verb == "create" and args[1:] == [] and "-f" in extra and output == "name":
        if fail.get("create"):
            die(fail["create"])
        text = open(extra["-f"]).read()
        if "kind: Restore" not in text or "generateName: restore-test-" not in text:
            die("fake kubectl: the file is not the restore test's Restore")
        name = "restore-test-" + format(len(state["restores"]) + 1, "05d")
        plan = state["scenario"]["plan"]
        state["restores"][name] = {
            "metadata": {"name": name, "labels": {"ck8s-gen.io/restore-test": "true"}},
            "spec": {"scheduleName": "velero-daily-backup"},
            "plan": plan,
            "step": 0,
            "mapsTo": state["scenario"]["scratch"],
        }
        state["events"].append({"event": "created-restore", "restore": name})
        print(f"restore.velero.io/{name}")
        return 0
    if verb == "get" and args[1:2] == ["namespace"] and len(args) == 3 and output == "name" and ignore_not_found:
        ns = state["namespaces"].get(args[2])
        if ns is not None and ns["deleting"] > 0:
            ns["deleting"] -= 1
            if ns["deleting"] == 0 and not fail.get("stuckNamespace"):
                del state["namespaces"][args[2]]
                state["events"].append({"event": "namespace-gone", "namespace": args[2]})
                ns = None
        if ns is not None:
            print(f"namespace/{args[2]}")
        return 0
    if verb == "label" and args[1:2] == ["namespace"] and len(args) >= 4 and extra.get("--overwrite"):
        ns = state["namespaces"].get(args[2])
        if ns is None:
            die(f'namespaces "{args[2]}" not found')
        for kv in args[3:]:
            k, v = kv.split("=", 1)
            ns["labels"][k] = v
        state["events"].append({"event": "labelled", "namespace": args[2], "labels": args[3:]})
        print(f"namespace/{args[2]} labeled")
        return 0
    if verb == "delete" and args[1:2] == ["namespace"] and len(args) >= 3 and extra.get("--wait=false") and ignore_not_found:
        if fail.get("deleteNamespace"):
            die(fail["deleteNamespace"])
        running = running_restore(state)
        for name in args[2:]:
            ns = state["namespaces"].get(name)
            if ns is None:
                continue
            if running:
                state["events"].append({"event": "deleted-while-restoring", "namespace": name, "restores": running})
            ns["deleting"] = ns["deleting"] or 2
            state["events"].append({"event": "deleting-namespace", "namespace": name})
            print(f'namespace "{name}" deleted')
        return 0
    if verb == "get" and args[1:] == ["configmap", state["historyConfigMap"]] and output == "jsonpath={.data.history}":
        if fail.get("history"):
            die(fail["history"])
        print(state["history"], end="")
        return 0
    if verb == "patch" and args[1:] == ["configmap", state["historyConfigMap"]] and extra.get("--type") == "merge":
        patch = json.loads(extra["-p"])  # the script must send valid JSON
        if set(patch) != {"data"} or set(patch["data"]) != {"history"}:
            die("fake kubectl: the patch touches more than data.history")
        state["history"] = patch["data"]["history"]
        state["events"].append({"event": "history-written"})
        print(f"configmap/{args[2]} patched")
        return 0
    unsupported(argv)


if __name__ == "__main__":
    with open(STATE + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(STATE) as f:
            state = json.load(f)
        state["events"].append({"event": "pid", "pid": os.getpid(), "time": time.time()})
        code = 0
        try:
            code = main(state, sys.argv[1:]) or 0
        except SystemExit as e:
            code = e.code
        with open(STATE + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(STATE + ".tmp", STATE)
    sys.exit(code)
