#!/usr/bin/env python3
"""Server memory during a large S3 multipart upload.

Starts a release-built `gureum` on a free port with a temporary data
directory, uploads generated data (5 GB by default) in 100 MiB parts with
boto3, samples the server's VmRSS from /proc every 50 ms, and prints the
peak RSS and the upload throughput. The data directory is deleted at the
end. Not part of the test suite: run it by hand after

    cargo build --release -p gureum

Usage: scripts/s3_multipart_rss.py [--bytes N] [--part-mib N] [--bin PATH]
"""
import argparse
import hashlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def default_binary():
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    return str(pathlib.Path(target) / "release" / "gureum")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            r = rss_kib(self.pid)
            if r:
                self.peak = max(self.peak, r)
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", type=int, default=5 * 1000**3, help="total bytes (default 5 GB)")
    ap.add_argument("--part-mib", type=int, default=100, help="part size in MiB (default 100)")
    ap.add_argument("--bin", default=default_binary(), help="the gureum binary (release build)")
    args = ap.parse_args()

    import boto3
    from botocore.config import Config

    data_dir = tempfile.mkdtemp(prefix="gureum-rss-")
    port = free_port()
    log = open(os.path.join(data_dir, "server.log"), "wb")
    proc = subprocess.Popen(
        [args.bin, "serve", "--port", str(port), "--data-dir", data_dir], stdout=log, stderr=log
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(endpoint + "/_gureum/health", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    sys.exit("gureum did not start")
                time.sleep(0.05)
        idle = rss_kib(proc.pid)
        sampler = Sampler(proc.pid)
        sampler.start()
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
            aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
        )
        s3.create_bucket(Bucket="rss")
        part_size = args.part_mib * MiB
        # One random block, varied per part by a prefix, so no two parts
        # are equal yet generating data costs no time.
        block = os.urandom(part_size)
        uid = s3.create_multipart_upload(Bucket="rss", Key="big")["UploadId"]
        parts, sent, n = [], 0, 0
        md5s = []
        started = time.monotonic()
        while sent < args.bytes:
            n += 1
            size = min(part_size, args.bytes - sent)
            body = n.to_bytes(8, "big") + block[8:size] if size >= 8 else block[:size]
            r = s3.upload_part(Bucket="rss", Key="big", UploadId=uid, PartNumber=n, Body=body)
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
            md5s.append(hashlib.md5(body).digest())
            sent += size
        upload_s = time.monotonic() - started
        c0 = time.monotonic()
        done = s3.complete_multipart_upload(
            Bucket="rss", Key="big", UploadId=uid, MultipartUpload={"Parts": parts}
        )
        complete_s = time.monotonic() - c0
        expected = '"%s-%d"' % (hashlib.md5(b"".join(md5s)).hexdigest(), len(md5s))
        head = s3.head_object(Bucket="rss", Key="big")
        sampler.stop.set()
        sampler.join()
        assert done["ETag"] == expected, (done["ETag"], expected)
        assert head["ContentLength"] == args.bytes
        print(f"uploaded {args.bytes / 1e9:.2f} GB in {len(parts)} parts of {args.part_mib} MiB")
        print(f"server RSS: idle {idle / 1024:.1f} MiB, peak {sampler.peak / 1024:.1f} MiB")
        print(f"upload: {upload_s:.1f} s, {args.bytes / MiB / upload_s:.0f} MiB/s; complete: {complete_s * 1000:.0f} ms")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
