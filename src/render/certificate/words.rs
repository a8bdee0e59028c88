//! Each certificate finding in plain words, with what fixes it: shared by the human and JSON
//! reports of `bundle` and `expiry`. Everything taken from a file or a server (names, PEM
//! labels, a parser's complaint) goes through `escape::printable` here.

use crate::cert::{Certificate, Finding, KeyForm, PemFile, Place, Source, rfc3339};
use crate::escape::printable;

/// What a report calls the things a finding points at.
pub struct Names<'a> {
    /// Each certificate as the report names it ("fullchain.pem:31 (CN=R11)", "certificate 2
    /// (CN=R11)"), by its index in the diagnosis.
    pub certificates: Vec<String>,
    /// The leaf's index, when there is a leaf.
    pub leaf: Option<usize>,
    /// The bundle's path as typed.
    pub bundle: &'a str,
    /// The key file's path as typed, if there is one.
    pub key: Option<&'a str>,
    /// Whether the chain is an upload or served: what some findings weigh.
    pub source: Source,
}

impl Names<'_> {
    fn certificate(&self, index: usize) -> &str {
        self.certificates
            .get(index)
            .map_or("a certificate", String::as_str)
    }

    /// `FILE:LINE`, as compilers and editors point at a line.
    pub fn place(&self, at: &Place) -> String {
        format!("{}:{}", printable(self.file(at.file)), at.line)
    }

    /// A file's path as typed, for a command line (quoted there, not escaped).
    fn file(&self, file: PemFile) -> &str {
        match file {
            PemFile::Bundle => self.bundle,
            PemFile::Key => self.key.unwrap_or("the key file"),
        }
    }
}

/// A certificate's short name: its subject's common name, else the whole subject.
pub fn short_name(certificate: &Certificate) -> String {
    printable(
        certificate
            .subject
            .common_name
            .as_deref()
            .unwrap_or(&certificate.subject.text),
    )
}

/// The finding in one sentence.
pub fn message(finding: &Finding, names: &Names) -> String {
    match finding {
        Finding::EmptyFile { file } => format!("{} is empty", printable(names.file(*file))),
        Finding::NotText { at } => format!(
            "{}: not PEM text (a binary DER file, or UTF-16?); the upload takes PEM",
            names.place(at)
        ),
        Finding::ByteOrderMark { file } => format!(
            "{} starts with a byte-order mark; the upload wants plain text from the first -----BEGIN",
            printable(names.file(*file))
        ),
        Finding::CrlfLineEnds { at } => format!(
            "{}: lines end in CR LF (Windows line ends); the upload expects LF",
            names.place(at)
        ),
        Finding::InexactBoundary { at, found } => format!(
            "{}: \"{}\" is not an exact PEM boundary; it must read -----BEGIN CERTIFICATE----- (or PRIVATE KEY), five dashes each side, capitals, nothing else on the line",
            names.place(at),
            printable(found)
        ),
        Finding::BeginWithoutEnd { at } => {
            format!("{}: a BEGIN line with no END line", names.place(at))
        }
        Finding::EndWithoutBegin { at } => format!(
            "{}: an END line with no BEGIN line before it",
            names.place(at)
        ),
        Finding::MismatchedEnd { at, begin, end } => format!(
            "{}: END {} closes a BEGIN {} block",
            names.place(at),
            printable(end),
            printable(begin)
        ),
        Finding::Base64Damaged { at } => format!(
            "{}: the block's base64 body is damaged (a character out of place, or a line cut short)",
            names.place(at)
        ),
        Finding::StrayText { at } => format!(
            "{}: text outside the PEM blocks (openssl's Bag Attributes or subject= lines?); the upload wants only the blocks",
            names.place(at)
        ),
        Finding::UnexpectedBlock { at, label } if at.file == PemFile::Key => format!(
            "{}: a {} block in the key file, which should hold the private key alone (a certificate belongs in {})",
            names.place(at),
            printable(label),
            printable(names.bundle)
        ),
        Finding::UnexpectedBlock { at, label } => format!(
            "{}: a {} block; the upload takes only CERTIFICATE blocks and one PRIVATE KEY",
            names.place(at),
            printable(label)
        ),
        Finding::NoCertificate => {
            format!("{} holds no CERTIFICATE block", printable(names.bundle))
        }
        Finding::KeyMissing => "no private key: put the leaf's key (-----BEGIN PRIVATE KEY-----) after the chain, or pass --key KEYFILE".to_owned(),
        Finding::MultipleKeys { at } => format!(
            "more than one private key ({}); the upload takes exactly one, the leaf's",
            at.iter()
                .map(|place| names.place(place))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Finding::KeyNotPkcs8 { at, form } => format!(
            "{}: the key is in {} form ({}); the upload takes an unencrypted PKCS #8 key (-----BEGIN PRIVATE KEY-----){}",
            names.place(at),
            form.label(),
            form_name(*form),
            if at.file == PemFile::Bundle {
                "; convert it, then put the new key in place of this block"
            } else {
                ""
            }
        ),
        Finding::KeyUnreadable { at, reason } => format!(
            "{}: the key does not read as a key: {}",
            names.place(at),
            printable(reason)
        ),
        Finding::KeyMismatch => format!(
            "the private key does not belong to {}: its public key is another",
            names.leaf.map_or("the leaf", |leaf| names.certificate(leaf))
        ),
        Finding::CertificateUnreadable {
            certificate,
            reason,
        } => format!(
            "{}: not a readable X.509 certificate: {}",
            names.certificate(*certificate),
            printable(reason)
        ),
        Finding::LeafIsCa { certificate } => format!(
            "{} is a CA certificate, and no certificate for a server is here: the leaf is missing",
            names.certificate(*certificate)
        ),
        Finding::ChainOutOfOrder { right_order } => format!(
            "the chain is out of order; leaf first, then each issuer: {}",
            right_order
                .iter()
                .map(|&index| names.certificate(index).to_owned())
                .collect::<Vec<_>>()
                .join(", then ")
        ),
        Finding::IssuerMissing {
            certificate,
            issuer,
        } => format!(
            "the issuer of {} ({}) is missing: add that intermediate certificate after it",
            names.certificate(*certificate),
            printable(issuer)
        ),
        Finding::KeyIdentifierMismatch {
            certificate,
            issuer,
        } => format!(
            "{} names {} as its issuer, but its authority key identifier is not that certificate's key: it was issued by another key of the same name",
            names.certificate(*certificate),
            names.certificate(*issuer)
        ),
        Finding::SignatureInvalid {
            certificate,
            issuer,
        } => format!(
            "the signature on {} does not verify with the key of {}",
            names.certificate(*certificate),
            names.certificate(*issuer)
        ),
        Finding::SignatureNotChecked {
            certificate,
            issuer,
            algorithm,
        } => format!(
            "the signature on {} by {} uses {}, which this check cannot verify",
            names.certificate(*certificate),
            names.certificate(*issuer),
            printable(algorithm)
        ),
        Finding::IssuerNotCa { issuer } => format!(
            "{} issued a certificate of this chain but is not a CA (no basicConstraints cA)",
            names.certificate(*issuer)
        ),
        Finding::UnrelatedCertificate { certificate } => format!(
            "{} is not part of the leaf's chain: remove it",
            names.certificate(*certificate)
        ),
        Finding::DuplicateCertificate { certificate, first } => format!(
            "{} repeats {}: remove it",
            names.certificate(*certificate),
            names.certificate(*first)
        ),
        Finding::RootMissing => "the root certificate is missing; the upload asks for the whole chain, the root last: append it".to_owned(),
        Finding::RootNotServed => "the root is not served (as usual: clients hold their own roots)".to_owned(),
        Finding::NotYetValid {
            certificate,
            not_before,
        } => format!(
            "{} is not valid until {}",
            names.certificate(*certificate),
            rfc3339(*not_before)
        ),
        Finding::Expired {
            certificate,
            not_after,
        } => format!(
            "{} expired at {}",
            names.certificate(*certificate),
            rfc3339(*not_after)
        ),
        Finding::LeafExpiresVerySoon { days_left } => format!(
            "the leaf expires in {}: replace it now",
            days(*days_left)
        ),
        Finding::LeafExpiresSoon { days_left } => format!(
            "the leaf expires in {}: plan its replacement",
            days(*days_left)
        ),
        Finding::NoSubjectAltName => "the leaf has no subject alternative name; clients match a name against those alone (RFC 6125), never the common name".to_owned(),
        Finding::NameNotCovered { name } => format!(
            "the leaf is not valid for {}",
            printable(name)
        ),
    }
}

/// The command that fixes the finding, where one does (argv), with the output file it writes.
pub fn command(finding: &Finding, names: &Names) -> Option<Vec<String>> {
    match finding {
        Finding::KeyNotPkcs8 { at, form } => {
            let input = names.file(at.file);
            // Out of a bundle, openssl writes the key alone: a file named for a key.
            let output = match at.file {
                PemFile::Bundle => "key.pkcs8.pem".to_owned(),
                PemFile::Key => pkcs8_output(input),
            };
            form.conversion_command(input, &output)
        }
        _ => None,
    }
}

/// Where a converted key file goes: beside it, named for its form (`key.pkcs8.pem` for
/// standard input, `-`).
fn pkcs8_output(input: &str) -> String {
    if input == "-" {
        return "key.pkcs8.pem".to_owned();
    }
    let stem = [".pem", ".key"]
        .iter()
        .find_map(|extension| input.strip_suffix(extension))
        .unwrap_or(input);
    format!("{stem}.pkcs8.pem")
}

fn form_name(form: KeyForm) -> &'static str {
    match form {
        KeyForm::Pkcs8 => "PKCS #8",
        KeyForm::Pkcs1Rsa => "PKCS #1",
        KeyForm::Sec1Ec => "SEC 1",
        KeyForm::EncryptedPkcs8 => "encrypted PKCS #8",
    }
}

/// `1 day`, `5 days`.
pub fn days(count: i64) -> String {
    if count == 1 {
        "1 day".to_owned()
    } else {
        format!("{count} days")
    }
}

/// A command line to paste: each argument quoted for a POSIX shell when it needs it.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|argument| {
            let plain = !argument.is_empty()
                && argument
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&byte));
            if plain {
                argument.clone()
            } else {
                format!("'{}'", printable(argument).replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_quoted_for_a_shell_only_where_needed() {
        let argv: Vec<String> = ["openssl", "pkcs8", "-in", "my key's.pem"]
            .map(String::from)
            .into();
        assert_eq!(shell_line(&argv), r"openssl pkcs8 -in 'my key'\''s.pem'");
    }

    #[test]
    fn a_converted_key_is_written_beside_the_original() {
        assert_eq!(pkcs8_output("certs/key.pem"), "certs/key.pkcs8.pem");
        assert_eq!(pkcs8_output("key"), "key.pkcs8.pem");
        assert_eq!(pkcs8_output("-"), "key.pkcs8.pem");
        assert_eq!(pkcs8_output("leaf.rsa.key"), "leaf.rsa.pkcs8.pem");
    }
}
