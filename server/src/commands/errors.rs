//! How the command line words the store's errors. The store's errors carry data; the panel and
//! the Management API word them for their callers, and this is the terminal's version: what
//! went wrong, named, and what to do when there is something to do.

use scenario::RunError;
use store::StoreError;

/// The whole error chain on one line (what failed, then why), with each store error in the
/// command line's words.
pub fn describe(err: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in err.chain() {
        let store_error = cause.downcast_ref::<StoreError>().or_else(|| {
            // `RunError::Store` is transparent: the chain holds the `RunError`.
            match cause.downcast_ref::<RunError>() {
                Some(RunError::Store(inner)) => Some(inner),
                _ => None,
            }
        });
        match store_error {
            Some(store_error) => {
                parts.push(store_message(store_error));
                // The store's own causes are in its message already.
                break;
            }
            None => parts.push(cause.to_string()),
        }
    }
    parts.join(": ")
}

fn store_message(err: &StoreError) -> String {
    match err {
        StoreError::Invalid { message, .. } => message.clone(),
        StoreError::DuplicateApplication(name) => {
            format!("an application named {name:?} already exists")
        }
        StoreError::DuplicateSecret(name) => {
            format!("a secret named {name:?} already exists in this application")
        }
        StoreError::DuplicateScenario(name) => {
            format!("a scenario named {name:?} already exists in this application")
        }
        StoreError::ScenarioNotFound => "the scenario does not exist".into(),
        StoreError::ApplicationNotFound => "the application does not exist".into(),
        StoreError::SecretNotFound => "the secret does not exist".into(),
        StoreError::NothingToChange => "nothing to change".into(),
        StoreError::ApplicationIdUnknown(id) => format!("application {id} does not exist"),
        StoreError::ApplicationNameUnknown(name) => format!("no application is named {name:?}"),
        StoreError::SecretIdUnknown(id) => format!("secret {id} does not exist"),
        StoreError::SecretNameUnknown(name) => format!("no secret is named {name:?}"),
        StoreError::ServiceAccountNotFound(key) => {
            format!("no service-account key has the id {key:?} (see `service-account list`)")
        }
        StoreError::KeyRoleAboveOwn { own, key, action } => {
            format!("a user with the {own} role may not {action} a key with the {key} role")
        }
        StoreError::DuplicateUser(name) => format!("a user named {name:?} already exists"),
        StoreError::UserNotFound => "the user does not exist (see `user list`)".into(),
        StoreError::LastOwner => {
            "this would leave no enabled Owner; make another user an Owner first".into()
        }
        StoreError::WrongPassword => "the current password is wrong".into(),
        StoreError::SignInFailed => "wrong username or password".into(),
        StoreError::Throttled { retry_after_secs } => {
            format!("too many failed attempts; try again in {retry_after_secs} s")
        }
        StoreError::Busy => "the password checks are busy; try again in a few seconds".into(),
        StoreError::WrongSetupCode => "the setup code is wrong or was already used".into(),
        StoreError::AlreadySetUp => "setup is done: users exist".into(),
        // Faults: the store's terse statement with its cause is what an operator needs here.
        StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Crypto(_) => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn store_errors_in_a_chain_are_worded_for_the_terminal() {
        let err = Err::<(), _>(StoreError::UserNotFound)
            .context("cannot reset the password of \"nobody\"")
            .unwrap_err();
        assert_eq!(
            describe(&err),
            "cannot reset the password of \"nobody\": the user does not exist (see `user list`)"
        );
        let run = anyhow::Error::from(RunError::Store(StoreError::ScenarioNotFound));
        assert_eq!(describe(&run), "the scenario does not exist");
        let plain = anyhow::anyhow!("no application is named \"x\"").context("cannot list");
        assert_eq!(
            describe(&plain),
            "cannot list: no application is named \"x\""
        );
    }
}
