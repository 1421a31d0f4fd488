//! Route 53's errors, declared once (checked against the model below).
//!
//! Messages are the ones Route 53 answers on the wire where known; the
//! `InvalidChangeBatch` texts are listed in `records.rs` where they are
//! made.

gureum_core::aws_errors! {
    /// What a Route 53 operation answers when it refuses.
    pub enum Route53Error {
        /// The input is not valid.
        InvalidInput { message: String } = ("InvalidInput", 400, "{message}"),
        /// No zone has the id.
        NoSuchHostedZone { id: String } = ("NoSuchHostedZone", 404,
            "No hosted zone found with ID: {id}"),
        /// The caller reference was used before.
        HostedZoneAlreadyExists = ("HostedZoneAlreadyExists", 409,
            "A hosted zone has already been created with the specified caller reference."),
        /// The zone still has records beyond its SOA and NS.
        HostedZoneNotEmpty = ("HostedZoneNotEmpty", 400,
            "The specified hosted zone contains non-required resource record sets and so cannot be deleted."),
        /// A change batch failed validation; the message lists every problem.
        InvalidChangeBatch { message: String } = ("InvalidChangeBatch", 400, "{message}"),
        /// The domain name is not valid.
        InvalidDomainName { message: String } = ("InvalidDomainName", 400, "{message}"),
        /// No change has the id.
        NoSuchChange { id: String } = ("NoSuchChange", 404, "No change found with ID: {id}"),
        /// No health check has the id.
        NoSuchHealthCheck { id: String } = ("NoSuchHealthCheck", 404,
            "A health check with id {id} does not exist."),
        /// The caller reference was used for another health check.
        HealthCheckAlreadyExists { reference: String } = ("HealthCheckAlreadyExists", 409,
            "A health check with caller reference {reference} already exists with a different configuration."),
        /// A record set or a calculated check uses the health check.
        HealthCheckInUse { id: String } = ("HealthCheckInUse", 400,
            "Health check {id} is still referenced from parent health check(s) or resource record set(s)."),
        /// `HealthCheckVersion` is not the current one.
        HealthCheckVersionMismatch = ("HealthCheckVersionMismatch", 409,
            "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check."),
        /// The VPC does not exist.
        InvalidVpcId { id: String } = ("InvalidVPCId", 400,
            "The VPC ID '{id}' is not valid."),
        /// A VPC cannot be associated with a public zone.
        PublicZoneVpcAssociation { id: String } = ("PublicZoneVPCAssociation", 400,
            "Public hosted zone {id} cannot be associated with a VPC."),
        /// The last VPC of a private zone stays.
        LastVpcAssociation = ("LastVPCAssociation", 400,
            "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone."),
        /// The VPC is not associated with the zone.
        VpcAssociationNotFound = ("VPCAssociationNotFound", 404,
            "The specified VPC and hosted zone are not currently associated."),
        /// A private zone of the same name is already associated with the VPC.
        ConflictingDomainExists { name: String, vpc: String } = ("ConflictingDomainExists", 400,
            "A hosted zone with the name {name} is already associated with VPC {vpc}."),
        /// Reusable delegation sets are not kept.
        NoSuchDelegationSet { id: String } = ("NoSuchDelegationSet", 400,
            "A reusable delegation set with the specified ID {id} does not exist."),
    }
}

#[cfg(test)]
mod tests {
    use super::Route53Error;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("route53").expect("route53 model");
        let problems = gureum_protocol::check_declared_errors(&model, Route53Error::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
