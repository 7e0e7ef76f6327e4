"""Property-based tests: hypothesis generates CAPZ-like streams in many YAML styles and the transform must be exact.

Generated: AzureClusterIdentities (every type, with and without clientSecret, every allowedNamespaces form),
AzureClusters referencing them from several namespaces, AzureMachineTemplates (no identity, None, UserAssigned
with other entries, ours further down, the CAPZ CI default), and bystanders (ConfigMap, Secret, Cluster), in
random order, each document rendered with its own style: indentation 2 or 4, indented or compact sequences, flow
or block collections, plain/single/double quoting, comments, and unknown extra fields.

Properties: nothing but ``CapzWiError`` is ever raised (and valid input raises nothing); a document that needs no
edit comes back byte-identical; every edited object has exactly the expected fields (identity type, no
clientSecret, clientID/tenantID, our identity first in userAssignedIdentities with the others kept, and
allowedNamespaces admitting every referencing namespace without narrowing); a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import capz_wi
from tests.conftest import CLIENT_ID, IDENTITY, TENANT_ID
from tests.test_reliability_adapters import load_all

OPTIONS = capz_wi.Options(identity_id=IDENTITY, client_id=CLIENT_ID, tenant_id=TENANT_ID)
INFRA = "infrastructure.cluster.x-k8s.io/v1beta1"
OURS = "azure://" + IDENTITY
CI_DEFAULT = (  # as the CAPZ templates since v1.16 write it
    "/subscriptions/${AZURE_SUBSCRIPTION_ID}/resourceGroups/${CI_RG:=capz-ci}/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/${USER_IDENTITY:=cloud-provider-user-identity}"
)
NAMESPACES = ["default", "team-a", "team-b", "capz-system"]
WORDS = st.sampled_from(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"])
GUIDS = st.sampled_from(
    ["11111111-2222-3333-4444-555555555555", CLIENT_ID, TENANT_ID, "99999999-8888-7777-6666-555555555555"]
)


def other_identity(n: int) -> str:
    return (
        f"azure:///subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-{n}/providers/"
        f"Microsoft.ManagedIdentity/userAssignedIdentities/other-{n}"
    )


def norm(pid: str) -> str:
    return "/" + pid.removeprefix("azure://").strip("/").lower()


# ---------------------------------------------------------------------------------------------------------------
# Objects


def extras() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(WORDS, st.none(), st.lists(WORDS, max_size=3))
    return st.dictionaries(st.sampled_from(["xNote", "xOwner", "xTags"]), st.one_of(leaf, st.dictionaries(WORDS, WORDS, max_size=2)), max_size=2)


@st.composite
def identity(draw: st.DrawFn, n: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": draw(st.sampled_from(["ServicePrincipal", "ManualServicePrincipal", "WorkloadIdentity"]))}
    for key, value in (("clientID", GUIDS), ("tenantID", GUIDS)):
        if draw(st.booleans()):
            spec[key] = draw(value)
    if draw(st.booleans()):
        spec["clientSecret"] = {"name": f"secret-{n}", "namespace": draw(st.sampled_from(NAMESPACES))}
    allowed = draw(st.sampled_from(["absent", "null", "all", "list", "selector", "list+selector"]))
    if allowed == "null":
        spec["allowedNamespaces"] = None
    elif allowed == "all":
        spec["allowedNamespaces"] = {}
    elif allowed != "absent":
        spec["allowedNamespaces"] = {}
        if "list" in allowed:
            spec["allowedNamespaces"]["list"] = draw(st.lists(st.sampled_from(NAMESPACES), min_size=1, max_size=3, unique=True))
        if "selector" in allowed:
            spec["allowedNamespaces"]["selector"] = {"matchLabels": {"team": draw(WORDS)}}
    spec.update(draw(extras()))
    meta: dict[str, Any] = {"name": f"identity-{n}"}
    if draw(st.booleans()):
        meta["namespace"] = draw(st.sampled_from(NAMESPACES))
    return {"apiVersion": INFRA, "kind": "AzureClusterIdentity", "metadata": meta, "spec": spec}


@st.composite
def cluster(draw: st.DrawFn, n: int, identities: int) -> dict[str, Any]:
    ref: dict[str, Any] = {"apiVersion": INFRA, "kind": "AzureClusterIdentity", "name": f"identity-{draw(st.integers(0, identities - 1))}"}
    if draw(st.booleans()):
        ref["namespace"] = draw(st.sampled_from(NAMESPACES))
    spec = {"identityRef": ref, "location": draw(WORDS), **draw(extras())}
    return {"apiVersion": INFRA, "kind": "AzureCluster", "metadata": {"name": f"cluster-{n}", "namespace": draw(st.sampled_from(NAMESPACES))}, "spec": spec}


@st.composite
def machine(draw: st.DrawFn, n: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"vmSize": "Standard_B2s", "osDisk": {"diskSizeGB": "128", "osType": "Linux"}}
    state = draw(st.sampled_from(["absent", "None", "UserAssigned"]))
    if state != "absent":
        spec["identity"] = state
    if state == "UserAssigned" or draw(st.booleans()):
        entries = [other_identity(i) for i in draw(st.lists(st.integers(0, 5), max_size=3, unique=True))]
        if draw(st.booleans()):
            entries.insert(draw(st.integers(0, len(entries))), draw(st.sampled_from([OURS, IDENTITY])))
        if draw(st.booleans()):
            entries.insert(draw(st.integers(0, len(entries))), CI_DEFAULT)
        if entries or draw(st.booleans()):
            spec["userAssignedIdentities"] = [{"providerID": e} for e in entries]
    spec.update(draw(extras()))
    meta = {"name": f"md-{n}", "namespace": "default"}
    if draw(st.booleans()):  # AzureMachinePool: the same fields directly under spec
        return {"apiVersion": INFRA, "kind": "AzureMachinePool", "metadata": meta, "spec": {"template": {"vmSize": "Standard_B2s"}, **spec}}
    return {"apiVersion": INFRA, "kind": "AzureMachineTemplate", "metadata": meta, "spec": {"template": {"spec": spec}}}


def machine_spec(o: dict[str, Any]) -> dict[str, Any]:
    return o["spec"] if o["kind"] == "AzureMachinePool" else o["spec"]["template"]["spec"]


@st.composite
def bystander(draw: st.DrawFn, n: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ConfigMap", "Secret", "Cluster"]))
    if kind == "Cluster":
        return {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "metadata": {"name": f"c-{n}"},
                "spec": {"clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]}}, **draw(extras())}}
    data = draw(st.dictionaries(WORDS, WORDS, max_size=3))
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": f"{kind.lower()}-{n}"}, "data": data}


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    n_id = draw(st.integers(1, 2))
    objs = [draw(identity(i)) for i in range(n_id)]
    objs += [draw(cluster(i, n_id)) for i in range(draw(st.integers(0, 3)))]
    objs += [draw(machine(i)) for i in range(draw(st.integers(0, 3)))]
    objs += [draw(bystander(i)) for i in range(draw(st.integers(0, 2)))]
    return draw(st.permutations(objs))


# ---------------------------------------------------------------------------------------------------------------
# Rendering: one style per document

SPECIAL = re.compile(r"^(?:true|false|yes|no|on|off|null|y|n|~)$", re.IGNORECASE)


@dataclass
class Style:
    rng: random.Random
    width: int  # mapping indentation step: 2 or 4
    indented_seqs: bool  # "key:\n  - a" or "key:\n- a"
    flow: float  # chance of writing a collection in flow style
    comments: float  # chance of a comment

    def scalar(self, value: Any, flow: bool = False) -> str:
        if value is None:
            return self.rng.choice(["null", "~"] + ([] if flow else [""]))
        text = str(value)
        plain_ok = not SPECIAL.match(text) and re.fullmatch(r"[A-Za-z0-9_/$.{}-][^\s#'\",\[\]]*", text) is not None
        if flow and (":" in text or "{" in text):
            plain_ok = False
        if text.isdigit() or re.fullmatch(r"[0-9-]+", text):
            plain_ok = False  # keep numbers-looking values strings for every reader
        choice = self.rng.random()
        if plain_ok and choice < 0.5:
            return text
        if choice < 0.75:
            return "'" + text.replace("'", "''") + "'"
        return json.dumps(text)

    def flow_text(self, value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {self.flow_text(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow_text(v) for v in value) + "]"
        return self.scalar(value, flow=True)

    def comment(self, pad: int, out: list[str]) -> None:
        if self.rng.random() < self.comments:
            out.append(" " * pad + "# " + self.rng.choice(["note", "managed by hand", "see docs: x"]))

    def mapping(self, d: dict[str, Any], pad: int, out: list[str], first_comment: bool = True) -> None:
        for i, (k, v) in enumerate(d.items()):
            if i or first_comment:
                self.comment(pad, out)
            head = " " * pad + f"{k}:"
            if isinstance(v, (dict, list)) and (not v or self.rng.random() < self.flow):
                out.append(head + " " + self.flow_text(v))
            elif isinstance(v, dict):
                out.append(head)
                self.mapping(v, pad + self.width, out)
            elif isinstance(v, list):
                out.append(head)
                self.sequence(v, pad + (self.width if self.indented_seqs else 0), out)
            else:
                tail = "  # inline" if self.rng.random() < self.comments else ""
                value = self.scalar(v)
                out.append(head + (" " + value if value else "") + tail)

    def sequence(self, items: list[Any], pad: int, out: list[str]) -> None:
        for item in items:
            if isinstance(item, dict) and item and self.rng.random() >= self.flow:
                sub: list[str] = []
                self.mapping(item, pad + 2, sub, first_comment=False)
                out.append(" " * pad + "- " + sub[0][pad + 2 :])
                out.extend(sub[1:])
            elif isinstance(item, (dict, list)):
                out.append(" " * pad + "- " + self.flow_text(item))
            else:
                out.append(" " * pad + "- " + self.scalar(item))


def render(objs: list[dict[str, Any]], rng: random.Random) -> tuple[str, list[str]]:
    """The stream text and each document's text."""
    docs = []
    for obj in objs:
        style = Style(rng, rng.choice([2, 4]), rng.random() < 0.5, rng.choice([0.0, 0.2, 0.5]), rng.choice([0.0, 0.15]))
        lines: list[str] = []
        style.mapping(obj, 0, lines, first_comment=True)
        docs.append("\n".join(lines) + "\n")
    return "---\n".join(docs), docs


def split_docs(text: str) -> list[str]:
    return re.split(r"(?m)^---\n", text)


# ---------------------------------------------------------------------------------------------------------------
# Expectations


def referrers_ns(objs: list[dict[str, Any]], ident: dict[str, Any]) -> list[str]:
    own = ident["metadata"].get("namespace") or "default"
    found = set()
    for o in objs:
        if o["kind"] == "AzureCluster":
            ref = o["spec"]["identityRef"]
            ns = ref.get("namespace") or o["metadata"].get("namespace") or "default"
            if ref["name"] == ident["metadata"]["name"] and ns == own:
                found.add(o["metadata"].get("namespace") or "default")
    return sorted(found) or [own]


def identity_needs_edit(objs: list[dict[str, Any]], o: dict[str, Any]) -> bool:
    s = o["spec"]
    allowed = s.get("allowedNamespaces", None)
    admits = isinstance(allowed, dict) and (
        ("list" not in allowed and "selector" not in allowed) or set(referrers_ns(objs, o)) <= set(allowed.get("list") or [])
    )
    return not (
        s["type"] == "WorkloadIdentity" and "clientSecret" not in s and s.get("clientID") == CLIENT_ID
        and s.get("tenantID") == TENANT_ID and admits
    )


def machine_needs_edit(o: dict[str, Any]) -> bool:
    s = machine_spec(o)
    entries = [e["providerID"] for e in s.get("userAssignedIdentities") or []]
    return not (
        s.get("identity") == "UserAssigned" and entries and norm(entries[0]) == norm(OURS)
        and CI_DEFAULT not in entries and sum(norm(e) == norm(OURS) for e in entries) == 1
    )


def needs_edit(objs: list[dict[str, Any]], o: dict[str, Any]) -> bool:
    if o["kind"] == "AzureClusterIdentity":
        return identity_needs_edit(objs, o)
    if o["kind"] in ("AzureMachineTemplate", "AzureMachinePool"):
        return machine_needs_edit(o)
    return False


def check_identity(objs: list[dict[str, Any]], before: dict[str, Any], after: dict[str, Any]) -> None:
    s, b = after["spec"], before["spec"]
    assert s["type"] == "WorkloadIdentity" and "clientSecret" not in s
    assert s["clientID"] == CLIENT_ID and s["tenantID"] == TENANT_ID
    wanted = referrers_ns(objs, before)
    old = b.get("allowedNamespaces")
    new = s["allowedNamespaces"]
    assert isinstance(new, dict), new
    if isinstance(old, dict) and "list" not in old and "selector" not in old:
        assert new == {}, new  # {} admits all: left alone
        return
    old_list = (old or {}).get("list") or []
    assert new["list"][: len(old_list)] == old_list  # never narrowed, order kept
    assert set(new["list"]) == set(old_list) | set(wanted)
    assert new.get("selector") == (old or {}).get("selector")
    assert {k: v for k, v in s.items() if k not in ("type", "clientID", "tenantID", "allowedNamespaces")} == {
        k: v for k, v in b.items() if k not in ("type", "clientID", "tenantID", "allowedNamespaces", "clientSecret")
    }


def check_machine(before: dict[str, Any], after: dict[str, Any]) -> None:
    s, b = machine_spec(after), machine_spec(before)
    assert s["identity"] == "UserAssigned"
    entries = [e["providerID"] for e in s["userAssignedIdentities"]]
    assert norm(entries[0]) == norm(OURS)
    old = [e["providerID"] for e in b.get("userAssignedIdentities") or []]
    kept = [e for e in old if norm(e) != norm(OURS) and e != CI_DEFAULT]
    assert entries[1:] == kept  # the others stay, in order; ours is first and only once; the CI default goes
    assert {k: v for k, v in s.items() if k not in ("identity", "userAssignedIdentities")} == {
        k: v for k, v in b.items() if k not in ("identity", "userAssignedIdentities")
    }


def comparable(o: Any) -> Any:
    """BaseLoader reads every scalar as a string (null as '', 'null' or '~'); the model keeps None."""
    if isinstance(o, dict):
        return {k: comparable(v) for k, v in o.items()}
    if isinstance(o, list):
        return [comparable(v) for v in o]
    return "" if o is None or o in ("null", "~") else str(o)


#: CAPZ_WI_PROPERTY_EXAMPLES raises the number of generated streams (CI runs the default).
EXAMPLES = int(os.environ.get("CAPZ_WI_PROPERTY_EXAMPLES", "150"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(objs=streams(), rng=st.randoms(use_true_random=False))
def test_transform_properties(objs: list[dict[str, Any]], rng: random.Random) -> None:
    text, docs = render(objs, rng)
    parsed = [comparable(o) for o in objs]
    assert [comparable(d) for d in load_all(text.encode())] == parsed  # the renderer wrote what the model says
    try:
        result = capz_wi.transform(text, OPTIONS, file="gen.yaml")
    except capz_wi.CapzWiError as exc:  # valid input: even the project's own error is a failure here
        raise AssertionError(f"valid stream refused: {exc}\n{text}") from None
    assert result.ok, result.findings
    out_docs = split_docs(result.text)
    assert len(out_docs) == len(docs)
    after = [comparable(d) for d in load_all(result.text.encode())]
    for model, before_text, out_text, out_obj in zip(parsed, docs, out_docs, after):
        if not needs_edit(parsed, model):
            assert out_text == before_text, f"untouched document changed:\n{before_text}---\n{out_text}"
        elif model["kind"] == "AzureClusterIdentity":
            check_identity(parsed, model, out_obj)
        else:
            check_machine(model, out_obj)
    again = capz_wi.transform(result.text, OPTIONS, file="out.yaml")
    assert again.changes == [] and again.removed == [] and again.text == result.text


@settings(max_examples=max(EXAMPLES * 2 // 3, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objs=streams(), rng=st.randoms(use_true_random=False), cut=st.integers(0, 10_000), junk=st.binary(max_size=8))
def test_damaged_streams_raise_only_capz_errors(objs: list[dict[str, Any]], rng: random.Random, cut: int, junk: bytes) -> None:
    """Truncated and spliced variants of valid streams: a result or a CapzWiError with a position, nothing else."""
    data = render(objs, rng)[0].encode()
    cut = cut % (len(data) + 1)
    for variant in (data[:cut], data[:cut] + junk + data[cut:], data[:cut] + data[cut + len(junk) :]):
        try:
            capz_wi.transform(variant, OPTIONS, file="cut.yaml")
        except capz_wi.CapzWiError as exc:
            assert exc.pos is not None and exc.pos.file == "cut.yaml" and exc.pos.line >= 1 and exc.pos.column >= 1


@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objs=streams(), rng=st.randoms(use_true_random=False))
def test_krm_function_agrees_with_the_library(objs: list[dict[str, Any]], rng: random.Random) -> None:
    """The same stream as the items of a ResourceList: the function's items are the library's output objects."""
    import capz_wi.krm

    from tests.test_reliability_adapters import wrap_resource_list

    text = render(objs, rng)[0]
    options = {"identityID": IDENTITY, "clientID": CLIENT_ID, "tenantID": TENANT_ID}
    out = capz_wi.krm.process(wrap_resource_list(text.encode(), options))
    assert out.exit_code == 0, out.stderr
    items = load_all(out.text.encode())[0]["items"]
    expected = load_all(capz_wi.transform(text, OPTIONS).text.encode())
    assert [comparable(i) for i in items] == [comparable(d) for d in expected]
