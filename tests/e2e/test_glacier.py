"""Glacier vaults end to end: the aws CLI (which computes tree hashes
itself) and boto3 against Gureum; jobs complete as Gureum's clock advances
(POST /_gureum/clock), and their completion reaches SNS."""
import hashlib
import json
import time

import botocore.exceptions
import pytest
from botocore.utils import calculate_tree_hash

from helpers import advance

ACCOUNT = "000000000000"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def glacier(gureum):
    return gureum.client("glacier")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def wait_job(glacier, vault, job_id, timeout=10):
    """The job's description once it completes (the ticker runs each second)."""
    deadline = time.time() + timeout
    while True:
        d = glacier.describe_job(vaultName=vault, jobId=job_id)
        if d["Completed"] or time.time() > deadline:
            return d
        time.sleep(0.3)


def test_the_cli_creates_uploads_and_describes(gureum, tmp_path):
    gureum.aws("glacier", "create-vault", "--account-id", "-", "--vault-name", "cli-vault")
    body = tmp_path / "a.bin"
    body.write_bytes(b"x" * (3 * MIB + 5))
    _, out, _ = gureum.aws("glacier", "upload-archive", "--account-id", "-", "--vault-name", "cli-vault",
                           "--body", str(body), "--archive-description", "three and a bit")
    with open(body, "rb") as f:
        assert out["checksum"] == calculate_tree_hash(f)
    assert len(out["archiveId"]) == 138
    _, d, _ = gureum.aws("glacier", "describe-vault", "--account-id", "-", "--vault-name", "cli-vault")
    assert d["VaultARN"] == f"arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/cli-vault"
    assert d["NumberOfArchives"] == 1 and d["SizeInBytes"] == 3 * MIB + 5


def test_a_wrong_tree_hash_is_refused_with_both_hashes(glacier):
    glacier.create_vault(vaultName="hashes")
    wrong = hashlib.sha256(b"other").hexdigest()
    code, message = error(glacier.upload_archive, vaultName="hashes", body=b"payload", checksum=wrong)
    assert code == "InvalidParameterValueException"
    computed = hashlib.sha256(b"payload").hexdigest()
    assert message == f"Checksum mismatch: expected {wrong}, computed {computed}"
    assert glacier.describe_vault(vaultName="hashes")["NumberOfArchives"] == 0


def test_an_unknown_vault_is_not_found_by_its_arn(glacier):
    code, message = error(glacier.describe_vault, vaultName="missing")
    assert code == "ResourceNotFoundException"
    assert message == f"Vault not found for ARN: arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/missing"


def test_a_vault_with_archives_cannot_be_deleted(glacier):
    glacier.create_vault(vaultName="full")
    archive = glacier.upload_archive(vaultName="full", body=b"keep me")["archiveId"]
    code, message = error(glacier.delete_vault, vaultName="full")
    assert code == "InvalidParameterValueException"
    assert message == f"Vault not empty or recently written to: arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/full"
    glacier.delete_archive(vaultName="full", archiveId=archive)
    glacier.delete_vault(vaultName="full")
    assert "full" not in [v["VaultName"] for v in glacier.list_vaults()["VaultList"]]


def test_multipart_parts_join_into_one_archive(glacier):
    glacier.create_vault(vaultName="multi")
    data = bytes(range(256)) * (4096 * 2 + 100)  # two 1 MiB parts and a bit
    up = glacier.initiate_multipart_upload(vaultName="multi", partSize=str(MIB), archiveDescription="parts")
    uid = up["uploadId"]
    for start in range(0, len(data), MIB):
        part = data[start:start + MIB]
        glacier.upload_multipart_part(vaultName="multi", uploadId=uid, body=part,
                                      range=f"bytes {start}-{start + len(part) - 1}/*")
    parts = glacier.list_parts(vaultName="multi", uploadId=uid)
    assert [p["RangeInBytes"] for p in parts["Parts"]] == [f"0-{MIB - 1}", f"{MIB}-{2 * MIB - 1}",
                                                           f"{2 * MIB}-{len(data) - 1}"]
    assert [u["MultipartUploadId"] for u in glacier.list_multipart_uploads(vaultName="multi")["UploadsList"]] == [uid]
    code, message = error(glacier.complete_multipart_upload, vaultName="multi", uploadId=uid,
                          archiveSize=str(len(data)), checksum="0" * 64)
    assert code == "InvalidParameterValueException" and message.startswith("Checksum mismatch: expected 0000")
    whole = calculate_tree_hash(__import__("io").BytesIO(data))
    out = glacier.complete_multipart_upload(vaultName="multi", uploadId=uid,
                                            archiveSize=str(len(data)), checksum=whole)
    assert out["checksum"] == whole
    assert glacier.list_multipart_uploads(vaultName="multi")["UploadsList"] == []
    code, _ = error(glacier.list_parts, vaultName="multi", uploadId=uid)
    assert code == "ResourceNotFoundException"


def test_an_aborted_upload_is_gone(glacier):
    glacier.create_vault(vaultName="aborts")
    uid = glacier.initiate_multipart_upload(vaultName="aborts", partSize=str(MIB))["uploadId"]
    glacier.abort_multipart_upload(vaultName="aborts", uploadId=uid)
    code, message = error(glacier.list_parts, vaultName="aborts", uploadId=uid)
    assert (code, message) == ("ResourceNotFoundException", f"The upload ID was not found: {uid}")


def test_a_bad_part_size_is_refused(glacier):
    glacier.create_vault(vaultName="sizes")
    code, message = error(glacier.initiate_multipart_upload, vaultName="sizes", partSize=str(3 * MIB))
    assert (code, message) == ("InvalidParameterValueException", f"Invalid part size: {3 * MIB}")


def test_retrieval_completes_after_the_tier_delay_and_notifies_sns(gureum, glacier):
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name="glacier-jobs")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glacier.amazonaws.com"},
                       "Action": "SNS:Publish", "Resource": topic}]}))
    url = sqs.create_queue(QueueName="glacier-jobs")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": qarn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})

    glacier.create_vault(vaultName="cold")
    glacier.set_vault_notifications(vaultName="cold", vaultNotificationConfig={
        "SNSTopic": topic, "Events": ["ArchiveRetrievalCompleted"]})
    data = b"frozen bytes " * 100000
    archive = glacier.upload_archive(vaultName="cold", body=data, archiveDescription="ice")["archiveId"]
    job = glacier.initiate_job(vaultName="cold", jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archive, "Tier": "Expedited"})["jobId"]
    assert glacier.describe_job(vaultName="cold", jobId=job)["StatusCode"] == "InProgress"
    code, _ = error(glacier.get_job_output, vaultName="cold", jobId=job)
    assert code == "InvalidParameterValueException"
    advance(gureum, 4 * 60)
    time.sleep(1.5)
    assert glacier.describe_job(vaultName="cold", jobId=job)["Completed"] is False
    advance(gureum, 61)
    d = wait_job(glacier, "cold", job)
    assert d["StatusCode"] == "Succeeded" and d["Tier"] == "Expedited"
    assert d["SHA256TreeHash"] == d["ArchiveSHA256TreeHash"]
    out = glacier.get_job_output(vaultName="cold", jobId=job)
    assert out["body"].read() == data
    assert out["archiveDescription"] == "ice"
    part = glacier.get_job_output(vaultName="cold", jobId=job, range="bytes=0-9")
    assert part["status"] == 206 and part["body"].read() == data[:10]
    assert part["contentRange"] == f"bytes 0-9/{len(data)}"
    # A megabyte-aligned range carries its own tree hash.
    first = glacier.get_job_output(vaultName="cold", jobId=job, range=f"bytes=0-{MIB - 1}")
    assert first["body"].read() == data[:MIB]
    assert first["checksum"] == hashlib.sha256(data[:MIB]).hexdigest()
    # The completion reached the topic and its queue.
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert got, "no notification"
    notice = json.loads(got[0]["Body"])
    assert notice["JobId"] == job and notice["StatusCode"] == "Succeeded"
    assert notice["Action"] == "ArchiveRetrieval"


def test_inventory_lists_the_archives_as_json(gureum, glacier):
    glacier.create_vault(vaultName="listed")
    a = glacier.upload_archive(vaultName="listed", body=b"one", archiveDescription="first")
    job = glacier.initiate_job(vaultName="listed", jobParameters={"Type": "inventory-retrieval"})["jobId"]
    jobs = glacier.list_jobs(vaultName="listed", completed="false")["JobList"]
    assert [j["JobId"] for j in jobs] == [job]
    advance(gureum, 5 * 3600)
    d = wait_job(glacier, "listed", job)
    assert d["Action"] == "InventoryRetrieval" and d["Completed"]
    inv = json.loads(glacier.get_job_output(vaultName="listed", jobId=job)["body"].read())
    assert inv["VaultARN"] == f"arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/listed"
    assert [(x["ArchiveId"], x["ArchiveDescription"], x["Size"]) for x in inv["ArchiveList"]] == [
        (a["archiveId"], "first", 3)]
    assert inv["ArchiveList"][0]["SHA256TreeHash"] == hashlib.sha256(b"one").hexdigest()
    assert "LastInventoryDate" in glacier.describe_vault(vaultName="listed")
    assert glacier.list_jobs(vaultName="listed", statuscode="InProgress")["JobList"] == []


def test_vault_lock_policy_and_tags(glacier):
    glacier.create_vault(vaultName="locked")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "glacier:DeleteArchive",
        "Resource": f"arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/locked"}]})
    lock = glacier.initiate_vault_lock(vaultName="locked", policy={"Policy": policy})["lockId"]
    got = glacier.get_vault_lock(vaultName="locked")
    assert got["State"] == "InProgress" and "ExpirationDate" in got
    glacier.complete_vault_lock(vaultName="locked", lockId=lock)
    assert glacier.get_vault_lock(vaultName="locked")["State"] == "Locked"
    code, _ = error(glacier.abort_vault_lock, vaultName="locked")
    assert code == "InvalidParameterValueException"
    glacier.set_vault_access_policy(vaultName="locked", policy={"Policy": policy})
    assert json.loads(glacier.get_vault_access_policy(vaultName="locked")["policy"]["Policy"]) == json.loads(policy)
    glacier.add_tags_to_vault(vaultName="locked", Tags={"team": "ice", "tier": "cold"})
    glacier.remove_tags_from_vault(vaultName="locked", TagKeys=["tier"])
    assert glacier.list_tags_for_vault(vaultName="locked")["Tags"] == {"team": "ice"}
    glacier.set_data_retrieval_policy(Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 10 * MIB}]})
    assert glacier.get_data_retrieval_policy()["Policy"]["Rules"] == [
        {"Strategy": "BytesPerHour", "BytesPerHour": 10 * MIB}]


def test_vaults_archives_and_jobs_survive_a_restart(gureum, glacier):
    glacier.create_vault(vaultName="durable")
    data = b"durable" * 1000
    archive = glacier.upload_archive(vaultName="durable", body=data)["archiveId"]
    job = glacier.initiate_job(vaultName="durable", jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archive, "Tier": "Bulk"})["jobId"]
    gureum.restart(kill=True)
    glacier = gureum.client("glacier")
    assert glacier.describe_vault(vaultName="durable")["NumberOfArchives"] == 1
    assert glacier.get_vault_lock(vaultName="locked")["State"] == "Locked"
    advance(gureum, 12 * 3600)
    assert wait_job(glacier, "durable", job)["Completed"]
    assert glacier.get_job_output(vaultName="durable", jobId=job)["body"].read() == data


def test_another_accounts_id_is_refused(glacier):
    code, message = error(glacier.list_vaults, accountId="111122223333")
    assert code == "AccessDeniedException"
    assert message == ("The account ID 111122223333 does not match the credentials used to sign the request.")
    assert "VaultList" in glacier.list_vaults(accountId=ACCOUNT)
