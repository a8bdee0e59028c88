//! What one `issue` / `issuewild` record says about the requester: it authorises, or the
//! first reason it does not, in the CA's order (syntax, issuer, account, method). Its own
//! module so that the verdict and the requester's checks both use it without needing each
//! other.

use super::issue_value::Malformed;
use super::methods::{AdmittedMethods, Method};

/// One `issue` / `issuewild` record and what it says about this requester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub record: usize,
    pub finding: Finding,
}

/// Whether one record authorises the requester, and if not, the first reason it does not, in
/// the CA's order: syntax, issuer, account, method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    Authorises,
    /// Rule 24: the value does not parse; the record authorises nobody but still restricts.
    Malformed(Malformed),
    /// Rule 21: `issue ";"` or `issue ""`: nobody is authorised.
    NoIssuer,
    /// Rule 25: another issuer domain, as served (escape before display).
    OtherIssuer(Vec<u8>),
    /// Rule 27: more than one `accounturi`: can never match.
    AccountUriRepeated,
    /// Rule 27: `accounturi=` with nothing after it.
    AccountUriEmpty,
    /// Rule 28: restricted to another account.
    OtherAccount {
        accounturi: String,
    },
    /// Rule 32: restricted to an account, and the requester is a platform whose account we do
    /// not know, so this cannot be shown to authorise it.
    AccountRestricted {
        accounturi: String,
    },
    /// Rule 29: more than one `validationmethods`: can never match.
    MethodsRepeated,
    /// Rules 30, 31 and 33: no method the requester can use is admitted.
    MethodNotAdmitted {
        admitted: AdmittedMethods,
        usable: Vec<Method>,
    },
}
