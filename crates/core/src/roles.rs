//! Organization roles, stored and shown with Label Studio Enterprise's codes. What each role
//! may do is `access::Action::allows`.

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
    pub const ALL: [Role; 7] = [
        Role::Owner,
        Role::Administrator,
        Role::Manager,
        Role::Reviewer,
        Role::Annotator,
        Role::Deactivated,
        Role::NotActivated,
    ];

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

    /// The role's name.
    pub fn title(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Administrator => "Administrator",
            Role::Manager => "Manager",
            Role::Reviewer => "Reviewer",
            Role::Annotator => "Annotator",
            Role::Deactivated => "Deactivated",
            Role::NotActivated => "Not activated",
        }
    }

    /// Whether this role sees every project of the organization; other roles see the projects
    /// they created, are members of, or whose workspace they belong to.
    pub fn sees_all_projects(self) -> bool {
        matches!(self, Role::Owner | Role::Administrator)
    }

    /// A role from its code.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether a member with this role may use the organization at all.
    pub fn is_active(self) -> bool {
        !matches!(self, Role::Deactivated | Role::NotActivated)
    }
}
