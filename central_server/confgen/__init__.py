"""Global configuration generation (pure): registry parameters in, signed directories out."""

from central_server.confgen.generate import (
    DEFAULT_EXPIRE_SECONDS,
    DEFAULT_VERSIONS,
    SUPPORTED_VERSIONS,
    ConfigurationGenerationError,
    generate,
    timestamp_segment,
)
from central_server.confgen.model import (
    GeneratedConfiguration,
    GeneratedFile,
    VersionDirectories,
)
from central_server.confgen.signing import DirectorySigner, SoftwareDirectorySigner
from central_server.confgen.sources import SigningKeys, anchor_for, with_source_certificates

__all__ = [
    "DEFAULT_EXPIRE_SECONDS",
    "DEFAULT_VERSIONS",
    "SUPPORTED_VERSIONS",
    "ConfigurationGenerationError",
    "DirectorySigner",
    "GeneratedConfiguration",
    "GeneratedFile",
    "SigningKeys",
    "SoftwareDirectorySigner",
    "VersionDirectories",
    "anchor_for",
    "generate",
    "timestamp_segment",
    "with_source_certificates",
]
