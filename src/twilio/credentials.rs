//! Twilio credentials, found as twilio-cli finds them (twilio-cli-core's `config.js`): a
//! `--profile` named on the command line first; else `TWILIO_ACCOUNT_SID` with
//! `TWILIO_API_KEY` + `TWILIO_API_SECRET` (preferred) or `TWILIO_AUTH_TOKEN`; else the active
//! profile of `$TWILIO_CONFIG_DIR/config.json` (default `~/.twilio-cli`). Variables that do not
//! make a whole credential give way to the profile, as in twilio-cli; with no profile, the
//! error names them.
//!
//! The secret is a `Secret`: it has no `Display`, its `Debug` is `[redacted]`, and the only way
//! to it is `Secret::expose`, called where the Authorization header is built. Errors name the
//! source and the variable or profile, never a value.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A credential that must never be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value itself, for the Authorization header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the credentials came from: said when Twilio rejects them (401).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// `TWILIO_API_KEY` and `TWILIO_API_SECRET`.
    ApiKeyVariables,
    /// `TWILIO_AUTH_TOKEN`.
    AuthTokenVariable,
    /// A twilio-cli profile.
    Profile { name: String, config: PathBuf },
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::ApiKeyVariables => f.write_str(
                "the API key in TWILIO_API_KEY and TWILIO_API_SECRET (account TWILIO_ACCOUNT_SID)",
            ),
            CredentialSource::AuthTokenVariable => {
                f.write_str("the auth token in TWILIO_AUTH_TOKEN (account TWILIO_ACCOUNT_SID)")
            }
            CredentialSource::Profile { name, config } => {
                write!(f, "the twilio-cli profile {name:?} in {}", config.display())
            }
        }
    }
}

/// What Basic auth sends, and where the requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub account_sid: String,
    /// An API key SID (`SK...`), or the account SID with an auth token.
    pub username: String,
    pub secret: Secret,
    pub source: CredentialSource,
    pub region: Option<String>,
    pub edge: Option<String>,
}

/// Why no credentials could be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no Twilio credentials: set TWILIO_ACCOUNT_SID with TWILIO_API_KEY and TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN), or log in with twilio-cli (twilio login), or pass --profile NAME"
    )]
    Missing,
    #[error(
        "TWILIO_ACCOUNT_SID is set but neither TWILIO_API_KEY with TWILIO_API_SECRET nor TWILIO_AUTH_TOKEN is"
    )]
    NoSecretVariable,
    #[error("{variable} is set without {missing}")]
    HalfAKey {
        variable: &'static str,
        missing: &'static str,
    },
    #[error("{name} is not a {what} (expected {prefix} and 32 hexadecimal digits)")]
    BadSid {
        name: String,
        what: &'static str,
        prefix: &'static str,
    },
    #[error("cannot read the twilio-cli configuration {path}: {reason}")]
    Config { path: String, reason: String },
    #[error("the twilio-cli configuration {path} has no profile {name:?}")]
    NoSuchProfile { path: String, name: String },
    #[error("the twilio-cli profile {name:?} in {path} has no {field}")]
    IncompleteProfile {
        path: String,
        name: String,
        field: &'static str,
    },
}

/// The process environment, as the lookup needs it: variables, and the files it may read.
pub trait Environment {
    fn variable(&self, name: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// The real environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn variable(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        std::env::home_dir()
    }

    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// The credentials to use: `profile` (`--profile`) first, then the variables, then the active
/// twilio-cli profile.
pub fn find_credentials(
    environment: &dyn Environment,
    profile: Option<&str>,
) -> Result<Credentials, CredentialError> {
    if let Some(name) = profile {
        return from_profile(environment, Some(name))?.ok_or(CredentialError::Missing);
    }
    // Variables that are not a whole credential are passed over, as twilio-cli passes them,
    // for the active profile; with no profile either, they are what the error names.
    let incomplete = match from_variables(environment) {
        Ok(Some(found)) => return Ok(found),
        Ok(None) => None,
        Err(error) => Some(error),
    };
    match from_profile(environment, None)? {
        Some(found) => Ok(found),
        None => Err(incomplete.unwrap_or(CredentialError::Missing)),
    }
}

/// `TWILIO_ACCOUNT_SID` with an API key (preferred) or an auth token; nothing without the
/// account SID, as twilio-cli reads them.
fn from_variables(environment: &dyn Environment) -> Result<Option<Credentials>, CredentialError> {
    let Some(account_sid) = environment.variable("TWILIO_ACCOUNT_SID") else {
        return Ok(None);
    };
    check_sid(&account_sid, "TWILIO_ACCOUNT_SID", "an account SID", "AC")?;
    let key = environment.variable("TWILIO_API_KEY");
    let secret = environment.variable("TWILIO_API_SECRET");
    let (username, secret, source) = match (key, secret) {
        (Some(key), Some(secret)) => {
            check_sid(&key, "TWILIO_API_KEY", "an API key SID", "SK")?;
            (key, secret, CredentialSource::ApiKeyVariables)
        }
        (Some(_), None) => {
            return Err(CredentialError::HalfAKey {
                variable: "TWILIO_API_KEY",
                missing: "TWILIO_API_SECRET",
            });
        }
        (None, Some(_)) => {
            return Err(CredentialError::HalfAKey {
                variable: "TWILIO_API_SECRET",
                missing: "TWILIO_API_KEY",
            });
        }
        (None, None) => match environment.variable("TWILIO_AUTH_TOKEN") {
            Some(token) => (
                account_sid.clone(),
                token,
                CredentialSource::AuthTokenVariable,
            ),
            None => return Err(CredentialError::NoSecretVariable),
        },
    };
    Ok(Some(Credentials {
        account_sid,
        username,
        secret: Secret::new(secret),
        source,
        region: environment.variable("TWILIO_REGION"),
        edge: environment.variable("TWILIO_EDGE"),
    }))
}

/// twilio-cli's `config.json`, the parts read here.
#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    profiles: HashMap<String, Profile>,
    #[serde(rename = "activeProject")]
    active_project: Option<String>,
    edge: Option<String>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(rename = "accountSid")]
    account_sid: Option<String>,
    #[serde(rename = "apiKey")]
    api_key: Option<String>,
    #[serde(rename = "apiSecret")]
    api_secret: Option<String>,
    region: Option<String>,
    edge: Option<String>,
}

/// The profile named, or else the active one; `None` when there is no configuration file or
/// no active profile to fall back on.
fn from_profile(
    environment: &dyn Environment,
    name: Option<&str>,
) -> Result<Option<Credentials>, CredentialError> {
    let directory = match environment.variable("TWILIO_CONFIG_DIR") {
        Some(directory) => PathBuf::from(directory),
        None => match environment.home() {
            Some(home) => home.join(".twilio-cli"),
            None => return Ok(None),
        },
    };
    let path = directory.join("config.json");
    let shown = path.display().to_string();
    let text = match environment.read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && name.is_none() => {
            return Ok(None);
        }
        Err(error) => {
            return Err(CredentialError::Config {
                path: shown,
                reason: error.to_string(),
            });
        }
    };
    // serde_json's message can quote a value it did not expect, which may be a secret: only
    // its kind and place are said.
    let config: Config = serde_json::from_str(&text).map_err(|error| CredentialError::Config {
        path: shown.clone(),
        reason: format!(
            "not a twilio-cli configuration ({:?} error at line {}, column {})",
            error.classify(),
            error.line(),
            error.column()
        ),
    })?;
    let Some(chosen) = name
        .map(str::to_owned)
        .or_else(|| config.active_project.clone())
    else {
        return Ok(None);
    };
    let profile = config
        .profiles
        .get(&chosen)
        .ok_or_else(|| CredentialError::NoSuchProfile {
            path: shown.clone(),
            name: chosen.clone(),
        })?;
    let field = |value: &Option<String>, field: &'static str| {
        value
            .clone()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| CredentialError::IncompleteProfile {
                path: shown.clone(),
                name: chosen.clone(),
                field,
            })
    };
    let account_sid = field(&profile.account_sid, "accountSid")?;
    let username = field(&profile.api_key, "apiKey")?;
    let secret = field(&profile.api_secret, "apiSecret")?;
    let label = format!("accountSid of profile {chosen:?}");
    check_sid(&account_sid, &label, "an account SID", "AC")?;
    Ok(Some(Credentials {
        account_sid,
        username,
        secret: Secret::new(secret),
        source: CredentialSource::Profile {
            name: chosen,
            config: path,
        },
        // twilio-cli (`buildClient`): the profile's region; TWILIO_EDGE over the profile's
        // edge over the configuration's.
        region: profile.region.clone(),
        edge: environment
            .variable("TWILIO_EDGE")
            .or_else(|| profile.edge.clone())
            .or(config.edge),
    }))
}

/// Whether `text` is a SID with `prefix`: two letters and 32 hexadecimal digits.
pub fn is_sid(text: &str, prefix: &str) -> bool {
    text.len() == 34
        && text.starts_with(prefix)
        && text[2..].bytes().all(|byte| byte.is_ascii_hexdigit())
}

fn check_sid(
    value: &str,
    name: &str,
    what: &'static str,
    prefix: &'static str,
) -> Result<(), CredentialError> {
    if is_sid(value, prefix) {
        Ok(())
    } else {
        Err(CredentialError::BadSid {
            name: name.to_owned(),
            what,
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const KEY: &str = "SK0123456789abcdef0123456789abcdef";

    #[derive(Default)]
    struct FakeEnvironment {
        variables: HashMap<&'static str, String>,
        files: HashMap<PathBuf, String>,
    }

    impl Environment for FakeEnvironment {
        fn variable(&self, name: &str) -> Option<String> {
            self.variables.get(name).cloned()
        }
        fn home(&self) -> Option<PathBuf> {
            Some(PathBuf::from("/home/sre"))
        }
        fn read(&self, path: &Path) -> std::io::Result<String> {
            self.files
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
    }

    fn with(variables: &[(&'static str, &str)]) -> FakeEnvironment {
        FakeEnvironment {
            variables: variables
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            files: HashMap::new(),
        }
    }

    fn config(active: &str) -> String {
        format!(
            r#"{{"profiles":{{"work":{{"accountSid":"{ACCOUNT}","apiKey":"{KEY}","apiSecret":"profile-secret","region":"ie1"}}}},"activeProject":"{active}","edge":"dublin"}}"#
        )
    }

    #[test]
    fn an_api_key_is_preferred_to_the_auth_token() {
        let environment = with(&[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_API_KEY", KEY),
            ("TWILIO_API_SECRET", "key-secret"),
            ("TWILIO_AUTH_TOKEN", "token"),
        ]);
        let found = find_credentials(&environment, None).unwrap();
        assert_eq!(found.username, KEY);
        assert_eq!(found.secret.expose(), "key-secret");
        assert_eq!(found.source, CredentialSource::ApiKeyVariables);
    }

    #[test]
    fn an_auth_token_authenticates_as_the_account() {
        let environment = with(&[("TWILIO_ACCOUNT_SID", ACCOUNT), ("TWILIO_AUTH_TOKEN", "t")]);
        let found = find_credentials(&environment, None).unwrap();
        assert_eq!(
            (found.username.as_str(), found.secret.expose()),
            (ACCOUNT, "t")
        );
    }

    #[test]
    fn half_a_key_or_no_secret_is_an_error_that_names_the_variables() {
        let half = with(&[("TWILIO_ACCOUNT_SID", ACCOUNT), ("TWILIO_API_KEY", KEY)]);
        assert_eq!(
            find_credentials(&half, None).unwrap_err().to_string(),
            "TWILIO_API_KEY is set without TWILIO_API_SECRET"
        );
        let none = with(&[("TWILIO_ACCOUNT_SID", ACCOUNT)]);
        assert_eq!(
            find_credentials(&none, None),
            Err(CredentialError::NoSecretVariable)
        );
        let bad = with(&[("TWILIO_ACCOUNT_SID", "ACnope"), ("TWILIO_AUTH_TOKEN", "t")]);
        assert!(matches!(
            find_credentials(&bad, None),
            Err(CredentialError::BadSid { .. })
        ));
    }

    #[test]
    fn without_variables_the_active_twilio_cli_profile_is_used() {
        let mut environment = with(&[("TWILIO_EDGE", "sydney"), ("TWILIO_REGION", "au1")]);
        environment.files.insert(
            PathBuf::from("/home/sre/.twilio-cli/config.json"),
            config("work"),
        );
        let found = find_credentials(&environment, None).unwrap();
        assert_eq!(found.username, KEY);
        assert_eq!(found.region.as_deref(), Some("ie1"));
        // TWILIO_EDGE outranks the profile's and the configuration's edge.
        assert_eq!(found.edge.as_deref(), Some("sydney"));
        assert!(matches!(found.source, CredentialSource::Profile { .. }));
    }

    #[test]
    fn incomplete_variables_give_way_to_the_active_profile() {
        let mut environment = with(&[("TWILIO_ACCOUNT_SID", ACCOUNT), ("TWILIO_API_KEY", KEY)]);
        environment.files.insert(
            PathBuf::from("/home/sre/.twilio-cli/config.json"),
            config("work"),
        );
        let found = find_credentials(&environment, None).unwrap();
        assert_eq!(found.secret.expose(), "profile-secret");
    }

    #[test]
    fn a_named_profile_outranks_the_variables_and_must_exist() {
        let mut environment = with(&[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_AUTH_TOKEN", "t"),
            ("TWILIO_CONFIG_DIR", "/etc/twilio"),
        ]);
        environment
            .files
            .insert(PathBuf::from("/etc/twilio/config.json"), config("work"));
        let found = find_credentials(&environment, Some("work")).unwrap();
        assert_eq!(found.secret.expose(), "profile-secret");
        let error = find_credentials(&environment, Some("home")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the twilio-cli configuration /etc/twilio/config.json has no profile \"home\""
        );
    }

    #[test]
    fn nothing_anywhere_says_how_to_provide_credentials() {
        let error = find_credentials(&with(&[]), None).unwrap_err();
        assert!(error.to_string().contains("twilio login"), "{error}");
    }

    #[test]
    fn secrets_never_show_in_debug_output_or_errors() {
        let mut environment = with(&[]);
        environment.files.insert(
            PathBuf::from("/home/sre/.twilio-cli/config.json"),
            config("work").replace(
                "\"activeProject\":\"work\"",
                "\"activeProject\":[\"profile-secret\"]",
            ),
        );
        let error = find_credentials(&environment, None)
            .unwrap_err()
            .to_string();
        assert!(!error.contains("profile-secret"), "{error}");
        let environment = with(&[
            ("TWILIO_ACCOUNT_SID", ACCOUNT),
            ("TWILIO_AUTH_TOKEN", "hunter2"),
        ]);
        let found = find_credentials(&environment, None).unwrap();
        assert!(!format!("{found:?}").contains("hunter2"));
    }
}
