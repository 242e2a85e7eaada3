//! The calls DocuSign documents for changing an existing user's permission profile.
//!
//! DocuSign documents all three and confirms none, so the name is shared vocabulary: apply
//! sends by the first and falls back to the others when reading back shows a change didn't
//! take; the emulator can be told to honour only one; probe tries each on a demo account. Each
//! of them makes its own calls: only the names are shared.

/// One way of changing an existing user's permission profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProfileRoute {
    /// Bulk `PUT /users` with `permissionProfileId` per user: one call per 500 users.
    BulkPutUsers,
    /// `PUT /users/{userId}` with `permissionProfileId`.
    PutUser,
    /// `PUT /users/{userId}/profile` (the way a DocuSign connector does it).
    PutProfile,
}

impl ProfileRoute {
    /// Every route, in the order apply tries them: the cheapest first.
    pub const ALL: [Self; 3] = [Self::BulkPutUsers, Self::PutUser, Self::PutProfile];

    /// The call, as a person reads it.
    #[must_use]
    pub const fn call(self) -> &'static str {
        match self {
            Self::BulkPutUsers => "bulk PUT /users",
            Self::PutUser => "PUT /users/{userId}",
            Self::PutProfile => "PUT /users/{userId}/profile",
        }
    }

    /// The route as probe's findings and the emulator's switches name it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::BulkPutUsers => "bulk_put_users",
            Self::PutUser => "put_user",
            Self::PutProfile => "put_profile",
        }
    }
}
