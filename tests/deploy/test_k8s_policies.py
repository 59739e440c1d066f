"""docker/k8s against the Kubernetes schemas (kubernetes-validate, which ships them: no network), and what
the manifests promise an IT department: disruption budgets, the network policy's reachability, probes and
resources, and the migration Job gating each release's pods."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as kv

from kaohe.ops_cli import PROCESSES
from services.common.settings import SERVICES
from tests.deploy.test_manifests import DEFAULT_PORTS, K8S, command_exists, documents, of_kind

# the oldest Kubernetes still widely run that has every API used here, and the newest the validator knows
VERSIONS = ["1.29.0", kv.latest_version()]
NOT_CLUSTER_OBJECTS = {"Kustomization"}  # read by kubectl/kustomize, never sent to the API server


def manifests() -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, doc) for path in sorted(K8S.glob("*.yaml")) for doc in documents(path)]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version: str) -> None:
    checked = 0
    for name, doc in manifests():
        if doc["kind"] in NOT_CLUSTER_OBJECTS:
            continue
        try:
            kv.validate(doc, version, strict=True)  # strict: an unknown or misspelled field fails too
        except kv.ValidationError as exc:
            pytest.fail(f"{name}: {doc['kind']}/{doc['metadata']['name']}: {exc.caught}")
        checked += 1
    assert checked == len(manifests()) - 1  # all but the Kustomization


def test_the_validator_rejects_what_a_cluster_would() -> None:
    """A control: the same check fails on a misspelled field and on values of the wrong type."""
    deployment = of_kind("Deployment")["kaohe-scoring"]
    misspelled = copy.deepcopy(deployment)
    misspelled["spec"]["replica"] = misspelled["spec"].pop("replicas")
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8002/tcp"
    bad_budget = copy.deepcopy(of_kind("PodDisruptionBudget")["kaohe-scoring"])
    bad_budget["spec"]["minAvailable"] = {"one": 1}
    no_kind = copy.deepcopy(of_kind("NetworkPolicy")["kaohe-services"])
    no_kind["spec"]["ingress"][0]["ports"][0]["port"] = [8001]
    for broken in (misspelled, wrong_type, bad_budget, no_kind):
        with pytest.raises(kv.ValidationError):
            kv.validate(broken, VERSIONS[-1], strict=True)


def test_kustomization_lists_every_cluster_object_but_the_secret_example_and_the_job() -> None:
    (kustomization,) = [doc for _name, doc in manifests() if doc["kind"] == "Kustomization"]
    listed = set(kustomization["resources"])
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    # the secret is made out of band; the Job is applied (and waited for) before `kubectl apply -k`
    assert listed == files - {"secret.example.yaml", "migrate-job.yaml"}


# --- Deployments: probes, resources, disruption budgets, the migration gate ---------------------------


def test_every_container_has_requests_limits_and_a_locked_down_context() -> None:
    for kind in ("Deployment", "Job"):
        for name, doc in of_kind(kind).items():
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                resources = container["resources"]
                assert {"cpu", "memory"} <= set(resources["requests"]) and set(resources["limits"]) >= {"memory"}, name
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
                assert context["capabilities"]["drop"] == ["ALL"], name
            assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001


def test_every_deployment_has_three_probes_and_a_disruption_budget_below_its_replicas() -> None:
    budgets = of_kind("PodDisruptionBudget")
    assert set(budgets) == set(of_kind("Deployment"))
    for name, deployment in of_kind("Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert {"readinessProbe", "livenessProbe", "startupProbe"} <= set(container), name
        budget = budgets[name]["spec"]
        assert budget["selector"] == deployment["spec"]["selector"]
        # a budget as large as the replicas would block every node drain
        hpa = of_kind("HorizontalPodAutoscaler")[name]["spec"]
        assert 1 <= budget["minAvailable"] < min(deployment["spec"]["replicas"], hpa["minReplicas"])
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_service_pods_wait_for_their_schema_before_starting() -> None:
    """The migration Job runs before a release's service pods serve: an init container holds each pod until
    that service's schema is at head (`kaohe migrate --wait`, tested against PostgreSQL in
    test_migrate_wait.py)."""
    (job,) = of_kind("Job").values()
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    for service in SERVICES:
        pod = of_kind("Deployment")[f"kaohe-{service}"]["spec"]["template"]["spec"]
        (gate,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert gate["args"][:2] == ["migrate", "--wait"] and int(gate["args"][2]) > 0
        assert gate["args"][3:] == ["--service", service] and command_exists(gate["args"])
        assert gate["image"] == main["image"] == migrate["image"]
        assert gate["envFrom"] == main["envFrom"] == migrate["envFrom"]
    assert "initContainers" not in of_kind("Deployment")["kaohe-gateway"]["spec"]["template"]["spec"]


# --- NetworkPolicy: who reaches whom ---------------------------------------------------------------


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] == "In", expr  # the only operator the manifests use
        if labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


class Pod:
    def __init__(self, namespace: str, **labels: str) -> None:
        self.namespace = namespace
        self.labels = labels
        self.namespace_labels = {"kubernetes.io/metadata.name": namespace}


def _peer_matches(peer: dict[str, Any], pod: Pod, policy_namespace: str) -> bool:
    assert "ipBlock" not in peer
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], pod.namespace_labels):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return _selects(peer.get("podSelector", {}), pod.labels)


def _port_matches(rule: dict[str, Any], port: int) -> bool:
    return not rule.get("ports") or any(p["port"] == port and p.get("protocol", "TCP") == "TCP"
                                        for p in rule["ports"])


def _allowed(direction: str, subject: Pod, peer: Pod, port: int) -> bool:
    """Kubernetes semantics: isolated once any policy selects the pod for that direction; then allowed
    if some rule of those policies admits the peer and the port."""
    policies = [doc for doc in of_kind("NetworkPolicy").values()
                if doc["metadata"]["namespace"] == subject.namespace
                and _selects(doc["spec"]["podSelector"], subject.labels)
                and direction in doc["spec"]["policyTypes"]]
    if not policies:
        return True
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in policies:
        for rule in policy["spec"].get(key, []):
            if _port_matches(rule, port) and (
                not rule.get(peers) or any(_peer_matches(p, peer, subject.namespace) for p in rule[peers])
            ):
                return True
    return False


def reaches(source: Pod, target: Pod, port: int) -> bool:
    return _allowed("Egress", source, target, port) and _allowed("Ingress", target, source, port)


KAOHE = {p: Pod("kaohe", **{"app.kubernetes.io/name": f"kaohe-{p}"}) for p in (*PROCESSES, "migrate")}
POSTGRES = Pod("kaohe", **{"app.kubernetes.io/name": "postgresql"})
INGRESS = Pod("ingress-nginx", **{"app.kubernetes.io/name": "ingress-nginx"})
PROMETHEUS = Pod("monitoring", **{"app.kubernetes.io/name": "prometheus"})
STRANGER = Pod("kaohe", run="debug-shell")  # `kubectl run` in the namespace: no kaohe label


def test_only_the_gateway_is_reached_from_outside() -> None:
    assert reaches(INGRESS, KAOHE["gateway"], 8000)
    for service in SERVICES:
        port = DEFAULT_PORTS[service]
        assert reaches(KAOHE["gateway"], KAOHE[service], port), service
        assert not reaches(INGRESS, KAOHE[service], port), service
        assert not reaches(STRANGER, KAOHE[service], port), service
        assert reaches(PROMETHEUS, KAOHE[service], port), service  # /metrics
    assert not reaches(KAOHE["gateway"], KAOHE["scoring"], 5432)  # only the services' own ports


def test_services_reach_one_another_for_events() -> None:
    for source in SERVICES:
        for target in SERVICES:
            if source != target:
                assert reaches(KAOHE[source], KAOHE[target], DEFAULT_PORTS[target]), (source, target)
    assert not reaches(KAOHE["evidence"], KAOHE["gateway"], 8000)


def test_only_the_services_and_the_migration_reach_postgresql() -> None:
    for name in (*SERVICES, "migrate"):
        assert reaches(KAOHE[name], POSTGRES, 5432), name
    assert not reaches(KAOHE["gateway"], POSTGRES, 5432)
    assert not reaches(STRANGER, POSTGRES, 5432)
    assert not reaches(INGRESS, POSTGRES, 5432)
    # a database outside the cluster: the gateway's egress alone forbids it
    outside = Pod("databases", **{"app.kubernetes.io/name": "postgresql"})
    assert not _allowed("Egress", KAOHE["gateway"], outside, 5432)
    assert _allowed("Egress", KAOHE["scoring"], outside, 5432)


def test_every_pod_resolves_names_and_nothing_else_is_open() -> None:
    dns = Pod("kube-system", **{"k8s-app": "kube-dns"})
    for pod in KAOHE.values():
        assert _allowed("Egress", pod, dns, 53)
        assert not _allowed("Egress", pod, STRANGER, 22)
    assert not reaches(KAOHE["migrate"], KAOHE["scoring"], 8002)


def test_the_policy_file_is_yaml_of_network_policies_only() -> None:
    docs = list(yaml.safe_load_all((K8S / "networkpolicy.yaml").read_text(encoding="utf-8")))
    assert docs and {d["kind"] for d in docs} == {"NetworkPolicy"}
    assert len({d["metadata"]["name"] for d in docs}) == len(docs)
