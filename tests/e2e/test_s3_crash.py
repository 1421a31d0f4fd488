"""kill -9 while an object streams in: after restart the key holds the old
object or nothing, never a part, and no file is left behind."""
import os
import pathlib
import socket
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials


class UnsignedPayloadAuth(botocore.auth.S3SigV4Auth):
    def _should_sha256_sign_payload(self, request):
        return False


def start_put(endpoint_port, bucket, key, size):
    """Sends the head and half of a `size`-byte PUT, then leaves it hanging."""
    url = f"http://127.0.0.1:{endpoint_port}/{bucket}/{key}"
    req = botocore.awsrequest.AWSRequest(method="PUT", url=url, data=b"")
    UnsignedPayloadAuth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(req)
    head = f"PUT /{bucket}/{key} HTTP/1.1\r\nHost: 127.0.0.1:{endpoint_port}\r\n"
    for k, v in req.prepare().headers.items():
        if k.lower() not in ("host", "content-length"):
            head += f"{k}: {v}\r\n"
    head += f"Content-Length: {size}\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", endpoint_port))
    s.sendall(head.encode())
    s.sendall(os.urandom(size // 2))
    return s


def blob_files(data_dir):
    root = pathlib.Path(data_dir) / "s3-blobs"
    files = [p for p in root.rglob("*") if p.is_file()]
    return [p for p in files if p.parent.name != "tmp"], [p for p in files if p.parent.name == "tmp"]


def test_kill_during_put_keeps_the_old_object_and_leaves_no_garbage(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="crash-e2e")
    old = os.urandom(2 * 1024 * 1024)
    s3.put_object(Bucket="crash-e2e", Key="victim", Body=old)
    before, _ = blob_files(gureum.data_dir)
    assert len(before) == 1  # the 2 MiB object is a file

    overwrite = start_put(gureum.port, "crash-e2e", "victim", 8 * 1024 * 1024)
    fresh = start_put(gureum.port, "crash-e2e", "never-finished", 8 * 1024 * 1024)
    time.sleep(0.5)
    _, tmp = blob_files(gureum.data_dir)
    assert len(tmp) == 2, "both uploads should be streaming to tmp/"
    gureum.restart(kill=True)
    overwrite.close()
    fresh.close()

    s3 = gureum.client("s3")
    assert s3.get_object(Bucket="crash-e2e", Key="victim")["Body"].read() == old
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="crash-e2e").get("Contents", [])]
    assert keys == ["victim"]
    after, tmp = blob_files(gureum.data_dir)
    assert tmp == []
    assert sorted(after) == sorted(before)
