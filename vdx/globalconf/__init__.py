"""Global configuration (pr-gconf): anchors, signed directories, shared and private parameters.

Pure code: bytes in, frozen values out; verification raises ``XRoadError`` and takes ``now``.
"""

from vdx.globalconf.anchor import (
    AnchorSource,
    ConfigurationAnchor,
    anchor_hash,
    parse_anchor,
    produce_anchor,
)
from vdx.globalconf.directory import (
    PRIVATE_PARAMETERS,
    SHARED_PARAMETERS,
    DirectoryPart,
    SignedDirectory,
    parse_directory,
    verify_directory,
    verify_part,
)
from vdx.globalconf.private_params import (
    ManagementService,
    PrivateParameters,
    parse_private_params,
    produce_private_params,
)
from vdx.globalconf.produce import ConfigurationFile, ProducedDirectory, produce_directory
from vdx.globalconf.shared_params import (
    SharedParameters,
    parse_shared_params,
    produce_shared_params,
)

__all__ = [
    "PRIVATE_PARAMETERS",
    "SHARED_PARAMETERS",
    "AnchorSource",
    "ConfigurationAnchor",
    "ConfigurationFile",
    "DirectoryPart",
    "ManagementService",
    "PrivateParameters",
    "ProducedDirectory",
    "SharedParameters",
    "SignedDirectory",
    "anchor_hash",
    "parse_anchor",
    "parse_directory",
    "parse_private_params",
    "parse_shared_params",
    "produce_anchor",
    "produce_directory",
    "produce_private_params",
    "produce_shared_params",
    "verify_directory",
    "verify_part",
]
