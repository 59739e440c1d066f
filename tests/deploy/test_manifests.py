"""The Docker, compose and Kubernetes files: shapes, and that every command, port and `KAOHE_*`
variable they name exists in the code (Docker cannot run here, so this is what can be checked)."""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from pydantic_settings import BaseSettings

from kaohe.cli import app
from kaohe.ops_cli import PROCESSES
from services.common.settings import SERVICES, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
K8S = DOCKER / "k8s"
IMAGE = "kaohe:0.1.0"
DEFAULT_PORTS = {name: Settings.model_fields[f"{name}_port"].default for name in PROCESSES}


def known_variables() -> set[str]:
    """Every `KAOHE_*` variable some settings class reads (the shared Settings and each service's own), and
    the one read by the build, not by the code (KAOHE_MYPYC, setup.py)."""
    names = {f"KAOHE_{field.upper()}" for field in Settings.model_fields} | {"KAOHE_MYPYC"}
    names |= {f"KAOHE_{field.upper()}_FILE" for field in Settings.secret_file_fields}
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.config")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings:
                prefix = str(value.model_config.get("env_prefix", ""))
                names |= {f"{prefix}{field}".upper() for field in value.model_fields}
                names |= {f"{prefix}{field}_FILE".upper() for field in getattr(value, "secret_file_fields", ())}
    return names


def command_exists(args: list[str]) -> bool:
    """True when `kaohe <args>` names a real command (and, for serve, a real process)."""
    group = typer.main.get_command(app)
    commands: dict[str, Any] = group.commands  # type: ignore[attr-defined]
    if not args or args[0] not in commands:
        return False
    if args[0] == "serve":
        return len(args) == 2 and args[1] in PROCESSES
    return True


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in documents(path)]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc.get("metadata", {}).get("name", ""): doc for doc in k8s_objects() if doc["kind"] == kind}


def variables_in(text: str) -> set[str]:
    return set(re.findall(r"\bKAOHE_[A-Z0-9_]*[A-Z0-9]", text))


# --- the known names themselves -------------------------------------------------------------------


def test_known_names_come_from_the_code() -> None:
    assert DEFAULT_PORTS == {"gateway": 8000, "evidence": 8001, "scoring": 8002, "ranking": 8003}
    assert {"KAOHE_DATABASE_URL", "KAOHE_SERVICE_TOKEN_SECRET"} <= known_variables()
    assert "KAOHE_NO_SUCH_THING" not in known_variables()
    assert command_exists(["serve", "gateway"]) and command_exists(["migrate"])
    assert not command_exists(["serve", "billing"]) and not command_exists(["launch"])


# --- Dockerfile -------------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    instructions = dockerfile()
    assert len([arg for op, arg in instructions if op == "FROM"]) == 2
    users = [arg for op, arg in instructions if op == "USER"]
    assert users == ["10001:10001"]
    assert [arg for op, arg in instructions if op == "ENTRYPOINT"] == ['["kaohe"]']
    cmd = [arg for op, arg in instructions if op == "CMD"]
    assert cmd == ['["serve", "gateway"]'] and command_exists(["serve", "gateway"])
    healthcheck = next(arg for op, arg in instructions if op == "HEALTHCHECK")
    assert healthcheck.endswith('CMD ["kaohe", "healthcheck"]') and command_exists(["healthcheck"])
    exposed = {int(p) for op, arg in instructions if op == "EXPOSE" for p in arg.split()}
    assert exposed == set(DEFAULT_PORTS.values())


def test_dockerfile_copies_existing_paths_and_sets_known_variables() -> None:
    instructions = dockerfile()
    sources = [arg.split()[0] for op, arg in instructions if op == "COPY" and not arg.startswith("--from")]
    assert sources and all((ROOT / source).exists() for source in sources), sources
    env = " ".join(arg for op, arg in instructions if op == "ENV")
    assert variables_in(env) == {"KAOHE_HOST", "KAOHE_DATA_DIR", "KAOHE_ENVIRONMENT"}
    assert variables_in(env) <= known_variables()


# --- compose ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return documents(DOCKER / "compose.yaml")[0]


def kaohe_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items() if svc.get("image", "").endswith(IMAGE + "}")}


def test_compose_has_the_whole_stack(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "minio", "minio-bucket", "migrate", "evidence", "scoring",
                                        "ranking", "gateway"}
    assert set(kaohe_services(compose)) == {"migrate", "evidence", "scoring", "ranking", "gateway"}
    for name, svc in kaohe_services(compose).items():
        assert svc["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}, name
        assert (DOCKER / svc["build"]["context"] / svc["build"]["dockerfile"]).resolve() == DOCKER / "Dockerfile"
        assert command_exists(svc["command"]), (name, svc["command"])


def test_compose_runs_migrations_once_before_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in SERVICES:
        assert services[name]["command"] == ["serve", name]
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["expose"] == [str(DEFAULT_PORTS[name])]
    assert services["gateway"]["depends_on"] == {s: {"condition": "service_healthy"} for s in SERVICES}
    assert services["gateway"]["ports"] == ["${GATEWAY_PUBLISH_PORT:-8000}:8000"]
    assert services["evidence"]["depends_on"]["minio-bucket"] == {"condition": "service_completed_successfully"}


def test_compose_environment_names_real_settings_and_addresses(compose: dict[str, Any]) -> None:
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    assert variables_in(text) <= known_variables(), variables_in(text) - known_variables()
    for name, svc in kaohe_services(compose).items():
        env = svc["environment"]
        assert env["KAOHE_HOST"] == "0.0.0.0" and env["KAOHE_ENVIRONMENT"] == "production", name
        assert env["KAOHE_DATABASE_URL"].startswith("postgresql://kaohe:") and "@postgres:5432/kaohe" in env[
            "KAOHE_DATABASE_URL"]
        for service in SERVICES:
            assert env[f"KAOHE_{service.upper()}_URL"] == f"http://{service}:{DEFAULT_PORTS[service]}"
    evidence_env = compose["services"]["evidence"]["environment"]
    assert evidence_env["KAOHE_EVIDENCE_STORAGE_URL"].startswith("s3://kaohe-attachments/?endpoint=http://minio:9000")
    bucket = " ".join(compose["services"]["minio-bucket"]["command"])
    assert "local/kaohe-attachments" in bucket


def test_env_example_names_only_placeholders() -> None:
    pairs = dict(line.split("=", 1) for line in (DOCKER / ".env.example").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert set(pairs) == {"POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD",
                          "KAOHE_SERVICE_TOKEN_SECRET", "KAOHE_JWT_SECRET", "KAOHE_JWT_ISSUER", "KAOHE_JWT_AUDIENCE"}
    assert all("change-me" in v for k, v in pairs.items() if "PASSWORD" in k or "SECRET" in k)
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (DOCKER / "compose.yaml").read_text()))
    assert required <= set(pairs)


# --- Kubernetes -------------------------------------------------------------------------------------


def test_k8s_has_every_kind_and_one_deployment_per_process() -> None:
    kinds = {doc["kind"] for doc in k8s_objects()}
    assert kinds == {"Namespace", "ConfigMap", "Secret", "Job", "Deployment", "Service", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "NetworkPolicy", "Kustomization"}
    assert set(of_kind("Deployment")) == {f"kaohe-{p}" for p in PROCESSES}
    assert set(of_kind("Service")) == {f"kaohe-{p}" for p in PROCESSES}
    assert all(doc.get("metadata", {}).get("namespace", "kaohe") == "kaohe" for doc in k8s_objects())


def containers() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kind in ("Deployment", "Job"):
        for name, doc in of_kind(kind).items():
            found += [(name, c) for c in doc["spec"]["template"]["spec"]["containers"]]
    return found


def test_k8s_deployments_probe_the_right_paths_and_ports() -> None:
    for process in PROCESSES:
        deployment = of_kind("Deployment")[f"kaohe-{process}"]
        pod = deployment["spec"]["template"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        (container,) = pod["spec"]["containers"]
        port = DEFAULT_PORTS[process]
        assert container["args"] == ["serve", process] and command_exists(container["args"])
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port)
        service = of_kind("Service")[f"kaohe-{process}"]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


def test_k8s_hpas_target_existing_deployments() -> None:
    hpas = of_kind("HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()}
    assert targets == set(of_kind("Deployment"))
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        deployment = of_kind("Deployment")[hpa["spec"]["scaleTargetRef"]["name"]]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert "cpu" in container["resources"]["requests"]  # a CPU target needs a CPU request


def test_k8s_images_and_configuration_are_consistent() -> None:
    assert {c["image"] for _name, c in containers()} == {IMAGE}
    job = of_kind("Job")["kaohe-migrate"]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["migrate"] and command_exists(migrate["args"])
    for name, container in containers():
        refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
        assert refs == ["kaohe-config", "kaohe-secrets"], name
    config = of_kind("ConfigMap")["kaohe-config"]["data"]
    secret = of_kind("Secret")["kaohe-secrets"]["stringData"]
    assert set(config) | set(secret) <= known_variables(), (set(config) | set(secret)) - known_variables()
    assert not set(config) & set(secret)
    for service in SERVICES:
        assert config[f"KAOHE_{service.upper()}_URL"] == f"http://kaohe-{service}:{DEFAULT_PORTS[service]}"
    assert all("REPLACE_ME" in v or "example" in v for v in secret.values())
    resources = of_kind("Kustomization")[""]["resources"]
    assert all((K8S / r).exists() for r in resources) and "secret.example.yaml" not in resources


def test_k8s_readme_covers_separate_clusters() -> None:
    text = (K8S / "README.md").read_text(encoding="utf-8")
    for name in ("KAOHE_EVIDENCE_DATABASE_URL", "KAOHE_SCORING_DATABASE_URL", "KAOHE_RANKING_DATABASE_URL"):
        assert name in text
    assert variables_in(text) <= known_variables(), variables_in(text) - known_variables()
    for command in re.findall(r"`kaohe ([a-z][a-z ]*?)`", text):
        assert command_exists(shlex.split(command)), command


def test_dockerfile_base_image_is_a_build_argument_defaulting_to_the_public_one() -> None:
    instructions = dockerfile()
    args = dict(arg.split("=", 1) for op, arg in instructions if op == "ARG" and "=" in arg)
    assert args["PYTHON_VERSION"] == "3.11" and args["BASE_IMAGE"] == "python:${PYTHON_VERSION}-slim"
    assert [arg for op, arg in instructions if op == "FROM"] == ["${BASE_IMAGE} AS build", "${BASE_IMAGE} AS runtime"]


def test_compose_images_are_variables_defaulting_to_the_public_ones(compose: dict[str, Any]) -> None:
    """An intranet names its registry mirror (and docker/smoke.sh its local stand-ins) without editing the file."""
    images = {name: svc["image"] for name, svc in compose["services"].items()}
    assert images == {"postgres": "${POSTGRES_IMAGE:-postgres:18}", "minio": "${MINIO_IMAGE:-minio/minio:latest}",
                      "minio-bucket": "${MC_IMAGE:-minio/mc:latest}",
                      **{name: "${IMAGE:-kaohe:0.1.0}" for name in kaohe_services(compose)}}


def test_smoke_runs_the_compose_file_as_it_is_with_its_stand_ins() -> None:
    """docker/smoke.sh starts compose.yaml alone (no overlay); what differs on a machine without an image
    registry is only which images its variables name: the PostgreSQL, MinIO and mc stand-ins it builds."""
    script = (DOCKER / "smoke.sh").read_text(encoding="utf-8")
    runs = [line for line in script.splitlines() if re.search(r"podman-compose\S* --project-name", line)]
    assert len(runs) == 2  # compose() and the --keep message
    assert all(re.findall(r" -f (\S+)", line) in (['"$ROOT/docker/compose.yaml"'], ["docker/compose.yaml"])
               for line in runs), runs
    env_file = script.split('cat >"$ENV_FILE" <<EOF\n', 1)[1].split("\nEOF", 1)[0]
    named = dict(line.split("=", 1) for line in env_file.splitlines())
    assert named["POSTGRES_IMAGE"] == "$POSTGRES_IMAGE" and named["IMAGE"] == "$KAOHE_IMAGE"
    assert named["MINIO_IMAGE"] == named["MC_IMAGE"] == "$S3_IMAGE"
    for name in re.findall(r'"\$[A-Z0-9_]+_IMAGE:([a-z0-9]+)"', script):  # the stand-ins it builds
        assert (DOCKER / "smoke" / f"{name}.Containerfile").exists(), name
    assert variables_in(script) <= known_variables() | {
        "KAOHE_SMOKE_DIR", "KAOHE_SMOKE_PORT", "KAOHE_SMOKE_LOAD_MINUTES", "KAOHE_SMOKE_MIRROR", "KAOHE_IMAGE"}
    done = subprocess.run(["bash", "-n", str(DOCKER / "smoke.sh")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_image_and_kaohe_up_run_the_services_with_two_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    """glibc's default of up to 8 arenas a core let each worker thread keep an arena of freed pages (~9 MB of RSS
    apiece in the soak); the image and `kaohe up` start every process with two, and an operator's own value wins."""
    import kaohe.stack

    env = " ".join(arg for op, arg in dockerfile() if op == "ENV")
    assert re.findall(r"\bMALLOC_ARENA_MAX=(\S+)", env) == ["2"] == [kaohe.stack.MALLOC_ARENA_MAX]
    started: list[dict[str, str]] = []
    monkeypatch.setattr(kaohe.stack.subprocess, "Popen", lambda cmd, env: started.append(env))
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    kaohe.stack.Supervisor(Settings(), {}, "secret").start()
    assert [e["MALLOC_ARENA_MAX"] for e in started] == ["2"] * 4
    started.clear()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    kaohe.stack.Supervisor(Settings(), {}, "secret").start()
    assert [e["MALLOC_ARENA_MAX"] for e in started] == ["4"] * 4
