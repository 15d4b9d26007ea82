"""Runs the rendered restore-test script (the real bytes from the rendered ConfigMap) under
busybox sh as PID 1 of its own PID namespace and under dash, against fake-kubectl.py, through
every scenario, and asserts the outcome: exit status, the simulated API's final state, the
order of events, the history record, and that no process is left running.

Usage: scenarios.py RENDERED_DIR [--full]   (--full: every scenario on the first environment;
otherwise, and on the others, a pass, a missing copy and SIGTERM)
"""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake-kubectl.py")
BOUND = 120  # seconds: no single run may take longer
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print(f"  FAIL {what}")


def load(path):
    with open(path) as f:
        return list(yaml.safe_load_all(f))[-1]


def rendered_tests(root):
    """(environment, script bytes, restore.yaml, env vars, CronJob) of every rendered restore test."""
    out = []
    for cm_path in sorted(glob.glob(os.path.join(root, "*", "manifests", "configmap-velero-restore-test.yaml"))):
        env = cm_path.split(os.sep)[-3]
        cm = load(cm_path)
        cj = load(os.path.join(os.path.dirname(cm_path), "cronjob-velero-restore-test.yaml"))
        pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env_vars = {e["name"]: e["value"] for e in container["env"]}
        out.append((env, cm["data"]["restore-test.sh"], cm["data"]["restore.yaml"], env_vars, cj, cm_path))
    return out


def static_checks(env, script_path, cj, env_vars, manifests):
    print(f"== {env}: static checks of the rendered script")
    for cmd in (["shellcheck", "-s", "sh", script_path], ["dash", "-n", script_path], ["busybox", "sh", "-n", script_path]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=BOUND)
        check(r.returncode == 0, f"{env}: {' '.join(cmd[:-1])} passes: {r.stdout}{r.stderr}")
    job = cj["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    container = pod["containers"][0]
    check(container["command"] == ["/bin/sh", "/etc/restore-test/restore-test.sh"], f"{env}: the container runs the mounted script with /bin/sh")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    check(mounts.get("/etc/restore-test") == "restore-test", f"{env}: the ConfigMap is mounted where RESTORE_FILE defaults to")
    check(pod.get("shareProcessNamespace") is True, f"{env}: the shell is not PID 1 (shareProcessNamespace)")
    deadline = job["activeDeadlineSeconds"]
    grace = pod.get("terminationGracePeriodSeconds", 30)
    need = int(env_vars["ABORT_WAIT"]) + int(env_vars["CLEANUP_TIMEOUT"])
    check(grace > need, f"{env}: terminationGracePeriodSeconds {grace} leaves time for ABORT_WAIT + CLEANUP_TIMEOUT = {need}")
    check(int(env_vars["RESTORE_TIMEOUT"]) < deadline, f"{env}: the script gives up (RESTORE_TIMEOUT) before the Job's deadline {deadline}")
    check(int(env_vars["MIN_ITEMS"]) > len(env_vars["SCRATCH_NAMESPACES"].split()), f"{env}: MIN_ITEMS needs more than the Namespace objects")
    history = os.path.join(manifests, "configmap-ck8s-restore-test-history.yaml")
    check(os.path.exists(history), f"{env}: the history ConfigMap is rendered")
    role = load(os.path.join(manifests, "role-velero-restore-test.yaml"))
    for rule in role["rules"]:
        if rule["resources"] == ["configmaps"]:
            check(rule.get("resourceNames") == ["ck8s-restore-test-history"], f"{env}: the Role reaches only the history ConfigMap")
            check("create" not in rule["verbs"] and "delete" not in rule["verbs"], f"{env}: the history ConfigMap cannot be created or deleted by the test")
        if rule["resources"] == ["restores"]:
            check("delete" not in rule["verbs"] and "update" not in rule["verbs"] and "patch" not in rule["verbs"],
                  f"{env}: the test cannot change or delete Restores (evidence)")
    vap = glob.glob(os.path.join(manifests, "validatingadmissionpolicy-*.yaml"))
    check(len(vap) == 1, f"{env}: a ValidatingAdmissionPolicy restricts the Restores the test may create")


def busybox_bin(root):
    d = os.path.join(root, "busybox-bin")
    if not os.path.isdir(d):
        os.makedirs(d)
        subprocess.run(["busybox", "--install", "-s", d], check=True, timeout=BOUND)
    return d


SHELLS = {
    # name: (argv prefix, PID 1 in its own PID namespace)
    "busybox-pid1": ([shutil.which("unshare"), "--pid", "--fork", "--mount-proc", shutil.which("busybox"), "sh"], True),
    "dash": ([shutil.which("dash")], False),
}


def init_state(state_dir, env_vars, scenario, history):
    scratch = env_vars["SCRATCH_NAMESPACES"].split()
    state = {
        "veleroNamespace": env_vars["VELERO_NAMESPACE"],
        "historyConfigMap": env_vars["HISTORY_CONFIGMAP"],
        "history": history,
        "namespaces": {ns: {"labels": {}, "deleting": 0} for ns in scenario.get("leftover", [])},
        "restores": {},
        "events": [],
        "scenario": {"plan": scenario["plan"], "scratch": scratch, "fail": scenario.get("fail", {})},
    }
    for name, plan in scenario.get("earlier", {}).items():
        state["restores"][name] = {"metadata": {"name": name}, "spec": {}, "plan": plan, "step": 0, "mapsTo": scratch,
                                   "status": {"phase": "InProgress"}}
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(state, f)


def read_state(state_dir):
    with open(os.path.join(state_dir, "state.json")) as f:
        return json.load(f)


def leftover_processes(marker):
    found = []
    for environ in glob.glob("/proc/[0-9]*/environ"):
        try:
            with open(environ, "rb") as f:
                if marker.encode() in f.read():
                    found.append(environ.split("/")[2])
        except OSError:
            pass
    return found


def pid1_of(unshare_pid):
    """The host PID of the shell that is PID 1 inside unshare's new PID namespace."""
    for _ in range(100):
        try:
            with open(f"/proc/{unshare_pid}/task/{unshare_pid}/children") as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.05)
    return None


def run_one(work, shell, script_path, restore_path, env_vars, scenario, history=""):
    state_dir = tempfile.mkdtemp(dir=work)
    fake_bin = os.path.join(state_dir, "bin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "kubectl"), "w") as f:
        f.write(f"#!{sys.executable}\n" + open(FAKE).read())
    os.chmod(os.path.join(fake_bin, "kubectl"), 0o755)
    init_state(state_dir, env_vars, scenario, history)
    marker = "E2E_RESTORE_RUN=" + uuid.uuid4().hex
    env = dict(env_vars)
    env.update({
        "RESTORE_FILE": restore_path, "POLL_SECONDS": "0.2", "RESTORE_TIMEOUT": "30",
        "ABORT_WAIT": "5", "CLEANUP_TIMEOUT": "20", "FAKE_STATE": state_dir,
        marker.split("=")[0]: marker.split("=")[1],
    })
    env.update(scenario.get("env", {}))
    prefix, pid1 = SHELLS[shell]
    # busybox: only busybox's applets and the fake kubectl, like the alpine/k8s image.
    env["PATH"] = fake_bin + ":" + (busybox_bin(work) if shell.startswith("busybox") else "/usr/bin:/bin")
    start = time.time()
    p = subprocess.Popen(prefix + [script_path], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    target = pid1_of(p.pid) if pid1 else p.pid
    signalled = None
    if scenario.get("sigterm_when"):
        until = time.time() + BOUND
        while time.time() < until and p.poll() is None:
            if scenario["sigterm_when"](read_state(state_dir)):
                time.sleep(scenario.get("settle", 0))
                break
            time.sleep(0.1)
        # Only the shell gets the signal, as the container runtime sends it to PID 1 only.
        os.kill(target, signal.SIGTERM)
        signalled = time.time()
    try:
        out, _ = p.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        out += b"\n(killed: the run exceeded the bound)"
    took = time.time() - start
    time.sleep(0.2)
    left = leftover_processes(marker)
    for pid in left:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    state = read_state(state_dir)
    shutil.rmtree(state_dir, ignore_errors=True)
    return {
        "code": p.returncode, "out": out.decode(errors="replace"), "state": state, "left": left,
        "env": env, "took": took, "after_signal": (start + took - signalled) if signalled else None,
        "first_call_after_signal": next((e["time"] - signalled for e in state["events"]
                                         if signalled and e["event"] == "pid" and e["time"] > signalled), None),
    }


def events(state, kind):
    return [e for e in state["events"] if e["event"] == kind]


def index(state, pred):
    for i, e in enumerate(state["events"]):
        if pred(e):
            return i
    return None


def history_lines(state):
    lines = [l for l in state["history"].split("\n") if l]
    return [json.loads(l) for l in lines]


def scenarios(scratch):
    done = {"phase": "Completed", "itemsRestored": 40, "totalItems": 40, "warnings": 1, "errors": 0,
            "backupName": "velero-daily-backup-20261125000000"}
    appear = {"phase": "InProgress", "createNamespaces": scratch}
    ns_appeared = lambda s: len(events(s, "labelled")) >= len(scratch)
    return [
        ("completed", {"plan": [{"phase": "New"}, appear, {"phase": "InProgress"}, done]}, "passed"),
        ("partially-failed", {"plan": [appear, dict(done, phase="PartiallyFailed", errors=2)]}, "failed"),
        ("failed", {"plan": [{"phase": "InProgress"}, {"phase": "Failed"}]}, "failed"),
        ("failed-validation", {"plan": [{"phase": "FailedValidation"}]}, "failed"),
        ("missing-namespace", {"plan": [dict(appear, createNamespaces=scratch[:-1]), done]}, "failed"),
        ("too-few-items", {"plan": [appear, dict(done, itemsRestored=len(scratch), totalItems=len(scratch))]}, "failed"),
        ("leftover", {"plan": [appear, done], "leftover": scratch}, "passed"),
        ("earlier-still-running", {"plan": [appear, done],
                                   "earlier": {"restore-test-00000": [{"phase": "InProgress"}, {"phase": "InProgress"}, {"phase": "Completed"}]}},
         "passed"),
        ("earlier-never-ends", {"plan": [appear, done], "earlier": {"restore-test-00000": [{"phase": "InProgress"}]},
                                "env": {"ABORT_WAIT": "1"}}, "failed"),
        ("cleanup-forbidden", {"plan": [appear, done], "fail": {"deleteNamespace": 'namespaces is forbidden'}}, "failed"),
        ("cleanup-stuck", {"plan": [appear, done], "fail": {"stuckNamespace": True}, "env": {"CLEANUP_TIMEOUT": "1"}}, "failed"),
        ("create-denied", {"plan": [done], "fail": {"create": 'admission webhook denied: ValidatingAdmissionPolicy'}}, "failed"),
        ("history-unreadable", {"plan": [appear, done], "fail": {"history": 'configmaps is forbidden'}}, "failed"),
        ("restore-timeout", {"plan": [appear], "env": {"RESTORE_TIMEOUT": "1", "ABORT_WAIT": "1"}}, "failed"),
        ("sigterm-restore-then-ends", {"plan": [appear] + [{"phase": "InProgress"}] * 8 + [dict(done, phase="Completed")],
                                       "sigterm_when": ns_appeared, "env": {"ABORT_WAIT": "40"}}, "sigterm"),
        ("sigterm-restore-never-ends", {"plan": [appear], "sigterm_when": ns_appeared, "env": {"ABORT_WAIT": "1"}}, "sigterm"),
        # Long polls: the signal must be handled at once, not after the current sleep.
        ("sigterm-while-sleeping", {"plan": [appear], "sigterm_when": ns_appeared, "settle": 0.5,
                                    "env": {"POLL_SECONDS": "4", "ABORT_WAIT": "0"}}, "sigterm"),
    ]


def assert_run(label, name, expect, r, scratch, keep):
    s = r["state"]
    ok_code = (r["code"] == 0) if expect == "passed" else (r["code"] not in (0, None))
    check(ok_code, f"{label}: exit status {r['code']} ({expect})")
    if expect == "sigterm":
        check(r["code"] == 143, f"{label}: exit status 143 after SIGTERM, got {r['code']}")
        # The kubelet's grace period is ABORT_WAIT + CLEANUP_TIMEOUT + 60 s.
        grace = int(r["env"]["ABORT_WAIT"]) + int(r["env"]["CLEANUP_TIMEOUT"]) + 60
        check(r["after_signal"] is not None and r["after_signal"] < grace, f"{label}: ends within the grace period {grace} s of SIGTERM ({r['after_signal']})")
    check(r["took"] < BOUND, f"{label}: ends within {BOUND} s")
    check(not r["left"], f"{label}: no process left running ({r['left']})")
    still = [ns for ns in scratch if ns in s["namespaces"] and s["namespaces"][ns]["deleting"] == 0]
    if name == "cleanup-forbidden" or name == "cleanup-stuck":
        check("could not be deleted" in r["out"] or "still there" in r["out"] or "could not delete" in r["out"],
              f"{label}: the log says the copies are still there")
    else:
        check(not [ns for ns in scratch if ns in s["namespaces"]], f"{label}: every copy deleted ({still})")
    unsafe = events(s, "deleted-while-restoring")
    if name == "sigterm-while-sleeping":
        f = r["first_call_after_signal"]
        check(f is not None and f < 1.5, f"{label}: the cleanup starts within 1.5 s of SIGTERM during a 4 s poll ({f})")
        print(f"    first call {f} s after SIGTERM")
    if name in ("sigterm-restore-never-ends", "restore-timeout", "sigterm-while-sleeping"):
        check("still runs" in r["out"], f"{label}: the log says the Restore still runs when the copies are deleted")
    else:
        check(not unsafe, f"{label}: no copy deleted while a Restore ran ({unsafe})")
    for ns in scratch:
        if any(e.get("namespace") == ns for e in events(s, "velero-created-namespace")):
            lab = [e for e in events(s, "labelled") if e["namespace"] == ns]
            check(lab and "compliantkubernetes.io/nobackup=restore-test" in lab[0]["labels"],
                  f"{label}: the copy {ns} labelled compliantkubernetes.io/nobackup")
            first_label = index(s, lambda e: e["event"] == "labelled" and e["namespace"] == ns)
            ended = index(s, lambda e: e["event"] == "phase" and e["phase"] in ("Completed", "PartiallyFailed", "Failed"))
            if ended is not None and first_label is not None and name != "completed" and name != "leftover":
                pass
            if ended is not None and name in ("sigterm-restore-then-ends",):
                check(first_label is not None and first_label < ended, f"{label}: {ns} labelled while the Restore ran")
    if name == "leftover":
        deleted = index(s, lambda e: e["event"] == "deleting-namespace")
        created = index(s, lambda e: e["event"] == "created-restore")
        check(deleted is not None and created is not None and deleted < created, f"{label}: the leftover copy deleted before the Restore")
    if name.startswith("earlier"):
        created = index(s, lambda e: e["event"] == "created-restore")
        if name == "earlier-never-ends":
            check(created is None, f"{label}: no new Restore while an earlier one runs")
        else:
            earlier_done = index(s, lambda e: e["event"] == "phase" and e["restore"] == "restore-test-00000" and e["phase"] == "Completed")
            check(created is not None and earlier_done is not None and earlier_done < created, f"{label}: waited for the earlier Restore")
    if name == "create-denied" or name == "earlier-never-ends":
        check(not s["restores"] or name == "earlier-never-ends", f"{label}: no Restore created")
    if name == "history-unreadable":
        check("not recorded" in r["out"], f"{label}: the log says the result is not recorded")
        return
    h = history_lines(s)
    check(bool(h), f"{label}: a result recorded in the history ConfigMap")
    if h:
        last = h[-1]
        want = "passed" if expect == "passed" else "failed"
        check(last.get("result") == want, f"{label}: recorded result {last.get('result')} = {want}")
        check(len(h) <= keep, f"{label}: the history keeps at most {keep} entries")
        if expect == "passed":
            check(last.get("itemsRestored") == 40 and last.get("phase") == "Completed" and last.get("backup", "").startswith("velero-daily-backup-"),
                  f"{label}: the record names phase, backup and items: {last}")
        if expect == "sigterm":
            check("SIGTERM" in last.get("reason", ""), f"{label}: the record says SIGTERM: {last}")
    text = r["out"]
    check(("PASSED" in text) == (expect == "passed"), f"{label}: the log ends PASSED/FAILED")


def pid1_control(work):
    """Shows the harness's PID 1 is real: a shell without a TERM handler ignores SIGTERM."""
    script = os.path.join(work, "no-trap.sh")
    with open(script, "w") as f:
        f.write("sleep 3 & wait\n")
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "busybox", "sh", script], start_new_session=True)
    pid = pid1_of(p.pid)
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.5)
    check(p.poll() is None, "control: busybox sh as PID 1 without a handler ignores SIGTERM")
    try:
        p.wait(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)


def main():
    root, full = sys.argv[1], "--full" in sys.argv
    tests = rendered_tests(root)
    if not tests:
        print(f"no rendered restore test under {root}")
        sys.exit(1)
    work = tempfile.mkdtemp(prefix="ck8s-scripts-")
    try:
        pid1_control(work)
        for env, script, restore, env_vars, cj, cm_path in tests:
            d = os.path.join(work, env)
            os.makedirs(d)
            script_path = os.path.join(d, "restore-test.sh")
            restore_path = os.path.join(d, "restore.yaml")
            with open(script_path, "w") as f:
                f.write(script)
            with open(restore_path, "w") as f:
                f.write(restore)
            static_checks(env, script_path, cj, env_vars, os.path.dirname(cm_path))
            scratch = env_vars["SCRATCH_NAMESPACES"].split()
            keep = int(env_vars["HISTORY_KEEP"])
            for name, scenario, expect in scenarios(scratch):
                # The script's bytes are the same in every environment: every scenario on the
                # first, the core ones (pass, a failure, SIGTERM) on the others.
                if (not full or env != tests[0][0]) and name not in ("completed", "sigterm-restore-then-ends", "missing-namespace",
                                                                      "sigterm-while-sleeping"):
                    continue
                for shell in SHELLS:
                    history = ""
                    if name == "completed":
                        history = "".join(json.dumps({"result": "passed", "n": i}) + "\n" for i in range(keep))
                    r = run_one(d, shell, script_path, restore_path, env_vars, scenario, history)
                    label = f"{env} {name} [{shell}]"
                    before = len(failures)
                    assert_run(label, name, expect, r, scratch, keep)
                    if name == "completed" and history:
                        h = history_lines(r["state"])
                        check(len(h) == keep and h[0].get("n") == 1, f"{label}: the oldest entry dropped, {keep} kept")
                    print(f"  {'ok  ' if len(failures) == before else 'FAIL'} {label} ({r['took']:.1f} s)")
                    if len(failures) != before:
                        print("    " + r["out"].replace("\n", "\n    "))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"scripts: {checks} checks, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
