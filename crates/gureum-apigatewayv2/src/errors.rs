//! API Gateway v2's errors, declared once and checked against the model.
//!
//! The `NotFoundException` wording is AWS's on the wire for APIs
//! ("Invalid API identifier specified ACCOUNT:ID"); the child resources
//! follow the same pattern with their own noun.

gureum_core::aws_errors! {
    /// What an API Gateway v2 operation answers when it refuses.
    pub enum ApiGatewayV2Error {
        /// No API with this id in the account and region.
        ApiNotFound { account: String, id: String } =
            ("NotFoundException", 404, "Invalid API identifier specified {account}:{id}"),
        /// No child resource (`Route`, `Integration`, `Authorizer`,
        /// `Deployment`) with this id in the API.
        ChildNotFound { noun: &'static str, account: String, id: String } =
            ("NotFoundException", 404, "Invalid {noun} identifier specified {account}:{id}"),
        /// No stage with this name in the API (AWS's wording names none).
        StageNotFound = ("NotFoundException", 404, "Invalid stage identifier specified"),
        /// No tags on an ARN that names nothing.
        ResourceNotFound { arn: String } =
            ("NotFoundException", 404, "Invalid resource identifier specified {arn}"),
        /// Input AWS refuses, with its message.
        BadRequest { message: String } = ("BadRequestException", 400, "{message}"),
        /// A name or key already taken.
        Conflict { message: String } = ("ConflictException", 409, "{message}"),
    }
}

/// `BadRequestException` with `message`.
pub fn bad(message: impl Into<String>) -> gureum_core::AwsError {
    ApiGatewayV2Error::BadRequest {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::ApiGatewayV2Error;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("apigatewayv2").expect("the apigatewayv2 model");
        let problems =
            gureum_protocol::check_declared_errors(&model, ApiGatewayV2Error::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
