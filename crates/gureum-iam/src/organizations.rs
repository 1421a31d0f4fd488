//! The IAM operations that manage root access across an AWS Organization
//! (`ListOrganizationsFeatures`, `Enable/DisableOrganizationsRoot
//! CredentialsManagement`, `Enable/DisableOrganizationsRootSessions`).
//!
//! Gureum has no AWS Organizations: every account stands alone, so these
//! answer what AWS answers a standalone account — no organization.

use crate::errors::IamError;
use crate::IamService;
use gureum_core::{OpResult, RequestContext, Value};

impl IamService {
    fn no_organization(&self) -> OpResult {
        Err(IamError::OrganizationNotFound.into())
    }

    /// `ListOrganizationsFeatures`.
    pub(crate) fn list_organizations_features(&self, _: &RequestContext, _: Value) -> OpResult {
        self.no_organization()
    }

    /// `EnableOrganizationsRootCredentialsManagement`.
    pub(crate) fn enable_organizations_root_credentials_management(
        &self,
        _: &RequestContext,
        _: Value,
    ) -> OpResult {
        self.no_organization()
    }

    /// `DisableOrganizationsRootCredentialsManagement`.
    pub(crate) fn disable_organizations_root_credentials_management(
        &self,
        _: &RequestContext,
        _: Value,
    ) -> OpResult {
        self.no_organization()
    }

    /// `EnableOrganizationsRootSessions`.
    pub(crate) fn enable_organizations_root_sessions(
        &self,
        _: &RequestContext,
        _: Value,
    ) -> OpResult {
        self.no_organization()
    }

    /// `DisableOrganizationsRootSessions`.
    pub(crate) fn disable_organizations_root_sessions(
        &self,
        _: &RequestContext,
        _: Value,
    ) -> OpResult {
        self.no_organization()
    }
}
