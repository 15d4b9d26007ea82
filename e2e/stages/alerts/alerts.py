#!/usr/bin/env python3
"""Prepares the alerts stage's promtool inputs from a rendered tree.

    alerts.py RENDERED EXPECT WORKDIR

For every PrometheusRule in RENDERED (a ck8s-gen output tree) it writes WORKDIR/NAME.rules.yaml
(the object's `spec.groups`, which is what the Prometheus Operator hands to Prometheus) and,
from the hand-written expectations in EXPECT (expect/VARIANT.yaml), WORKDIR/NAME.{short,long}.test.yaml: promtool
unit tests with synthetic kube-state-metrics and Velero series for every alert, each one firing
when it should (with its labels and its annotations rendered), and silent when it should not.

It fails (exit 1) when a rendered rule file has no expectations, when an expectation names a file
or an alert that was not rendered, or when a rule's annotation holds a Prometheus template this
script does not know how to expand (so a new template cannot go untested). Prints the NAME of
each prepared pair, one a line.
"""

import os
import re
import sys

import yaml

class Dumper(yaml.SafeDumper):
    """Writes repeated objects in full (no anchors)."""

    def ignore_aliases(self, data):
        return True


MIN = 60
HOUR = 3600


def fail(msg):
    print(f"alerts.py: {msg}", file=sys.stderr)
    sys.exit(1)


def humanize_duration(v):
    """Prometheus' humanizeDuration for values >= 1 s (the only ones these tests produce)."""
    d = int(v)
    s, m, h, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
    if days:
        return f"{days}d {h}h {m}m {s}s"
    if h:
        return f"{h}h {m}m {s}s"
    if m:
        return f"{m}m {s}s"
    return f"{v:.4g}s"


TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def expand(text, labels, value):
    """Expands the Prometheus templates an annotation may use: `$labels.NAME` and
    `$value | humanizeDuration`. Any other template is an error."""

    def one(m):
        inner = m.group(0)[2:-2].strip()
        if inner.startswith("$labels."):
            return labels[inner[len("$labels."):]]
        if inner == "$value | humanizeDuration":
            return humanize_duration(value)
        fail(f"annotation template {m.group(0)!r} has no expansion in alerts.py: {text!r}")

    return TEMPLATE.sub(one, text)


def hours(h):
    return f"{int(h)}h" if h == int(h) else f"{int(h * 60)}m"


def series(name, labels):
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def steps(duration_s, interval_s):
    return int(duration_s // interval_s)


class Builder:
    def __init__(self, rules, entry):
        self.rules = rules  # alert name -> list of rules
        self.entry = entry
        self.tests = []  # evaluated every minute
        self.long = []  # evaluated every hour (series sampled hourly, thresholds of weeks)

    def base_labels(self, spec):
        return {"severity": spec["severity"], "ck8s_gen_environment": self.entry["environment"]}

    def expected(self, name, rule, series_labels, value):
        labels = dict(series_labels)
        labels.update(rule.get("labels", {}))
        # What the environment declares, not what was rendered: the runbook link arrives as written.
        for k, v in self.base_labels(self.spec(name)).items():
            if labels.get(k) != v:
                fail(f"{name}: label {k}={labels.get(k)!r}, expected {v!r}")
        annotations = {}
        for k, v in rule.get("annotations", {}).items():
            if k == "runbook_url":
                annotations[k] = self.entry["runbook_url"]
            else:
                annotations[k] = expand(v, labels, value)
        if "runbook_url" in self.entry and "runbook_url" not in annotations:
            fail(f"{name}: no runbook_url annotation")
        return {"exp_labels": labels, "exp_annotations": annotations}

    def spec(self, name):
        return self.entry["alerts"][name]

    def rule(self, name, reason=None):
        found = [r for r in self.rules[name] if reason is None or r.get("labels", {}).get("reason") == reason]
        if len(found) != 1:
            fail(f"{name}: expected one rule with reason={reason!r}, found {len(found)}")
        return found[0]

    def add(self, name, interval, input_series, checks):
        (self.long if interval == "1h" else self.tests).append(
            {
                "name": name,
                "interval": interval,
                "input_series": input_series,
                "alert_rule_test": checks,
            }
        )

    # A Velero Schedule: velero_backup_last_successful_timestamp (set on a success, recomputed
    # from the Backup objects after a restart); the other per-schedule series exist from the
    # moment the schedule controller sees the Schedule (InitSchedule).
    def backup(self, name, spec):
        limit = spec["hours"] * HOUR
        sched = {"schedule": spec["schedule"]}
        n = spec["hours"] + 4
        exists = {"series": series("velero_backup_attempt_total", sched), "values": f"0+0x{n}"}
        last = series("velero_backup_last_successful_timestamp", sched)
        stale = self.rule(name, "last-success-too-old")
        never = self.rule(name, "no-success-recorded")
        # A success at t=0 and none after: silent until the threshold, firing after it.
        self.add(
            f"{name}: a stale success",
            "1h",
            [exists, {"series": last, "values": f"0+0x{n}"}],
            [
                {"eval_time": hours(spec["hours"] - 1), "alertname": name, "exp_alerts": []},
                {"eval_time": hours(spec["hours"]), "alertname": name, "exp_alerts": []},
                {
                    "eval_time": hours(spec["hours"] + 1),
                    "alertname": name,
                    "exp_alerts": [self.expected(name, stale, sched, limit + HOUR)],
                },
            ],
        )
        # The same, then a new success at threshold + 2 h: the alert clears.
        before = spec["hours"] + 2
        self.add(
            f"{name}: a new success clears it",
            "1h",
            [exists, {"series": last, "values": f"0+0x{before - 1} {before * HOUR}+0x{n - before}"}],
            [
                {"eval_time": hours(spec["hours"] + 1), "alertname": name,
                 "exp_alerts": [self.expected(name, stale, sched, limit + HOUR)]},
                {"eval_time": hours(spec["hours"] + 3), "alertname": name, "exp_alerts": []},
            ],
        )
        # A Schedule that never succeeded (wrong credentials from day one): Velero knows the
        # schedule, has counted failed attempts, and has no success series at all.
        failures = {"series": series("velero_backup_failure_total", sched), "values": f"0+1x{n}"}
        self.add(
            f"{name}: a schedule that never succeeded",
            "1h",
            [exists, failures],
            [
                {"eval_time": hours(spec["hours"] - 1), "alertname": name, "exp_alerts": []},
                {
                    "eval_time": hours(spec["hours"] + 1),
                    "alertname": name,
                    "exp_alerts": [self.expected(name, never, sched, 1)],
                },
            ],
        )
        # A success every 12 h: never fires.
        values = " ".join(f"{i * 12 * HOUR}+0x11" for i in range(n // 12 + 1))
        self.add(
            f"{name}: regular successes",
            "1h",
            [exists, {"series": last, "values": values}],
            [{"eval_time": hours(spec["hours"] + 1), "alertname": name, "exp_alerts": []}],
        )

    # kube-state-metrics on the Jobs of a CronJob: kube_job_failed{condition="true"} exists only
    # for a Job with a Failed condition; kube_job_status_start_time for every started Job.
    def job_failed(self, name, spec):
        ns, cj = spec["namespace"], spec["cronjob"]
        rule = self.rule(name)
        old, new = f"{cj}-29000000", f"{cj}-29001440"
        n = steps(6 * HOUR, MIN)
        failed_old = {"namespace": ns, "job_name": old, "condition": "true"}
        start_old = {"series": series("kube_job_status_start_time", {"namespace": ns, "job_name": old}), "values": f"3600+0x{n}"}
        self.add(
            f"{name}: the latest Job failed",
            "1m",
            [
                {"series": series("kube_job_failed", failed_old), "values": f"_x60 1+0x{n - 60}"},
                {"series": series("kube_job_status_failed", {"namespace": ns, "job_name": old, "reason": "BackoffLimitExceeded"}), "values": f"_x60 1+0x{n - 60}"},
                start_old,
            ],
            [
                {"eval_time": "30m", "alertname": name, "exp_alerts": []},
                {"eval_time": "2h", "alertname": name, "exp_alerts": [self.expected(name, rule, failed_old, 1)]},
            ],
        )
        # An old failed Job kept in the history, then a newer Job that succeeded (after a
        # failed pod and a retry: kube_job_status_failed counts that pod): the alert clears.
        self.add(
            f"{name}: an old failure followed by a newer good Job",
            "1m",
            [
                {"series": series("kube_job_failed", failed_old), "values": f"_x60 1+0x{n - 60}"},
                start_old,
                {"series": series("kube_job_status_start_time", {"namespace": ns, "job_name": new}), "values": f"_x180 10800+0x{n - 180}"},
                {"series": series("kube_job_status_failed", {"namespace": ns, "job_name": new, "reason": ""}), "values": f"_x180 1+0x{n - 180}"},
                {"series": series("kube_job_complete", {"namespace": ns, "job_name": new, "condition": "true"}), "values": f"_x200 1+0x{n - 200}"},
            ],
            [
                {"eval_time": "2h", "alertname": name, "exp_alerts": [self.expected(name, rule, failed_old, 1)]},
                {"eval_time": "4h", "alertname": name, "exp_alerts": []},
            ],
        )

    # kube_cronjob_created (seconds) and, after the first success,
    # kube_cronjob_status_last_successful_time.
    def overdue(self, name, spec):
        ns, cj = spec["namespace"], spec["cronjob"]
        rule = self.rule(name)
        limit = spec["hours"] * HOUR
        sel = {"namespace": ns, "cronjob": cj}
        n = steps(limit + 3 * HOUR, HOUR)
        created = {"series": series("kube_cronjob_created", sel), "values": f"0+0x{n}"}
        self.add(
            f"{name}: never succeeded since the CronJob was created",
            "1h",
            [created],
            [
                {"eval_time": hours(spec["hours"] - 1), "alertname": name, "exp_alerts": []},
                {"eval_time": hours(spec["hours"] + 1), "alertname": name,
                 "exp_alerts": [self.expected(name, rule, sel, limit + HOUR)]},
            ],
        )
        self.add(
            f"{name}: a stale success",
            "1h",
            [created, {"series": series("kube_cronjob_status_last_successful_time", sel), "values": f"_ {HOUR}+0x{n - 1}"}],
            [
                {"eval_time": hours(spec["hours"]), "alertname": name, "exp_alerts": []},
                {"eval_time": hours(spec["hours"] + 2), "alertname": name,
                 "exp_alerts": [self.expected(name, rule, sel, limit + HOUR)]},
            ],
        )
        half = max(1, steps(limit / 2, HOUR))
        values = " ".join(f"{i * half * HOUR}+0x{half - 1}" for i in range(n // half + 1))
        self.add(
            f"{name}: succeeding on time",
            "1h",
            [created, {"series": series("kube_cronjob_status_last_successful_time", sel), "values": values}],
            [{"eval_time": hours(spec["hours"] + 1), "alertname": name, "exp_alerts": []}],
        )

    def suspended(self, name, spec):
        ns, cj = spec["namespace"], spec["cronjob"]
        rule = self.rule(name)
        sel = {"namespace": ns, "cronjob": cj}
        self.add(
            f"{name}: a sync suspended for a restore and not resumed",
            "1m",
            [{"series": series("kube_cronjob_spec_suspend", sel), "values": "0x59 1x300 0x60"}],
            [
                {"eval_time": "30m", "alertname": name, "exp_alerts": []},
                {"eval_time": hours(1 + spec["for"] - 0.5), "alertname": name, "exp_alerts": []},
                {"eval_time": hours(1 + spec["for"] + 0.5), "alertname": name,
                 "exp_alerts": [self.expected(name, rule, sel, 1)]},
                {"eval_time": "6h30m", "alertname": name, "exp_alerts": []},
            ],
        )


def main():
    if len(sys.argv) != 4:
        fail("usage: alerts.py RENDERED EXPECT WORKDIR")
    rendered, expect_path, work = sys.argv[1:]
    with open(expect_path) as f:
        expect = yaml.safe_load(f) or {}
    found = []
    for root, _dirs, files in os.walk(rendered):
        for fn in files:
            if fn.endswith(".yaml"):
                path = os.path.join(root, fn)
                with open(path) as f:
                    for doc in yaml.safe_load_all(f):
                        if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
                            found.append((os.path.relpath(path, rendered), doc))
    rendered_names = {p for p, _ in found}
    for p in sorted(set(expect) - rendered_names):
        fail(f"{expect_path} expects {p}, which was not rendered")
    os.makedirs(work, exist_ok=True)
    for rel, doc in sorted(found, key=lambda x: x[0]):
        entry = expect.get(rel)
        if entry is None:
            fail(f"{rel} was rendered but {expect_path} has no expectations for it")
        base = rel.replace("/", "__").removesuffix(".yaml")
        groups = doc["spec"]["groups"]
        with open(os.path.join(work, base + ".rules.yaml"), "w") as f:
            yaml.dump({"groups": groups}, f, Dumper=Dumper, sort_keys=False, width=1 << 16)
        rules = {}
        for g in groups:
            for r in g["rules"]:
                rules.setdefault(r["alert"], []).append(r)
        if set(rules) != set(entry["alerts"]):
            fail(f"{rel}: alerts {sorted(rules)} but {expect_path} expects {sorted(entry['alerts'])}")
        b = Builder(rules, entry)
        for name, spec in entry["alerts"].items():
            kind = spec["kind"].replace("-", "_")
            getattr(b, kind)(name, spec)
        for suffix, interval, tests in (("short", "1m", b.tests), ("long", "1h", b.long)):
            if not tests:
                continue
            with open(os.path.join(work, f"{base}.{suffix}.test.yaml"), "w") as f:
                yaml.dump(
                    {"rule_files": [base + ".rules.yaml"], "evaluation_interval": interval, "tests": tests},
                    f,
                    Dumper=Dumper,
                    sort_keys=False,
                    width=1 << 16,
                )
        print(base)


if __name__ == "__main__":
    main()
