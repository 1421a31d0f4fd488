"""IAM paths (any printable ASCII between slashes) and the QR code PNG of
CreateVirtualMFADevice."""
import base64
import struct
import zlib

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


@pytest.fixture(scope="module")
def iam(gureum):
    return gureum.client("iam")


@pytest.mark.parametrize("path", ["/my-app/", "/a~b!c/", "/team_1/sub.dir/", "/x@y=z+,/"])
def test_paths_of_printable_ascii_between_slashes_are_accepted(iam, path):
    name = "p" + str(abs(hash(path)))
    assert iam.create_user(UserName=name, Path=path)["User"]["Path"] == path
    assert iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)["Role"]["Path"] == path
    assert iam.create_group(GroupName=name, Path=path)["Group"]["Path"] == path
    users = iam.list_users(PathPrefix=path)["Users"]
    assert [u["UserName"] for u in users] == [name]
    assert users[0]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


@pytest.mark.parametrize("path", ["my-app/", "/my-app", "/a b/", "/caf\u00e9/"])
def test_paths_without_both_slashes_or_with_non_printable_characters_are_refused(gureum, path):
    unchecked = gureum.client("iam", parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        unchecked.create_user(UserName="badpath", Path=path)
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_cli_accepts_a_dashed_path(gureum):
    _, out, _ = gureum.aws("iam", "create-user", "--user-name", "cli-path", "--path", "/my-app/")
    assert out["User"]["Path"] == "/my-app/"


def png_image(data: bytes):
    """(width, height, rows of 0/1 pixels, 1 = dark) of a 1-bit grayscale PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, interlace) == (1, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = (width + 7) // 8 + 1
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0, "filter type none"
        rows.append([0 if line[1 + x // 8] & (0x80 >> (x % 8)) else 1 for x in range(width)])
    return width, height, rows


FINDER = [
    "1111111",
    "1000001",
    "1011101",
    "1011101",
    "1011101",
    "1000001",
    "1111111",
]


def test_create_virtual_mfa_device_returns_a_qr_code_png_and_the_seed(iam):
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="qr-dev")["VirtualMFADevice"]
    seed = d["Base32StringSeed"].decode()
    assert len(seed) >= 16 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    width, height, rows = png_image(d["QRCodePNG"])
    assert width == height and 100 <= width <= 1000, width
    # Find the module size from the top-left finder pattern's first dark
    # run, then check all three finder patterns (7x7) where QR puts them.
    y0 = next(y for y in range(height) if any(rows[y]))
    x0 = rows[y0].index(1)
    run = 0
    while rows[y0][x0 + run]:
        run += 1
    module = run // 7
    assert module >= 1 and run == 7 * module
    modules = (width - 2 * x0) // module
    assert modules >= 21 and (modules - 17) % 4 == 0, modules

    def finder_at(mx, my):
        for r, line in enumerate(FINDER):
            for c, bit in enumerate(line):
                px = x0 + (mx + c) * module + module // 2
                py = y0 + (my + r) * module + module // 2
                if rows[py][px] != int(bit):
                    return False
        return True

    assert finder_at(0, 0)
    assert finder_at(modules - 7, 0)
    assert finder_at(0, modules - 7)
    assert not finder_at(modules - 7, modules - 7), "QR has no finder pattern bottom-right"


def test_cli_writes_the_qr_code_png_to_the_outfile(gureum, tmp_path):
    out = tmp_path / "qr.png"
    gureum.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-qr",
               "--outfile", str(out), "--bootstrap-method", "QRCodePNG")
    width, height, _ = png_image(out.read_bytes())
    assert width == height > 0
