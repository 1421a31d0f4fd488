//! The service's rules, one test each, through `Service::call`.

use crate::{treehash, GlacierService};
use gureum_core::{RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn svc() -> GlacierService {
    GlacierService::new(Store::in_memory().expect("store"))
}

fn call(
    svc: &GlacierService,
    ctx: &RequestContext,
    op: &str,
    input: Value,
) -> Result<Value, gureum_core::AwsError> {
    let fut = svc.call(ctx, op, input);
    futures_lite(fut)
}

/// Runs a future that never waits (the synchronous operations).
fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("operation waited"),
    }
}

#[test]
fn tree_hash_of_one_chunk_is_its_sha256() {
    // Below 1 MiB the tree is one leaf: the plain SHA-256.
    assert_eq!(
        treehash::of(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn tree_hash_of_three_chunks_pairs_the_first_two() {
    use sha2::{Digest, Sha256};
    let data: Vec<u8> = (0..(2 * treehash::CHUNK + 10))
        .map(|i| (i % 251) as u8)
        .collect();
    let leaf = |b: &[u8]| -> [u8; 32] { Sha256::digest(b).into() };
    let (a, rest) = data.split_at(treehash::CHUNK);
    let (b, c) = rest.split_at(treehash::CHUNK);
    let mut h = Sha256::new();
    h.update(leaf(a));
    h.update(leaf(b));
    let ab: [u8; 32] = h.finalize().into();
    let mut h = Sha256::new();
    h.update(ab);
    h.update(leaf(c));
    let root: [u8; 32] = h.finalize().into();
    assert_eq!(treehash::of(&data), gureum_core::hex::encode(&root));
}

#[test]
fn deleting_an_unknown_vault_names_its_arn() {
    let svc = svc();
    let ctx = RequestContext::root("123456789012", "us-east-1", gureum_core::Clock::system());
    let e = call(
        &svc,
        &ctx,
        "DeleteVault",
        json!({"accountId": "-", "vaultName": "nope"}),
    )
    .expect_err("should fail");
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        e.message,
        format!(
            "Vault not found for ARN: arn:aws:glacier:{}:{}:vaults/nope",
            ctx.region, ctx.account_id
        )
    );
}

#[test]
fn an_inventory_job_completes_after_the_standard_delay() {
    let svc = svc();
    let ctx = RequestContext::root("123456789012", "us-east-1", gureum_core::Clock::system());
    call(
        &svc,
        &ctx,
        "CreateVault",
        json!({"accountId": "-", "vaultName": "v"}),
    )
    .expect("should succeed");
    let out = call(
        &svc,
        &ctx,
        "InitiateJob",
        json!({"accountId": "-", "vaultName": "v", "jobParameters": {"Type": "inventory-retrieval"}}),
    )
    .expect("should succeed");
    let job = json!({"accountId": "-", "vaultName": "v", "jobId": out["jobId"]});
    let d = call(&svc, &ctx, "DescribeJob", job.clone()).expect("should succeed");
    assert_eq!(d["StatusCode"], "InProgress");
    ctx.clock
        .advance_millis(crate::jobs::tier_delay_ms("Standard") - 1000);
    svc.complete_due(ctx.clock.now_millis());
    assert_eq!(
        call(&svc, &ctx, "DescribeJob", job.clone()).expect("should succeed")["Completed"],
        false
    );
    ctx.clock.advance_millis(1000);
    svc.complete_due(ctx.clock.now_millis());
    let d = call(&svc, &ctx, "DescribeJob", job).expect("should succeed");
    assert_eq!(d["StatusCode"], "Succeeded");
    assert!(d["InventorySizeInBytes"].as_u64().expect("should succeed") > 0);
}

#[test]
fn a_bad_retrieval_policy_strategy_is_refused() {
    let svc = svc();
    let ctx = RequestContext::root("123456789012", "us-east-1", gureum_core::Clock::system());
    let e = call(
        &svc,
        &ctx,
        "SetDataRetrievalPolicy",
        json!({"accountId": "-", "Policy": {"Rules": [{"Strategy": "Lots"}]}}),
    )
    .expect_err("should fail");
    assert_eq!(e.code, "InvalidParameterValueException");
    let p = call(
        &svc,
        &ctx,
        "GetDataRetrievalPolicy",
        json!({"accountId": "-"}),
    )
    .expect("should succeed");
    assert_eq!(p["Policy"]["Rules"][0]["Strategy"], "FreeTier");
}
