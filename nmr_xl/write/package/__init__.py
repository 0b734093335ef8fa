"""The package writer: annotated copies made by editing the xlsx package, not re-saving it."""

from nmr_xl.write.package.opc import Unsupported
from nmr_xl.write.package.writer import PackageCopy, probe_package, write_package_copy

__all__ = ["PackageCopy", "Unsupported", "probe_package", "write_package_copy"]
