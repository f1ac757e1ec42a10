//! Roles and what they allow: the one table every server function and API method consults.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's or a service-account key's role. Each role may do everything the one below it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Developer,
    Viewer,
}

/// One kind of thing a caller may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// See applications and secret metadata (names, descriptions, times): never a value.
    ViewMetadata,
    /// Reveal, copy or fetch a secret's value.
    ReadValues,
    /// Create, change and delete secrets.
    WriteSecrets,
    /// Create, rename and delete applications.
    ManageApplications,
    /// Create and revoke service-account keys and the legacy API key; read the audit log.
    ManageAccess,
    /// Add users, set their roles, disable them, reset their passwords.
    ManageUsers,
}

impl Role {
    /// Highest first, as the role pickers list them.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Developer, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Developer => "Developer",
            Role::Viewer => "Viewer",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Developer => 1,
            Role::Admin => 2,
            Role::Owner => 3,
        }
    }

    /// The lowest role that has `permission`.
    pub fn needed_for(permission: Permission) -> Role {
        match permission {
            Permission::ViewMetadata => Role::Viewer,
            Permission::ReadValues | Permission::WriteSecrets => Role::Developer,
            Permission::ManageApplications | Permission::ManageAccess => Role::Admin,
            Permission::ManageUsers => Role::Owner,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.rank() >= Role::needed_for(permission).rank()
    }

    /// Whether a holder of this role may hand out `other` (to a user or a key): never a role
    /// above one's own, so no one can raise their own rights.
    pub fn may_grant(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown role \"{s}\": use Owner, Admin, Developer or Viewer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_exactly_its_permissions() {
        use Permission::*;
        let table = [
            (Role::Viewer, vec![ViewMetadata]),
            (
                Role::Developer,
                vec![ViewMetadata, ReadValues, WriteSecrets],
            ),
            (
                Role::Admin,
                vec![
                    ViewMetadata,
                    ReadValues,
                    WriteSecrets,
                    ManageApplications,
                    ManageAccess,
                ],
            ),
            (
                Role::Owner,
                vec![
                    ViewMetadata,
                    ReadValues,
                    WriteSecrets,
                    ManageApplications,
                    ManageAccess,
                    ManageUsers,
                ],
            ),
        ];
        let all = [
            ViewMetadata,
            ReadValues,
            WriteSecrets,
            ManageApplications,
            ManageAccess,
            ManageUsers,
        ];
        for (role, allowed) in table {
            for permission in all {
                assert_eq!(
                    role.allows(permission),
                    allowed.contains(&permission),
                    "{role} / {permission:?}"
                );
            }
        }
    }

    #[test]
    fn nobody_grants_above_their_own_role() {
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(Role::Admin.may_grant(Role::Viewer));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Viewer.may_grant(Role::Developer));
        assert!(Role::Owner.may_grant(Role::Owner));
    }
}
