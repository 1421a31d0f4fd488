"""Public and Elastic IPs come from a range never routed to the internet
(198.18.0.0/15 unless --public-ip-range says otherwise), so ssh or curl to
them can never reach someone else's machine."""
import ipaddress
import subprocess

from conftest import GureumServer, binary


def addresses(server, ami):
    ec2 = server.client("ec2")
    run = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    iid = run["Instances"][0]["InstanceId"]
    public = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    elastic = ec2.allocate_address(Domain="vpc")["PublicIp"]
    return ipaddress.ip_address(public), ipaddress.ip_address(elastic)


def test_public_and_elastic_ips_are_in_the_benchmarking_block(gureum, ami):
    public, elastic = addresses(gureum, ami)
    assert public in ipaddress.ip_network("198.18.0.0/16")
    assert elastic in ipaddress.ip_network("198.19.0.0/16")


def test_the_range_is_configurable(ami):
    server = GureumServer(extra_args=["--public-ip-range", "192.0.2.0/24", "--ephemeral"])
    server.start()
    try:
        public, elastic = addresses(server, ami)
    finally:
        server.stop()
    assert public in ipaddress.ip_network("192.0.2.0/25")
    assert elastic in ipaddress.ip_network("192.0.2.128/25")


def test_a_bad_range_is_refused_at_start():
    p = subprocess.run([binary(), "serve", "--ephemeral", "--port", "0", "--public-ip-range", "10.0.0.0/30"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "--public-ip-range: '10.0.0.0/30' is not an IPv4 CIDR between /8 and /24" in p.stderr
