//! `bundle`'s report: the status, the leaf, the chain in the right order, the key, and each
//! finding with its fix; for people or as one JSON object.

use std::fmt::Write;

use serde::Serialize;

use crate::cert::{BundleDiagnosis, KeyForm, PemFile, Source, Status};
use crate::escape::{json_line, printable};
use crate::render::style::{Palette, Tone};
use crate::render::{Detail, Format};

use super::human::{certificate_line, findings, subject_alt_names};
use super::json::{CertificateJson, FindingJson};
use super::words::{Names, days, short_name};

/// The files a bundle check read, as the user named them.
#[derive(Clone, Copy, Debug)]
pub struct BundleFiles<'a> {
    pub bundle: &'a str,
    pub key: Option<&'a str>,
}

/// The report, without a trailing newline.
pub fn render(diagnosis: &BundleDiagnosis, files: BundleFiles, format: Format) -> String {
    let names = names(diagnosis, files);
    match format {
        Format::Json => json_line(&BundleJson::new(diagnosis, files, &names)),
        Format::Human(style) => human(diagnosis, &names, &Palette::new(style.color), style.detail),
    }
}

/// Each certificate named by where it is: `fullchain.pem:31 (R11)`.
fn names<'a>(diagnosis: &BundleDiagnosis, files: BundleFiles<'a>) -> Names<'a> {
    let mut names = Names {
        certificates: Vec::new(),
        leaf: diagnosis.chain.first().copied(),
        bundle: files.bundle,
        key: files.key,
        source: Source::Bundle,
    };
    names.certificates = diagnosis
        .certificates
        .iter()
        .map(|entry| match &entry.certificate {
            Some(certificate) => {
                format!("{} ({})", names.place(&entry.at), short_name(certificate))
            }
            None => names.place(&entry.at),
        })
        .collect();
    names
}

pub fn status_word(status: Status) -> (&'static str, Tone) {
    match status {
        Status::Ready => ("ready", Tone::Good),
        Status::Warnings => ("warnings", Tone::Warning),
        Status::Fails => ("fails", Tone::Bad),
    }
}

fn human(diagnosis: &BundleDiagnosis, names: &Names, palette: &Palette, detail: Detail) -> String {
    let (word, tone) = status_word(diagnosis.status);
    let title = match names.bundle {
        "-" => "standard input".to_owned(),
        path => printable(path),
    };
    let mut out = format!("{title}: {}", palette.tone(word, tone));
    if let Some(days_left) = diagnosis.leaf_days_left {
        let _ = write!(out, ", the leaf {}", expires_in(days_left));
    }
    if detail == Detail::Quiet {
        return out;
    }
    if let Some(leaf) = diagnosis.leaf() {
        let _ = write!(out, "\n  leaf    {}", certificate_line(leaf));
        let _ = write!(out, "\n  names   {}", subject_alt_names(leaf));
    }
    if !diagnosis.chain.is_empty() {
        let order: Vec<&str> = diagnosis
            .chain
            .iter()
            .filter_map(|&index| names.certificates.get(index).map(String::as_str))
            .collect();
        let _ = write!(out, "\n  chain   {}", order.join(" → "));
    }
    if let Some(key) = &diagnosis.key {
        let _ = write!(
            out,
            "\n  key     {}, {}",
            names.place(&key.at),
            key.form.label()
        );
    }
    findings(&mut out, &diagnosis.findings, names, palette);
    out
}

/// `expires in 59 days`, `expired 3 days ago`.
pub fn expires_in(days_left: i64) -> String {
    if days_left < 0 {
        format!("expired {} ago", days(-days_left))
    } else {
        format!("expires in {}", days(days_left))
    }
}

#[derive(Serialize)]
struct BundleJson<'a> {
    file: &'a str,
    key_file: Option<&'a str>,
    status: &'static str,
    days_left: Option<i64>,
    leaf: Option<CertificateJson<'a>>,
    certificates: Vec<BundleCertificateJson<'a>>,
    /// Indices into `certificates`: the right order, leaf first.
    chain: &'a [usize],
    key: Option<KeyJson>,
    findings: Vec<FindingJson>,
}

#[derive(Serialize)]
struct BundleCertificateJson<'a> {
    line: usize,
    /// Absent for a block that does not parse (its finding says why).
    #[serde(flatten)]
    certificate: Option<CertificateJson<'a>>,
}

#[derive(Serialize)]
struct KeyJson {
    file: &'static str,
    line: usize,
    form: &'static str,
}

impl<'a> BundleJson<'a> {
    fn new(
        diagnosis: &'a BundleDiagnosis,
        files: BundleFiles<'a>,
        names: &Names,
    ) -> BundleJson<'a> {
        BundleJson {
            file: files.bundle,
            key_file: files.key,
            status: status_word(diagnosis.status).0,
            days_left: diagnosis.leaf_days_left,
            leaf: diagnosis.leaf().map(CertificateJson::new),
            certificates: diagnosis
                .certificates
                .iter()
                .map(|entry| BundleCertificateJson {
                    line: entry.at.line,
                    certificate: entry.certificate.as_ref().map(CertificateJson::new),
                })
                .collect(),
            chain: &diagnosis.chain,
            key: diagnosis.key.as_ref().map(|key| KeyJson {
                file: match key.at.file {
                    PemFile::Bundle => "bundle",
                    PemFile::Key => "key",
                },
                line: key.at.line,
                form: form_code(key.form),
            }),
            findings: diagnosis
                .findings
                .iter()
                .map(|finding| FindingJson::new(finding, names))
                .collect(),
        }
    }
}

fn form_code(form: KeyForm) -> &'static str {
    match form {
        KeyForm::Pkcs8 => "pkcs8",
        KeyForm::Pkcs1Rsa => "pkcs1",
        KeyForm::Sec1Ec => "sec1",
        KeyForm::EncryptedPkcs8 => "encrypted-pkcs8",
    }
}
