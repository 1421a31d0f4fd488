//! Client-token idempotency for EC2's create operations (AWS's "Ensuring
//! idempotency"): a retry with the same `ClientToken` and the same
//! arguments answers the first call's response without doing anything
//! again; the same token with other arguments is
//! `IdempotentParameterMismatch`. botocore fills the token itself, so a
//! retried request after a lost response no longer makes a second
//! resource. `RunInstances` keeps its own (the token is on the instances).

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::Table;
use serde::{Deserialize, Serialize};

use super::errors::Ec2Error;
use super::network::{key, str_member};
use crate::Ec2Service;

/// One answered request: its arguments and its response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answered {
    /// The request's members other than `ClientToken` and `DryRun`.
    pub input: Value,
    /// What it answered.
    pub output: Value,
}

fn table(svc: &Ec2Service) -> Table<Answered> {
    svc.store.table("ec2.client_tokens")
}

/// The arguments a retry must repeat.
fn arguments(input: &Value) -> Value {
    let mut v = input.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("ClientToken");
        o.remove("DryRun");
    }
    v
}

impl Ec2Service {
    /// Runs `op` once per client token (see the module docs).
    pub(crate) fn once(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
        op: impl FnOnce(&Self, &RequestContext, Value) -> OpResult,
    ) -> OpResult {
        let dry = input.get("DryRun").and_then(Value::as_bool) == Some(true);
        let Some(token) = str_member(&input, "ClientToken").map(str::to_string) else {
            return op(self, ctx, input);
        };
        if dry {
            return op(self, ctx, input);
        }
        let k = key(ctx, &format!("{operation}/{token}"));
        let args = arguments(&input);
        if let Some(seen) = table(self).get(&k)? {
            if seen.input == args {
                return Ok(seen.output);
            }
            return Err(Ec2Error::IdempotentParameterMismatch.into());
        }
        let output = op(self, ctx, input)?;
        table(self).put(
            &k,
            &Answered {
                input: args,
                output: output.clone(),
            },
        )?;
        Ok(output)
    }
}
