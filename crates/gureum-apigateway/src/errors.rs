//! API Gateway's errors, declared once and checked against the model.
//! Messages are the ones API Gateway answers on the wire.

gureum_core::aws_errors! {
    /// What an API Gateway operation answers when it refuses.
    pub enum ApigatewayError {
        /// No REST API with this id in the caller's account and region.
        ApiNotFound { account: String, id: String } =
            ("NotFoundException", 404, "Invalid API identifier specified {account}:{id}"),
        /// No resource with this id in the API.
        ResourceNotFound = ("NotFoundException", 404, "Invalid Resource identifier specified"),
        /// No method with this verb on the resource.
        MethodNotFound = ("NotFoundException", 404, "Invalid Method identifier specified"),
        /// The method has no integration.
        IntegrationNotFound = ("NotFoundException", 404, "No integration defined for method"),
        /// No method or integration response with this status code.
        ResponseNotFound = ("NotFoundException", 404, "Invalid Response status code specified"),
        /// No deployment with this id in the API.
        DeploymentNotFound = ("NotFoundException", 404, "Invalid Deployment identifier specified"),
        /// No stage with this name in the API.
        StageNotFound = ("NotFoundException", 404, "Invalid stage identifier specified"),
        /// No authorizer with this id in the API.
        AuthorizerNotFound = ("NotFoundException", 404, "Invalid Authorizer identifier specified"),
        /// No API key with this id.
        ApiKeyNotFound = ("NotFoundException", 404, "Invalid API Key identifier specified"),
        /// No usage plan with this id.
        UsagePlanNotFound = ("NotFoundException", 404, "Invalid Usage Plan ID specified"),
        /// The key is not in the usage plan.
        UsagePlanKeyNotFound = ("NotFoundException", 404, "Invalid Usage Plan Key identifier specified"),
        /// No model with this name in the API.
        ModelNotFound { name: String } = ("NotFoundException", 404, "Invalid model name specified: {name}"),
        /// The model name is taken.
        ModelExists = ("ConflictException", 409, "Model name already exists for this REST API"),
        /// No request validator with this id in the API.
        ValidatorNotFound = ("NotFoundException", 404, "Invalid Request Validator identifier specified"),
        /// A response type with no gateway response.
        GatewayResponseNotFound = ("NotFoundException", 404, "Invalid Gateway Response type specified"),
        /// No custom domain name by this name.
        DomainNotFound = ("NotFoundException", 404, "Invalid domain name identifier specified"),
        /// No base path mapping with this base path.
        BasePathNotFound = ("NotFoundException", 404, "Invalid base path mapping identifier specified"),
        /// No client certificate with this id.
        ClientCertificateNotFound = ("NotFoundException", 404, "Invalid Client Certificate identifier specified"),
        /// No documentation part with this id.
        DocumentationPartNotFound = ("NotFoundException", 404, "Invalid Documentation part identifier specified"),
        /// No documentation version by this name.
        DocumentationVersionNotFound = ("NotFoundException", 404, "Invalid Documentation version specified"),
        /// A tag ARN that names nothing taggable.
        ArnNotFound { arn: String } = ("NotFoundException", 404, "Invalid resource identifier specified: {arn}"),
        /// A sibling already has the path part.
        SiblingExists { part: String } =
            ("ConflictException", 409, "Another resource with the same parent already has this name: {part}"),
        /// The verb is already a method of the resource.
        MethodExists = ("ConflictException", 409, "Method already exists for this resource"),
        /// The stage name is taken.
        StageExists = ("ConflictException", 409, "Stage already exists"),
        /// The key is already in the usage plan.
        UsagePlanKeyExists = ("ConflictException", 409, "Usage plan key already exists"),
        /// The resource is in use, with API Gateway's message.
        Conflict { message: String } = ("ConflictException", 409, "{message}"),
        /// Bad input, with API Gateway's message.
        BadRequest { message: String } = ("BadRequestException", 400, "{message}"),
    }
}

/// A `BadRequestException` with `message`.
pub(crate) fn bad_request(message: impl Into<String>) -> gureum_core::AwsError {
    ApigatewayError::BadRequest {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::ApigatewayError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("apigateway").expect("the apigateway model");
        let problems =
            gureum_protocol::check_declared_errors(&model, ApigatewayError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
