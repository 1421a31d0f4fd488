"""S3 listings end to end: ListObjectsV2, ListObjects and ListObjectVersions
through boto3's paginators over a few thousand keys, compared with an
independent computation in Python; URL encoding of awkward keys; and the
aws CLI's `s3 ls`, `s3 sync` and `s3 rm --recursive`, which page through
ListObjectsV2."""
import urllib.parse
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

BUCKET = "listing-e2e"
VERSIONED = "listing-versions-e2e"


def make_keys():
    keys = []
    for i in range(2400):
        top = ["photos", "docs", "logs", "a b", "ünï", "plus+sign"][i % 6]
        if i % 5 == 0:
            keys.append(f"{top}/{i:05d}.txt")
        elif i % 5 == 1:
            keys.append(f"{top}/{(i // 7) % 13:02d}/{i:05d}.bin")
        elif i % 5 == 2:
            keys.append(f"{top}/{(i // 7) % 13:02d}/deep/{i:05d}")
        elif i % 5 == 3:
            keys.append(f"{top}-{i:05d}")
        else:
            keys.append(f"root{i:05d}")
    return sorted(set(keys))


KEYS = make_keys()


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def expected_listing(keys, prefix="", delimiter=None, after=None):
    """(keys, common prefixes) a full listing should give, in S3's order."""
    contents, prefixes = [], []
    for k in utf8_sorted(keys):
        if not k.startswith(prefix):
            continue
        if after is not None and k.encode() <= after.encode():
            continue
        rest = k[len(prefix):]
        if delimiter and delimiter in rest:
            cp = prefix + rest[: rest.index(delimiter) + len(delimiter)]
            if after is not None and cp.encode() <= after.encode():
                continue
            if cp not in prefixes:
                prefixes.append(cp)
        else:
            contents.append(k)
    return contents, prefixes


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)

    def put(key):
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, KEYS))
    return BUCKET


def paginate(s3, op, **kw):
    pages = list(s3.get_paginator(op).paginate(**kw))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    return pages, keys, prefixes


@pytest.mark.parametrize(
    "prefix,delimiter",
    [("", None), ("", "/"), ("photos/", "/"), ("docs/", None), ("a b/", "/"), ("ünï/", "/"),
     ("plus+sign/03/", "/"), ("logs", "-"), ("nothing-here/", "/")],
)
@pytest.mark.parametrize("op", ["list_objects_v2", "list_objects"])
def test_paginated_listing_matches_an_independent_computation(s3, bucket, op, prefix, delimiter):
    kw = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": 137}}
    if delimiter:
        kw["Delimiter"] = delimiter
    pages, keys, prefixes = paginate(s3, op, **kw)
    want_keys, want_prefixes = expected_listing(KEYS, prefix, delimiter)
    assert keys == want_keys
    assert prefixes == want_prefixes
    total = len(want_keys) + len(want_prefixes)
    assert len(pages) == max(1, -(-total // 137))
    for p in pages[:-1]:
        assert p["IsTruncated"] is True
    assert pages[-1]["IsTruncated"] is False
    if op == "list_objects_v2":
        for p in pages:
            assert p["KeyCount"] == len(p.get("Contents", [])) + len(p.get("CommonPrefixes", []))
            assert p["MaxKeys"] == 137
        assert "NextContinuationToken" not in pages[-1]


def test_default_page_is_1000_keys_and_tokens_chain(s3, bucket):
    first = s3.list_objects_v2(Bucket=bucket)
    assert first["KeyCount"] == 1000
    assert first["IsTruncated"] is True
    assert first["MaxKeys"] == 1000
    second = s3.list_objects_v2(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    want = utf8_sorted(KEYS)
    assert [o["Key"] for o in first["Contents"]] == want[:1000]
    assert [o["Key"] for o in second["Contents"]] == want[1000:2000]


def test_max_keys_above_1000_is_capped_but_echoed(s3, bucket):
    r = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert r["KeyCount"] == 1000
    assert r["MaxKeys"] == 5000
    assert r["IsTruncated"] is True


def test_max_keys_zero_lists_nothing_untruncated(s3, bucket):
    r = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert r["KeyCount"] == 0
    assert r["IsTruncated"] is False
    assert "Contents" not in r


def test_start_after_is_exclusive_and_echoed(s3, bucket):
    after = utf8_sorted(KEYS)[500]
    pages, keys, _ = paginate(s3, "list_objects_v2", Bucket=bucket, StartAfter=after)
    assert keys == utf8_sorted(KEYS)[501:]
    assert pages[0]["StartAfter"] == after


def test_start_after_with_a_delimiter_skips_a_prefix_it_names(s3, bucket):
    _, keys, prefixes = paginate(s3, "list_objects_v2", Bucket=bucket, Delimiter="/", StartAfter="logs/")
    want_keys, want_prefixes = expected_listing(KEYS, "", "/", after="logs/")
    assert "logs/" not in prefixes
    assert (keys, prefixes) == (want_keys, want_prefixes)


def test_fetch_owner_adds_the_owner_and_contents_describe_the_object(s3, bucket):
    plain = s3.list_objects_v2(Bucket=bucket, Prefix="docs/", MaxKeys=5)
    for o in plain["Contents"]:
        assert "Owner" not in o
        assert o["Size"] == len(o["Key"].encode())
        assert o["StorageClass"] == "STANDARD"
        assert o["ETag"].startswith('"') and len(o["ETag"]) == 34
        # boto3 sends CRC32 unless told otherwise.
        assert o["ChecksumAlgorithm"] == ["CRC32"]
        assert o["ChecksumType"] == "FULL_OBJECT"
        assert o["LastModified"].year >= 2024
    s3.put_object(Bucket=bucket, Key="docs-sha", Body=b"x", ChecksumAlgorithm="SHA256")
    sha = s3.list_objects_v2(Bucket=bucket, Prefix="docs-sha")["Contents"]
    assert [o["ChecksumAlgorithm"] for o in sha] == [["SHA256"]]
    s3.delete_object(Bucket=bucket, Key="docs-sha")
    owned = s3.list_objects_v2(Bucket=bucket, Prefix="docs/", MaxKeys=5, FetchOwner=True)
    ids = {o["Owner"]["ID"] for o in owned["Contents"]}
    assert len(ids) == 1 and len(ids.pop()) == 64


def test_list_objects_v1_has_owners_and_next_marker_only_with_a_delimiter(s3, bucket):
    r = s3.list_objects(Bucket=bucket, MaxKeys=3)
    assert r["IsTruncated"] is True
    assert "NextMarker" not in r
    assert all(len(o["Owner"]["ID"]) == 64 for o in r["Contents"])
    r = s3.list_objects(Bucket=bucket, MaxKeys=3, Delimiter="/")
    entries = sorted([o["Key"] for o in r.get("Contents", [])] + [c["Prefix"] for c in r.get("CommonPrefixes", [])],
                     key=str.encode)
    assert r["NextMarker"] == entries[-1]
    nxt = s3.list_objects(Bucket=bucket, MaxKeys=3, Delimiter="/", Marker=r["NextMarker"])
    assert nxt["Marker"] == r["NextMarker"]
    seen = [o["Key"] for o in nxt.get("Contents", [])] + [c["Prefix"] for c in nxt.get("CommonPrefixes", [])]
    assert not set(seen) & set(entries)


def raw_list(s3, **kw):
    """list_objects_v2 with an explicit EncodingType, so botocore does not decode."""
    return s3.list_objects_v2(**kw)


def test_encoding_type_url_encodes_keys_prefixes_delimiter_and_start_after(s3):
    b = "listing-encoding-e2e"
    s3.create_bucket(Bucket=b)
    keys = ["a b/one", "a+b/two", "한글/x.txt", "100%.csv", "sp ace", "tab\tkey"]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    r = raw_list(s3, Bucket=b, EncodingType="url", Delimiter="/", StartAfter="0 +")
    assert r["EncodingType"] == "url"
    assert r["StartAfter"] == "0+%2B"
    assert r["Delimiter"] == "/"
    assert [c["Prefix"] for c in r["CommonPrefixes"]] == ["a+b/", "a%2Bb/", "%ED%95%9C%EA%B8%80/"]
    assert [o["Key"] for o in r["Contents"]] == ["100%25.csv", "sp+ace", "tab%09key"]
    # Decoding what S3 sent gives back the keys exactly.
    decoded = [urllib.parse.unquote_plus(o["Key"]) for o in r["Contents"]]
    assert decoded == ["100%.csv", "sp ace", "tab\tkey"]
    # boto3's own default (EncodingType set and decoded for you) round-trips.
    _, got, prefixes = paginate(s3, "list_objects_v2", Bucket=b)
    assert got == utf8_sorted(keys)
    _, got, prefixes = paginate(s3, "list_objects_v2", Bucket=b, Delimiter="/", Prefix="a b/")
    assert got == ["a b/one"]
    # Paging through encoded keys one at a time loses nothing.
    _, got, _ = paginate(s3, "list_objects_v2", Bucket=b, PaginationConfig={"PageSize": 1})
    assert got == utf8_sorted(keys)
    _, got, _ = paginate(s3, "list_object_versions", Bucket=b)
    versions = [v["Key"] for p in s3.get_paginator("list_object_versions").paginate(Bucket=b) for v in p.get("Versions", [])]
    assert versions == utf8_sorted(keys)


def test_invalid_encoding_type_and_token_are_invalid_argument(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket, EncodingType="base64")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    assert e.value.response["Error"]["Message"] == "Invalid Encoding Method specified in Request"
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="bm90IGEgdG9rZW4=")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    assert e.value.response["Error"]["Message"] == "The continuation token provided is incorrect"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_on_a_missing_bucket_is_no_such_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="listing-no-such-bucket")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"


@pytest.fixture(scope="module")
def versioned(s3):
    """A versioned bucket: each key has 1-3 versions, some a delete marker
    on top; returns the expected version list (key, version id, latest, is
    delete marker) in S3's order."""
    s3.create_bucket(Bucket=VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    history = {}
    keys = [f"{['x', 'y/z', 'y', 'w w'][i % 4]}/{i:04d}" for i in range(300)] + ["top"]

    def work(item):
        i, k = item
        out = []
        for n in range(1 + i % 3):
            r = s3.put_object(Bucket=VERSIONED, Key=k, Body=b"v%d" % n)
            out.append((r["VersionId"], False))
        if i % 4 == 0:
            r = s3.delete_object(Bucket=VERSIONED, Key=k)
            out.append((r["VersionId"], True))
        return k, out

    with ThreadPoolExecutor(16) as pool:
        for k, out in pool.map(work, enumerate(keys)):
            history[k] = out
    expected = []
    for k in utf8_sorted(history):
        for j, (vid, dm) in enumerate(reversed(history[k])):
            expected.append((k, vid, j == 0, dm))
    return expected


def test_list_object_versions_paginates_in_key_then_newest_first_order(s3, versioned):
    got = []
    for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=VERSIONED, PaginationConfig={"PageSize": 7}):
        entries = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in page.get("Versions", [])]
        entries += [(d["Key"], d["VersionId"], d["IsLatest"], True) for d in page.get("DeleteMarkers", [])]
        assert len(entries) <= 7
        if page["IsTruncated"]:
            assert page["NextKeyMarker"] and page["NextVersionIdMarker"]
        # Versions and DeleteMarkers are separate lists; order them back.
        order = {(k, v): n for n, (k, v, _, _) in enumerate(versioned)}
        got.extend(sorted(entries, key=lambda e: order[(e[0], e[1])]))
    assert got == versioned


def test_list_object_versions_interleaves_versions_and_delete_markers_in_the_xml(s3, versioned):
    # SDKs that keep document order (the Java SDK v1's version summaries)
    # see S3's one sequence: key order, newest first, markers in place.
    ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
    bodies = []

    def keep_body(http_response, **_):
        bodies.append(http_response.content)

    s3.meta.events.register("after-call.s3.ListObjectVersions", keep_body)
    try:
        for _ in s3.get_paginator("list_object_versions").paginate(
                Bucket=VERSIONED, PaginationConfig={"PageSize": 9}):
            pass
    finally:
        s3.meta.events.unregister("after-call.s3.ListObjectVersions", keep_body)
    got = []
    for body in bodies:
        for el in ET.fromstring(body):
            if el.tag in (ns + "Version", ns + "DeleteMarker"):
                # The paginator asks for EncodingType=url (and decodes keys).
                key = urllib.parse.unquote_plus(el.findtext(ns + "Key"))
                got.append((key, el.findtext(ns + "VersionId"),
                            el.findtext(ns + "IsLatest") == "true", el.tag == ns + "DeleteMarker"))
    assert got == versioned


def test_list_object_versions_with_a_delimiter_rolls_up_prefixes(s3, versioned):
    pages = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=VERSIONED, Delimiter="/", PaginationConfig={"PageSize": 2}))
    prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    keys = [v["Key"] for p in pages for v in p.get("Versions", []) + p.get("DeleteMarkers", [])]
    assert prefixes == ["w w/", "x/", "y/"]
    assert set(keys) == {"top"}
    under_y = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=VERSIONED, Prefix="y/", Delimiter="/"))
    assert [c["Prefix"] for p in under_y for c in p.get("CommonPrefixes", [])] == ["y/z/"]


def test_list_objects_v2_hides_deleted_keys_of_a_versioned_bucket(s3, versioned):
    _, keys, _ = paginate(s3, "list_objects_v2", Bucket=VERSIONED, PaginationConfig={"PageSize": 50})
    live = sorted({k for k, _, latest, dm in versioned if latest and not dm}, key=str.encode)
    assert keys == live
    assert len(live) < len({k for k, *_ in versioned})


def test_version_id_marker_without_key_marker_is_refused(s3, versioned):
    with pytest.raises(ClientError) as e:
        s3.list_object_versions(Bucket=VERSIONED, VersionIdMarker=versioned[0][1])
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_version_markers_resume_inside_a_key(s3, versioned):
    k, vid = versioned[0][0], versioned[0][1]
    r = s3.list_object_versions(Bucket=VERSIONED, KeyMarker=k, VersionIdMarker=vid, MaxKeys=3)
    entries = [(v["Key"], v["VersionId"]) for v in r.get("Versions", []) + r.get("DeleteMarkers", [])]
    assert set(entries) == {(e[0], e[1]) for e in versioned[1:4]}
    assert r["KeyMarker"] == k and r["VersionIdMarker"] == vid


# --- the aws CLI -----------------------------------------------------------


def test_cli_s3_ls_lists_one_level_and_recursive_lists_all(gureum, bucket):
    _, out, _ = gureum.aws("s3", "ls", f"s3://{bucket}/photos/")
    lines = out.splitlines()
    want_keys, want_prefixes = expected_listing(KEYS, "photos/", "/")
    pre = [ln.split()[-1] for ln in lines if ln.strip().startswith("PRE ")]
    files = [ln.split(None, 3)[-1] for ln in lines if not ln.strip().startswith("PRE ")]
    assert pre == [p[len("photos/"):] for p in want_prefixes]
    assert files == [k[len("photos/"):] for k in want_keys]
    _, out, _ = gureum.aws("s3", "ls", "--recursive", f"s3://{bucket}/")
    listed = [ln.split(None, 3)[-1] for ln in out.splitlines()]
    assert listed == utf8_sorted(KEYS)
    assert len(listed) > 1000  # more than one ListObjectsV2 page


def test_cli_s3_sync_uploads_then_skips_and_rm_recursive_empties(gureum, s3, tmp_path):
    b = "listing-sync-e2e"
    s3.create_bucket(Bucket=b)
    src = tmp_path / "src"
    names = [f"d{i % 3}/f{i:04d}.txt" for i in range(1100)] + ["top level.txt", "ünï/ço de.txt"]
    for n in names:
        p = src / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(n)
    gureum.aws("s3", "sync", str(src), f"s3://{b}/backup/")
    _, keys, _ = paginate(s3, "list_objects_v2", Bucket=b)
    assert keys == utf8_sorted(f"backup/{n}" for n in names)
    # A second sync finds everything present (it lists the destination).
    _, out, _ = gureum.aws("s3", "sync", str(src), f"s3://{b}/backup/")
    assert "upload:" not in (out or "")
    # One changed file is the only upload.
    (src / "d1" / "f0001.txt").write_text("changed, and longer than before")
    _, out, _ = gureum.aws("s3", "sync", str(src), f"s3://{b}/backup/")
    assert out.count("upload:") == 1 and "f0001.txt" in out
    # Sync back down to an empty directory.
    dst = tmp_path / "dst"
    gureum.aws("s3", "sync", f"s3://{b}/backup/", str(dst))
    assert sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()) == sorted(names)
    assert (dst / "d1" / "f0001.txt").read_text() == "changed, and longer than before"
    # rm --recursive under a prefix deletes just that prefix, across pages.
    gureum.aws("s3", "rm", "--recursive", f"s3://{b}/backup/d0/")
    _, keys, _ = paginate(s3, "list_objects_v2", Bucket=b)
    assert keys == utf8_sorted(f"backup/{n}" for n in names if not n.startswith("d0/"))
    gureum.aws("s3", "rm", "--recursive", f"s3://{b}/")
    assert s3.list_objects_v2(Bucket=b)["KeyCount"] == 0
    s3.delete_bucket(Bucket=b)
