"""dsaops: CANN custom-operator packages for the DeepSeek Sparse Attention operators."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("dsaops")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
