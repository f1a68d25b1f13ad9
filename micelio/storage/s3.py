"""Objects in an S3 bucket (AWS or compatible, e.g. SeaweedFS) through boto3.

URL: ``s3://BUCKET[/PREFIX][?endpoint=http://HOST:PORT&region=REGION]``. Credentials come from
boto3's standard sources (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, instance
roles); they never appear in the URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from micelio.storage.base import (
    READ_CHUNK,
    ObjectNotFound,
    StorageError,
    StoredObject,
    check_key,
    check_prefix,
)

#: Multipart part size: the most an upload holds in memory (an object smaller than one part is
#: sent with a single PUT). S3 needs >= 5 MiB per part but the last, and at most 10,000 parts:
#: 8 MiB parts allow objects up to 78 GiB.
PART_SIZE = 8 * 1024 * 1024
#: Error codes a retry may fix; other 4xx codes (AccessDenied, NoSuchBucket, ...) are permanent.
_TRANSIENT_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestLimitExceeded"}
    | {"ServiceUnavailable", "InternalError", "503", "500", "502", "504"}
)


def is_transient(exc: BaseException) -> bool:
    """Whether an S3 call's failure may go away on retry (network, throttling, a 5xx)."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return status >= 500 or error.get("Code") in _TRANSIENT_CODES
    # Not connection trouble: credentials missing, invalid parameters, ...
    return isinstance(exc, BotoConnectionError | HTTPClientError | OSError)


def _failure(message: str, exc: BaseException) -> StorageError:
    return StorageError(f"{message}: {exc}", transient=is_transient(exc))


class S3Store:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if self.prefix:
            check_prefix(self.prefix)
        query = {k: v for k, v in (("endpoint", endpoint_url), ("region", region)) if v}
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        self.url = f"s3://{bucket}/{self.prefix}{suffix}"
        self._client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                # Path-style addressing works with every S3-compatible server.
                s3={"addressing_style": "path"},
                max_pool_connections=64,
            ),
        )

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://BUCKET[/PREFIX] URL: {url!r}")
        query = parse_qs(parts.query)
        return cls(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=_first(query.get("endpoint")),
            region=_first(query.get("region")),
        )

    def _key(self, key: str) -> str:
        check_key(key)
        return self.prefix + key

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        full = self._key(key)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        size = 0
        try:
            for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= PART_SIZE:
                    if upload_id is None:
                        upload_id = self._call(
                            "create_multipart_upload", Bucket=self.bucket, Key=full
                        )["UploadId"]
                    self._upload_part(full, upload_id, parts, bytes(buffer[:PART_SIZE]))
                    del buffer[:PART_SIZE]
            if upload_id is None:
                self._call("put_object", Bucket=self.bucket, Key=full, Body=bytes(buffer))
            else:
                if buffer:  # the last part may be smaller than PART_SIZE
                    self._upload_part(full, upload_id, parts, bytes(buffer))
                self._call(
                    "complete_multipart_upload",
                    Bucket=self.bucket,
                    Key=full,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                self._abort(full, upload_id)
            raise
        return size

    def _upload_part(
        self, full: str, upload_id: str, parts: list[dict[str, Any]], data: bytes
    ) -> None:
        number = len(parts) + 1
        answer = self._call(
            "upload_part",
            Bucket=self.bucket,
            Key=full,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def _abort(self, full: str, upload_id: str) -> None:
        # Best effort: the upload is unreferenced either way.
        with contextlib.suppress(Exception):
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)

    def open_read(self, key: str) -> Iterator[bytes]:
        full = self._key(key)
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=full)["Body"]
        except self._client.exceptions.NoSuchKey as exc:
            raise ObjectNotFound(f"no object at {key!r}") from exc
        except Exception as exc:
            raise _failure(f"cannot read {key!r} from s3://{self.bucket}", exc) from exc
        return _iter_body(body, key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise _failure(f"cannot check {key!r}", exc) from exc
        except Exception as exc:
            raise _failure(f"cannot check {key!r}", exc) from exc
        return True

    def delete(self, key: str) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        count = 0
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    # delete_objects takes at most 1,000 keys, which is a page's maximum.
                    self._client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    count += len(keys)
        except Exception as exc:
            raise _failure(f"cannot delete {prefix!r}", exc) from exc
        return count

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        check_prefix(prefix)
        full = self.prefix + prefix
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            ):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"][len(self.prefix) :], item["LastModified"])
            for page in self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=full
            ):
                for upload in page.get("Uploads", []):
                    yield StoredObject(
                        upload["Key"][len(self.prefix) :],
                        upload["Initiated"],
                        partial=True,
                        upload_id=upload["UploadId"],
                    )
        except Exception as exc:
            raise _failure(f"cannot list {prefix!r}", exc) from exc

    def remove(self, found: StoredObject) -> None:
        if found.partial:
            self._call(
                "abort_multipart_upload",
                Bucket=self.bucket,
                Key=self._key(found.key),
                UploadId=found.upload_id,
            )
        else:
            self.delete(found.key)

    def list_keys(self, prefix: str = "") -> list[str]:
        """Keys (relative to the store's prefix) under ``prefix``; for tests and tooling."""
        paginator = self._client.get_paginator("list_objects_v2")
        found: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return found

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, method)(**kwargs)
        except Exception as exc:
            raise _failure(f"s3 {method} of {kwargs.get('Key')!r} failed", exc) from exc


def _iter_body(body: Any, key: str) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(READ_CHUNK)
    except Exception as exc:
        raise _failure(f"reading {key!r} failed", exc) from exc
    finally:
        body.close()


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None
