//! Where a resource lives: the key space every service's state is split by.
//!
//! AWS resources belong to an account and, for regional services, to a
//! region; a request acts in one of each ([`RequestContext`]). State keys
//! start with the scope (`000000000000/us-east-1/vpc-0abc…`,
//! `000000000000/alice`), so one scope's resources are one key range —
//! listing them is a range scan, never a filter over every account — and
//! the convention is written once, here, rather than per service.

use crate::RequestContext;
use std::fmt;

/// An account's region, or an account as a whole (global services).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope<'a> {
    /// A regional service's resources in one account and region (EC2,
    /// CloudWatch Logs, Lambda, DynamoDB).
    Region {
        /// The 12-digit account id.
        account: &'a str,
        /// The region (`us-east-1`).
        region: &'a str,
    },
    /// A global service's resources in one account (IAM, Route 53).
    Account {
        /// The 12-digit account id.
        account: &'a str,
    },
}

impl<'a> Scope<'a> {
    /// The caller's account and region.
    pub fn regional(ctx: &'a RequestContext) -> Self {
        Scope::Region {
            account: &ctx.account_id,
            region: &ctx.region,
        }
    }

    /// The caller's account, for a global service.
    pub fn global(ctx: &'a RequestContext) -> Self {
        Scope::Account {
            account: &ctx.account_id,
        }
    }

    /// The account.
    pub fn account(&self) -> &'a str {
        match self {
            Scope::Region { account, .. } | Scope::Account { account } => account,
        }
    }

    /// The region, for a regional scope.
    pub fn region(&self) -> Option<&'a str> {
        match self {
            Scope::Region { region, .. } => Some(region),
            Scope::Account { .. } => None,
        }
    }

    /// The key prefix of the scope's resources: `{account}/{region}/` or
    /// `{account}/`. Every key under it belongs to the scope.
    pub fn prefix(&self) -> String {
        let mut p = String::with_capacity(32);
        self.write_prefix(&mut p);
        p
    }

    /// The state key of resource `id` in the scope.
    pub fn key(&self, id: &str) -> String {
        let mut k = String::with_capacity(32 + id.len());
        self.write_prefix(&mut k);
        k.push_str(id);
        k
    }

    /// The resource id of a key of this scope (`None` for another scope's).
    pub fn id_of<'k>(&self, key: &'k str) -> Option<&'k str> {
        let rest = key.strip_prefix(self.account())?.strip_prefix('/')?;
        match self.region() {
            Some(region) => rest.strip_prefix(region)?.strip_prefix('/'),
            None => Some(rest),
        }
    }

    fn write_prefix(&self, out: &mut String) {
        out.push_str(self.account());
        out.push('/');
        if let Some(region) = self.region() {
            out.push_str(region);
            out.push('/');
        }
    }
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Region { account, region } => write!(f, "{account}/{region}"),
            Scope::Account { account } => f.write_str(account),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_keys_start_with_account_then_region() {
        let s = Scope::Region {
            account: "000000000000",
            region: "us-east-1",
        };
        assert_eq!(s.prefix(), "000000000000/us-east-1/");
        assert_eq!(s.key("vpc-1"), "000000000000/us-east-1/vpc-1");
        assert_eq!(s.id_of("000000000000/us-east-1/vpc-1"), Some("vpc-1"));
        assert_eq!(s.id_of("000000000000/us-east-2/vpc-1"), None);
        assert_eq!(s.id_of("111111111111/us-east-1/vpc-1"), None);
    }

    #[test]
    fn global_keys_have_no_region() {
        let s = Scope::Account {
            account: "000000000000",
        };
        assert_eq!(s.key("alice"), "000000000000/alice");
        assert_eq!(s.id_of("000000000000/alice"), Some("alice"));
        assert_eq!(s.region(), None);
    }

    #[test]
    fn a_prefix_never_matches_a_longer_account_or_region() {
        // `us-east-1/` must not cover `us-east-10/…`.
        let s = Scope::Region {
            account: "000000000000",
            region: "us-east-1",
        };
        assert_eq!(s.id_of("000000000000/us-east-10/vpc-1"), None);
        assert!(!"000000000000/us-east-10/vpc-1".starts_with(&s.prefix()));
    }

    #[test]
    fn scopes_come_from_the_request_context() {
        let ctx = RequestContext::root("123456789012", "eu-west-1", crate::Clock::system());
        assert_eq!(Scope::regional(&ctx).prefix(), "123456789012/eu-west-1/");
        assert_eq!(Scope::global(&ctx).prefix(), "123456789012/");
    }
}
