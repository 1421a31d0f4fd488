//! The errors of Price List, Cost Explorer and Budgets, declared once per
//! model and checked against it. Messages follow what AWS answers on the
//! wire where known (the budget ones from AWS's answers as CloudFormation
//! and SDK users report them); the rest are Gureum's wording in AWS's
//! style.

gureum_core::aws_errors! {
    /// What a Price List operation answers when it refuses.
    pub enum PricingError {
        /// An unknown service code or attribute.
        NotFound { message: String } = ("NotFoundException", 400, "{message}"),
        /// A parameter out of its domain.
        InvalidParameter { message: String } = ("InvalidParameterException", 400, "{message}"),
        /// A `NextToken` this server did not issue.
        InvalidNextToken = ("InvalidNextTokenException", 400, "The nextToken provided is invalid"),
    }
}

gureum_core::aws_errors! {
    /// What a Cost Explorer operation answers when it refuses (most input
    /// errors are the common `ValidationException`).
    pub enum CeError {
        /// A `NextPageToken` this server did not issue.
        InvalidNextToken = ("InvalidNextTokenException", 400, "The pagination token is invalid."),
        /// No data for the request (a forecast with no history).
        DataUnavailable = ("DataUnavailableException", 400,
            "Insufficient amount of historical data to generate forecast."),
    }
}

gureum_core::aws_errors! {
    /// What a Budgets operation answers when it refuses.
    pub enum BudgetsError {
        /// `DescribeBudget` and the like on a missing budget.
        BudgetNotFound { name: String } = ("NotFoundException", 400,
            "Unable to get budget: {name} - the budget doesn't exist."),
        /// `DeleteBudget` on a missing budget.
        DeleteNotFound { name: String } = ("NotFoundException", 400,
            "Unable to delete budget: {name} - the budget doesn't exist. Try creating it first."),
        /// `UpdateBudget` on a missing budget.
        UpdateNotFound { name: String } = ("NotFoundException", 400,
            "Unable to update budget: {name} - the budget doesn't exist. Try creating it first."),
        /// A notification that is not on the budget.
        NotificationNotFound { name: String } = ("NotFoundException", 400,
            "Unable to find notification for budget: {name}"),
        /// `CreateBudget` with a name in use.
        DuplicateBudget { name: String } = ("DuplicateRecordException", 400,
            "Error creating budget: {name} - the budget already exists."),
        /// `CreateNotification` for a notification the budget has.
        DuplicateNotification { name: String } = ("DuplicateRecordException", 400,
            "Error creating notification: the notification already exists for budget: {name}"),
        /// A subscriber the notification already has.
        DuplicateSubscriber { name: String } = ("DuplicateRecordException", 400,
            "Error creating subscriber: the subscriber already exists for budget: {name}"),
        /// A parameter out of its domain.
        InvalidParameter { message: String } = ("InvalidParameterException", 400, "{message}"),
        /// An account's 20,000 budgets.
        CreationLimit = ("CreationLimitExceededException", 400,
            "You have exceeded the maximum number of budgets allowed for this account."),
        /// A `NextToken` this server did not issue.
        InvalidNextToken = ("InvalidNextTokenException", 400, "The pagination token is invalid."),
        /// An `AccountId` other than the caller's.
        AccessDenied { account: String } = ("AccessDeniedException", 400,
            "You are not authorized to access the budgets of account {account}."),
    }
}

#[cfg(test)]
mod tests {
    use super::{BudgetsError, CeError, PricingError};

    #[test]
    fn declared_errors_are_the_models() {
        for (model, declared) in [
            ("pricing", PricingError::DECLARED),
            ("ce", CeError::DECLARED),
            ("budgets", BudgetsError::DECLARED),
        ] {
            let model = gureum_model::load(model).expect("the model");
            let problems = gureum_protocol::check_declared_errors(&model, declared, &[]);
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }
}
