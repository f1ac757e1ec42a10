//! How the command line words the store's errors. The store's errors carry data; the panel and
//! the Management API word them for their callers, and this is the terminal's version (for
//! now the same sentences the command line printed when the store worded them itself).

use scenario::RunError;
use store::{OpenError, StoreError};

const WRONG_MASTER_KEY: &str = "the master key does not match this database: it is not the key \
    the database was created with. Start Strongroom with the original key \
    (STRONGROOM_MASTER_KEY or the file given by --master-key-file). Nothing was changed; secrets \
    cannot be read without that key.";

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
        let message = match cause.downcast_ref::<OpenError>() {
            Some(OpenError::WrongMasterKey) => Some(WRONG_MASTER_KEY.to_owned()),
            _ => store_error.and_then(store_message),
        };
        match message {
            Some(message) => {
                parts.push(message);
                // A store error of the caller's making has no cause worth printing.
                break;
            }
            None => parts.push(cause.to_string()),
        }
    }
    parts.join(": ")
}

/// The terminal's words for a store error the caller can act on (the words the command line
/// has always printed); `None` for a fault, whose own statement and causes are printed as
/// they are.
fn store_message(err: &StoreError) -> Option<String> {
    Some(match err {
        StoreError::Invalid { message, .. } => message.clone(),
        StoreError::DuplicateApplication(name) => {
            format!("An application named \"{name}\" already exists. Choose another name.")
        }
        StoreError::DuplicateSecret(name) => format!(
            "A secret named \"{name}\" already exists in this application. Choose another name."
        ),
        StoreError::DuplicateScenario(name) => format!(
            "A scenario named \"{name}\" already exists in this application. Choose another name."
        ),
        StoreError::ScenarioNotFound => "The scenario does not exist.".into(),
        StoreError::ApplicationNotFound => "The application does not exist.".into(),
        StoreError::SecretNotFound => "The secret does not exist.".into(),
        StoreError::NothingToChange => "Nothing to change.".into(),
        StoreError::ApplicationIdUnknown(id) => format!("application_id {id} does not exist"),
        StoreError::ApplicationNameUnknown(name) => format!("no application is named \"{name}\""),
        StoreError::SecretIdUnknown(id) => {
            format!("secret_id {id} does not exist in this application")
        }
        StoreError::SecretNameUnknown(name) => {
            format!("no secret is named \"{name}\" in this application")
        }
        StoreError::ServiceAccountNotFound(key) => {
            format!("no service-account key has the id \"{key}\"")
        }
        StoreError::KeyRoleAboveOwn { own, key, action } => format!(
            "Your role ({own}) may not {action} a key with the {key} role: that takes {key} or \
             higher."
        ),
        StoreError::DuplicateUser(name) => {
            format!("A user named \"{name}\" already exists. Choose another name.")
        }
        StoreError::UserNotFound => "The user does not exist.".into(),
        StoreError::LastOwner => "This would leave no enabled Owner, and only an Owner can \
                                  manage users. Make another user an Owner first."
            .into(),
        StoreError::WrongPassword => "The current password is wrong.".into(),
        StoreError::SignInFailed => "Wrong username or password.".into(),
        StoreError::Throttled { retry_after_secs } => format!(
            "Too many failed attempts. Wait {} minutes, then try again.",
            // Whole minutes, rounded up: "wait 0 minutes" would be wrong.
            (retry_after_secs + 59) / 60
        ),
        StoreError::Busy => {
            "The server is busy checking other passwords. Try again in a few seconds.".into()
        }
        StoreError::WrongSetupCode => "The setup code is wrong or was already used. Use the \
                                       code in the latest server log."
            .into(),
        StoreError::AlreadySetUp => "Setup is done: users exist. Sign in instead.".into(),
        StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Crypto(_) => return None,
    })
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
            "cannot reset the password of \"nobody\": The user does not exist."
        );
        let run = anyhow::Error::from(RunError::Store(StoreError::ScenarioNotFound));
        assert_eq!(describe(&run), "The scenario does not exist.");
        let key = anyhow::Error::from(OpenError::WrongMasterKey).context("cannot open");
        assert_eq!(describe(&key), format!("cannot open: {WRONG_MASTER_KEY}"));
        let plain = anyhow::anyhow!("no application is named \"x\"").context("cannot list");
        assert_eq!(
            describe(&plain),
            "cannot list: no application is named \"x\""
        );
    }
}
