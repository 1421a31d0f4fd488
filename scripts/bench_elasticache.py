#!/usr/bin/env python3
"""ElastiCache: CreateCacheCluster (and CreateReplicationGroup) to the
engine accepting connections, against a throwaway Gureum.

    GUREUM_BIN=target/debug/gureum python3 scripts/bench_elasticache.py [--rounds 10]

Times from sending the create request to the first successful command on
the node's endpoint (redis PING, memcached `version`; for a replication
group, a value SET on the primary read back from the replica; for a
cluster-mode group of 2 shards x 2 nodes, `cluster_state:ok`). The node's
address comes from DescribeCacheClusters/DescribeReplicationGroups polled
every 5 ms, so a round includes Gureum noticing the engine is up.
"""
import argparse
import pathlib
import socket
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import GureumServer  # noqa: E402


def send(port, payload, until):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(payload)
            data = b""
            while until not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return b""
                data += chunk
            return data
    except OSError:
        return b""


def resp(*args):
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        out += f"${len(a)}\r\n{a}\r\n".encode()
    return out


def wait_port(ec, cluster_id):
    while True:
        c = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)["CacheClusters"][0]
        if c["CacheClusterStatus"] == "available":
            return c["CacheNodes"][0]["Endpoint"]["Port"]
        time.sleep(0.005)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    server = GureumServer()
    server.start()
    try:
        ec = server.client("elasticache")
        results = {"redis": [], "memcached": [], "group": [], "sharded": []}
        for i in range(args.rounds):
            t = time.perf_counter()
            ec.create_cache_cluster(CacheClusterId=f"r{i}", Engine="redis", CacheNodeType="cache.t3.micro")
            port = wait_port(ec, f"r{i}")
            assert send(port, resp("PING"), b"\r\n") == b"+PONG\r\n"
            results["redis"].append(time.perf_counter() - t)

            t = time.perf_counter()
            ec.create_cache_cluster(CacheClusterId=f"m{i}", Engine="memcached", CacheNodeType="cache.t3.micro")
            port = wait_port(ec, f"m{i}")
            assert send(port, b"version\r\n", b"\r\n").startswith(b"VERSION")
            results["memcached"].append(time.perf_counter() - t)

            t = time.perf_counter()
            ec.create_replication_group(ReplicationGroupId=f"g{i}", ReplicationGroupDescription="bench",
                                        CacheNodeType="cache.t3.micro", NumCacheClusters=2)
            while True:
                g = ec.describe_replication_groups(ReplicationGroupId=f"g{i}")["ReplicationGroups"][0]
                if g["Status"] == "available":
                    break
                time.sleep(0.005)
            ng = g["NodeGroups"][0]
            assert send(ng["PrimaryEndpoint"]["Port"], resp("SET", "k", "v"), b"\r\n") == b"+OK\r\n"
            while send(ng["ReaderEndpoint"]["Port"], resp("GET", "k"), b"\r\n") != b"$1\r\nv\r\n":
                time.sleep(0.005)
            results["group"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ec.create_replication_group(ReplicationGroupId=f"s{i}", ReplicationGroupDescription="bench",
                                        CacheNodeType="cache.t3.micro", NumNodeGroups=2, ReplicasPerNodeGroup=1)
            while True:
                g = ec.describe_replication_groups(ReplicationGroupId=f"s{i}")["ReplicationGroups"][0]
                if g["Status"] == "available":
                    break
                time.sleep(0.005)
            assert b"cluster_state:ok" in send(g["ConfigurationEndpoint"]["Port"], resp("CLUSTER", "INFO"), b"cluster_state")
            results["sharded"].append(time.perf_counter() - t)
            ec.delete_replication_group(ReplicationGroupId=f"s{i}")
            for cid in (f"r{i}", f"m{i}"):
                ec.delete_cache_cluster(CacheClusterId=cid)
            ec.delete_replication_group(ReplicationGroupId=f"g{i}")
        for name, xs in results.items():
            xs = sorted(xs)
            print(f"{name:10} median {statistics.median(xs) * 1000:7.1f} ms  "
                  f"min {xs[0] * 1000:7.1f} ms  max {xs[-1] * 1000:7.1f} ms  (n={len(xs)})")
    finally:
        server.close()


if __name__ == "__main__":
    main()
