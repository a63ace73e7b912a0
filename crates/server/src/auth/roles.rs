//! Organization roles, stored and shown with Label Studio Enterprise's codes.
//!
//! Permissions per role are not enforced yet beyond this: deactivated and not-activated
//! members cannot act, and only owners and administrators manage people.

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Administrator,
    Manager,
    Reviewer,
    Annotator,
    Deactivated,
    NotActivated,
}

impl Role {
    /// Every role, as the API accepts them.
    pub const ALL: [Role; 7] =
        [Role::Owner, Role::Administrator, Role::Manager, Role::Reviewer, Role::Annotator, Role::Deactivated, Role::NotActivated];

    /// The stored and shown code (`OW`, `AD`, `MA`, `RE`, `AN`, `DI`, `NO`).
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "OW",
            Role::Administrator => "AD",
            Role::Manager => "MA",
            Role::Reviewer => "RE",
            Role::Annotator => "AN",
            Role::Deactivated => "DI",
            Role::NotActivated => "NO",
        }
    }

    /// A role from its code.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether a member with this role may use the organization at all.
    pub fn is_active(self) -> bool {
        !matches!(self, Role::Deactivated | Role::NotActivated)
    }

    /// Whether this role manages the organization's people (roles, removals, other profiles).
    pub fn manages_people(self) -> bool {
        matches!(self, Role::Owner | Role::Administrator)
    }
}
