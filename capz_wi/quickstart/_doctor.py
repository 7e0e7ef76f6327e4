"""``doctor``: an offline consistency check of everything the quick start makes the user write by hand.

Each problem is a :class:`capz_wi.Finding` (severity ``error``) with the position of the offending value when it
came from a file, a ``rule`` naming the check and a ``hint`` saying how to fix it. The checks:

``issuer-mismatch``        an issuer string differs in any character between ``--issuer``, the kind config, the
                           discovery document and the federated credentials (Entra compares them exactly:
                           AADSTS70021); the first of those given is the reference
``issuer-form``            an issuer that is not https, or whose host has uppercase letters
``jwks-uri``               the discovery document's ``jwks_uri`` is not under its issuer
``discovery-missing``      a file of ``--discovery-dir`` is absent
``jwks-missing-key``       the JWKS lacks the key the cluster signs with (``--public-key``, the kind mounts), or
                           carries it under another ``kid``
``credential-subject``     a credential subject that is not the CAPZ or ASO service account (uppercase letters
                           included: Entra matches case-sensitively), or a service account without a credential
``credential-audience``    a credential whose audiences lack ``api://AzureADTokenExchange``
``identity-client-id``     an AzureClusterIdentity whose clientID is not the identity the credentials belong to,
                           or that is not ``type: WorkloadIdentity``
``role-assignment``        no Contributor or Owner at the subscription or the cluster's resource group
                           (the quick start's ``AuthorizationFailed``)

Everything here is pure: the CLI reads the files and passes their text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from capz_wi import _yamlio as y
from capz_wi._errors import OptionsError, SourcePos
from capz_wi._report import Finding
from capz_wi.quickstart._discovery import DISCOVERY_PATH, JWKS_PATH, jwk
from capz_wi.quickstart._federated import AUDIENCE, SERVICE_ACCOUNTS, check_namespace, subject
from capz_wi.quickstart._kind import SA_KEY, SA_PUB
from capz_wi.quickstart._keys import key_id

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ROLES = ("Contributor", "Owner")


@dataclass(frozen=True)
class TextFile:
    """A file the user passed: its display ``name`` and its ``text``."""

    name: str
    text: str


@dataclass(frozen=True)
class DoctorInput:
    """What ``doctor`` checks; every field is optional and only the checks whose inputs are given run.

    ``public_keys`` are (name, public key object) pairs of the keys the cluster signs with; ``missing`` lists
    files that were named (discovery documents, kind mounts) but do not exist.
    """

    issuer: str | None = None
    kind_config: TextFile | None = None
    discovery: TextFile | None = None
    jwks: TextFile | None = None
    federated_credentials: TextFile | None = None
    manifest: TextFile | None = None
    role_assignments: TextFile | None = None
    public_keys: tuple[tuple[str, Any], ...] = ()
    missing: tuple[tuple[str, str], ...] = ()  # (path, what it should hold)
    namespace: str = "capz-system"
    client_id: str | None = None

    @property
    def empty(self) -> bool:
        return not any(
            (self.issuer, self.kind_config, self.discovery, self.jwks, self.federated_credentials, self.manifest,
             self.role_assignments, self.public_keys, self.missing)
        )


@dataclass
class _Issuer:
    label: str
    value: str
    pos: SourcePos | None


@dataclass
class _State:
    inp: DoctorInput
    problems: list[Finding] = field(default_factory=list)
    issuers: list[_Issuer] = field(default_factory=list)

    def add(self, rule: str, message: str, hint: str, pos: SourcePos | None = None) -> None:
        self.problems.append(Finding("error", message, None, pos, rule, "", hint))


def _root(f: TextFile) -> tuple[y.Stream, y.Node | None]:
    stream = y.load_stream(f.text, f.name)
    return stream, (stream.docs[0].root if stream.docs else None)


def _pos(stream: y.Stream, node: y.Node | None) -> SourcePos:
    return stream.pos(node, 0)


def _value_pos(stream: y.Stream, parent: y.Node | None, key: str) -> tuple[str | None, SourcePos]:
    found = y.lookup(parent, key)
    if found is None:
        return None, _pos(stream, parent)
    return y.scalar(found[1]), _pos(stream, found[1])


def kind_mounts(text: str, name: str = "<kind config>") -> dict[str, str]:
    """containerPath -> hostPath of every extraMount in a kind config (to find the keys the cluster uses)."""
    _, root = _root(TextFile(name, text))
    out: dict[str, str] = {}
    nodes = y.get(root, "nodes")
    for node in nodes.value if isinstance(nodes, y.SequenceNode) else []:
        mounts = y.get(node, "extraMounts")
        for m in mounts.value if isinstance(mounts, y.SequenceNode) else []:
            c, h = y.scalar(y.get(m, "containerPath")), y.scalar(y.get(m, "hostPath"))
            if c and h:
                out[c] = h
    return out


# ---------------------------------------------------------------------------------------------------------------
# Collecting issuers


def _kind_issuers(st: _State, f: TextFile) -> None:
    stream, root = _root(f)
    nodes = y.get(root, "nodes")
    found = False
    for node in nodes.value if isinstance(nodes, y.SequenceNode) else []:
        patches = y.get(node, "kubeadmConfigPatches")
        for p in patches.value if isinstance(patches, y.SequenceNode) else []:
            text = y.scalar(p)
            if not text:
                continue
            inner = y.load_stream(text, f.name)
            for d in inner.docs:
                if y.scalar(y.get(d.root, "kind")) != "ClusterConfiguration":
                    continue
                args = y.get(d.root, "apiServer", "extraArgs")
                value, node_in = _extra_arg(args, "service-account-issuer")
                if value is None:
                    continue
                found = True
                st.issuers.append(_Issuer(f"kind config {f.name}", value, _inner_pos(stream, p, node_in)))
    if not found:
        st.add(
            "issuer-mismatch",
            "the kind config sets no service-account-issuer",
            "generate it with capz-wi kind-config --issuer ISSUER --signing-key sa.key --public-key sa.pub",
            SourcePos(f.name, 1, 1),
        )


def _extra_arg(args: y.Node | None, name: str) -> tuple[str | None, y.Node | None]:
    """An extraArgs value in map form (kubeadm v1beta3) or ``[{name, value}]`` list form (v1beta4)."""
    if isinstance(args, y.MappingNode):
        pair = y.lookup(args, name)
        return (y.scalar(pair[1]), pair[1]) if pair else (None, None)
    if isinstance(args, y.SequenceNode):
        for item in args.value:
            if y.scalar(y.get(item, "name")) == name:
                v = y.get(item, "value")
                return y.scalar(v), v
    return None, None


def _inner_pos(stream: y.Stream, block: y.Node, inner: y.Node | None) -> SourcePos:
    """Position in the kind config of a node parsed from a ``|`` block scalar (a kubeadm patch)."""
    if inner is None or not isinstance(block, y.ScalarNode) or block.style != "|":
        return _pos(stream, block)
    first = block.start_mark.line + 1  # 0-based line of the block's first content line
    lines = stream.text.splitlines()
    indent = 0
    for line in lines[first:]:
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            break
    return SourcePos(stream.file, first + inner.start_mark.line + 1, indent + inner.start_mark.column + 1)


def _discovery_issuer(st: _State, f: TextFile) -> None:
    stream, root = _root(f)
    iss, ipos = _value_pos(stream, root, "issuer")
    if iss is None:
        st.add("jwks-uri", "the discovery document has no issuer", "regenerate it with capz-wi discovery", ipos)
        return
    st.issuers.append(_Issuer(f"discovery document {f.name}", iss, ipos))
    uri, upos = _value_pos(stream, root, "jwks_uri")
    if uri is None or not uri.startswith(iss if iss.endswith("/") else iss + "/") or "//" in uri.split("://", 1)[-1]:
        st.add(
            "jwks-uri",
            f"jwks_uri {uri!r} is not under the issuer {iss!r}",
            f"set it to {(iss if iss.endswith('/') else iss + '/') + JWKS_PATH!r} (capz-wi discovery does)",
            upos,
        )


def _credential_items(stream: y.Stream, root: y.Node | None) -> list[y.Node]:
    if isinstance(root, y.MappingNode) and isinstance(y.get(root, "value"), y.SequenceNode):
        root = y.get(root, "value")
    if isinstance(root, y.SequenceNode):
        return list(root.value)
    if isinstance(root, y.MappingNode):
        return [root]
    return []


def _check_credentials(st: _State, f: TextFile) -> None:
    stream, root = _root(f)
    ns = st.inp.namespace
    expected = {subject(ns, sa): sa for sa, _ in SERVICE_ACCOUNTS}
    seen: set[str] = set()
    for item in _credential_items(stream, root):
        name = y.scalar(y.get(item, "name")) or "?"
        iss, ipos = _value_pos(stream, item, "issuer")
        if iss is not None:
            st.issuers.append(_Issuer(f"credential {name}", iss, ipos))
        sub, spos = _value_pos(stream, item, "subject")
        if sub in expected:
            seen.add(sub)
        else:
            lower = {s.lower(): s for s in expected}
            if sub is not None and sub.lower() in lower:
                st.add(
                    "credential-subject",
                    f"credential {name}: subject {sub!r} has uppercase letters",
                    f"use {lower[sub.lower()]!r}, what the tokens carry (Entra matches subjects case-sensitively)",
                    spos,
                )
            else:
                st.add(
                    "credential-subject",
                    f"credential {name}: subject {sub!r} is not the CAPZ or ASO service account",
                    "use " + " or ".join(repr(s) for s in expected) + " (capz-wi federated-credentials prints both)",
                    spos,
                )
        aud_pair = y.lookup(item, "audiences")
        auds = y.to_python(aud_pair[1]) if aud_pair else None
        apos = _pos(stream, aud_pair[1] if aud_pair else item)
        if not isinstance(auds, list) or AUDIENCE not in auds:
            st.add(
                "credential-audience",
                f"credential {name}: audiences {auds!r} lack {AUDIENCE!r}",
                f"set audiences to [{AUDIENCE!r}], the audience of the CAPZ and ASO tokens",
                apos,
            )
    for sub in expected:
        if sub not in seen:
            st.add(
                "credential-subject",
                f"no federated credential has subject {sub!r}",
                "create it with the commands capz-wi federated-credentials prints",
                SourcePos(f.name, 1, 1),
            )


def _check_issuers(st: _State) -> None:
    if st.inp.issuer is not None:
        st.issuers.insert(0, _Issuer("--issuer", st.inp.issuer, None))
    for iss in st.issuers:
        host = iss.value.split("://", 1)[-1].split("/", 1)[0]
        if not iss.value.startswith("https://"):
            st.add("issuer-form", f"{iss.label}: issuer {iss.value!r} is not https", "Entra only accepts https issuers", iss.pos)
        elif host != host.lower():
            st.add(
                "issuer-form",
                f"{iss.label}: issuer host {host!r} has uppercase letters",
                "write the host in lowercase everywhere (Entra compares issuers case-sensitively)",
                iss.pos,
            )
    if not st.issuers:
        return
    ref = st.issuers[0]
    for iss in st.issuers[1:]:
        if iss.value != ref.value:
            st.add(
                "issuer-mismatch",
                f"{iss.label}: issuer {iss.value!r} differs from {ref.value!r} ({ref.label}): {_difference(iss.value, ref.value)}",
                f"use exactly {ref.value!r} everywhere (Entra compares the issuer character for character: AADSTS70021)",
                iss.pos,
            )


def _difference(a: str, b: str) -> str:
    """What differs between two issuer strings: scheme, host (or its letter case), path, trailing slash."""
    (sa, _, ra), (sb, _, rb) = a.partition("://"), b.partition("://")
    (ha, _, pa), (hb, _, pb) = ra.partition("/"), rb.partition("/")
    out = []
    if sa != sb:
        out.append("scheme")
    if ha != hb:
        out.append("host letter case" if ha.lower() == hb.lower() else "host")
    if pa.rstrip("/") != pb.rstrip("/"):
        out.append("path letter case" if pa.rstrip("/").lower() == pb.rstrip("/").lower() else "path")
    if pa.endswith("/") != pb.endswith("/") or (pa.rstrip("/") == pb.rstrip("/") and pa != pb):
        out.append("trailing slash")
    return ", ".join(out) or "characters"


# ---------------------------------------------------------------------------------------------------------------
# Keys


def _check_jwks(st: _State, f: TextFile) -> None:
    stream, root = _root(f)
    keys = y.get(root, "keys")
    entries = [(y.to_python(k), k) for k in keys.value] if isinstance(keys, y.SequenceNode) else []
    kpos = _pos(stream, keys if keys is not None else root)
    checked: set[str] = set()
    for name, key in st.inp.public_keys:
        kid = key_id(key)
        if kid in checked:  # sa.pub and sa.key of one pair
            continue
        checked.add(kid)
        want = jwk(key)
        material = {k: v for k, v in want.items() if k in ("n", "e", "x", "y", "crv")}
        by_kid = [(e, n) for e, n in entries if isinstance(e, dict) and e.get("kid") == kid]
        same = [(e, n) for e, n in entries if isinstance(e, dict) and all(e.get(k) == v for k, v in material.items())]
        if by_kid and not all(by_kid[0][0].get(k) == v for k, v in material.items()):
            st.add(
                "jwks-missing-key",
                f"the JWKS key with kid {kid!r} is not the key in {name}",
                "regenerate the JWKS with capz-wi discovery --public-key " + name,
                _pos(stream, by_kid[0][1]),
            )
        elif not by_kid and same:
            st.add(
                "jwks-missing-key",
                f"the JWKS has the key of {name} under kid {same[0][0].get('kid')!r}, but tokens carry kid {kid!r}",
                "regenerate the JWKS with capz-wi discovery, which derives the kid as Kubernetes does",
                _pos(stream, same[0][1]),
            )
        elif not by_kid:
            st.add(
                "jwks-missing-key",
                f"the JWKS lacks the key the cluster signs with ({name}, kid {kid!r})",
                f"regenerate it with capz-wi discovery --public-key {name} (add the old keys too while rotating) and upload it",
                kpos,
            )


# ---------------------------------------------------------------------------------------------------------------
# Manifest and roles


def _concrete(v: str | None) -> str | None:
    return v if v and "${" not in v else None


def _check_manifest(st: _State, f: TextFile) -> tuple[str | None, str | None]:
    from capz_wi._document import resources

    stream = y.load_stream(f.text, f.name)
    sub = rg = None
    for res in resources(stream):
        if res.is_infra("AzureCluster"):
            sub = sub or _concrete(res.value("spec", "subscriptionID"))
            rg = rg or _concrete(res.value("spec", "resourceGroup")) or _concrete(res.value("metadata", "name"))
        if not res.is_infra("AzureClusterIdentity"):
            continue
        kind_type = res.value("spec", "type")
        if kind_type != "WorkloadIdentity" and _concrete(kind_type):
            st.add(
                "identity-client-id",
                f"{res.ref}: type is {kind_type!r}, not WorkloadIdentity",
                "run capz-wi transform on the manifest",
                res.pos("spec", "type"),
            )
        cid = _concrete(res.value("spec", "clientID"))
        want = st.inp.client_id
        if want and cid and cid.lower() != want.lower():
            st.add(
                "identity-client-id",
                f"{res.ref}: clientID {cid!r} is not the identity the credentials belong to ({want!r})",
                f"set spec.clientID to {want!r} (capz-wi transform --client-id {want})",
                res.pos("spec", "clientID"),
            )
    return sub, rg


def _check_roles(st: _State, f: TextFile, sub: str | None, rg: str | None) -> None:
    stream, root = _root(f)
    items = root.value if isinstance(root, y.SequenceNode) else []
    principal = None
    for item in items:
        principal = principal or y.scalar(y.get(item, "principalId"))
        role = y.scalar(y.get(item, "roleDefinitionName"))
        scope = (y.scalar(y.get(item, "scope")) or "").rstrip("/").lower()
        if role not in ROLES:
            continue
        parts = scope.split("/")
        if len(parts) == 3 and parts[1] == "subscriptions" and (sub is None or parts[2] == sub.lower()):
            return
        if (
            len(parts) == 5
            and parts[1] == "subscriptions"
            and parts[3] == "resourcegroups"
            and (sub is None or parts[2] == sub.lower())
            and (rg is None or parts[4] == rg.lower())
        ):
            return
    where = f"subscription {sub}" if sub else "the subscription"
    if rg:
        where += f" or resource group {rg}"
    scope = f"/subscriptions/{sub}" if sub else "/subscriptions/<subscription-id>"
    st.add(
        "role-assignment",
        f"no Contributor or Owner role at {where}: CAPZ will fail with AuthorizationFailed",
        f"az role assignment create --assignee-object-id {principal or '<principal-id>'} --role Contributor --scope {scope}",
        _pos(stream, root),
    )


def doctor(inp: DoctorInput) -> list[Finding]:
    """Run every check whose inputs are given; returns the problems (empty when everything agrees).

    Raises :class:`capz_wi.OptionsError` when nothing is given, and :class:`capz_wi.InputError` (with the
    position) for a file that is not YAML/JSON.
    """
    if inp.empty:
        raise OptionsError(
            "nothing to check", "", "pass --issuer, --kind-config, --discovery-dir, --federated-credentials, "
            "--manifest, --public-key or --role-assignments"
        )
    check_namespace(inp.namespace)
    if inp.client_id is not None and not _GUID.match(inp.client_id):
        raise OptionsError(f"{inp.client_id!r} is not a GUID", "client-id", "pass the identity's client ID")
    st = _State(inp)
    for path, what in inp.missing:
        st.add("discovery-missing", f"{path} does not exist ({what})", "write it with capz-wi discovery / capz-wi keys", SourcePos(path, 1, 1))
    if inp.kind_config:
        _kind_issuers(st, inp.kind_config)
    if inp.discovery:
        _discovery_issuer(st, inp.discovery)
    if inp.federated_credentials:
        _check_credentials(st, inp.federated_credentials)
    _check_issuers(st)
    if inp.jwks:
        _check_jwks(st, inp.jwks)
    sub = rg = None
    if inp.manifest:
        sub, rg = _check_manifest(st, inp.manifest)
    if inp.role_assignments:
        _check_roles(st, inp.role_assignments, sub, rg)
    return st.problems


def discovery_paths(directory: str) -> tuple[str, str]:
    """The two files ``capz-wi discovery --out-dir DIR`` writes, as paths under ``directory``."""
    base = directory.rstrip("/") or "/"
    return f"{base}/{DISCOVERY_PATH}", f"{base}/{JWKS_PATH}"


def kind_key_paths(mounts: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(host path, role) of the service-account keys a kind config mounts."""
    for container, role in ((SA_PUB, "public key"), (SA_KEY, "signing key")):
        if container in mounts:
            yield mounts[container], role
