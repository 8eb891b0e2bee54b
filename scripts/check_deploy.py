"""The deployment checks run by scripts/check-deploy (which installs the tools).

Each check prints one line and collects failures; the script exits 1 if any
failed. Nothing here needs a cluster: what could not be checked without one
is listed in docs/operations.md.
"""

import asyncio
import copy
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import jsonschema
import yaml

CHART = "charts/minsheng"
FAILURES = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok else f": {detail}"))
    if not ok:
        FAILURES.append(name)


def merge(base, override):
    """Helm's deep merge of values: maps merge, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def chart_values(extra=None):
    with open(f"{CHART}/values.yaml") as f:
        return merge(yaml.safe_load(f), extra)


def components(values):
    """Every enabled component, merged over componentDefaults."""
    return {
        name: c
        for name, entry in sorted(values["components"].items())
        for c in [merge(values["componentDefaults"], entry)]
        if c["enabled"]
    }


# --- the image -----------------------------------------------------------


def check_dockerfile():
    run = subprocess.run(["hadolint", "Dockerfile"], capture_output=True, text=True)
    check("hadolint Dockerfile", run.returncode == 0, run.stdout + run.stderr)


# --- the chart -----------------------------------------------------------


def helm_lint(chart_dir):
    import helm_sdkpy

    config = helm_sdkpy.Configuration(namespace="minsheng")
    result = asyncio.run(helm_sdkpy.Lint(config).run(chart_dir))
    serious = [m for m in result.get("Messages") or [] if m.get("Severity", 0) >= 3]
    return serious, result.get("Errors")


def assume_prometheus_operator(chart_dir):
    """Lint sees no cluster, so no CRDs: render the templates kept for the
    Prometheus Operator's CRDs as if they were installed."""
    for path in glob.glob(os.path.join(chart_dir, "templates", "*.yaml")):
        text = open(path).read()
        changed = re.sub(r'\(\.Capabilities\.APIVersions\.Has "monitoring\.coreos\.com/v1/\w+"\)', "true", text)
        if changed != text:
            with open(path, "w") as f:
                f.write(changed)


def check_chart_lint():
    serious, errors = helm_lint(CHART)
    check("helm lint (default values)", not serious and not errors, f"{serious} {errors}")
    # Lint takes no values file: lint a copy whose values.yaml is the merge.
    for case in sorted(glob.glob(f"{CHART}/ci/*-values.yaml")):
        with open(case) as f:
            values = chart_values(yaml.safe_load(f))
        with tempfile.TemporaryDirectory() as tmp:
            copy_dir = os.path.join(tmp, "minsheng")
            shutil.copytree(CHART, copy_dir, ignore=shutil.ignore_patterns("ci"))
            with open(os.path.join(copy_dir, "values.yaml"), "w") as f:
                yaml.safe_dump(values, f)
            if "all-features" in case:
                assume_prometheus_operator(copy_dir)
            serious, errors = helm_lint(copy_dir)
        check(f"helm lint ({os.path.basename(case)})", not serious and not errors, f"{serious} {errors}")


def check_values_schema():
    with open(f"{CHART}/values.schema.json") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    for case in [None] + sorted(glob.glob(f"{CHART}/ci/*-values.yaml")):
        extra = yaml.safe_load(open(case)) if case else None
        errors = list(validator.iter_errors(chart_values(extra)))
        check(f"schema accepts {os.path.basename(case) if case else 'values.yaml'}", not errors,
              "; ".join(e.message for e in errors))
    for case in sorted(glob.glob(f"{CHART}/ci/invalid/*.yaml")):
        text = open(case).read()
        expected = re.search(r"^# expect: (\S+)", text, re.M).group(1)
        errors = list(validator.iter_errors(chart_values(yaml.safe_load(text))))
        named = any(expected in "/".join(map(str, e.absolute_path)) or expected in e.message for e in errors)
        check(f"schema rejects {os.path.basename(case)}, naming {expected}", bool(errors) and named,
              "accepted" if not errors else "; ".join(e.message for e in errors))


# --- kustomize -----------------------------------------------------------


def newest_kubernetes():
    import kubernetes_validate

    schemas = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    versions = {m.group(1) for d in os.listdir(schemas) if (m := re.match(r"v(\d+\.\d+\.\d+)-", d))}
    return max(versions, key=lambda v: tuple(map(int, v.split("."))))


def kustomize(directory):
    run = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True)
    return run.returncode, run.stdout, run.stderr


def check_kustomize():
    versions = ["1.30.0", newest_kubernetes()]
    for directory in ["k8s/base", "k8s/overlays/dev", "k8s/overlays/prod"]:
        code, rendered, err = kustomize(directory)
        check(f"kubectl kustomize {directory}", code == 0, err)
        if code != 0:
            continue
        for version in versions:
            run = subprocess.run(
                ["kubernetes-validate", "-k", version, "--strict", "--quiet", "-"],
                input=rendered, capture_output=True, text=True,
            )
            check(f"kubernetes-validate {version} --strict {directory}", run.returncode == 0,
                  run.stdout + run.stderr)


# --- agreement: chart, base, binary ----------------------------------------


def template_env_names():
    text = open(f"{CHART}/templates/components.yaml").read()
    return set(re.findall(r"- name: (MINSHENG_[A-Z_]+)", text))


def expected_probe(values, probe):
    if "httpGet" in probe:
        return {"httpGet": {"path": probe["httpGet"]["path"], "port": "http"}}
    return {"grpc": {"port": values["global"]["ports"]["grpc"], "service": probe["grpc"]["service"]}}


def check_base_agrees_with_chart():
    values = chart_values()
    code, rendered, _ = kustomize("k8s/base")
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    wanted = components(values)
    check("k8s/base has one Deployment per enabled component",
          sorted(deployments) == sorted(f"minsheng-{n}" for n in wanted), sorted(deployments))
    for name, c in wanted.items():
        deployment = deployments.get(f"minsheng-{name}")
        if not deployment:
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        problems = []
        if container["args"] != ["serve", "--target", name]:
            problems.append(f"args {container['args']}")
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        if ports != values["global"]["ports"]:
            problems.append(f"ports {ports}")
        for kind in ["liveness", "readiness", "startup"]:
            probe = container[f"{kind}Probe"]
            handler = {k: v for k, v in probe.items() if k in ("grpc", "httpGet")}
            if handler != expected_probe(values, c["probes"][kind]):
                problems.append(f"{kind} probe {handler}")
        env = {e["name"] for e in container["env"] if e["name"].startswith("MINSHENG_")}
        # Set only while a master-key rotation runs (masterKey.previousKey).
        chart_env = template_env_names() - {"MINSHENG_PREVIOUS_MASTER_KEY_FILE"}
        if not c["leaderElected"]:
            chart_env -= {"MINSHENG_LEADER_ELECTION", "MINSHENG_LEASE_NAMESPACE", "MINSHENG_LEASE_IDENTITY"}
        if env != chart_env:
            problems.append(f"environment {sorted(env ^ chart_env)} differs from the chart's")
        roles = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == f"minsheng-{name}-leases"]
        if bool(roles) != c["leaderElected"]:
            problems.append("a lease Role only where leaderElected")
        check(f"k8s/base {name} agrees with the chart", not problems, "; ".join(problems))


def check_binary_knows_the_environment():
    helps = subprocess.run([os.environ["MINSHENG_BINARY"], "serve", "--help"], capture_output=True, text=True).stdout
    # Flags' variables (`[env: NAME=]`), and the one the help names in words.
    known = set(re.findall(r"\b(MINSHENG_[A-Z_]+)\b", helps))
    unknown = template_env_names() - known
    check("every MINSHENG_* variable the chart sets is a flag of `minsheng serve`", not unknown, sorted(unknown))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port, service):
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)


def until(deadline, probe):
    last = None
    while time.time() < deadline:
        try:
            last = probe()
            if last is True or last == "SERVING":
                return last
        except Exception as error:  # not up yet
            last = repr(error)
        time.sleep(0.2)
    return last


def check_binary_answers_the_probes():
    """`minsheng serve --target X` answers each probe the chart gives X."""
    values = chart_values()
    tmp = tempfile.mkdtemp(prefix="minsheng-check-")
    nats_port = free_port()
    nats = subprocess.Popen(
        [os.environ["MINSHENG_NATS_SERVER"], "-js", "-a", "127.0.0.1", "-p", str(nats_port),
         "-sd", os.path.join(tmp, "nats")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        def nats_accepts():
            with socket.create_connection(("127.0.0.1", nats_port), timeout=1):
                return True
        check("nats-server for the probe checks starts", until(time.time() + 20, nats_accepts) is True)
        for key in ["jwt.key", "person.key", "master.key"]:
            # Owner-only, as the chart mounts them (defaultMode 0400): the
            # binary refuses a key file others may read.
            fd = os.open(os.path.join(tmp, key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
        for name, c in components(values).items():
            grpc_port, http_port = free_port(), free_port()
            env = dict(os.environ)
            env.update({
                "MINSHENG_STORE": f"nats://127.0.0.1:{nats_port}",
                "MINSHENG_STORE_REPLICAS": "1",
                "MINSHENG_GRPC_ADDR": f"127.0.0.1:{grpc_port}",
                "MINSHENG_HTTP_ADDR": f"127.0.0.1:{http_port}",
                "MINSHENG_DATA_DIR": os.path.join(tmp, name),
                "MINSHENG_JWT_KEY_FILE": os.path.join(tmp, "jwt.key"),
                "MINSHENG_PERSON_KEY_FILE": os.path.join(tmp, "person.key"),
                "MINSHENG_MASTER_KEY_FILE": os.path.join(tmp, "master.key"),
                "MINSHENG_LOG_FORMAT": values["global"]["logFormat"],
                "MINSHENG_DRAIN_DELAY": "0s",
                # Lease election needs a cluster; the probes do not depend on it.
                "MINSHENG_LEADER_ELECTION": "always",
            })
            log_path = os.path.join(tmp, f"{name}.log")
            process = subprocess.Popen(
                [os.environ["MINSHENG_BINARY"], "serve", "--target", name],
                env=env, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"),
            )
            try:
                deadline = time.time() + 60
                for kind in ["startup", "liveness", "readiness"]:
                    probe = c["probes"][kind]
                    if "httpGet" in probe:
                        url = f"http://127.0.0.1:{http_port}{probe['httpGet']['path']}"
                        answer = until(deadline, lambda: urllib.request.urlopen(url, timeout=2).status == 200)
                        what = f"HTTP {probe['httpGet']['path']}"
                    else:
                        service = probe["grpc"]["service"]
                        answer = until(deadline, lambda: health(grpc_port, service))
                        what = f"gRPC health {service!r}"
                    ok = answer in (True, "SERVING")
                    if not ok and process.poll() is not None:
                        answer = f"the process exited: {open(log_path).read()[-2000:]}"
                    check(f"serve --target {name}: {kind} probe ({what}) answers", ok, answer)
            finally:
                process.terminate()
                process.wait(timeout=30)
    finally:
        nats.terminate()
        nats.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    check_dockerfile()
    check_chart_lint()
    check_values_schema()
    check_kustomize()
    check_base_agrees_with_chart()
    check_binary_knows_the_environment()
    check_binary_answers_the_probes()
    if FAILURES:
        print(f"\n{len(FAILURES)} deployment check(s) failed")
        sys.exit(1)
    print("\nevery deployment check passed")


if __name__ == "__main__":
    main()
