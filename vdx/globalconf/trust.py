"""The trust a global configuration expresses, as the certificate and time-stamp checks read it.

:func:`trust_config` turns parsed shared parameters (pr-gconf §4.2 ``approvedCA`` /
``approvedTSA``, Annex B shared-parameters.xsd) into :class:`vdx.crypto.trust.TrustConfig`:
each approved CA with its intermediates, the OCSP responders of the top CA and of every
intermediate (URL and, when published, the responder certificate), ``authenticationOnly`` and
the certificate profile provider name; each approved TSA; ``ocspFreshnessSeconds`` from the
global settings; the instance identifier. Certificates are DER in schema v2/v3 and PEM from v4
on; both load.

:func:`load_trust_dir` reads such files from a folder given on the command line (``--trust
DIR``). The folder's content is trusted as given: it is the operator's own copy of a
configuration that the configuration client verified when it downloaded it (pr-gconf §5), so
its directory signature is not checked again here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from cryptography import x509

from vdx.crypto.certs import load_certificate
from vdx.crypto.trust import ApprovedCA, ApprovedTSA, OcspResponder, TrustConfig
from vdx.errors import Code, XRoadError
from vdx.globalconf.model import ApprovedCa, OcspInfo, SharedParameters
from vdx.globalconf.shared_params import parse_shared_params

SHARED_PARAMS_FILE = "shared-params.xml"
# A configuration client stores each downloaded version in a folder named by its time
# (e.g. ``20240408143011166442000``); the largest name is the newest.
_MAX_DEPTH = 2


def _responders(infos: Iterable[OcspInfo]) -> tuple[OcspResponder, ...]:
    return tuple(OcspResponder(i.url, load_certificate(i.cert) if i.cert else None) for i in infos)


def _approved_ca(ca: ApprovedCa) -> ApprovedCA:
    # pr-gconf §4.2: intermediate CAs carry their own OCSP responders; a response about the
    # signer is issued by the responder of its issuing CA, so all of them are listed.
    infos = [*ca.top_ca.ocsp, *(o for i in ca.intermediate_cas for o in i.ocsp)]
    return ApprovedCA(
        name=ca.name,
        top_ca=load_certificate(ca.top_ca.cert),
        intermediates=tuple(load_certificate(i.cert) for i in ca.intermediate_cas),
        ocsp_responders=_responders(infos),
        authentication_only=bool(ca.authentication_only),
        profile_name=ca.certificate_profile_info,
    )


def trust_config(params: SharedParameters) -> TrustConfig:
    """The approved CAs and TSAs of one instance's shared parameters."""
    return TrustConfig(
        cas=tuple(_approved_ca(ca) for ca in params.approved_cas),
        tsas=tuple(
            ApprovedTSA(t.name, t.url, load_certificate(t.cert)) for t in params.approved_tsas
        ),
        ocsp_freshness_seconds=params.global_settings.ocsp_freshness_seconds,
        instance=params.instance,
    )


def _shared_params_files(folder: Path, depth: int) -> list[Path]:
    direct = folder / SHARED_PARAMS_FILE
    if direct.is_file():
        return [direct]
    if depth >= _MAX_DEPTH:
        return []
    children = sorted(p for p in folder.iterdir() if p.is_dir())
    dated = [p for p in children if p.name.isdigit() and (p / SHARED_PARAMS_FILE).is_file()]
    if dated:
        return [max(dated, key=lambda p: (len(p.name), p.name)) / SHARED_PARAMS_FILE]
    return [found for child in children for found in _shared_params_files(child, depth + 1)]


def merge(configs: Iterable[TrustConfig]) -> TrustConfig:
    """One trust configuration approving what any of ``configs`` approves.

    A CA or TSA published by several configurations (same certificate) is kept once, as the
    first one names it. The strictest OCSP freshness applies; the instance is kept only when
    all configurations agree on it (a certificate profile that reads the instance from the
    configuration cannot map certificates of several instances).
    """
    configs = list(configs)
    if not configs:
        raise ValueError("nothing to merge")
    cas: dict[x509.Certificate, ApprovedCA] = {}
    tsas: dict[x509.Certificate, ApprovedTSA] = {}
    for config in configs:
        for ca in config.cas:
            cas.setdefault(ca.top_ca, ca)
        for tsa in config.tsas:
            tsas.setdefault(tsa.cert, tsa)
    instances = {c.instance for c in configs}
    return replace(
        configs[0],
        cas=tuple(cas.values()),
        tsas=tuple(tsas.values()),
        ocsp_freshness_seconds=min(c.ocsp_freshness_seconds for c in configs),
        instance=instances.pop() if len(instances) == 1 else "",
    )


def load_trust_dir(path: Path) -> TrustConfig:
    """The trust configuration in a folder, which is one of:

    - a folder holding ``shared-params.xml`` itself;
    - a configuration folder as the configuration client stores it, with dated version
      sub-folders (``globalconf/V3/20240408143011166442000/shared-params.xml``): the newest
      version is used;
    - a folder of such folders (e.g. one per instance, or ``globalconf/`` with ``V3``...
      ``V6``): each is read as above, searching two levels down, and the results are merged
      (:func:`merge`).

    Raises ``XRoadError(MalformedGlobalConf)`` when no shared parameters are found or one of
    them does not parse.
    """
    if not path.is_dir():
        raise XRoadError(Code.MALFORMED_GLOBALCONF, f"trust folder {str(path)!r:.200} not found")
    files = _shared_params_files(path, 0)
    if not files:
        raise XRoadError(
            Code.MALFORMED_GLOBALCONF,
            f"no {SHARED_PARAMS_FILE} in {str(path)!r:.200} or its configuration folders",
        )
    return merge(trust_config(parse_shared_params(f.read_bytes())) for f in files)
