"""Regenerate the gRPC code in micelio/v1 from protos/: ``python -m micelio.codegen``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
GENERATED = ("micelio_pb2.py", "micelio_pb2.pyi", "micelio_pb2_grpc.py")


def generate(out_dir: Path) -> list[Path]:
    """Run protoc on every .proto under protos/ with its output rooted at ``out_dir``."""
    # grpc_tools ships neither types nor a py.typed marker.
    import grpc_tools  # type: ignore[import-untyped]
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed")
    return [out_dir / "micelio" / "v1" / name for name in GENERATED]


def stale_files() -> list[str]:
    """Generated files that differ from what protoc makes of protos/ now."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        return [
            f.name
            for f in fresh
            if not (ROOT / "micelio" / "v1" / f.name).exists()
            or (ROOT / "micelio" / "v1" / f.name).read_bytes() != f.read_bytes()
        ]


def main() -> int:
    generate(ROOT)
    print("regenerated micelio/v1 from protos/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
