//! A registry of a service's resource types: one declaration per type.
//!
//! Tagging operations (EC2's `CreateTags`, `DeleteTags`, `DescribeTags`)
//! take ids of any type and must tell from the id what it names, whether
//! it exists and which error answers when it does not. Rather than a
//! `match` on type names in every such operation, a service declares each
//! type once — AWS's name for it, its id prefix, how to look one up, its
//! NotFound error — and asks the [`Registry`].
//!
//! The lookup is the service's own function type `F` (EC2's reads a write
//! transaction), so the kit stays free of any service's state.

/// One resource type.
#[derive(Debug)]
pub struct ResourceType<F: 'static, E: 'static> {
    /// AWS's name for the type (`vpc`, `security-group`): what
    /// `DescribeTags` answers as `ResourceType`.
    pub name: &'static str,
    /// The id prefix before the last `-` (`vpc`, `tgw-attach`).
    pub id_prefix: &'static str,
    /// How to tell whether one exists; `None` for types the service
    /// does not model (their ids are accepted unchecked).
    pub exists: Option<F>,
    /// The error for an id of this type that does not exist.
    pub not_found: fn(&str) -> E,
}

/// A service's resource types.
#[derive(Debug)]
pub struct Registry<F: 'static, E: 'static> {
    types: &'static [ResourceType<F, E>],
}

impl<F, E> Registry<F, E> {
    /// A registry over `types` (a `static` table).
    pub const fn new(types: &'static [ResourceType<F, E>]) -> Self {
        Registry { types }
    }

    /// The type an id names: its prefix before the last `-`, followed by
    /// hex digits. `None` for an id of no declared type.
    pub fn type_of(&self, id: &str) -> Option<&'static ResourceType<F, E>> {
        let (prefix, rest) = id.rsplit_once('-')?;
        if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.types.iter().find(|t| t.id_prefix == prefix)
    }

    /// The type with AWS's name `name`.
    pub fn named(&self, name: &str) -> Option<&'static ResourceType<F, E>> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Every declared type.
    pub fn types(&self) -> &'static [ResourceType<F, E>] {
        self.types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Exists = fn(&[&str], &str) -> bool;

    static TYPES: Registry<Exists, String> = Registry::new(&[
        ResourceType {
            name: "vpc",
            id_prefix: "vpc",
            exists: Some(|have, id| have.contains(&id)),
            not_found: |id| format!("The vpc ID '{id}' does not exist"),
        },
        ResourceType {
            name: "transit-gateway-attachment",
            id_prefix: "tgw-attach",
            exists: None,
            not_found: |id| format!("no {id}"),
        },
        ResourceType {
            name: "transit-gateway",
            id_prefix: "tgw",
            exists: None,
            not_found: |id| format!("no {id}"),
        },
    ]);

    #[test]
    fn ids_resolve_by_their_whole_prefix() {
        assert_eq!(TYPES.type_of("vpc-0a1b").map(|t| t.name), Some("vpc"));
        assert_eq!(
            TYPES.type_of("tgw-attach-0a1b").map(|t| t.name),
            Some("transit-gateway-attachment")
        );
        assert_eq!(
            TYPES.type_of("tgw-0a1b").map(|t| t.name),
            Some("transit-gateway")
        );
        assert!(TYPES.type_of("vpc").is_none());
        assert!(TYPES.type_of("vpc-xyz").is_none());
        assert!(TYPES.type_of("nope-0a1b").is_none());
    }

    #[test]
    fn a_type_answers_existence_and_its_not_found_error() {
        let t = TYPES.named("vpc").expect("declared");
        let exists = t.exists.expect("modelled");
        assert!(exists(&["vpc-1"], "vpc-1"));
        assert!(!exists(&["vpc-1"], "vpc-2"));
        assert_eq!((t.not_found)("vpc-2"), "The vpc ID 'vpc-2' does not exist");
        assert!(TYPES
            .named("transit-gateway")
            .and_then(|t| t.exists)
            .is_none());
    }
}
