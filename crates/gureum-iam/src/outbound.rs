//! Outbound identity federation: `Enable/Disable/
//! GetOutboundWebIdentityFederationInfo`.
//!
//! Enabling gives the account an issuer URL
//! (`https://<uuid>.tokens.sts.global.api.aws`) that external services
//! trust for the JWTs STS's `GetWebIdentityToken` vends; the URL is kept
//! when the feature is disabled and enabled again. (Gureum's STS does not
//! vend those tokens yet: the operation answers `NotImplemented`.)

use crate::errors::IamError;
use crate::IamService;
use gureum_core::{id, OpResult, RequestContext, Value};
use serde_json::json;

impl IamService {
    /// `EnableOutboundWebIdentityFederation`.
    pub(crate) fn enable_outbound_web_identity_federation(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let issuer = self.update_account(&ctx.account_id, |a| {
            if a.outbound_federation_enabled {
                return Err(IamError::FeatureEnabled.into());
            }
            a.outbound_federation_enabled = true;
            Ok(a.outbound_issuer
                .get_or_insert_with(|| {
                    format!("https://{}.tokens.sts.global.api.aws", id::uuid_v4())
                })
                .clone())
        })?;
        Ok(json!({ "IssuerIdentifier": issuer }))
    }

    /// `DisableOutboundWebIdentityFederation`.
    pub(crate) fn disable_outbound_web_identity_federation(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        self.update_account(&ctx.account_id, |a| {
            if !a.outbound_federation_enabled {
                return Err(IamError::FeatureDisabled.into());
            }
            a.outbound_federation_enabled = false;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetOutboundWebIdentityFederationInfo`.
    pub(crate) fn get_outbound_web_identity_federation_info(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let settings = self.accounts.get(&ctx.account_id)?.unwrap_or_default();
        match settings.outbound_issuer {
            Some(issuer) if settings.outbound_federation_enabled => Ok(json!({
                "IssuerIdentifier": issuer,
                "JwtVendingEnabled": true,
            })),
            _ => Err(IamError::FeatureDisabled.into()),
        }
    }
}
