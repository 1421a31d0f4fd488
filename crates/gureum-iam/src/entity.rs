//! What users, groups and roles have in common: a name, attached managed
//! policies and inline policies. Attaching, detaching and inline-policy
//! operations are written once over [`Entity`] and used for all three.

use crate::errors::IamError;
use crate::model::{Group, Role, User};
use crate::util::key;
use crate::IamService;
use gureum_core::AwsError;
use gureum_store::{Table, WriteTxn};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

/// A user, group or role, as far as policies are concerned.
pub(crate) trait Entity: Serialize + DeserializeOwned {
    /// `User`, `Group` or `Role`: the word in quota names and messages.
    const KIND: &'static str;
    /// `user`, `group` or `role`, as messages spell the kind.
    const KIND_LOWER: &'static str;
    /// The entity's inline policy size quota (non-whitespace characters).
    const INLINE_SIZE: usize;
    /// The table the entity kind lives in.
    fn table(svc: &IamService) -> &Table<Self>;
    /// `NoSuchEntity` for a missing entity of this kind.
    fn not_found(name: &str) -> AwsError;
    /// The name as created.
    fn name(&self) -> &str;
    /// Attached managed policy ARNs.
    fn attached(&mut self) -> &mut Vec<String>;
    /// Inline policies.
    fn inline(&mut self) -> &mut BTreeMap<String, String>;
    /// The permissions boundary, for kinds that have one.
    fn boundary(&mut self) -> Option<&mut Option<String>>;
    /// Refuses changes to an entity AWS owns (a service-linked role).
    fn guard(&self) -> Result<(), AwsError> {
        Ok(())
    }
}

impl Entity for User {
    const KIND: &'static str = "User";
    const KIND_LOWER: &'static str = "user";
    const INLINE_SIZE: usize = 2048;
    fn table(svc: &IamService) -> &Table<Self> {
        &svc.users
    }
    fn not_found(name: &str) -> AwsError {
        IamError::NoSuchUser {
            name: name.to_string(),
        }
        .into()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn boundary(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.permissions_boundary)
    }
}

impl Entity for Group {
    const KIND: &'static str = "Group";
    const KIND_LOWER: &'static str = "group";
    const INLINE_SIZE: usize = 5120;
    fn table(svc: &IamService) -> &Table<Self> {
        &svc.groups
    }
    fn not_found(name: &str) -> AwsError {
        IamError::NoSuchGroup {
            name: name.to_string(),
        }
        .into()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn boundary(&mut self) -> Option<&mut Option<String>> {
        None
    }
}

impl Entity for Role {
    const KIND: &'static str = "Role";
    const KIND_LOWER: &'static str = "role";
    const INLINE_SIZE: usize = 10240;
    fn table(svc: &IamService) -> &Table<Self> {
        &svc.roles
    }
    fn not_found(name: &str) -> AwsError {
        IamError::NoSuchRole {
            name: name.to_string(),
        }
        .into()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn boundary(&mut self) -> Option<&mut Option<String>> {
        Some(&mut self.permissions_boundary)
    }
    fn guard(&self) -> Result<(), AwsError> {
        if crate::service_linked::is_service_linked(self) {
            return Err(crate::service_linked::protected(self));
        }
        Ok(())
    }
}

impl IamService {
    /// Reads the entity `name`, lets `f` change it, and writes it back, in
    /// one transaction.
    pub(crate) fn modify_entity<E: Entity, R>(
        &self,
        account: &str,
        name: &str,
        f: impl FnOnce(&WriteTxn, &mut E) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let k = key(account, name);
        self.write(|txn| {
            let table = E::table(self);
            let mut e = txn.get(table, &k)?.ok_or_else(|| E::not_found(name))?;
            e.guard()?;
            let r = f(txn, &mut e)?;
            txn.put(table, &k, &e)?;
            Ok(r)
        })
    }

    /// Reads the entity `name`, or `NoSuchEntity`.
    pub(crate) fn load_entity<E: Entity>(&self, account: &str, name: &str) -> Result<E, AwsError> {
        E::table(self)
            .get(&key(account, name))?
            .ok_or_else(|| E::not_found(name))
    }
}
